package rollout

import "slices"

// Reconcile, canaries (see reconcile.go). Before the classes (phase 2), the
// names the promoted canaries hold, whose old namesakes are stopped
// (promotedCanaryNames); in the classes (reconcile_classify.go) and the
// scale-down (phase 3, reconcile_scale.go), the canaries cancelled
// (cancelCanary); phase 5, in reconcile itself, counts the canaries a
// destructive change needs. Phase 9, after the replacements
// (reconcile_lost.go) and the missing allocations (reconcile_scale.go),
// before the destructive updates (reconcile_destructive.go): the new
// canaries' indexes (canaryIndexes).

// indexSet is a small set of indexes, sorted: those a group's promoted
// canaries hold.
type indexSet []int

// has reports whether the set holds index x.
func (set indexSet) has(x int) bool {
	if len(set) == 0 || x < set[0] || x > set[len(set)-1] {
		return false
	}
	_, ok := slices.BinarySearch(set, x)
	return ok
}

// promotedCanaryNames returns the indexes held by the live canaries of a
// promoted group: the old allocations with those names are stopped.
func (s *stepper) promotedCanaryNames(gs *groupState, cur *Deployment, ds *DeploymentGroup) indexSet {
	if cur != nil && cur.Status == StatusFailed {
		return nil
	}
	return s.canaryNames(gs, cur, ds)
}

// canaryNames returns the indexes that the live canaries of a promoted
// group hold, whatever the deployment's status.
func (s *stepper) canaryNames(gs *groupState, cur *Deployment, ds *DeploymentGroup) indexSet {
	if ds == nil || ds.DesiredCanaries == 0 || !ds.Promoted {
		return nil
	}
	var names []int
	inCur := s.member(cur)
	for _, p := range gs.allocs {
		if f := s.facts[p]; f&(factCanary|factRun|factLost|factComplete) == factCanary|factRun && inCur.has(p) {
			names = append(names, s.indexOf(p))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// cancelCanary reports whether a canary is stopped: it belongs to a
// previous deployment whose group was not promoted, or to the current
// deployment that failed before promoting it.
func (s *stepper) cancelCanary(gs *groupState, f fact, inCur bool, ds *DeploymentGroup, failed bool) bool {
	if inCur {
		return failed && ds != nil && ds.DesiredCanaries > 0 && !ds.Promoted
	}
	// s.old is the input deployment.
	return s.old != nil && f&factInDep != 0 && gs.oldUnpromoted
}

// canaryIndexes names new canaries as Nomad does: first the indexes of
// the allocations they will replace (destructive updates), in name order,
// that no canary holds (nor an allocation placed again, now or later,
// under its own name: replaced);
// then indexes below the count that no allocation of
// the group holds (live, pending, failed or lost, but not a canary this
// step stops: freesName); then indexes from the count up.
func (s *stepper) canaryIndexes(gs *groupState, c classes, n int, replaced ...[]int32) []int {
	taken := make(map[int]bool, len(c.canaries)+n)
	out := make([]int, 0, n)
	// The first n in name order whose index is free, from the lowest k:
	// k grows only when too many of them hold a taken index.
	for k := max(1, n+len(c.canaries)); ; k *= 2 {
		out = out[:0]
		clear(taken)
		for _, p := range c.canaries {
			taken[s.indexOf(p)] = true
		}
		for _, ps := range replaced {
			for _, p := range ps {
				taken[s.indexOf(p)] = true
			}
		}
		for _, p := range s.lowest(c.destructive, k) {
			if len(out) == n {
				return out
			}
			if idx := s.indexOf(p); !taken[idx] && idx < gs.g.Count {
				taken[idx] = true
				out = append(out, idx)
			}
		}
		if k >= len(c.destructive) {
			break
		}
	}
	if len(out) == n {
		return out
	}
	held := make([]bool, gs.g.Count)
	for _, p := range gs.allocs {
		f, idx := s.facts[p], s.indexOf(p)
		if f&(factRun|factComplete) == factRun && idx < len(held) && !gs.victims[p] && !s.freesName(p, c) {
			held[idx] = true
		}
	}
	for idx := 0; len(out) < n && idx < gs.g.Count; idx++ {
		if !taken[idx] && !held[idx] {
			taken[idx] = true
			out = append(out, idx)
		}
	}
	for idx := gs.g.Count; len(out) < n; idx++ {
		out = append(out, idx)
	}
	return out
}

// freesName reports whether allocation p gives up its name in this step as
// Nomad's name index sees it: a canary cancelled now, or a lost canary of
// the current deployment (stopped, and placed again, if at all, as a new
// canary).
func (s *stepper) freesName(p int32, c classes) bool {
	f := s.facts[p]
	if f&factCanary == 0 {
		return false
	}
	if slices.Contains(c.cancel, p) {
		return true
	}
	return f&factLost != 0 && s.cur != nil && !s.created && s.in.Allocs[p].DeploymentID == s.cur.ID
}
