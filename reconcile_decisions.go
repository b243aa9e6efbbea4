package rollout

import (
	"cmp"
	"slices"
	"time"
)

// Reconcile, every phase (see reconcile.go): how a decision is written.
// Each phase stops (stop, stopUncounted) and places (place, capPlacements)
// through these, which count the decisions in the group's plan and
// deployment and set the health timers of new allocations. The last phase,
// completion, reads the allocations the pass stopped (stoppedSince); when
// the pass ends, its stops, placements and in-place updates are sorted by
// name and the group's plan is added to the output (addPlan).

// capPlacements returns how many of n placements Input.MaxPlacements lets
// the step make now, recording when it holds some back.
func (s *stepper) capPlacements(n int) int {
	if limit := s.in.MaxPlacements; limit > 0 && len(s.out.Place)+n > limit {
		s.out.Capped = true
		return max(0, limit-len(s.out.Place))
	}
	return n
}

// place appends a placement.
func (s *stepper) place(gs *groupState, idx int, canary bool, version uint64, spec, dep, replaces string, attempts int, kind DecisionKind, reason string) {
	// Written in place: a Placement is large, and not copied.
	s.out.Place = append(s.out.Place, Placement{})
	pl := &s.out.Place[len(s.out.Place)-1]
	s.fillPlacement(pl, gs, idx, s.allocName(gs.name, idx), canary, version, spec, dep, replaces, attempts, kind, reason)
	if replaces != "" && (gs.hasUnknown || gs.hasStandIns) {
		s.standInFor(pl, replaces)
	}
	s.countPlacements(gs, kind, dep, 1)
	if canary && s.inCurrent(dep) {
		gs.newCanaries = append(gs.newCanaries, *pl)
	}
}

// standInFor marks pl, which replaces the allocation replaces, as a
// stand-in: for replaces itself when it is unknown (it is not stopped, so
// pl no longer replaces it), or for the allocation that replaces stood in
// for, when it is a stand-in replaced in turn (a failed stand-in
// rescheduled, say) while that one is still to run and neither lost nor
// failed: the new one takes its place, as Nomad follows the chain of
// replacements at reconnection.
func (s *stepper) standInFor(pl *Placement, replaces string) {
	p := s.ids.Find(replaces)
	if p < 0 {
		return
	}
	if s.facts[p]&factUnknown != 0 {
		pl.Replaces, pl.StandsInFor = "", replaces
		return
	}
	if orig := s.in.Allocs[p].StandsInFor; orig != "" {
		if q := s.ids.Find(orig); q >= 0 && s.in.Allocs[q].Desired == DesiredRun && s.facts[q]&(factLost|factStopped) == 0 {
			pl.StandsInFor = orig
		}
	}
}

// fillPlacement writes every field of pl, which may hold an earlier
// step's placement (a Stepper's memory).
func (s *stepper) fillPlacement(pl *Placement, gs *groupState, idx int, name string, canary bool, version uint64, spec, dep, replaces string, attempts int, kind DecisionKind, reason string) {
	pl.ID, pl.JobID, pl.Group, pl.Index, pl.Name, pl.NodeID = s.newAllocID(), s.job.ID, gs.name, idx, name, ""
	pl.JobVersion, pl.Spec, pl.Canary, pl.DeploymentID, pl.Replaces = version, spec, canary, dep, replaces
	pl.Attempts, pl.CreateTime, pl.Kind, pl.Reason, pl.StandsInFor = attempts, s.now, kind, reason, ""
}

// inCurrent reports whether dep is the current deployment's ID.
func (s *stepper) inCurrent(dep string) bool {
	return dep != "" && s.cur != nil && dep == s.cur.ID
}

// countPlacements counts n placements of the kind into deployment dep in
// the group's plan and deployment state.
func (s *stepper) countPlacements(gs *groupState, kind DecisionKind, dep string, n int) {
	addKinds(&gs.plan.Placements, kind, n)
	switch kind { // the plan counts each decision once, by its kind
	case KindCanary:
		gs.plan.Canary += n
	case KindUpdate:
		gs.plan.Destructive += n
	case KindMigrate:
		gs.plan.Migrate += n
	default:
		gs.plan.Create += n
	}
	if s.inCurrent(dep) {
		gs.placedNow += n
		if !gs.placeWoken { // the same timer for every placement of the group
			gs.placeWoken = true
			s.wakeTracker(gs, AllocHealth{}, s.now)
		}
	}
}

// wakeTracker records the timer of a new or restarted allocation's health.
func (s *stepper) wakeTracker(gs *groupState, h AllocHealth, created time.Time) {
	if gs.g == nil || gs.strat.HealthCheck == HealthManual || !gs.hasStrat || !s.cur.Status.Active() {
		return
	}
	tr := newTracker(gs.strat, gs.g, created)
	s.wake(tr.next(&h))
}

// stop appends the stop of allocation p, named with the others in
// nameDecisions.
func (s *stepper) stop(gs *groupState, p int32, kind DecisionKind, reason string) {
	s.stopUncounted(gs, p, kind, reason)
	if kind != KindUpdate && kind != KindMigrate { // counted with its placement
		gs.plan.Destroy++
	}
}

// stopUncounted appends the stop of allocation p without counting it in
// the plan's Destroy.
func (s *stepper) stopUncounted(gs *groupState, p int32, kind DecisionKind, reason string) {
	s.out.Stop = append(s.out.Stop, StopDecision{})
	s.fillStop(&s.out.Stop[len(s.out.Stop)-1], gs, p, s.in.Allocs[p].ID, "", kind, reason)
	addKind(&gs.plan.Stops, kind)
}

// fillStop writes every field of st, the stop of allocation p whose ID is
// id: of the Alloc, only the ID is read, the facts and the slot say the
// rest. An empty name is left for nameDecisions.
func (s *stepper) fillStop(st *StopDecision, gs *groupState, p int32, id, name string, kind DecisionKind, reason string) {
	st.ID, st.Group, st.Index, st.Name = id, gs.name, s.indexOf(p), name
	st.Lost, st.Kind, st.Reason = s.facts[p]&factLost != 0, kind, reason
}

// stoppedSince returns the allocations this step stops, from
// the stops appended since start.
func (s *stepper) stoppedSince(start int) []int32 {
	var ps []int32
	for i := start; i < len(s.out.Stop); i++ {
		if p := s.ids.Find(s.out.Stop[i].ID); p >= 0 {
			ps = append(ps, int32(p))
		}
	}
	return ps
}

// byName orders two allocations by index then ID (by their IDs).
func (s *stepper) byName(x, y string) int {
	return s.byIndex(int32(s.ids.Find(x)), int32(s.ids.Find(y)))
}

// sortStops sorts stops by name (index, then ID). Most often they are
// made in that order already: the check costs one comparison each.
func sortStops(st []StopDecision) {
	if !inNameOrder(len(st), func(i int) (int, string) { return st[i].Index, st[i].ID }) {
		slices.SortFunc(st, func(a, b StopDecision) int {
			return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
		})
	}
}

// sortPlacements sorts placements by name (index, then ID), as sortStops.
func sortPlacements(pl []Placement) {
	if !inNameOrder(len(pl), func(i int) (int, string) { return pl[i].Index, pl[i].ID }) {
		slices.SortFunc(pl, func(a, b Placement) int {
			return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
		})
	}
}

// inNameOrder reports whether the n decisions whose index and ID name
// returns are in name order. It reads each decision in place: a check by
// slices.IsSortedFunc would copy two of them for each comparison.
func inNameOrder(n int, name func(i int) (int, string)) bool {
	for i := 1; i < n; i++ {
		ai, aid := name(i - 1)
		bi, bid := name(i)
		if ai > bi || ai == bi && aid > bid {
			return false
		}
	}
	return true
}

// addPlan adds the group's counts to the output: every group of the job,
// and a removed group whose allocations the step stops (as Nomad's plan
// lists it).
func (s *stepper) addPlan(gs *groupState) {
	if gs.g != nil || gs.plan.Destroy > 0 {
		s.out.Plan = append(s.out.Plan, gs.plan)
	}
}
