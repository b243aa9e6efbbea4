package rollout

import (
	"cmp"
	"slices"
)

// Reconcile, phase 10 (see reconcile.go): the destructive updates. After
// the budget (phase 7) and the placements of phase 9 (reconcile_scale.go,
// reconcile_canary.go), as many allocations of an older spec as the budget
// allows, the first in name order (lowest), are stopped and replaced under
// their names (updateDestructive); the in-place updates come next. The new
// canaries' indexes and the surge placements are chosen in name order by
// lowest too.

// updateDestructive makes the destructive updates of chosen: each
// allocation is stopped and replaced by one of the job's version under its
// name. The output's lists grow once for them (no copies of a large list),
// and the stops and placements are written in place, in one loop, and
// counted once.
func (s *stepper) updateDestructive(gs *groupState, chosen []int32) {
	n := len(chosen)
	s.out.Stop, s.out.Place = slices.Grow(s.out.Stop, n), slices.Grow(s.out.Place, n)
	s.reservePlacements(gs.name, n, gs.g.Count)
	// Their IDs first, in a loop of independent loads: in a shuffled
	// input each is a cache miss, and these overlap.
	ids := resize(s.sc.chosenIDs, n)
	for k, p := range chosen {
		ids[k] = s.in.Allocs[p].ID
	}
	stops := s.out.Stop[len(s.out.Stop) : len(s.out.Stop)+n]
	places := s.out.Place[len(s.out.Place) : len(s.out.Place)+n]
	version, spec, dep := s.job.Version, gs.g.Spec, gs.depID
	for k, p := range chosen {
		idx := s.indexOf(p)
		name := s.allocName(gs.name, idx) // one slot, one name
		s.fillStop(&stops[k], gs, p, ids[k], name, KindUpdate, ReasonUpdating)
		s.fillPlacement(&places[k], gs, idx, name, false, version, spec, dep, ids[k], 0, KindUpdate, ReasonPlaceUpdate)
	}
	s.out.Stop, s.out.Place = s.out.Stop[:len(s.out.Stop)+n], s.out.Place[:len(s.out.Place)+n]
	addKinds(&gs.plan.Stops, KindUpdate, n) // with the placements as destructive updates
	s.countPlacements(gs, KindUpdate, dep, n)
	clear(ids) // the scratch keeps no input string alive
	s.sc.chosenIDs = ids[:0]
}

// lowest returns the n allocations of ps first in name order, in that
// order, in memory of the step's scratch (valid until the next call).
// Allocations already in name order (a sorted input) cost one comparison
// each; otherwise a bounded heap selects a few (n at most a sixteenth of
// ps), comparing most with its top only, and a counting sort by index
// selects more in O(len(ps) + the largest index) when the indexes are
// dense, as a group's are, and the heap again when they are not.
func (s *stepper) lowest(ps []int32, n int) []int32 {
	n = min(n, len(ps))
	if n == 0 {
		return nil
	}
	out := s.sc.lowest[:0]
	defer func() { s.sc.lowest = out[:0] }()
	if s.sortedByIndex(ps) {
		return append(out, ps[:n]...)
	}
	if n <= len(ps)/16 {
		// A few of many: most are compared once, with the heap's top.
		return append(out, s.heapLowest(ps, n)...)
	}
	top := 0
	for _, p := range ps {
		top = max(top, int(s.slot[p]))
	}
	if top <= 4*len(ps)+1024 {
		return append(out, s.countingLowest(ps, n, top)...)
	}
	return append(out, s.heapLowest(ps, n)...)
}

// sortedByIndex reports whether ps is in name order.
func (s *stepper) sortedByIndex(ps []int32) bool {
	for k := 1; k < len(ps); k++ {
		a, b := s.slot[ps[k-1]], s.slot[ps[k]]
		if a > b || a == b && s.byIndex(ps[k-1], ps[k]) > 0 {
			return false
		}
	}
	return true
}

// countingLowest is lowest by a counting sort of the slots, all at most
// top: the allocations of the slots up to the n-th, then those of equal
// slots (and of slots too large for an int32) in name order.
func (s *stepper) countingLowest(ps []int32, n, top int) []int32 {
	starts := resize(s.sc.lowCounts, top+2)
	s.sc.lowCounts = starts
	clear(starts)
	for _, p := range ps {
		starts[s.slot[p]+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	sorted := resize(s.sc.lowSorted, len(ps))
	s.sc.lowSorted = sorted
	for _, p := range ps {
		v := s.slot[p]
		sorted[starts[v]] = p
		starts[v]++
	}
	// starts[v] is now the end of slot v's run: sort the runs of more than
	// one allocation that reach the first n, by name (the IDs decide).
	begin := 0
	for v := 0; v <= top && begin < n; v++ {
		end := int(starts[v])
		if end-begin > 1 {
			slices.SortFunc(sorted[begin:end], s.byIndex)
		}
		begin = end
	}
	return sorted[:n]
}

// heapLowest is lowest with a bounded max-heap, for a few or sparse indexes.
func (s *stepper) heapLowest(ps []int32, n int) []int32 {
	s.sc.lowSorted = resize(s.sc.lowSorted, n)
	heap := s.sc.lowSorted[:0]
	less := func(i, j int) bool { return s.byIndex(heap[i], heap[j]) > 0 } // max-heap
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(heap) && less(l, m) {
				m = l
			}
			if r := l + 1; r < len(heap) && less(r, m) {
				m = r
			}
			if m == i {
				return
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
	}
	for _, p := range ps {
		switch {
		case len(heap) < n:
			heap = append(heap, p)
			for i := len(heap) - 1; i > 0 && less(i, (i-1)/2); i = (i - 1) / 2 {
				heap[i], heap[(i-1)/2] = heap[(i-1)/2], heap[i]
			}
		case s.byIndex(p, heap[0]) < 0:
			heap[0] = p
			down(0)
		}
	}
	slices.SortFunc(heap, s.byIndex)
	return heap
}

// byIndex orders two allocations by name: by index, then by ID.
func (s *stepper) byIndex(x, y int32) int {
	if c := cmp.Compare(s.indexOf(x), s.indexOf(y)); c != 0 {
		return c
	}
	return cmp.Compare(s.in.Allocs[x].ID, s.in.Allocs[y].ID)
}
