package rollout

import (
	"fmt"
	"time"
)

// FreezeState is a job's freeze (see the Freeze command): while it stands,
// no deployment starts and a running one places nothing new (no new
// allocations, canaries, destructive or in-place updates); lost, failed
// and migrating allocations are still replaced, each by one of its own
// version. Its progress deadlines and gate
// timeouts do not run; when the freeze ends they start again from then,
// as after Resume. Health is still tracked, so a deployment may still
// succeed or fail by its allocations' verdicts.
//
// A freeze belongs to the job, not to a deployment: it may stand with no
// deployment at all. Step reads it from Input.Freeze and returns it,
// changed by Freeze/Unfreeze commands or ended by its expiry, in
// Output.Freeze; persist it with the job's state. Deployment status
// descriptions stay Nomad's: the freeze shows in Output's transitions
// (TransitionFrozen, TransitionHeld, TransitionUnfrozen) and so in Reasons.
type FreezeState struct {
	// Reason says why, for the people who read the transitions.
	Reason string
	// Since is when the freeze began.
	Since time.Time
	// Until is when it ends by itself; zero means at an Unfreeze command.
	Until time.Time `json:",omitzero"`
}

// String describes the freeze: "frozen until 2026-12-01T00:00:00Z: release
// freeze for the holidays".
func (f *FreezeState) String() string {
	if f.Until.IsZero() {
		return "frozen until unfrozen: " + f.Reason
	}
	return "frozen until " + f.Until.UTC().Format(time.RFC3339) + ": " + f.Reason
}

// Freeze returns the command that freezes the job's rollouts for a
// reason, until a time (zero: until Unfreeze). A freeze that stands is
// replaced.
func Freeze(reason string, until time.Time) Command {
	return Command{Kind: CmdFreeze, Reason: reason, Until: until}
}

// Unfreeze returns the command that ends the job's freeze.
func Unfreeze() Command { return Command{Kind: CmdUnfreeze} }

// expireFreeze ends an input freeze whose Until has come.
func (s *stepper) expireFreeze() {
	if f := s.freeze; f != nil && !f.Until.IsZero() && !s.now.Before(f.Until) {
		s.unfreeze("freeze expired (" + f.String() + ")")
	}
}

// freezeCommand applies CmdFreeze and CmdUnfreeze.
func (s *stepper) freezeCommand(c *Command) error {
	if c.Kind == CmdUnfreeze {
		if s.freeze != nil {
			s.unfreeze("unfrozen by command (was " + s.freeze.String() + ")")
		}
		return nil
	}
	if c.Reason == "" {
		return &FieldError{Field: "freeze reason", Value: "", Problem: "must say why the rollouts are frozen"}
	}
	if !c.Until.IsZero() && !c.Until.After(s.now) {
		return &FieldError{Field: "freeze until", Value: c.Until, Problem: fmt.Sprintf("must be later than now (%s), or zero for no expiry", s.now.UTC().Format(time.RFC3339Nano))}
	}
	f := &FreezeState{Reason: c.Reason, Since: s.now, Until: c.Until}
	if s.freeze != nil {
		f.Since = s.freeze.Since
	}
	s.freeze = f
	s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionFrozen, DeploymentID: s.curID(), Reason: f.String()})
	return nil
}

// unfreeze ends the freeze: the deadlines and gate clocks of the active
// deployment start again from now.
func (s *stepper) unfreeze(reason string) {
	s.freeze = nil
	s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionUnfrozen, DeploymentID: s.curID(), Reason: reason})
	if s.cur != nil && s.cur.Status.Active() {
		s.restartClocks()
	}
}

// restartClocks starts the progress deadlines and open gates of the
// current deployment's groups again from now, as Resume does.
func (s *stepper) restartClocks() {
	for k := range s.cur.Groups {
		ds := &s.cur.Groups[k]
		if ds.ProgressDeadline > 0 {
			ds.RequireProgressBy = s.now.Add(ds.ProgressDeadline)
		}
		if !ds.GateOpenedAt.IsZero() {
			ds.GateOpenedAt = s.now
		}
	}
}

// curID returns the current deployment's ID, or "".
func (s *stepper) curID() string {
	if s.cur != nil {
		return s.cur.ID
	}
	return ""
}

// hold records that the freeze held back some of a group's work.
func (s *stepper) hold(group string) {
	s.held = append(s.held, group)
}

// reportHeld adds the transition that says what the freeze held back.
func (s *stepper) reportHeld() {
	if s.freeze != nil && len(s.held) > 0 {
		s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionHeld, DeploymentID: s.curID(), Groups: s.held, Reason: s.freeze.String()})
	}
}
