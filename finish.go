package rollout

import (
	"cmp"
	"slices"
	"unsafe"
)

// finish derives the deployment's counters, marks success, sets the
// description and modify time, and computes NextStep.
func (s *stepper) finish() {
	cur := s.cur
	if cur != nil {
		s.count()
		allComplete := true
		for gi := range s.groups {
			allComplete = allComplete && s.groups[gi].complete
		}
		if !s.created && cur.Status.Active() && allComplete && !s.job.Stop {
			s.end(cur, StatusSuccessful, DescSuccessful, TransitionSucceeded)
			j := s.job.Clone()
			j.Stable = true
			s.out.Job = &j
		}
		if cur.Status == StatusRunning {
			cur.Description = DescRunning
			if cur.RequiresPromotion() {
				cur.Description = DescRunningNeedsPromotion
				if cur.HasAutoPromote() {
					cur.Description = DescRunningAutoPromotion
				}
			}
		}
		if !s.created && !deploymentEqual(cur, s.in.Deployment) {
			cur.ModifyTime = s.now
		}
		s.out.Deployment = cur
		if s.created {
			s.out.Cancelled = s.cancelled
		}
		s.wakeDeadlines()
	} else if s.cancelled != nil {
		s.out.Deployment = s.cancelled
	} else if s.in.Deployment != nil {
		s.out.Deployment = s.in.Deployment.Clone()
	}
	if s.cancelled != nil {
		s.recount(s.cancelled)
	}

	slices.SortFunc(s.changed, func(x, y int32) int {
		if c := cmp.Compare(s.groupOf[x], s.groupOf[y]); c != 0 {
			return c
		}
		return s.byIndex(x, y)
	})
	for _, p := range s.changed {
		a := &s.in.Allocs[p]
		s.out.Health = append(s.out.Health, HealthUpdate{ID: a.ID, Group: a.Group, Health: cloneHealth(*s.health[p])})
	}
	s.nameDecisions()
	s.wakeGates()
	s.wakeAnalysis()
	s.out.Freeze = s.freeze
	s.out.NextStep = s.next
}

// count derives each group's counters in the current deployment from the
// allocations, as they stand after this step's decisions.
func (s *stepper) count() {
	for gi := range s.groups {
		if gs := &s.groups[gi]; gs.ds >= 0 {
			s.setCounters(&s.cur.Groups[gs.ds], s.stats(gi), gs.placedNow, gs.newCanaries)
		}
	}
}

// recount derives the counters of a deployment this step ended without
// making it current (a cancelled one).
func (s *stepper) recount(d *Deployment) {
	for gi := range s.groups {
		if ds, ok := d.Group(s.groups[gi].name); ok {
			s.setCounters(ds, s.tally(gi, d), 0, nil)
		}
	}
}

func (s *stepper) setCounters(ds *DeploymentGroup, st groupStats, placedNow int, newCanaries []Placement) {
	ds.Placed = st.placed + placedNow
	ds.Healthy, ds.Unhealthy = st.healthy, st.unhealthy
	ds.PlacedCanaries = nil
	if len(st.canaries)+len(newCanaries) == 0 {
		return
	}
	type named struct {
		index int
		id    string
	}
	all := make([]named, 0, len(st.canaries)+len(newCanaries))
	for _, p := range st.canaries {
		all = append(all, named{s.in.Allocs[p].Index, s.in.Allocs[p].ID})
	}
	for _, p := range newCanaries {
		all = append(all, named{p.Index, p.ID})
	}
	slices.SortFunc(all, func(a, b named) int {
		if c := cmp.Compare(a.index, b.index); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	ds.PlacedCanaries = make([]string, len(all))
	for i, n := range all {
		ds.PlacedCanaries[i] = n.id
	}
}

// wakeDeadlines records the health timers of the deployment's allocations
// and the progress deadlines of its unfinished groups.
func (s *stepper) wakeDeadlines() {
	cur := s.cur
	if !cur.Status.Active() {
		return
	}
	if !s.created {
		// Health timers: only allocations without a verdict in the input
		// can still be waiting for one.
		inCur := s.member(cur)
		for _, p := range s.noVerdict(cur) {
			gs := &s.groups[s.groupOf[p]]
			if gs.ds < 0 || !gs.hasStrat || gs.strat.HealthCheck == HealthManual {
				continue
			}
			a := &s.in.Allocs[p]
			if !inCur.has(p) || a.Desired != DesiredRun {
				continue
			}
			if h := s.healthOf(p); h.Status == "" {
				tr := newTracker(gs.strat, gs.g, a.CreateTime)
				s.wake(tr.next(h))
			}
		}
	}
	for gi := range s.groups {
		gs := &s.groups[gi]
		if gs.ds < 0 {
			continue
		}
		ds := &cur.Groups[gs.ds]
		if cur.Status == StatusRunning && s.freeze == nil && ds.ProgressDeadline > 0 && !ds.RequireProgressBy.IsZero() && !groupDone(ds, s.stats(gi)) {
			s.wake(ds.RequireProgressBy)
		}
	}
}

// deploymentEqual compares a working copy with the input deployment,
// ignoring the modify time.
func deploymentEqual(a, b *Deployment) bool {
	if b == nil {
		return false
	}
	if a.ID != b.ID || a.Status != b.Status || a.Description != b.Description || len(a.Groups) != len(b.Groups) {
		return false
	}
	for i := range a.Groups {
		x, y := &a.Groups[i], &b.Groups[i]
		if x.Name != y.Name || x.DesiredTotal != y.DesiredTotal || x.DesiredCanaries != y.DesiredCanaries ||
			x.Placed != y.Placed || x.Healthy != y.Healthy || x.Unhealthy != y.Unhealthy || x.Promoted != y.Promoted ||
			!x.RequireProgressBy.Equal(y.RequireProgressBy) || !slices.Equal(x.PlacedCanaries, y.PlacedCanaries) ||
			x.AutoRevert != y.AutoRevert || x.AutoPromote != y.AutoPromote || x.ProgressDeadline != y.ProgressDeadline ||
			!slices.Equal(x.PauseAfter, y.PauseAfter) || x.CheckpointsReached != y.CheckpointsReached ||
			x.GateTimeout != y.GateTimeout || x.OnGateTimeout != y.OnGateTimeout || !x.GateOpenedAt.Equal(y.GateOpenedAt) ||
			!analysisRunsEqual(x.Analysis, y.Analysis) {
			return false
		}
	}
	return true
}

// nameDecisions fills in the names of the step's stops and health updates
// (placements are named as they are made, and the stop of a destructive
// update shares its placement's name).
func (s *stepper) nameDecisions() {
	for i := range s.out.Stop {
		if st := &s.out.Stop[i]; st.Name == "" {
			st.Name = s.allocName(st.Group, st.Index)
		}
	}
	for k, p := range s.changed {
		s.out.Health[k].Name = s.allocName(s.in.Allocs[p].Group, s.indexOf(p))
	}
}

// reservePlacements makes room in one chunk for the names of n placements
// in group at indexes below count, and in another for their IDs: a batch
// of placements then allocates those bytes once, at their size.
func (s *stepper) reservePlacements(group string, n, count int) {
	if n <= 1 {
		return
	}
	per := len(s.job.ID) + len(group) + len(".[]") + 1
	for d := 10; d < count; d *= 10 {
		per++ // a digit more for indexes of d and above
	}
	// allocName wants room for its longest name before each: the last
	// one needs that much.
	if need := (n-1)*per + s.longestName(group); cap(s.names)-len(s.names) < need {
		s.names = make([]byte, 0, need)
	}
	s.idArena.Reserve(n)
}

// longestName is the length of the longest name an allocation of group
// can have.
func (s *stepper) longestName(group string) int {
	return len(s.job.ID) + len(".") + len(group) + len("[") + maxNameEnd
}

// allocName returns AllocName(job, group, index), written after the
// step's earlier names into chunks of memory that are never written again,
// the string over its bytes: naming costs a step one heap allocation per
// 64 KiB of names, not one per decision.
func (s *stepper) allocName(group string, index int) string {
	if longest := s.longestName(group); cap(s.names)-len(s.names) < longest {
		s.names = make([]byte, 0, max(longest, min(64<<10, 2*cap(s.names)+1024)))
	}
	if group != s.nameGroup || s.namePrefix == nil {
		// A group's names share their start: made once per group.
		s.namePrefix, s.nameGroup = appendNameStart(s.namePrefix[:0], s.job.ID, group), group
	}
	start := len(s.names)
	s.names = appendNameEnd(append(s.names, s.namePrefix...), index)
	return unsafe.String(&s.names[start], len(s.names)-start)
}
