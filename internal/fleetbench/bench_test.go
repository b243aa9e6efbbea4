package fleetbench

import (
	"context"
	"testing"
	"time"

	"github.com/rollout-go/rollout/controller"
)

// BenchmarkFleet is the fleet on the memory store:
//
//	go test -run '^$' -bench Fleet -benchtime 1x ./internal/fleetbench
func BenchmarkFleet(b *testing.B) {
	Bench(b, func(*testing.B) Config { return Config{Store: controller.NewMemoryStore()} })
}

// BenchmarkManagerStart is the start of a Manager over a memory store of
// -fleet.jobs idle jobs (Seed): the time until every job has stepped.
func BenchmarkManagerStart(b *testing.B) {
	jobs, allocs := Size()
	store := controller.NewMemoryStore()
	cluster, err := Seed(context.Background(), store, jobs, allocs)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d, err := StartManager(context.Background(), store, cluster, jobs, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ms(d), "start-ms")
	}
}
