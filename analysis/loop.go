package analysis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
)

// Loop runs a job's due analysis checks and records their results.
type Loop struct {
	// Job is the job's ID.
	Job string
	// Providers run the checks, by AnalysisCheck.Provider.
	Providers map[string]Provider
	// State returns the job's current version and latest deployment (nil
	// when none), for example from a controller.Store's state.
	State func(ctx context.Context) (rollout.JobVersion, *rollout.Deployment, error)
	// Record hands a rollout.RecordAnalysis command to the job's Runner,
	// for example controller.Manager.Command with the job's ID.
	Record func(ctx context.Context, cmd rollout.Command) error
	// Timeout bounds one measurement; 0 is 10s.
	Timeout time.Duration
}

// ErrNoProvider is returned (wrapped) by Once for a check whose provider
// is not in Loop.Providers.
var ErrNoProvider = errors.New("analysis: no such provider")

// Once measures the checks due at now (rollout.DueChecks) and records
// their results, timed now, in one command. It returns how many it
// recorded; a provider that is missing is an error, and its check is
// recorded as inconclusive all the same.
func (l *Loop) Once(ctx context.Context, now time.Time) (int, error) {
	job, dep, err := l.State(ctx)
	if err != nil {
		return 0, err
	}
	due := rollout.DueChecks(&job, dep, now)
	if len(due) == 0 {
		return 0, nil
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var errs []error
	results := make([]rollout.AnalysisResult, 0, len(due))
	for _, d := range due {
		var m Measurement
		if p, ok := l.Providers[d.Check.Provider]; ok {
			mctx, cancel := context.WithTimeout(ctx, timeout)
			m = p.Measure(mctx, Request{Job: l.Job, Group: d.Group, Version: d.Version, BaselineVersion: d.BaselineVersion,
				HasBaseline: d.HasBaseline, Check: d.Check, Time: now})
			cancel()
		} else {
			errs = append(errs, fmt.Errorf("%w: %q (group %q, check %q)", ErrNoProvider, d.Check.Provider, d.Group, d.Check.Name))
			m = inconclusive("no provider " + d.Check.Provider)
		}
		if !m.Verdict.Valid() {
			m = inconclusive("the provider gave no verdict")
		}
		results = append(results, rollout.AnalysisResult{Time: now, Group: d.Group, Check: d.Check.Name, Verdict: m.Verdict, Value: m.Value, Reason: m.Reason})
	}
	if err := l.Record(ctx, rollout.RecordAnalysis(results...)); err != nil {
		errs = append(errs, err)
		return 0, errors.Join(errs...)
	}
	return len(results), errors.Join(errs...)
}

// Run calls Once every interval until ctx ends, reporting errors to
// onError (which may be nil), and returns ctx's error.
func (l *Loop) Run(ctx context.Context, every time.Duration, onError func(error)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			if _, err := l.Once(ctx, now); err != nil && onError != nil {
				onError(err)
			}
		}
	}
}
