package rollout

import (
	"fmt"
	"slices"
)

// validateDefinitions checks the definitions of a job version lightly, for
// JobVersion.Validate: every task named once, and one of the group's Tasks
// when it lists them; check types known; durations and counts not
// negative. It returns a *multierror.Error of *FieldError values, or nil.
func validateDefinitions(j *JobVersion) error {
	var v validator
	for gi := range j.Groups {
		g := &j.Groups[gi]
		d := g.Definition
		if d == nil {
			continue
		}
		at := fmt.Sprintf("groups[%d].definition", gi)
		seen := map[string]bool{}
		for ti := range d.Tasks {
			t := &d.Tasks[ti]
			tat := fmt.Sprintf("%s.tasks[%d]", at, ti)
			switch {
			case seen[t.Name]:
				v.bad(tat+".name", t.Name, "duplicates another task of the group")
			case len(g.Tasks) > 0 && !slices.Contains(g.Tasks, t.Name):
				v.bad(tat+".name", t.Name, "is not one of the group's tasks")
			}
			seen[t.Name] = true
			nonNegative(&v, tat+".kill_timeout", t.KillTimeout)
			nonNegative(&v, tat+".shutdown_delay", t.ShutdownDelay)
			validateServices(&v, tat+".services", t.Services)
			validateRestart(&v, tat+".restart", t.Restart)
		}
		nonNegative(&v, at+".shutdown_delay", d.ShutdownDelay)
		validateServices(&v, at+".services", d.Services)
		validateRestart(&v, at+".restart", d.Restart)
	}
	return v.errs.ErrorOrNil()
}

func nonNegative[T ~int64 | ~int](v *validator, field string, n T) {
	if n < 0 {
		v.bad(field, n, "must not be negative")
	}
}

func validateRestart(v *validator, at string, p *RestartPolicy) {
	if p == nil {
		return
	}
	nonNegative(v, at+".attempts", p.Attempts)
	nonNegative(v, at+".interval", p.Interval)
	nonNegative(v, at+".delay", p.Delay)
}

func validateServices(v *validator, at string, svcs []Service) {
	for si := range svcs {
		for ci := range svcs[si].Checks {
			c := &svcs[si].Checks[ci]
			cat := fmt.Sprintf("%s[%d].checks[%d]", at, si, ci)
			switch c.Type {
			case CheckHTTP, CheckTCP, CheckScript, CheckGRPC:
			default:
				v.bad(cat+".type", c.Type, `must be "http", "tcp", "script" or "grpc"`)
			}
			nonNegative(v, cat+".interval", c.Interval)
			nonNegative(v, cat+".timeout", c.Timeout)
			nonNegative(v, cat+".success_before_passing", c.SuccessBeforePassing)
			nonNegative(v, cat+".failures_before_critical", c.FailuresBeforeCritical)
			if r := c.CheckRestart; r != nil {
				nonNegative(v, cat+".check_restart.limit", r.Limit)
				nonNegative(v, cat+".check_restart.grace", r.Grace)
			}
		}
	}
}

// Validate checks a group definition lightly, as JobVersion.Validate does.
func (d *GroupDefinition) Validate() error {
	return validateDefinitions(&JobVersion{Groups: []Group{{Definition: d}}})
}
