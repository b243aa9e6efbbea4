package rollout

import (
	"fmt"

	"github.com/hashicorp/go-multierror"
)

// applyCommands applies the operator commands in order. The first refused
// command ends the step with its error.
func (s *stepper) applyCommands() error {
	for i := range s.in.Commands {
		c := &s.in.Commands[i]
		if err := s.command(c); err != nil {
			return &CommandError{Command: *c, Err: err}
		}
	}
	return nil
}

func (s *stepper) command(c *Command) error {
	switch c.Kind {
	case CmdRevert:
		return s.revertCommand(c.Version)
	case CmdFreeze, CmdUnfreeze:
		return s.freezeCommand(c)
	}
	cur := s.cur
	if cur == nil {
		if d := s.in.Deployment; d != nil && d.Status.Terminal() && d.JobVersion == s.job.Version {
			return fmt.Errorf("%w: deployment %s is %s", ErrTerminal, d.ID, d.Status)
		}
		return ErrNoDeployment
	}
	if cur.Status.Terminal() {
		return fmt.Errorf("%w: deployment %s is %s", ErrTerminal, cur.ID, cur.Status)
	}
	switch c.Kind {
	case CmdPause:
		if cur.Status == StatusPaused {
			return nil
		}
		cur.Status, cur.Description = StatusPaused, DescPaused
		s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionPaused, DeploymentID: cur.ID, Reason: DescPaused})
	case CmdResume:
		if cur.Status == StatusRunning {
			return nil
		}
		s.resume(DescRunning)
	case CmdFail:
		var groups []string
		for k := range cur.Groups {
			groups = append(groups, cur.Groups[k].Name)
		}
		s.fail(DescFailedByUser, groups)
	case CmdPromote:
		return s.promoteCommand(c.Groups)
	case CmdAnalysis:
		return nil // applied with Input.Analysis, in watch
	case CmdSetHealth:
		return s.setHealthCommand(c)
	}
	return nil
}

func (s *stepper) promoteCommand(names []string) error {
	cur := s.cur
	var errs *multierror.Error
	for _, name := range names {
		if _, ok := cur.Group(name); !ok {
			errs = multierror.Append(errs, &FieldError{Field: "promote group", Value: name, Problem: "is not a group of the deployment"})
		}
	}
	if errs != nil {
		errs.ErrorFormat = oneLine
		return errs
	}
	var targets []int
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil || ds.DesiredCanaries == 0 || ds.Promoted || (len(names) > 0 && !contains(names, ds.Name)) {
			continue
		}
		targets = append(targets, gi)
		if st := s.stats(gi); st.healthyCanaries < ds.DesiredCanaries {
			errs = multierror.Append(errs, fmt.Errorf("group %q has %d/%d healthy allocations", ds.Name, st.healthyCanaries, ds.DesiredCanaries))
		} else if why := s.analysisBlocks(gi, ds); why != "" {
			errs = multierror.Append(errs, fmt.Errorf("group %q: %s", ds.Name, why))
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("%w: no canaries to promote", ErrPromotion)
	}
	if errs != nil {
		errs.ErrorFormat = oneLine
		return fmt.Errorf("%w: %w", ErrPromotion, errs)
	}
	var promoted []string
	for _, gi := range targets {
		ds := s.dgroup(gi)
		s.promoteGroup(ds)
		promoted = append(promoted, ds.Name)
	}
	s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionPromoted, DeploymentID: cur.ID, Groups: promoted, Reason: "canaries promoted by command"})
	return nil
}

func (s *stepper) setHealthCommand(c *Command) error {
	var errs *multierror.Error
	for _, id := range c.Allocs {
		p := s.ids.Find(id)
		if p < 0 || !s.inCur(int32(p)) {
			errs = multierror.Append(errs, &FieldError{Field: "set-health alloc", Value: id, Problem: "is not an allocation of the deployment"})
			continue
		}
		if h := s.healthOf(int32(p)); h.Status != "" && (h.Status == Healthy) != c.Healthy {
			errs = multierror.Append(errs, &FieldError{Field: "set-health alloc", Value: id, Problem: "already has the final verdict " + string(h.Status)})
		}
	}
	if errs != nil {
		errs.ErrorFormat = oneLine
		return errs
	}
	// A verdict set by command counts as any other : with
	// progress_deadline 0 an unhealthy one fails the deployment, otherwise
	// the allocation is replaced within the deployment.
	for _, id := range c.Allocs {
		p := int32(s.ids.Find(id))
		h := cloneHealth(*s.healthOf(p))
		if h.Status != "" {
			continue
		}
		h.Status, h.Time, h.Reason = Healthy, s.now, "set healthy by command"
		if !c.Healthy {
			h.Status, h.Reason = Unhealthy, "set unhealthy by command"
		}
		s.setHealth(p, h)
	}
	return nil
}
