package rollout

import (
	"fmt"

	"github.com/hashicorp/go-multierror"
)

// Limits on what Step accepts. Larger inputs are refused with an error
// rather than planned, so that a typo cannot exhaust memory or time.
const (
	// MaxCount is the largest group count.
	MaxCount = 1 << 20
	// MaxTasks is the most tasks, and MaxChecks the most checks, a group
	// may declare for health tracking.
	MaxTasks  = 256
	MaxChecks = 256
)

// validator collects problems.
type validator struct{ errs *multierror.Error }

func (v *validator) bad(field string, value any, problem string) {
	v.errs = multierror.Append(v.errs, &FieldError{Field: field, Value: value, Problem: problem})
}

func (v *validator) add(err error) {
	if err != nil {
		v.errs = multierror.Append(v.errs, err)
	}
}

// validate checks everything Step relies on and reports every problem. It
// builds the allocation ID table that Step then uses.
func (s *stepper) validate() error {
	in := s.in
	var v validator
	if in.Now.IsZero() {
		v.bad("now", nil, "must be set")
	}
	if in.MaxPlacements < 0 {
		v.bad("max_placements", in.MaxPlacements, "must not be negative")
	}
	if !s.system {
		v.add(validateJob(&in.Job, "job"))
	}
	seenVersions := make(map[uint64]int, len(in.History))
	for i := range in.History {
		h := &in.History[i]
		if h.ID != in.Job.ID {
			v.bad(fmt.Sprintf("history[%d].id", i), idValue(h.ID), "must be the job's ID "+quoteID(in.Job.ID))
		}
		switch {
		case h.Version > in.Job.Version:
			v.bad(fmt.Sprintf("history[%d].version", i), h.Version, fmt.Sprintf("is newer than the job's version %d", in.Job.Version))
		case h.Version == in.Job.Version && !h.SameSpec(&in.Job):
			v.bad(fmt.Sprintf("history[%d].version", i), h.Version, "is the job's version with another specification")
		}
		if k, dup := seenVersions[h.Version]; dup {
			v.bad(fmt.Sprintf("history[%d].version", i), h.Version, fmt.Sprintf("duplicates history[%d]", k))
		}
		seenVersions[h.Version] = i
	}
	if d := in.Deployment; d != nil {
		if d.JobID != in.Job.ID {
			v.bad("deployment.job_id", idValue(d.JobID), "is not the job's ID "+quoteID(in.Job.ID))
		}
		if d.JobVersion > in.Job.Version {
			v.bad("deployment.job_version", d.JobVersion, fmt.Sprintf("is newer than the job's version %d", in.Job.Version))
		}
		if !d.Status.valid() {
			v.bad("deployment.status", string(d.Status), "is not a deployment status")
		}
		if !in.Now.IsZero() && in.Now.Before(d.ModifyTime) {
			v.bad("now", in.Now, "is earlier than the deployment's modify time "+d.ModifyTime.String())
		}
	}

	// Allocations: unique IDs, this job, known versions and statuses.
	allocs := in.Allocs
	probs := s.scan()
	dups := s.ids.Finish()
	// A duplicate ID is its allocation's first problem.
	for len(dups) > 0 || len(probs) > 0 {
		if len(dups) > 0 && (len(probs) == 0 || dups[0].At <= probs[0].at) {
			d := dups[0]
			v.bad(fmt.Sprintf("alloc %q", allocs[d.At].ID), nil, fmt.Sprintf("duplicate ID (allocs[%d] and allocs[%d])", d.First, d.At))
			dups = dups[1:]
			continue
		}
		v.add(probs[0].err)
		probs = probs[1:]
	}

	for i := range in.Events {
		ev := &in.Events[i]
		// The field name is built only for a problem: a valid event costs
		// no allocation.
		bad := func(suffix string, value any, problem string) {
			v.bad(fmt.Sprintf("events[%d]%s", i, suffix), value, problem)
		}
		pos := s.ids.Find(ev.Alloc)
		if pos < 0 {
			bad(".alloc", ev.Alloc, "is not an allocation of the job")
		}
		if ev.Time.IsZero() {
			bad(".time", nil, "must be set")
		} else if !in.Now.IsZero() && ev.Time.After(in.Now) {
			bad(".time", ev.Time, "is later than now "+in.Now.String())
		}
		switch ev.Kind {
		case TaskStarted, TaskRestarted, TaskFailed, TaskFinished:
			// Only an allocation of this version has this version's tasks.
			if pos >= 0 && allocs[pos].JobVersion == in.Job.Version {
				if gi, ok := s.groupIdx[allocs[pos].Group]; ok && int(gi) < len(in.Job.Groups) {
					if g := &in.Job.Groups[gi]; len(g.Tasks) > 0 && !contains(g.Tasks, ev.Task) {
						bad(".task", ev.Task, fmt.Sprintf("is not a task of group %q", g.Name))
					}
				}
			}
		case CheckPassing, CheckFailing:
			if ev.Check == "" {
				bad(".check", "", "must name a check")
			}
		default:
			bad(".kind", string(ev.Kind), "is not an event kind")
		}
	}
	validateAnalysis(in.Analysis, "analysis", in.Now, v.bad)
	for i := range in.Commands {
		switch in.Commands[i].Kind {
		case CmdAnalysis:
			validateAnalysis(in.Commands[i].Analysis, fmt.Sprintf("commands[%d].analysis", i), in.Now, v.bad)
		case CmdPromote, CmdPause, CmdResume, CmdFail, CmdSetHealth, CmdRevert, CmdFreeze, CmdUnfreeze:
		default:
			v.bad(fmt.Sprintf("commands[%d].kind", i), string(in.Commands[i].Kind), "is not a command")
		}
	}
	if f := in.Freeze; f != nil && f.Reason == "" {
		v.bad("freeze.reason", "", "must say why the rollouts are frozen")
	}
	return v.errs.ErrorOrNil()
}

// Validate reports every problem of a job version at once, as Step would:
// an ID that ValidateJobID refuses (empty, over MaxJobIDLength bytes, not
// UTF-8), no groups, empty or duplicate names, negative or excessive
// counts, invalid merged update strategies, canary greater than count,
// too many or duplicate task and check names. It returns a go-multierror of *FieldError values, or nil.
//
// It also checks the definitions lightly (see validateDefinitions), which
// Step does not read.
func (j *JobVersion) Validate() error {
	err := validateJob(j, "job")
	if derr := validateDefinitions(j); derr != nil {
		err = multierror.Append(err, derr.(*multierror.Error).Errors...)
	}
	return err
}

// allocProblem is a problem of allocation at.
type allocProblem struct {
	at  int
	err *FieldError
}

// validateJob checks a job version: names, counts, strategies. Field
// names are built only for the problems found, so a valid job costs no
// allocation for them.
func validateJob(j *JobVersion, field string) error {
	var v validator
	if err := validateJobID(field+".id", j.ID); err != nil {
		v.add(err)
	}
	if j.Type != "" && j.Type != JobService && j.Type != JobSystem {
		v.bad(field+".type", string(j.Type), `must be "service" or "system"`)
	}
	if len(j.Groups) == 0 {
		v.bad(field+".groups", nil, "must declare at least one group (a job with no groups would stop every allocation)")
	}
	seen := make(map[string]bool, len(j.Groups))
	for i := range j.Groups {
		g := &j.Groups[i]
		gv := groupValidator{v: &v, g: g, i: i}
		if g.Name == "" {
			gv.bad(".name", "", "must not be empty")
		} else if seen[g.Name] {
			gv.bad("", nil, "duplicate group name")
		}
		seen[g.Name] = true
		if g.Count < 0 {
			gv.bad(" count", g.Count, "must not be negative")
		} else if g.Count > MaxCount {
			gv.bad(" count", g.Count, fmt.Sprintf("is more than the %d allocations a group may have", MaxCount))
		}
		gv.names(" tasks", g.Tasks, MaxTasks)
		gv.names(" checks", g.Checks, MaxChecks)
		if g.Reschedule.Delay < 0 {
			gv.bad(" reschedule.delay", g.Reschedule.Delay, "must not be negative")
		}
		if g.Reschedule.MaxDelay < 0 {
			gv.bad(" reschedule.max_delay", g.Reschedule.MaxDelay, "must not be negative")
		}
		if g.Reschedule.Interval < 0 {
			gv.bad(" reschedule.interval", g.Reschedule.Interval, "must not be negative")
		}
		if g.Reschedule.Attempts < 0 {
			gv.bad(" reschedule.attempts", g.Reschedule.Attempts, "must not be negative")
		} else if g.Reschedule.Disabled && g.Reschedule.Attempts > 0 {
			gv.bad(" reschedule.attempts", g.Reschedule.Attempts, "must be 0 when rescheduling is disabled")
		}
		switch fn := g.Reschedule.DelayFunction; fn {
		case "", DelayConstant, DelayExponential, DelayFibonacci:
		default:
			gv.bad(" reschedule.delay_function", string(fn), `must be "constant", "exponential" or "fibonacci"`)
		}
		if g.Disconnect != nil {
			g.Disconnect.check(func(f string, value any, problem string) { gv.bad(" disconnect."+f, value, problem) })
		}
		s, ok := Merge(j.Update, g.Update)
		if !ok {
			continue
		}
		s.check(func(f string, value any, problem string) { gv.bad(" update."+f, value, problem) })
		if j.Type == JobSystem {
			// A system job's canary is a percentage of its nodes.
			if s.Canary > 100 {
				gv.bad(" update.canary", s.Canary, "is more than 100 (a system job's canary is a percentage of its nodes)")
			}
			// One allocation per node: nothing can run beside it.
			for _, f := range [...]struct {
				name string
				a    Amount
			}{{"max_surge", s.MaxSurge}, {"max_unavailable", s.MaxUnavailable}} {
				if f.a.IsSet() {
					gv.bad(" update."+f.name, string(f.a), "does not apply to a system job (one allocation per node: max_parallel paces its updates)")
				}
			}
			if s.Analysis != nil {
				gv.bad(" update.analysis", "{…}", "does not apply to a system job (it has no baseline beside its canaries)")
			}
		} else if s.Canary > g.Count && g.Count >= 0 {
			gv.bad(" update.canary", s.Canary, fmt.Sprintf("is more than the group's count %d", g.Count))
		}
	}
	return v.errs.ErrorOrNil()
}

// groupValidator reports the problems of one group, naming it
// `group "web"` (or `groups[2]` when it has no name).
type groupValidator struct {
	v *validator
	g *Group
	i int
}

func (gv groupValidator) bad(suffix string, value any, problem string) {
	name := fmt.Sprintf("group %q", gv.g.Name)
	if gv.g.Name == "" {
		name = fmt.Sprintf("groups[%d]", gv.i)
	}
	gv.v.bad(name+suffix, value, problem)
}

// names checks a list of task or check names: at most limit, unique.
func (gv groupValidator) names(suffix string, names []string, limit int) {
	if len(names) > limit {
		gv.bad(suffix, len(names), fmt.Sprintf("declares more than %d names", limit))
		return
	}
	for i, n := range names {
		if contains(names[:i], n) {
			gv.bad(suffix, n, "duplicate name")
		}
	}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
