package rollout

import "slices"

// Surge: rolling updates under max_surge and max_unavailable. A new
// allocation placed by surge takes the name of the old one it replaces
// and runs beside it; once it is healthy the old one is stopped. The two
// are a pair: they hold one slot of the group's count.

// surgeState is one group's surge pairs in a step.
type surgeState struct {
	// replaced holds the indexes whose new allocation is healthy: the old
	// namesakes are stopped. waiting holds those whose new allocation is
	// not healthy yet: the old namesakes keep running, and are neither
	// updated again nor counted twice.
	replaced, waiting indexSet
	// cancel lists the new allocations not healthy in a deployment that
	// failed or was superseded: they are stopped, their old namesakes stay.
	cancel []int32
}

// surgePairs finds the group's surge pairs: allocations of the input
// deployment, not canaries, whose index an allocation outside it also
// holds. While that deployment is current and active the pair rolls on;
// once it has failed or been superseded, a member not yet healthy is
// stopped and its old namesake stays.
func (s *stepper) surgePairs(gs *groupState, cur *Deployment) surgeState {
	var st surgeState
	d := s.in.Deployment
	if d == nil || !gs.hasStrat || !gs.strat.Surges() {
		return st
	}
	// outside: the indexes held by allocations outside the deployment that
	// hold a slot (desired to run, not lost or finished), and whether one
	// of them serves (runs and was not judged unhealthy).
	outside := make(map[int]bool)
	for _, p := range gs.allocs {
		if f := s.facts[p]; f&(factRun|factLost|factComplete|factInDep) == factRun {
			idx := s.indexOf(p)
			outside[idx] = outside[idx] || (f.live() && f.health() != Unhealthy)
		}
	}
	if len(outside) == 0 {
		return st
	}
	rolling := cur != nil && !s.created && cur.ID == d.ID && cur.Status.Active()
	for _, p := range gs.allocs {
		f := s.facts[p]
		if f&(factRun|factLost|factComplete|factCanary|factInDep) != factRun|factInDep {
			continue // a member is desired to run, not lost or finished: a failed one is replaced in its slot
		}
		idx := s.indexOf(p)
		serves, paired := outside[idx]
		switch {
		case !paired:
		case f.health() == Healthy, !serves && f.health() != Unhealthy:
			// The old namesake goes: its replacement is healthy, or it
			// does not serve while the replacement may.
			st.replaced = append(st.replaced, idx)
		case rolling:
			st.waiting = append(st.waiting, idx)
		default:
			st.cancel = append(st.cancel, p)
		}
	}
	slices.Sort(st.replaced)
	slices.Sort(st.waiting)
	st.replaced, st.waiting = slices.Compact(st.replaced), slices.Compact(st.waiting)
	return st
}

// leaving reports whether allocation p (with facts f, at index idx) is a
// member of a surge pair that the step stops or that is not counted: a
// cancelled new member, or an old namesake replaced or waiting.
func (st *surgeState) leaving(p int32, f fact, idx int) bool {
	if f&factInDep != 0 && f&factCanary == 0 {
		return st.cancelled(p)
	}
	return st.replaced.has(idx) || st.waiting.has(idx)
}

// cancelled reports whether p is a surge allocation stopped by a failure.
func (st *surgeState) cancelled(p int32) bool { return slices.Contains(st.cancel, p) }

// surgeBudget splits the destructive updates a rolling update may start
// now under max_surge and max_unavailable: surge placements (a new
// allocation beside an old one) and replacements (a stop and a placement).
// budget is what max_parallel leaves; the step's other decisions for the
// group are already in the output from stopStart and placeStart.
func (s *stepper) surgeBudget(gs *groupState, c *classes, budget, stopStart, placeStart int) (surge, replace int) {
	count := gs.g.Count
	maxSurge, maxUnavailable := gs.strat.surgeLimits(count)
	cands := len(c.destructive)

	// Live allocations once this step's decisions so far are applied, and
	// the slots of the count that hold an available one: an allocation of
	// another version that runs and was not judged unhealthy, or a healthy
	// one of the current deployment.
	stopped := make(map[string]bool, len(s.out.Stop)-stopStart)
	for _, d := range s.out.Stop[stopStart:] {
		stopped[d.ID] = true
	}
	var inCur member
	if s.cur != nil && !s.created {
		inCur = s.member(s.cur)
	}
	live := len(s.out.Place) - placeStart
	avail := make([]bool, count)
	available := 0
	for _, p := range gs.allocs {
		f := s.facts[p]
		// A failed allocation still to be replaced counts as live: its
		// replacement will be.
		if f&(factRun|factLost|factComplete) != factRun || stopped[s.in.Allocs[p].ID] {
			continue
		}
		live++
		idx := s.indexOf(p)
		ok := f.live() && (f.health() == Healthy || (!inCur.has(p) && f.health() != Unhealthy))
		if ok && idx < count && !avail[idx] {
			avail[idx] = true
			available++
		}
	}
	unavailable := count - available
	surge = max(0, min(budget, count+maxSurge-live, cands))
	replace = max(0, min(budget-surge, maxUnavailable-unavailable, cands-surge))
	return surge, replace
}
