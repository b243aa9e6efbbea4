package jobspec

import (
	"errors"
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
// to the group's count.
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
	return out.ErrorOrNil()
}
