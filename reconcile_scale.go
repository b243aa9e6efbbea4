package rollout

import (
	"cmp"
	"slices"
)

// Reconcile, the group's count (see reconcile.go). Phase 3, after the
// classes (reconcile_classify.go) and before the lost allocations' and
// canaries' counts: scaleDown stops the excess over the count. Phase 9,
// after the replacements (reconcile_lost.go) and before the new canaries
// (reconcile_canary.go) and the destructive updates
// (reconcile_destructive.go): the missing allocations are placed at the
// indexes freeIndexes finds.

// scaleDown chooses the allocations to stop so that the group keeps its
// count: failed and unhealthy ones first, then old allocations whose name a
// promoted canary holds, then those moving off their node, then the highest
// indexes, older versions before the current one.
func (s *stepper) scaleDown(gs *groupState, cur *Deployment, ds *DeploymentGroup, canarying bool, remove int) map[int32]bool {
	allocs := s.in.Allocs
	failed := cur != nil && cur.Status == StatusFailed
	var cands []int32
	var curMember member
	if cur != nil {
		curMember = s.member(cur)
	}
	for _, p := range gs.allocs {
		f := s.facts[p]
		if f&(factRun|factLost|factComplete) != factRun {
			continue
		}
		inCur, canary := curMember.has(p), f&factCanary != 0
		if canary && (inCur && canarying || s.cancelCanary(gs, f, inCur, ds, failed)) {
			continue
		}
		if gs.shadow.has(s.indexOf(p)) && !(inCur && canary) {
			continue
		}
		if gs.surge.leaving(p, f, s.indexOf(p)) {
			continue // a surge pair's member that this step stops, or that waits
		}
		cands = append(cands, p)
	}
	// Failed allocations and unhealthy ones of the deployment (waiting for
	// a replacement) go first: stopping them costs no running allocation.
	broken := func(p int32) bool {
		f := s.facts[p]
		return f&factStopped != 0 || (f.health() == Unhealthy && curMember.has(p))
	}
	// Then old allocations whose name a promoted canary holds. (A running
	// deployment stops them anyway, outside the scale-down; a failed one
	// leaves them, and they are the excess its canaries made.)
	var held indexSet
	if failed {
		held = s.canaryNames(gs, cur, ds)
	}
	namesake := func(p int32) bool {
		return held != nil && s.facts[p]&factCanary == 0 && held.has(s.indexOf(p))
	}
	slices.SortFunc(cands, func(x, y int32) int {
		ax, ay := &allocs[x], &allocs[y]
		if c := cmp.Compare(b2i(broken(y)), b2i(broken(x))); c != 0 {
			return c
		}
		if c := cmp.Compare(b2i(namesake(y)), b2i(namesake(x))); c != 0 {
			return c
		}
		// Then allocations moving off their node: stopping one saves its
		// migration.
		if c := cmp.Compare(b2i(s.facts[y]&factMigrate != 0), b2i(s.facts[x]&factMigrate != 0)); c != 0 {
			return c
		}
		if c := cmp.Compare(ay.Index, ax.Index); c != 0 {
			return c
		}
		if cx, cy := ax.JobVersion == s.job.Version, ay.JobVersion == s.job.Version; cx != cy {
			if cy {
				return -1
			}
			return 1
		}
		return cmp.Compare(ay.ID, ax.ID)
	})
	victims := make(map[int32]bool, remove)
	for _, p := range cands[:min(remove, len(cands))] {
		victims[p] = true
		s.stop(gs, p, KindScaleDown, ReasonNotNeeded)
	}
	return victims
}

// freeIndexes returns the n lowest indexes below the count that no
// allocation holds.
func (s *stepper) freeIndexes(gs *groupState, cancel []int32, n int, lostRepl []int32) []int {
	used := make([]bool, gs.g.Count)
	leaving := make(map[int32]bool, len(cancel))
	for _, p := range cancel {
		leaving[p] = true
	}
	mark := func(ps []int32) {
		for _, p := range ps {
			if idx := s.indexOf(p); idx < len(used) {
				used[idx] = true
			}
		}
	}
	for _, p := range gs.allocs {
		f, idx := s.facts[p], s.indexOf(p)
		if f&(factRun|factLost|factComplete) == factRun && idx < len(used) && !gs.victims[p] && !leaving[p] && !(gs.shadow.has(idx) && f&factCanary == 0) {
			used[idx] = true
		}
	}
	mark(lostRepl)
	out := make([]int, 0, n)
	for idx := 0; idx < len(used) && len(out) < n; idx++ {
		if !used[idx] {
			out = append(out, idx)
		}
	}
	return out
}
