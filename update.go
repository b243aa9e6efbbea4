package rollout

import (
	"strconv"
	"time"

	"github.com/hashicorp/go-multierror"
)

// HealthCheck says how an allocation's health is decided during a
// deployment. The zero value is unset; a resolved UpdateStrategy always
// holds one of the three constants.
type HealthCheck string

// The three health_check modes of the update block.
const (
	// HealthChecks: every task running and every check passing, for
	// min_healthy_time. A group with no checks behaves as HealthTaskStates.
	HealthChecks HealthCheck = "checks"
	// HealthTaskStates: every task running without a restart for
	// min_healthy_time; a failed or finished task is unhealthy at once.
	HealthTaskStates HealthCheck = "task_states"
	// HealthManual: health comes only from SetHealth commands.
	HealthManual HealthCheck = "manual"
)

// Valid reports whether h is one of the three modes.
func (h HealthCheck) Valid() bool {
	return h == HealthChecks || h == HealthTaskStates || h == HealthManual
}

// Defaults of the update block, for a field left unset.
const (
	DefaultMaxParallel      = 1
	DefaultHealthCheck      = HealthChecks
	DefaultMinHealthyTime   = 10 * time.Second
	DefaultHealthyDeadline  = 5 * time.Minute
	DefaultProgressDeadline = 10 * time.Minute
	DefaultStagger          = 30 * time.Second
	// progressDeadlineMargin is what an unset progress_deadline keeps above
	// healthy_deadline, when that is more than DefaultProgressDeadline.
	progressDeadlineMargin = 5 * time.Minute
)

// UpdateStrategy is a group's resolved update block: every field concrete,
// defaults applied (see Merge). It is comparable with ==, Analysis by its
// pointer.
type UpdateStrategy struct {
	// MaxParallel is how many allocations may be updated at once, that is
	// placed and not yet healthy. 0 disables deployments: a changed group
	// replaces every allocation at once.
	MaxParallel int
	// HealthCheck is how allocation health is decided.
	HealthCheck HealthCheck
	// MinHealthyTime is how long an allocation must stay healthy before it
	// is marked healthy.
	MinHealthyTime time.Duration
	// HealthyDeadline is how long after its start an allocation may take to
	// become healthy before it is marked unhealthy.
	HealthyDeadline time.Duration
	// ProgressDeadline is how long a group may go without an allocation
	// turning healthy before the deployment fails. 0 means the first
	// unhealthy allocation fails the deployment.
	ProgressDeadline time.Duration
	// AutoRevert makes a failed deployment revert the job to its newest
	// Stable version.
	AutoRevert bool
	// AutoPromote promotes the canaries once enough of them are healthy.
	AutoPromote bool
	// Canary is how many canaries a destructive change places beside the
	// old allocations before the rolling update; 0 means no canaries.
	// Canary == count is a blue/green deployment.
	Canary int
	// Stagger is kept for compatibility with job files; rollout validates
	// it and otherwise ignores it.
	Stagger time.Duration

	// The controls below go beyond Nomad's update block. Each is off when
	// unset, and a job that sets none behaves exactly as in Nomad.

	// MaxSurge is how many new allocations a rolling update may place
	// beside the old ones before stopping any: at most count + MaxSurge
	// allocations of the group are live (canaries aside). A percentage is
	// of count, rounded up. Unset with MaxUnavailable unset: Nomad's
	// rolling update, every replacement a stop and a placement.
	MaxSurge Amount
	// MaxUnavailable is how many of the group's count may be not healthy
	// at once during a rolling update: a stop without a healthy
	// replacement beside it takes one. A percentage is of count, rounded
	// down. When only one of MaxSurge and MaxUnavailable is set, the other
	// is 0; both resolving to 0 (small percentages) makes MaxUnavailable 1.
	// MaxParallel still caps the new allocations not yet healthy.
	MaxUnavailable Amount
	// PauseAfter lists checkpoints: the rolling update pauses (status
	// paused, as a Pause command would) once that many of the group's
	// allocations of the deployment are healthy, and places no more than
	// that many before. Resume goes on to the next checkpoint. The
	// progress deadline does not run while paused.
	PauseAfter Checkpoints
	// GateTimeout bounds how long a gate waits for an operator: healthy
	// canaries waiting for a manual promotion, or a checkpoint. When it
	// passes, OnGateTimeout is done. 0 waits forever, as Nomad does.
	GateTimeout time.Duration
	// OnGateTimeout is what a timed-out gate does: GateFail (the default
	// when GateTimeout is set), GatePromote (canaries are promoted) or
	// GateResume (a checkpoint is resumed).
	OnGateTimeout GateAction
	// Analysis is the analysis block: checks on metrics that must pass
	// before a gate (the canaries' promotion, a pause_after checkpoint)
	// opens. Nil: the gates open as without it. See Analysis.
	Analysis *Analysis
}

// DefaultUpdateStrategy returns the strategy of an empty `update {}` block.
func DefaultUpdateStrategy() UpdateStrategy {
	return UpdateStrategy{
		MaxParallel:      DefaultMaxParallel,
		HealthCheck:      DefaultHealthCheck,
		MinHealthyTime:   DefaultMinHealthyTime,
		HealthyDeadline:  DefaultHealthyDeadline,
		ProgressDeadline: DefaultProgressDeadline,
		Stagger:          DefaultStagger,
	}
}

// Surges reports whether MaxSurge or MaxUnavailable is set: the group's
// rolling updates then follow them (see MaxSurge).
func (s UpdateStrategy) Surges() bool { return s.MaxSurge.IsSet() || s.MaxUnavailable.IsSet() }

// surgeLimits resolves MaxSurge and MaxUnavailable against count.
func (s UpdateStrategy) surgeLimits(count int) (surge, unavailable int) {
	surge, unavailable = s.MaxSurge.Of(count, true), s.MaxUnavailable.Of(count, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// Deploys reports whether changes to the group roll out through a
// deployment; false when MaxParallel is 0 (everything replaced at once).
func (s UpdateStrategy) Deploys() bool { return s.MaxParallel > 0 }

// Validate reports every broken rule of the update block at once, as a
// *multierror.Error of *FieldError values (each wraps ErrInvalid), or nil.
// The rules: health_check is one of the three modes; max_parallel, canary,
// min_healthy_time and progress_deadline are not negative; healthy_deadline
// and stagger are greater than zero; auto_promote needs canary > 0;
// min_healthy_time < healthy_deadline; and healthy_deadline <
// progress_deadline unless progress_deadline is 0. An ordering rule is only
// checked when both of its fields pass their own rule, so each mistake is
// reported once. Messages name the field as written in a job file:
// `max_parallel = -1: must not be negative`.
func (s UpdateStrategy) Validate() error {
	var errs *multierror.Error
	s.check(func(field string, v any, problem string) {
		errs = multierror.Append(errs, &FieldError{Field: field, Value: v, Problem: problem})
	})
	return errs.ErrorOrNil()
}

// check calls bad for every broken rule, naming the field as written.
func (s UpdateStrategy) check(bad func(field string, v any, problem string)) {
	if !s.HealthCheck.Valid() {
		bad("health_check", string(s.HealthCheck), `must be one of "checks", "task_states", "manual"`)
	}
	if s.MaxParallel < 0 {
		bad("max_parallel", s.MaxParallel, "must not be negative")
	}
	if s.Canary < 0 {
		bad("canary", s.Canary, "must not be negative")
	}
	if s.MaxParallel == 0 && s.Canary > 0 {
		bad("canary", s.Canary, "requires max_parallel greater than zero (max_parallel = 0 replaces everything at once, with no deployment to place canaries in)")
	}
	if s.AutoPromote && s.Canary <= 0 {
		bad("auto_promote", true, "requires canary greater than zero (canary = "+strconv.Itoa(s.Canary)+")")
	}
	if s.MinHealthyTime < 0 {
		bad("min_healthy_time", s.MinHealthyTime, "must not be negative")
	}
	if s.HealthyDeadline <= 0 {
		bad("healthy_deadline", s.HealthyDeadline, "must be greater than zero")
	}
	if s.ProgressDeadline < 0 {
		bad("progress_deadline", s.ProgressDeadline, "must not be negative (0 fails the deployment at the first unhealthy allocation)")
	}
	if s.Stagger <= 0 {
		bad("stagger", s.Stagger, "must be greater than zero")
	}
	if s.MinHealthyTime >= 0 && s.HealthyDeadline > 0 && s.MinHealthyTime >= s.HealthyDeadline {
		bad("min_healthy_time", s.MinHealthyTime, "must be less than healthy_deadline ("+s.HealthyDeadline.String()+")")
	}
	if s.ProgressDeadline > 0 && s.HealthyDeadline > 0 && s.HealthyDeadline >= s.ProgressDeadline {
		bad("healthy_deadline", s.HealthyDeadline, "must be less than progress_deadline ("+s.ProgressDeadline.String()+")")
	}
	s.checkControls(bad)
	s.checkAnalysis(bad)
}

// checkControls checks the fields beyond Nomad's update block.
func (s UpdateStrategy) checkControls(bad func(field string, v any, problem string)) {
	amountsOK := true
	for _, f := range [...]struct {
		name string
		a    Amount
	}{{"max_surge", s.MaxSurge}, {"max_unavailable", s.MaxUnavailable}} {
		if p := f.a.problem(); p != "" {
			bad(f.name, string(f.a), p)
			amountsOK = false
		} else if f.a.IsSet() && s.MaxParallel == 0 {
			bad(f.name, string(f.a), "requires max_parallel greater than zero (max_parallel = 0 replaces everything at once)")
		}
	}
	// Unset is 0 when the other is set: both 0 could never replace anything.
	if amountsOK && s.Surges() && s.MaxSurge.Of(100, true) == 0 && s.MaxUnavailable.Of(100, true) == 0 {
		field, v := "max_unavailable", s.MaxUnavailable
		if !v.IsSet() {
			field, v = "max_surge", s.MaxSurge
		}
		bad(field, string(v), "leaves max_surge and max_unavailable both 0 (an unset one is 0): no allocation could ever be replaced")
	}
	if s.PauseAfter != "" {
		if s.MaxParallel == 0 {
			bad("pause_after", string(s.PauseAfter), "requires max_parallel greater than zero (max_parallel = 0 replaces everything at once)")
		}
		lastCount, lastPercent := 0, 0
		for i, a := range s.PauseAfter.Amounts() {
			field := "pause_after[" + strconv.Itoa(i) + "]"
			n, percent, err := a.Parse()
			switch {
			case err != nil:
				bad(field, string(a), amountProblem)
				continue
			case n <= 0:
				bad(field, string(a), "must be greater than zero")
			case percent && n >= 100:
				bad(field, string(a), "must be below 100% (the whole group is the end of the update, not a checkpoint)")
			case percent && n <= lastPercent, !percent && n <= lastCount:
				bad(field, string(a), "must be greater than the checkpoints before it")
			}
			if percent {
				lastPercent = max(lastPercent, n)
			} else {
				lastCount = max(lastCount, n)
			}
		}
	}
	if s.GateTimeout < 0 {
		bad("gate_timeout", s.GateTimeout, "must not be negative (0 waits for an operator forever)")
	}
	manualCanaries := s.Canary > 0 && !s.AutoPromote
	if s.GateTimeout > 0 && !manualCanaries && s.PauseAfter == "" {
		bad("gate_timeout", s.GateTimeout, "has no gate to time: it needs canaries without auto_promote, or pause_after")
	}
	switch a := s.OnGateTimeout; {
	case a == "":
	case !a.Valid():
		bad("on_gate_timeout", string(a), `must be one of "fail", "promote", "resume"`)
	case s.GateTimeout <= 0:
		bad("on_gate_timeout", string(a), "requires gate_timeout greater than zero")
	case a == GatePromote && !manualCanaries:
		bad("on_gate_timeout", string(a), "requires canaries without auto_promote (there is nothing to promote)")
	case a == GateResume && s.PauseAfter == "":
		bad("on_gate_timeout", string(a), "requires pause_after (there is no checkpoint to resume)")
	}
}
