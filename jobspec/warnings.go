package jobspec

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
)

// Warnings returns what Nomad warns of when a job is validated or
// submitted, for settings that run but are likely mistakes: nil when there
// is none, else a *multierror.Error of *Error values whose Err is a
// *rollout.FieldError, each at the declaration it concerns. A job with
// warnings is valid. It reads the job as Validate does; on a job that
// Validate refuses its answers are unspecified.
//
//   - A group's max_parallel above its count (above 1): a destructive
//     change replaces every allocation at once.
//   - auto_promote set for some groups with canaries and not for others:
//     a deployment promotes automatically only when every group with
//     canaries auto-promotes, so none is promoted without a Promote
//     command.
func (j *Job) Warnings() error {
	var out *multierror.Error
	add := func(p Pos, field string, value any, problem string) {
		fe := &rollout.FieldError{Field: field, Value: value, Problem: problem}
		out = multierror.Append(out, &Error{Pos: p, Msg: fe.Error(), Err: fe})
	}
	system := j.Version.Type == rollout.JobSystem
	autoPromotes := "" // a group with canaries that auto-promotes
	var manual []int   // the groups with canaries that do not
	for i, g := range j.Version.Groups {
		s, ok := rollout.Merge(j.Version.Update, g.Update)
		if !ok || !s.Deploys() || i >= len(j.Groups) {
			continue
		}
		p := j.Groups[i].Pos
		if j.Groups[i].UpdatePos.Line != 0 {
			p = j.Groups[i].UpdatePos
		}
		group := "group " + strconv.Quote(g.Name)
		if !system && g.Count > 1 && s.MaxParallel > g.Count {
			add(p, group+" update.max_parallel", s.MaxParallel,
				fmt.Sprintf("is more than the group's count %d: a destructive change replaces every allocation at once", g.Count))
		}
		if s.Canary > 0 {
			if s.AutoPromote {
				if autoPromotes == "" {
					autoPromotes = g.Name
				}
			} else {
				manual = append(manual, i)
			}
		}
	}
	if autoPromotes != "" {
		for _, i := range manual {
			gs := j.Groups[i]
			p := gs.Pos
			if gs.UpdatePos.Line != 0 {
				p = gs.UpdatePos
			}
			add(p, "group "+strconv.Quote(gs.Name)+" update.auto_promote", false,
				fmt.Sprintf("is not set while group %q auto-promotes: a deployment promotes automatically only when every group with canaries does, so no canary is promoted without a promote command", autoPromotes))
		}
	}
	return out.ErrorOrNil()
}
