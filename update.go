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
// defaults applied (see Merge). It is comparable with ==.
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
}
