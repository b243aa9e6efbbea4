package controller

import (
	"errors"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/rollout-go/rollout"
)

// logStep writes one record per decision and per deployment transition of
// a step.
func (r *Runner) logStep(out *rollout.Output) {
	for _, t := range out.Transitions {
		r.log.Info("deployment "+string(t.Kind), "deployment", t.DeploymentID, "groups", t.Groups, "reason", t.Reason)
	}
	for i := range out.Stop {
		s := &out.Stop[i]
		r.log.Info("stop", "alloc", s.ID, "name", s.Name, "kind", string(s.Kind), "reason", s.Reason)
	}
	for i := range out.Place {
		p := &out.Place[i]
		r.log.Info("place", "alloc", p.ID, "name", p.Name, "version", p.JobVersion, "deployment", p.DeploymentID, "canary", p.Canary, "kind", string(p.Kind), "reason", p.Reason)
	}
	for i := range out.InPlace {
		u := &out.InPlace[i]
		r.log.Info("update in place", "alloc", u.ID, "name", u.Name, "version", u.JobVersion, "deployment", u.DeploymentID, "kind", string(u.Kind), "reason", u.Reason)
	}
	for i := range out.Health {
		h := &out.Health[i]
		if h.Health.Status != "" {
			r.log.Info("health", "alloc", h.ID, "name", h.Name, "status", string(h.Health.Status), "reason", h.Health.Reason)
		}
	}
	if out.Revert != nil {
		r.log.Info("revert", "version", out.Revert.Version)
	}
}

// oneLineError formats err on one line: go-multierror's list ("2 errors
// occurred:\n\t* a\n\t* b") becomes "a; b".
func oneLineError(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var me *multierror.Error
	if errors.As(err, &me) && len(me.Errors) > 0 {
		parts := make([]string, len(me.Errors))
		for i, e := range me.Errors {
			parts[i] = e.Error()
		}
		s = strings.Replace(s, me.Error(), strings.Join(parts, "; "), 1)
	}
	if strings.ContainsAny(s, "\n\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}
