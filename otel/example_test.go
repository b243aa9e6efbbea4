package rolloutotel_test

import (
	"log"

	"go.opentelemetry.io/otel"

	rolloutotel "github.com/rollout-go/rollout/otel"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// Wire the instruments into a Runner's configuration: decorate its Driver
// and Store, and report each step.
func Example() {
	in, err := rolloutotel.New(rolloutotel.Config{
		MeterProvider:  otel.GetMeterProvider(), // or the program's own providers
		TracerProvider: otel.GetTracerProvider(),
	})
	if err != nil {
		log.Fatal(err)
	}
	cluster := rollouttest.NewCluster(rollouttest.Config{}) // your Driver
	cfg := controller.RunnerConfig{
		Store:  in.WrapStore(controller.NewMemoryStore()),
		Driver: in.WrapDriver(cluster),
		OnStep: in.OnStep,
	}
	_ = cfg
	// Output:
}
