package jobspec

import (
	"errors"
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
// canary > 0 with max_parallel = 0 (a forced update has no deployment to
// place canaries in). For a system or sysbatch job, canary is a
// percentage of the job's nodes (Nomad 1.11 and later), so it is not held
// to the group's count. A system job's group must have count 1 (the
// default): Nomad refuses more, and reads 0 as "run nowhere", which
// rollout's system jobs, one allocation per eligible node, do not model.
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
				if !dup {
					break
				}
			}
		}
		out = multierror.Append(out, &Error{Pos: p, Msg: e.Error(), Err: e})
	}
	if j.Type == string(rollout.JobSystem) {
		for i, g := range j.Version.Groups {
			var problem string
			switch {
			case g.Count > 1:
				problem = "is more than 1: a system job runs one allocation of a group on each node"
			case g.Count == 0:
				problem = "would run the group on no node, as Nomad reads it, but rollout runs a system job's group on every eligible node: remove the group to stop it"
			default:
				continue
			}
			fe := &rollout.FieldError{Field: "group " + strconv.Quote(g.Name) + " count", Value: g.Count, Problem: problem}
			out = multierror.Append(out, &Error{Pos: j.Groups[i].Pos, Msg: fe.Error(), Err: fe})
		}
	}
	return out.ErrorOrNil()
}
