package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rollout-go/rollout"
)

// SubmitOption changes what Runner.Submit and Manager.Submit do. Options
// are applied in order.
type SubmitOption func(*submitOptions)

type submitOptions struct {
	wait  bool
	dst   *rollout.Deployment
	check rollout.SubmitCheck
}

// WaitForDeployment makes Submit return only once the step that deploys the
// submitted version has been made and saved, so that commands such as
// Promote find the deployment. When dst is not nil the deployment is
// written to it. When the version needs no deployment (nothing changed
// that needs one, no update strategy, the job is stopped) Submit returns
// the version with an error wrapping ErrNoDeployment that says so; when ctx
// ends or the Runner stops first, that error.
func WaitForDeployment(dst *rollout.Deployment) SubmitOption {
	return func(o *submitOptions) { o.wait, o.dst = true, dst }
}

// ExpectVersion makes Submit refuse the job with a *VersionConflictError
// unless the job's latest version is v: the version the caller planned
// against (Nomad's check-index).
func ExpectVersion(v uint64) SubmitOption {
	return func(o *submitOptions) { o.check.Expect = &v }
}

// ExpectNoJob makes Submit refuse the job with a *VersionConflictError if
// the job has any version: a submit that may only create it.
func ExpectNoJob() SubmitOption {
	return func(o *submitOptions) { o.check.ExpectNoJob = true }
}

// RefuseFailedSpecs makes Submit refuse, with a *FailedSpecError, a job
// whose specification is that of a version whose deployment failed and was
// auto-reverted (History.FailedSpecs): a level-triggered controller that
// submits the same job file again does not re-deploy what just failed.
// Off by default, as in Nomad.
func RefuseFailedSpecs() SubmitOption {
	return func(o *submitOptions) { o.check.RefuseFailedSpecs = true }
}

// Force skips the RefuseFailedSpecs refusal for this submit.
func Force() SubmitOption {
	return func(o *submitOptions) { o.check.Force = true }
}

// Submit records a new version of the job in the store (see History.Submit:
// an identical resubmission creates no version) and wakes Run to deploy it.
// It returns the job's latest version. The job's ID must be the Runner's and
// the job must be valid. Submit of a Runner whose Run has returned fails
// with ErrStopped. See the options for waiting and for check-index.
func (r *Runner) Submit(ctx context.Context, job rollout.JobVersion, opts ...SubmitOption) (rollout.JobVersion, error) {
	var o submitOptions
	for _, opt := range opts {
		opt(&o)
	}
	if job.ID != r.cfg.JobID {
		return rollout.JobVersion{}, fmt.Errorf("rollout: submit: job %q to the runner of job %q: %w", job.ID, r.cfg.JobID, rollout.ErrInvalid)
	}
	if err := job.Validate(); err != nil {
		return rollout.JobVersion{}, err
	}
	r.qmu.Lock()
	if r.stopped {
		err := r.stoppedErr()
		r.qmu.Unlock()
		return rollout.JobVersion{}, err
	}
	r.qmu.Unlock()
	var w *watcher
	if o.wait {
		var ok bool
		if w, ok = r.watch.add(); !ok {
			return rollout.JobVersion{}, ErrStopped
		}
		defer r.watch.remove(w)
	}
	v, rev, created, err := submitToStore(ctx, r.store, job, r.clock.Now(), &o)
	if err != nil {
		return rollout.JobVersion{}, err
	}
	if created {
		r.log.Info("version submitted", "version", v.Version)
	} else {
		rev = 0 // nothing saved: step anyway, as a resubmission asks
	}
	r.poke(rev)
	if !o.wait {
		return v, nil
	}
	d, err := r.waitStepped(ctx, w, v.Version)
	if err == nil && o.dst != nil {
		*o.dst = *d
	}
	return v, err
}

// waitStepped waits until a step of version v (or a later one) is saved,
// and returns the deployment of v.
func (r *Runner) waitStepped(ctx context.Context, w *watcher, v uint64) (*rollout.Deployment, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case st, ok := <-w.ch:
			if !ok {
				r.qmu.Lock()
				err := r.stoppedErr()
				r.qmu.Unlock()
				return nil, err
			}
			if d, done, err := stepOf(st, r.cfg.JobID, v); done {
				return d, err
			}
		}
	}
}

// submitToStore records the job in the store's history (a compare-and-set
// loop), after the checks the options ask for (History.SubmitChecked), and
// reports whether a version was made, and the revision it was saved at.
func submitToStore(ctx context.Context, store Store, job rollout.JobVersion, now time.Time, o *submitOptions) (rollout.JobVersion, uint64, bool, error) {
	for {
		st, err := store.Load(ctx, job.ID)
		if err != nil {
			return rollout.JobVersion{}, 0, false, fmt.Errorf("rollout: submit: load: %w", err)
		}
		before := slices.Clone(st.History.Versions) // Submit trims in place
		v, created, err := st.History.SubmitChecked(job, now, o.check)
		if err != nil {
			return rollout.JobVersion{}, 0, false, fmt.Errorf("rollout: submit job %q: %w", job.ID, err)
		}
		if !created {
			return v, st.Revision, false, nil
		}
		st.keepLive(before)
		rev, err := store.Save(ctx, job.ID, st)
		if err == nil {
			return v, rev, true, nil
		}
		if !errors.Is(err, ErrConflict) {
			return rollout.JobVersion{}, 0, false, fmt.Errorf("rollout: submit: save: %w", err)
		}
	}
}

// stepOf finds, in a saved state, the outcome of the step of version v:
// its deployment, or why there is none; done is false while no step of v
// (or a later version) is saved.
func stepOf(st *State, jobID string, v uint64) (d *rollout.Deployment, done bool, err error) {
	latest, _ := st.History.Latest()
	if latest.Version < v {
		return nil, false, nil
	}
	for i := len(st.Deployments) - 1; i >= 0; i-- {
		if d := &st.Deployments[i]; d.JobVersion == v {
			return d.Clone(), true, nil
		}
	}
	if latest.Version > v {
		return nil, true, fmt.Errorf("rollout: job %q version %d was superseded by version %d before it was deployed: %w", jobID, v, latest.Version, rollout.ErrNoDeployment)
	}
	if st.Freeze != nil {
		return nil, true, fmt.Errorf("rollout: job %q version %d waits for the freeze to end (%s): %w: %w", jobID, v, st.Freeze, rollout.ErrFrozen, rollout.ErrNoDeployment)
	}
	return nil, true, fmt.Errorf("rollout: job %q version %d needs no deployment (no group with an update strategy has work, or the job is stopped): %w", jobID, v, rollout.ErrNoDeployment)
}
