package controller

import (
	"cmp"
	"slices"

	"github.com/rollout-go/rollout"
)

// Version returns version n of the job as the state keeps it: from History,
// or from Retained when History no longer retains it.
func (s *State) Version(n uint64) (rollout.JobVersion, bool) {
	if v, ok := s.History.Get(n); ok {
		return v, true
	}
	for i := range s.Retained {
		if s.Retained[i].Version == n {
			return s.Retained[i], true
		}
	}
	return rollout.JobVersion{}, false
}

// versionsOf returns copies of the versions ns names that the state keeps,
// for Decisions.Versions.
func (s *State) versionsOf(ns []uint64) []rollout.JobVersion {
	var out []rollout.JobVersion
	for _, n := range ns {
		if v, ok := s.Version(n); ok {
			out = append(out, v.Clone())
		}
	}
	return out
}

// liveVersions returns the versions that the state's live allocations
// (desired to run, not terminal on their node) and its pending decisions
// name, each once, in increasing order.
func (s *State) liveVersions() []uint64 {
	var out []uint64
	for i := range s.Allocs {
		if a := &s.Allocs[i]; a.Desired == rollout.DesiredRun && !a.Client.Terminal() {
			out = append(out, a.JobVersion)
		}
	}
	if s.Pending != nil {
		out = append(out, s.Pending.VersionsNamed()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keepLive updates Retained after History changed from before: it keeps
// every version of before or Retained that History dropped and that a live
// allocation or the pending decisions still name, and forgets the others.
func (s *State) keepLive(before []rollout.JobVersion) {
	live := s.liveVersions()
	var kept []rollout.JobVersion
	consider := func(v *rollout.JobVersion) {
		if _, inHistory := s.History.Get(v.Version); inHistory {
			return
		}
		if _, isLive := slices.BinarySearch(live, v.Version); !isLive {
			return
		}
		if slices.ContainsFunc(kept, func(k rollout.JobVersion) bool { return k.Version == v.Version }) {
			return
		}
		kept = append(kept, v.Clone())
	}
	for i := range s.Retained {
		consider(&s.Retained[i])
	}
	for i := range before {
		consider(&before[i])
	}
	slices.SortFunc(kept, func(a, b rollout.JobVersion) int { return cmp.Compare(a.Version, b.Version) })
	s.Retained = kept
}
