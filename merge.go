package rollout

import (
	"math"
	"time"
)

// UpdateBlock is an update block as written in a job file, at the job or
// group level. A nil field was not written; a non-nil field was, even when
// it points at zero or false. Merge resolves blocks into an UpdateStrategy,
// and UpdateStrategy documents what each field means.
//
// UpdateBlock reads and writes JSON in two spellings: the job file's
// (`{"max_parallel": 2, "min_healthy_time": "30s"}`, see MarshalJSON) and
// Nomad's API (`{"MaxParallel": 2, "MinHealthyTime": 30000000000}`, see
// MarshalAPIJSON). UnmarshalJSON reads either.
type UpdateBlock struct {
	// MaxParallel is max_parallel.
	MaxParallel *int
	// HealthCheck is health_check. Any string is kept as written;
	// UpdateStrategy.Validate rejects one that is not a HealthCheck mode.
	HealthCheck *HealthCheck
	// MinHealthyTime is min_healthy_time.
	MinHealthyTime *time.Duration
	// HealthyDeadline is healthy_deadline.
	HealthyDeadline *time.Duration
	// ProgressDeadline is progress_deadline. When it is unset in both
	// blocks, Merge derives it from healthy_deadline.
	ProgressDeadline *time.Duration
	// AutoRevert is auto_revert.
	AutoRevert *bool
	// AutoPromote is auto_promote.
	AutoPromote *bool
	// Canary is canary.
	Canary *int
	// Stagger is stagger.
	Stagger *time.Duration

	// MaxSurge is max_surge: a count or a percentage of count.
	MaxSurge *Amount
	// MaxUnavailable is max_unavailable: a count or a percentage of count.
	MaxUnavailable *Amount
	// PauseAfter is pause_after: a list of counts and percentages.
	PauseAfter *Checkpoints
	// GateTimeout is gate_timeout.
	GateTimeout *time.Duration
	// OnGateTimeout is on_gate_timeout. Any string is kept as written;
	// UpdateStrategy.Validate rejects one that is not a GateAction.
	OnGateTimeout *GateAction
	// Analysis is the analysis block, taken whole (see Analysis).
	Analysis *Analysis
}

// Merge resolves a group's update strategy from the job-level block and the
// group-level block (either may be nil): the defaults, overlaid by every
// field written in job, overlaid by every field written in group. A field
// written in group wins even when it is zero or false.
//
// It returns ok == false when neither block exists: the group has no update
// strategy, and a changed group replaces all its allocations at once with
// no deployment. An empty block `update {}` yields DefaultUpdateStrategy().
//
// An unset progress_deadline (unset in both blocks) is 10m or
// healthy_deadline + 5m, whichever is larger (the sum stops at the largest
// time.Duration rather than overflowing), so that raising healthy_deadline
// alone keeps a valid strategy. A written progress_deadline is used as
// written. Merge does not validate and does not modify its arguments; call
// Validate on the result.
func Merge(job, group *UpdateBlock) (s UpdateStrategy, ok bool) {
	if job == nil && group == nil {
		return UpdateStrategy{}, false
	}
	s = DefaultUpdateStrategy()
	progressSet := false
	for _, b := range [...]*UpdateBlock{job, group} {
		if b == nil {
			continue
		}
		setIf(&s.MaxParallel, b.MaxParallel)
		setIf(&s.HealthCheck, b.HealthCheck)
		setIf(&s.MinHealthyTime, b.MinHealthyTime)
		setIf(&s.HealthyDeadline, b.HealthyDeadline)
		setIf(&s.AutoRevert, b.AutoRevert)
		setIf(&s.AutoPromote, b.AutoPromote)
		setIf(&s.Canary, b.Canary)
		setIf(&s.Stagger, b.Stagger)
		setIf(&s.MaxSurge, b.MaxSurge)
		setIf(&s.MaxUnavailable, b.MaxUnavailable)
		setIf(&s.PauseAfter, b.PauseAfter)
		setIf(&s.GateTimeout, b.GateTimeout)
		setIf(&s.OnGateTimeout, b.OnGateTimeout)
		if b.Analysis != nil {
			s.Analysis = b.Analysis
		}
		if b.ProgressDeadline != nil {
			s.ProgressDeadline = *b.ProgressDeadline
			progressSet = true
		}
	}
	if !progressSet {
		s.ProgressDeadline = defaultProgressDeadline(s.HealthyDeadline)
	}
	return s, true
}

// defaultProgressDeadline is the progress_deadline of a strategy that does
// not write one: max(10m, healthyDeadline+5m), saturating instead of
// overflowing for a huge healthyDeadline.
func defaultProgressDeadline(healthyDeadline time.Duration) time.Duration {
	if healthyDeadline > math.MaxInt64-progressDeadlineMargin {
		return math.MaxInt64
	}
	return max(DefaultProgressDeadline, healthyDeadline+progressDeadlineMargin)
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
