package rollout

import (
	"fmt"
	"slices"
	"time"
)

// SubmitCheck holds the opt-in checks of History.SubmitChecked. The zero
// value checks nothing: SubmitChecked then behaves exactly as Submit.
type SubmitCheck struct {
	// Expect, when set, is the version the caller planned against (the
	// latest version when it read the job): the submit is refused with a
	// *VersionConflictError if the latest version is another one, as Nomad's
	// `job run -check-index` does.
	Expect *uint64
	// ExpectNoJob refuses the submit with a *VersionConflictError if the job has
	// any version: a submit that may only create the job.
	ExpectNoJob bool
	// RefuseFailedSpecs refuses, with a *FailedSpecError, a version whose
	// specification is in History.FailedSpecs: one whose deployment failed
	// and was auto-reverted. Off by default (Nomad re-deploys it).
	RefuseFailedSpecs bool
	// Force skips the RefuseFailedSpecs refusal for this submit.
	Force bool
}

// VersionConflictError refuses a submit whose caller planned against a version
// that is no longer the latest. It wraps ErrVersionConflict.
type VersionConflictError struct {
	// Expected is the version the caller planned against; nil when it
	// expected no job (SubmitCheck.ExpectNoJob).
	Expected *uint64
	// Latest is the latest version; nil when the job has none.
	Latest *uint64
}

// Error implements error: `job changed since it was planned: planned
// against version 2, latest is version 3`.
func (e *VersionConflictError) Error() string {
	planned, latest := "no job", "no job"
	if e.Expected != nil {
		planned = fmt.Sprintf("version %d", *e.Expected)
	}
	if e.Latest != nil {
		latest = fmt.Sprintf("version %d", *e.Latest)
	}
	return fmt.Sprintf("%v: planned against %s, latest is %s", ErrVersionConflict, planned, latest)
}

// Unwrap makes errors.Is(err, ErrVersionConflict) true.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }

// FailedSpecError refuses a submit that repeats the specification of a
// version whose deployment failed and was auto-reverted. It wraps
// ErrFailedSpec.
type FailedSpecError struct {
	// Version is the failed version with the same specification.
	Version uint64
}

// Error implements error: `specification failed before: version 3 has
// the same specification, its deployment failed and was reverted`.
func (e *FailedSpecError) Error() string {
	return fmt.Sprintf("%v: version %d has the same specification, its deployment failed and was reverted", ErrFailedSpec, e.Version)
}

// Unwrap makes errors.Is(err, ErrFailedSpec) true.
func (e *FailedSpecError) Unwrap() error { return ErrFailedSpec }

// SubmitChecked is Submit after the checks c asks for: it refuses with a
// *VersionConflictError when the latest version is not the one c expects, then
// (when c.RefuseFailedSpecs and not c.Force) with a *FailedSpecError when
// j would become a new version with the specification of a failed,
// auto-reverted version. A refused submit changes nothing.
func (h *History) SubmitChecked(j JobVersion, now time.Time, c SubmitCheck) (JobVersion, bool, error) {
	latest, ok := h.Latest()
	var latestN *uint64
	if ok {
		n := latest.Version
		latestN = &n
	}
	switch {
	case c.ExpectNoJob && ok:
		return JobVersion{}, false, &VersionConflictError{Latest: latestN}
	case c.Expect != nil && (!ok || latest.Version != *c.Expect):
		e := *c.Expect
		return JobVersion{}, false, &VersionConflictError{Expected: &e, Latest: latestN}
	}
	if c.RefuseFailedSpecs && !c.Force && !(ok && latest.SameSpec(&j)) {
		if f, failed := h.failedSpec(&j); failed {
			return JobVersion{}, false, &FailedSpecError{Version: f.Version}
		}
	}
	v, created := h.Submit(j, now)
	return v, created, nil
}

// failedSpec returns the remembered failed version with j's specification.
func (h *History) failedSpec(j *JobVersion) (JobVersion, bool) {
	for i := len(h.FailedSpecs) - 1; i >= 0; i-- {
		if h.FailedSpecs[i].SameSpec(j) {
			return h.FailedSpecs[i], true
		}
	}
	return JobVersion{}, false
}

// RecordStep records what Step returned for job: out.Job and out.Revert
// (as Record does) and, when the step failed job's deployment and
// auto-reverted it, job's specification in FailedSpecs (the newest Keep
// of them are remembered). A version that becomes Stable is forgotten
// there: its specification has succeeded.
func (h *History) RecordStep(job *JobVersion, out *Output) {
	if out.Job != nil {
		h.Record(*out.Job)
		if out.Job.Stable {
			h.FailedSpecs = slices.DeleteFunc(h.FailedSpecs, func(f JobVersion) bool { return f.SameSpec(out.Job) })
		}
	}
	if out.Revert == nil {
		return
	}
	h.Record(*out.Revert)
	if !autoReverted(out) || out.Revert.SameSpec(job) {
		return
	}
	h.FailedSpecs = slices.DeleteFunc(h.FailedSpecs, func(f JobVersion) bool { return f.SameSpec(job) })
	h.FailedSpecs = append(h.FailedSpecs, job.Clone())
	keep := h.Keep
	if keep <= 0 {
		keep = DefaultKeepVersions
	}
	if n := len(h.FailedSpecs); n > keep {
		h.FailedSpecs = slices.Delete(h.FailedSpecs, 0, n-keep)
	}
}

// autoReverted reports whether out's revert follows a failed deployment
// (an auto-revert), not a Revert command.
func autoReverted(out *Output) bool {
	for i, tr := range out.Transitions {
		if tr.Kind == TransitionReverted && i > 0 && out.Transitions[i-1].Kind == TransitionFailed {
			return true
		}
	}
	return false
}

// Clone returns a deep copy of h.
func (h *History) Clone() History {
	c := History{Keep: h.Keep}
	for i := range h.Versions {
		c.Versions = append(c.Versions, h.Versions[i].Clone())
	}
	for i := range h.FailedSpecs {
		c.FailedSpecs = append(c.FailedSpecs, h.FailedSpecs[i].Clone())
	}
	return c
}
