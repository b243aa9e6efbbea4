package controller

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// call runs fn with the Runner's per-call timeout. A call that does not
// return once its context is done is abandoned: call returns the context's
// error, and fn finishes (or not) on its own goroutine, its result dropped.
func call[T any](r *Runner, ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if r.cfg.CallTimeout <= 0 {
		return fn(ctx)
	}
	cctx, cancel := context.WithTimeoutCause(ctx, r.cfg.CallTimeout, errCallTimeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	res := make(chan result, 1)
	go func() {
		v, err := fn(cctx)
		res <- result{v, err}
	}()
	select {
	case got := <-res:
		return got.v, got.err
	case <-cctx.Done():
		var zero T
		return zero, fmt.Errorf("%w after %v: %w", context.Cause(cctx), r.cfg.CallTimeout, cctx.Err())
	}
}

// errCallTimeout is the cause of a call's context ending at CallTimeout.
var errCallTimeout = errors.New("call timed out")

// retry calls fn (within the call timeout) until it succeeds, waiting with
// backoff between failures, and returns its result and the number of calls.
// It fails with errCtxDone when ctx ended first; and at once, without
// retrying, with an error that wraps ErrCorrupt or ErrSchema (stored state
// this Runner cannot read: retrying cannot help). Events that arrive
// meanwhile are kept for the next step.
func retry[T any](r *Runner, ctx context.Context, what string, fn func(context.Context) (T, error)) (T, int, error) {
	var zero T
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return zero, n - 1, errCtxDone
		}
		v, err := call(r, ctx, fn)
		switch {
		case err == nil:
			return v, n, nil
		case ctx.Err() != nil:
			return zero, n, errCtxDone
		case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrSchema):
			return zero, n, fmt.Errorf("rollout: %s of job %q: %w", what, r.cfg.JobID, err)
		}
		r.report(what, n, err)
		if !r.sleep(ctx, r.backoff(n)) {
			return zero, n, errCtxDone
		}
	}
}

// errCtxDone ends a step whose context ended: Run then returns nil.
var errCtxDone = errors.New("context done")

// backoff returns the wait after the n-th consecutive failure.
func (r *Runner) backoff(n int) time.Duration {
	return backoff(n, r.cfg.MinBackoff, r.cfg.MaxBackoff)
}

// backoff returns the wait after the n-th consecutive failure: lo, doubling
// with each failure, at most hi.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// sleep waits d on the clock, collecting events; false when ctx ended.
func (r *Runner) sleep(ctx context.Context, d time.Duration) bool {
	timer := r.clock.Timer(d)
	defer timer.Stop()
	if r.cfg.OnWait != nil {
		r.cfg.OnWait(r.clock.Now().Add(d))
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case batch, ok := <-r.source:
			r.receive(batch, ok)
		}
	}
}

// report tells OnError and the log of a failed call that will be retried.
func (r *Runner) report(what string, attempt int, err error) {
	err = fmt.Errorf("rollout: %s of job %q (attempt %d): %w", what, r.cfg.JobID, attempt, err)
	r.log.Warn("retrying", "call", what, "attempt", attempt, "error", oneLineError(err))
	if r.cfg.OnError != nil {
		r.cfg.OnError(err)
	}
}
