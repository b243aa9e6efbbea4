package rollout

import (
	"fmt"
	"reflect"
	"slices"
	"time"
)

// SameSpec reports whether two versions specify the same job: equal
// update blocks, groups (names, counts, update blocks, specs, tasks, checks,
// reschedule policies) and stop flag. Version numbers, stability, submit
// times and revert origins do not count.
func (j *JobVersion) SameSpec(o *JobVersion) bool {
	if j.ID != o.ID || j.Stop != o.Stop || !reflect.DeepEqual(j.Update, o.Update) || len(j.Groups) != len(o.Groups) {
		return false
	}
	for i := range j.Groups {
		a, b := &j.Groups[i], &o.Groups[i]
		if a.Name != b.Name || a.Count != b.Count || a.Spec != b.Spec || a.Reschedule != b.Reschedule ||
			!reflect.DeepEqual(a.Update, b.Update) || !slices.Equal(a.Tasks, b.Tasks) || !slices.Equal(a.Checks, b.Checks) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of j.
func (j JobVersion) Clone() JobVersion {
	c := j
	c.Update = j.Update.clone()
	c.Groups = slices.Clone(j.Groups)
	for i := range c.Groups {
		g := &c.Groups[i]
		g.Update = g.Update.clone()
		g.Tasks = slices.Clone(g.Tasks)
		g.Checks = slices.Clone(g.Checks)
		g.Definition = cloneDefinition(g.Definition)
	}
	c.Definition = cloneDefinition(j.Definition)
	if j.RevertOf != nil {
		v := *j.RevertOf
		c.RevertOf = &v
	}
	return c
}

func (b *UpdateBlock) clone() *UpdateBlock {
	if b == nil {
		return nil
	}
	c := *b
	for i := range blockFields {
		switch p := blockFields[i].ref(&c).(type) {
		case **int:
			clonePtr(p)
		case **bool:
			clonePtr(p)
		case **HealthCheck:
			clonePtr(p)
		case **time.Duration:
			clonePtr(p)
		case **Amount:
			clonePtr(p)
		case **Checkpoints:
			clonePtr(p)
		case **GateAction:
			clonePtr(p)
		case **Analysis:
			if *p != nil {
				a := **p
				a.Checks = slices.Clone(a.Checks)
				*p = &a
			}
		default:
			panic(fmt.Sprintf("rollout: update block field %s has unexpected type %T", blockFields[i].jobspec, p))
		}
	}
	return &c
}

// clonePtr points *p at a copy of what it points at.
func clonePtr[T any](p **T) {
	if *p != nil {
		v := **p
		*p = &v
	}
}

// version returns the retained version n: the job itself or one in History.
func (s *stepper) version(n uint64) (*JobVersion, bool) {
	if s.job.Version == n {
		return s.job, true
	}
	for i := range s.in.History {
		if s.in.History[i].Version == n {
			return &s.in.History[i], true
		}
	}
	return nil, false
}

// stableTarget returns the highest-numbered Stable version.
func (s *stepper) stableTarget() (*JobVersion, bool) {
	var best *JobVersion
	consider := func(v *JobVersion) {
		if v.Stable && (best == nil || v.Version > best.Version) {
			best = v
		}
	}
	consider(s.job)
	for i := range s.in.History {
		consider(&s.in.History[i])
	}
	return best, best != nil
}

// revertTargetStable reports whether version n is retained and Stable.
func (s *stepper) revertTargetStable(n uint64) bool {
	v, ok := s.version(n)
	return ok && v.Stable
}

// autoRevert chooses what a failure with auto_revert does and returns the
// failure description with its suffix.
func (s *stepper) autoRevert(base string) string {
	target, ok := s.stableTarget()
	switch {
	case !ok:
		return DescNoStable(base)
	case target.SameSpec(s.job):
		return DescNotRollingBack(base, target.Version)
	}
	s.out.Revert = s.revertTo(target)
	return DescRollingBack(base, target.Version)
}

// revertTo makes the next version with target's specification.
func (s *stepper) revertTo(target *JobVersion) *JobVersion {
	v := target.Clone()
	v.Version = s.job.Version + 1
	for i := range s.in.History {
		v.Version = max(v.Version, s.in.History[i].Version+1)
	}
	v.Stable = false
	v.SubmitTime = s.now
	n := target.Version
	v.RevertOf = &n
	return &v
}

func (s *stepper) revertCommand(n uint64) error {
	if n == s.job.Version {
		return fmt.Errorf("%w: version %d is the current version", ErrRevert, n)
	}
	target, ok := s.version(n)
	if !ok {
		return fmt.Errorf("%w: version %d is not retained", ErrRevert, n)
	}
	if s.out.Revert != nil {
		return fmt.Errorf("%w: this step already reverts to version %d", ErrRevert, *s.out.Revert.RevertOf)
	}
	s.out.Revert = s.revertTo(target)
	id := ""
	if s.cur != nil {
		id = s.cur.ID
	}
	s.out.Transitions = append(s.out.Transitions, Transition{
		Kind: TransitionReverted, DeploymentID: id,
		Reason: fmt.Sprintf("job version %d submitted with the specification of version %d", s.out.Revert.Version, n),
	})
	return nil
}
