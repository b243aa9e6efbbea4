package rolloutotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

func (in *Instruments) record(ctx context.Context, h metric.Float64Histogram, errs metric.Int64Counter, op string, start time.Time, err error) {
	attrs := metric.WithAttributes(attribute.String("op", op))
	h.Record(ctx, time.Since(start).Seconds(), attrs)
	if err != nil {
		errs.Add(ctx, 1, attrs)
	}
}

// WrapDriver returns d reporting the duration and errors of its calls.
func (in *Instruments) WrapDriver(d controller.Driver) controller.Driver {
	return &driver{in: in, d: d}
}

type driver struct {
	in *Instruments
	d  controller.Driver
}

func (w *driver) Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error) {
	start := time.Now()
	a, err := w.d.Allocs(ctx, jobID)
	w.in.record(ctx, w.in.driverDuration, w.in.driverErrors, "allocs", start, err)
	return a, err
}

func (w *driver) Apply(ctx context.Context, d rollout.Decisions) error {
	start := time.Now()
	err := w.d.Apply(ctx, d)
	w.in.record(ctx, w.in.driverDuration, w.in.driverErrors, "apply", start, err)
	return err
}

// WrapStore returns s reporting the duration and errors of Load and Save.
// The result implements controller.Notifier and controller.JobLister exactly when
// s does, so a Runner still learns of saves and a Manager still lists jobs.
func (in *Instruments) WrapStore(s controller.Store) controller.Store {
	base := &store{in: in, s: s}
	n, isN := s.(controller.Notifier)
	l, isL := s.(controller.JobLister)
	switch {
	case isN && isL:
		return &struct {
			*store
			controller.Notifier
			controller.JobLister
		}{base, n, l}
	case isN:
		return &struct {
			*store
			controller.Notifier
		}{base, n}
	case isL:
		return &struct {
			*store
			controller.JobLister
		}{base, l}
	}
	return base
}

type store struct {
	in *Instruments
	s  controller.Store
}

func (w *store) Load(ctx context.Context, jobID string) (controller.State, error) {
	start := time.Now()
	st, err := w.s.Load(ctx, jobID)
	w.in.record(ctx, w.in.storeDuration, w.in.storeErrors, "load", start, err)
	return st, err
}

func (w *store) Save(ctx context.Context, jobID string, s controller.State) (uint64, error) {
	start := time.Now()
	rev, err := w.s.Save(ctx, jobID, s)
	w.in.record(ctx, w.in.storeDuration, w.in.storeErrors, "save", start, err)
	return rev, err
}
