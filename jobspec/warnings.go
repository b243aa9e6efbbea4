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
	var r problems
	system := j.Version.Type == rollout.JobSystem
	autoPromotes := "" // a group with canaries that auto-promotes
	var manual []int   // the groups with canaries that do not
	for i, g := range j.Version.Groups {
		s, ok := rollout.Merge(j.Version.Update, g.Update)
		if !ok || !s.Deploys() || i >= len(j.Groups) {
			continue
		}
		p := j.Groups[i].updatePos()
		group := "group " + strconv.Quote(g.Name)
		if !system && g.Count > 1 && s.MaxParallel > g.Count {
			r.add(p, group+" update.max_parallel", s.MaxParallel,
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
			gs := &j.Groups[i]
			r.add(gs.updatePos(), "group "+strconv.Quote(gs.Name)+" update.auto_promote", false,
				fmt.Sprintf("is not set while group %q auto-promotes: a deployment promotes automatically only when every group with canaries does, so no canary is promoted without a promote command", autoPromotes))
		}
	}
	var out *multierror.Error
	for _, e := range r.errs {
		out = multierror.Append(out, e)
	}
	return out.ErrorOrNil()
}
