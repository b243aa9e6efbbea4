package jobspec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
)

// Validate checks the loaded job as rollout does (JobVersion.Validate) and
// places each problem at the declaration it concerns: a group's update
// block, the group, or the job. The error, if any, is a *multierror.Error
// of *Error values whose Err is the *rollout.FieldError.
//
// Beyond JobVersion.Validate it refuses what Nomad refuses at submission:
//   - canary > 0 with max_parallel = 0 (a forced update has no deployment
//     to place canaries in);
//   - a job type other than service, batch, system and sysbatch, an empty
//     datacenter name;
//   - a job ID with a space or a null character, a group or task name
//     with a null character, a task name with a slash;
//   - a group without tasks (unless a service of it is a Connect gateway,
//     whose task Nomad adds), or without a main task (one without a
//     lifecycle hook), or with more than one leader; a task without a
//     driver, or with a lifecycle hook other than prestart, poststart and
//     poststop;
//   - an update block in a batch or sysbatch job, a reschedule block in a
//     system or sysbatch job;
//   - a reschedule policy that reschedules with attempts and unlimited
//     both set, a limited one with an interval under 15s, a delay or
//     (unless constant) a max_delay under 5s, a max_delay under the delay,
//     a delay function other than constant, exponential or fibonacci,
//     limited attempts that do not fit in the interval with those delays;
//   - a restart policy with a mode other than delay and fail, no attempts
//     with mode delay, an interval under 5s or shorter than its attempts'
//     delays (a task's restart block read over its group's);
//   - a migrate block outside a service job, or with a negative
//     max_parallel or time, a health_check other than checks and
//     task_states, a min_healthy_time above its healthy_deadline;
//   - a scaling block without max, or with max under min or the count,
//     or min over the count;
//   - a system job's group with a count other than 1 (the default): Nomad
//     refuses more, and reads 0 as "run nowhere", which rollout's system
//     jobs, one allocation per eligible node, do not model.
//
// For a system or sysbatch job, canary is a percentage of the job's nodes
// (Nomad 1.11 and later), so it is not held to the group's count.
func (j *Job) Validate() error {
	var errs []error
	var out *multierror.Error
	if err := j.Version.Validate(); err != nil {
		var me *multierror.Error
		if errors.As(err, &me) {
			errs = append(errs, me.Errors...)
		} else {
			errs = append(errs, err)
		}
	}
	system := j.Type == "system" || j.Type == "sysbatch"
	for _, e := range errs {
		var fe *rollout.FieldError
		if system && errors.As(e, &fe) && strings.HasSuffix(fe.Field, " update.canary") && strings.HasPrefix(fe.Problem, "is more than the group's count") {
			continue // a system job's canary is a percentage of its nodes
		}
		if errors.As(e, &fe) && strings.HasSuffix(fe.Field, " reschedule.delay_function") {
			continue // the submission rules report it where it is written
		}
		p := j.Pos
		if errors.As(e, &fe) {
			// The first group of that name, but the later one for a
			// duplicate name.
			dup := fe.Problem == "duplicate group name"
			for _, g := range j.Groups {
				prefix := "group \"" + g.Name + "\""
				if !strings.HasPrefix(fe.Field, prefix) {
					continue
				}
				p = g.Pos
				if strings.HasPrefix(fe.Field, prefix+" update.") && g.UpdatePos.Line != 0 {
					p = g.UpdatePos
				}
				if ap, ok := analysisPos(&g, strings.TrimPrefix(fe.Field, prefix+" update.")); ok {
					p = ap
				}
				if !dup {
					break
				}
			}
		}
		out = multierror.Append(out, &Error{Pos: p, Msg: e.Error(), Err: e})
	}
	for _, e := range j.submissionProblems() {
		out = multierror.Append(out, e)
	}
	return out.ErrorOrNil()
}

// submissionProblems returns the problems Validate lists after the
// canary rule: what Nomad refuses when the job is submitted and
// JobVersion.Validate does not check (a program that builds a JobVersion
// itself has no task drivers to give, and may name its jobs as it likes),
// each at the declaration it concerns.
func (j *Job) submissionProblems() []*Error {
	var r problems
	switch j.Type {
	case "service", "batch", "system", "sysbatch":
	default:
		r.add(j.Pos, "job.type", j.Type, `must be "service", "batch", "system" or "sysbatch"`)
	}
	for _, dc := range j.Datacenters {
		if dc == "" {
			r.add(j.Pos, "job.datacenters", dc, "must not hold an empty name")
		}
	}
	switch id := j.Version.ID; {
	case len(id) > rollout.MaxJobIDLength:
		// JobVersion.Validate refuses it, named by its length: it is not
		// quoted here.
	case strings.Contains(id, " "):
		r.add(j.Pos, "job.id", id, "must not contain a space")
	case strings.Contains(id, "\x00"):
		r.add(j.Pos, "job.id", id, "must not contain a null character")
	}
	for i := range j.Groups {
		var g rollout.Group
		if i < len(j.Version.Groups) {
			g = j.Version.Groups[i]
		}
		j.groupProblems(&r, &j.Groups[i], g)
	}
	return r.errs
}

// problems collects Validate's problems, each a FieldError at a position.
type problems struct{ errs []*Error }

func (r *problems) add(p Pos, field string, value any, problem string) {
	fe := &rollout.FieldError{Field: field, Value: value, Problem: problem}
	r.errs = append(r.errs, &Error{Pos: p, Msg: fe.Error(), Err: fe})
}

// under returns an add for the fields named prefix+key.
func (r *problems) under(prefix string) func(p Pos, key string, value any, problem string) {
	return func(p Pos, key string, value any, problem string) { r.add(p, prefix+key, value, problem) }
}

// groupProblems adds what Nomad refuses in group gs (g, its JobVersion
// group): its name, its tasks, its policy blocks, and what its job's type
// does not allow.
func (j *Job) groupProblems(r *problems, gs *GroupSpec, g rollout.Group) {
	group := "group " + strconv.Quote(gs.Name)
	if strings.Contains(gs.Name, "\x00") {
		r.add(gs.Pos, group+" name", gs.Name, "must not contain a null character")
	}
	taskProblems(r, group, gs)
	switch j.Type {
	case "system", "sysbatch":
		if gs.reschedule.vals != nil {
			r.add(gs.reschedule.at, group+" reschedule", nil, "does not apply to a "+j.Type+" job: Nomad refuses a reschedule block there")
		}
	default:
		gs.reschedule.rescheduleProblems(j.Type, r.under(group+" reschedule."))
	}
	switch j.Type {
	case "service", "system", "batch":
		gs.restart.restartProblems(j.Type, r.under(group+" restart."))
		for _, t := range gs.Tasks {
			if t.restart.vals != nil {
				t.restart.over(&gs.restart).restartProblems(j.Type, r.under(fmt.Sprintf("%s task %q restart.", group, t.Name)))
			}
		}
	}
	if gs.migrate.vals != nil && j.Type != "service" {
		r.add(gs.migrate.at, group+" migrate", nil, "does not apply to a "+j.Type+" job: Nomad allows a migrate block only in service jobs")
	} else {
		gs.migrate.migrateProblems(r.under(group + " migrate."))
	}
	gs.scaling.scalingProblems(g.Count, r.under(group+" scaling."))
	j.disconnectProblems(r, gs)
	if j.Type == "batch" || j.Type == "sysbatch" {
		if s, ok := rollout.Merge(j.Version.Update, g.Update); ok && s.Deploys() {
			r.add(gs.updatePos(), group+" update", nil, "does not apply to a "+j.Type+" job: Nomad allows an update block only in service and system jobs")
		}
	}
	if j.Type == string(rollout.JobSystem) {
		switch {
		case g.Count > 1:
			r.add(gs.Pos, group+" count", g.Count, "is more than 1: a system job runs one allocation of a group on each node")
		case g.Count == 0:
			r.add(gs.Pos, group+" count", g.Count, "would run the group on no node, as Nomad reads it, but rollout runs a system job's group on every eligible node: remove the group to stop it")
		}
	}
}

// taskProblems adds what Nomad refuses in the tasks of group gs: none at
// all (unless a Connect gateway's, whose task Nomad adds), none main, more
// than one leader, a task without name or driver, a bad name or hook.
func taskProblems(r *problems, group string, gs *GroupSpec) {
	if len(gs.Tasks) == 0 && !gs.connectGateway() {
		r.add(gs.Pos, group+" tasks", 0, "must declare at least one task")
	}
	leaders, mains := 0, 0
	for k, t := range gs.Tasks {
		task := fmt.Sprintf("%s task %q", group, t.Name)
		switch {
		case t.Name == "":
			task = fmt.Sprintf("%s tasks[%d]", group, k)
			r.add(t.Pos, task+" name", "", "must not be empty")
		case strings.ContainsAny(t.Name, "/\x00"):
			r.add(t.Pos, task+" name", t.Name, "must not contain a slash or a null character")
		}
		if t.field("", "Driver") == "" {
			r.add(t.Pos, task+" driver", "", "must be set: it names the task driver that runs the task")
		}
		if t.leader {
			leaders++
		}
		switch hook, ok := t.lifecycle(); {
		case !ok:
			mains++
		case hook == "":
			mains++ // Nomad counts it as a main task, and refuses it
			r.add(t.Pos, task+" lifecycle.hook", "", `must be "prestart", "poststart" or "poststop"`)
		case hook != "prestart" && hook != "poststart" && hook != "poststop":
			r.add(t.Pos, task+" lifecycle.hook", hook, `must be "prestart", "poststart" or "poststop"`)
		}
	}
	if leaders > 1 {
		r.add(gs.Pos, group+" tasks", leaders, "mark more than one task as leader: Nomad allows one")
	}
	if len(gs.Tasks) > 0 && mains == 0 {
		r.add(gs.Pos, group+" tasks", len(gs.Tasks), "are all lifecycle tasks (prestart, poststart or poststop): a group needs a main task")
	}
}
