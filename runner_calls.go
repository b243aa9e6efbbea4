package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// call runs fn with the Runner's per-call timeout. A call that does not
// return once its context is done is abandoned: call returns the context's
// error, and fn finishes (or not) on its own goroutine.
func (r *Runner) call(ctx context.Context, fn func(context.Context) error) error {
	if r.cfg.CallTimeout <= 0 {
		return fn(ctx)
	}
	cctx, cancel := context.WithTimeoutCause(ctx, r.cfg.CallTimeout, errCallTimeout)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- fn(cctx) }()
	select {
	case err := <-res:
		return err
	case <-cctx.Done():
		return fmt.Errorf("%w after %v: %w", context.Cause(cctx), r.cfg.CallTimeout, cctx.Err())
	}
}

// errCallTimeout is the cause of a call's context ending at CallTimeout.
var errCallTimeout = errors.New("call timed out")

// retry calls fn (within the call timeout) until it succeeds, waiting with
// backoff between failures. It returns nil on success; errCtxDone when ctx
// ended first; and at once, without retrying, an error that wraps ErrCorrupt
// or ErrSchema (stored state this Runner cannot read: retrying cannot help).
// Events that arrive meanwhile are kept for the next step.
func (r *Runner) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return errCtxDone
		}
		err := r.call(ctx, fn)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return errCtxDone
		case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrSchema):
			return fmt.Errorf("rollout: %s of job %q: %w", what, r.cfg.JobID, err)
		}
		r.report(what, n, err)
		if !r.sleep(ctx, r.backoff(n)) {
			return errCtxDone
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
