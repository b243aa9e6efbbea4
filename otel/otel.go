// Package rolloutotel reports a rollout Runner's work on the OpenTelemetry
// API: metrics of steps, decisions, deployments and groups, of Driver and
// Store calls, and a span per step. It depends on the OpenTelemetry API
// only; the embedding program chooses the SDK and exporters.
//
// Metric names:
//
//	rollout.steps                counter    job
//	rollout.step.duration        histogram  s, job
//	rollout.decisions            counter    job, kind (stop, place, in-place, health)
//	rollout.deployments          counter    job, status (each status a deployment enters)
//	rollout.group.desired        gauge      job, group
//	rollout.group.healthy        gauge      job, group
//	rollout.driver.duration      histogram  s, op (allocs, apply)
//	rollout.driver.errors        counter    op
//	rollout.store.duration       histogram  s, op (load, save)
//	rollout.store.errors         counter    op
//
// Spans: "rollout.step" per step, from StepReport.Start for its Duration.
package rolloutotel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and tracer.
const ScopeName = "github.com/rollout-go/rollout/otel"

// Config chooses the providers; nil means the global ones (otel.GetMeterProvider,
// otel.GetTracerProvider).
type Config struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Instruments holds the meters and tracer. Its methods may be called from any
// goroutine.
type Instruments struct {
	tracer trace.Tracer

	steps, decisions, deployments metric.Int64Counter
	stepDuration                  metric.Float64Histogram
	desired, healthy              metric.Int64Gauge
	driverDuration, storeDuration metric.Float64Histogram
	driverErrors, storeErrors     metric.Int64Counter
}

// New creates the instruments.
func New(cfg Config) (*Instruments, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(ScopeName)
	in := &Instruments{tracer: tp.Tracer(ScopeName)}
	var errs [10]error
	in.steps, errs[0] = m.Int64Counter("rollout.steps", metric.WithDescription("Steps taken."))
	in.stepDuration, errs[1] = m.Float64Histogram("rollout.step.duration", metric.WithUnit("s"), metric.WithDescription("Duration of a step, from loading the state to confirming its decisions."))
	in.decisions, errs[2] = m.Int64Counter("rollout.decisions", metric.WithDescription("Decisions made, by kind."))
	in.deployments, errs[3] = m.Int64Counter("rollout.deployments", metric.WithDescription("Deployments entering a status, by status."))
	in.desired, errs[4] = m.Int64Gauge("rollout.group.desired", metric.WithDescription("Allocations the active deployment wants healthy in a group."))
	in.healthy, errs[5] = m.Int64Gauge("rollout.group.healthy", metric.WithDescription("Healthy allocations of the active deployment in a group."))
	in.driverDuration, errs[6] = m.Float64Histogram("rollout.driver.duration", metric.WithUnit("s"), metric.WithDescription("Duration of Driver calls."))
	in.driverErrors, errs[7] = m.Int64Counter("rollout.driver.errors", metric.WithDescription("Driver calls that failed."))
	in.storeDuration, errs[8] = m.Float64Histogram("rollout.store.duration", metric.WithUnit("s"), metric.WithDescription("Duration of Store calls."))
	in.storeErrors, errs[9] = m.Int64Counter("rollout.store.errors", metric.WithDescription("Store calls that failed."))
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return in, nil
}
