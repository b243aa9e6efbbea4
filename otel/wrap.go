package rolloutotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/rollout-go/rollout"
)

func (in *Instruments) record(ctx context.Context, h metric.Float64Histogram, errs metric.Int64Counter, op string, start time.Time, err error) {
	attrs := metric.WithAttributes(attribute.String("op", op))
	h.Record(ctx, time.Since(start).Seconds(), attrs)
	if err != nil {
		errs.Add(ctx, 1, attrs)
	}
}

// WrapDriver returns d reporting the duration and errors of its calls.
func (in *Instruments) WrapDriver(d rollout.Driver) rollout.Driver { return &driver{in: in, d: d} }

type driver struct {
	in *Instruments
	d  rollout.Driver
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
// The result implements rollout.Notifier and rollout.JobLister exactly when
// s does, so a Runner still learns of saves and a Manager still lists jobs.
func (in *Instruments) WrapStore(s rollout.Store) rollout.Store {
	base := &store{in: in, s: s}
	n, isN := s.(rollout.Notifier)
	l, isL := s.(rollout.JobLister)
	switch {
	case isN && isL:
		return &struct {
			*store
			rollout.Notifier
			rollout.JobLister
		}{base, n, l}
	case isN:
		return &struct {
			*store
			rollout.Notifier
		}{base, n}
	case isL:
		return &struct {
			*store
			rollout.JobLister
		}{base, l}
	}
	return base
}

type store struct {
	in *Instruments
	s  rollout.Store
}

func (w *store) Load(ctx context.Context, jobID string) (rollout.State, error) {
	start := time.Now()
	st, err := w.s.Load(ctx, jobID)
	w.in.record(ctx, w.in.storeDuration, w.in.storeErrors, "load", start, err)
	return st, err
}

func (w *store) Save(ctx context.Context, jobID string, s rollout.State) (uint64, error) {
	start := time.Now()
	rev, err := w.s.Save(ctx, jobID, s)
	w.in.record(ctx, w.in.storeDuration, w.in.storeErrors, "save", start, err)
	return rev, err
}
