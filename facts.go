package rollout

import (
	"math"
	"slices"
	"sync"

	"github.com/rollout-go/rollout/internal/index"
)

// fact holds what the loops over a group's allocations need to know of one
// allocation, gathered by the validation's single pass over the input. The
// loops read these two bytes rather than the Alloc, which they touch only
// for the few allocations they decide about: at 100k allocations the
// Allocs and their strings are tens of megabytes, their facts 200 kB.
type fact uint16

const (
	factRun     fact = 1 << iota // Desired is run
	factInDep                    // DeploymentID is the input deployment's ID
	factCanary                   // Canary is set
	factCurrent                  // JobVersion is the job's
	// factSameSpec: an allocation to run of an older version whose Spec is
	// its group's Spec, so that it is updated in place.
	factSameSpec
	factLost      // Client is lost
	factStopped   // Client is failed or complete
	factHealthy   // its health, as this step sees it, is healthy
	factUnhealthy // ... unhealthy
	factChanged   // this step changed its health (see stepper.health)
	// factComplete: Client is complete. A finished service allocation is
	// neither live nor a failure: it is left alone, holds no name, and its
	// slot is refilled as a missing allocation.
	factComplete
	// factMigrate: Migrate is set and Client is pending or running (see
	// Alloc.Migrate).
	factMigrate
	// factUnknown: Client is unknown (see Disconnect; stepper.disconnects
	// turns it into what the step makes of it).
	factUnknown
)

// health returns the verdict the fact records.
func (f fact) health() HealthStatus {
	switch {
	case f&factHealthy != 0:
		return Healthy
	case f&factUnhealthy != 0:
		return Unhealthy
	}
	return ""
}

// withHealth returns f recording verdict h.
func (f fact) withHealth(h HealthStatus) fact {
	f &^= factHealthy | factUnhealthy
	switch h {
	case Healthy:
		f |= factHealthy
	case Unhealthy:
		f |= factUnhealthy
	}
	return f
}

// live reports whether the allocation is to run and its node runs it.
func (f fact) live() bool { return f&(factRun|factLost|factStopped) == factRun }

// scratch is a step's working memory proportional to its allocations,
// reused from one step to the next through scratchPool: a step's heap
// allocations then follow its decisions, not the size of its input.
// Nothing in it outlives the step or reaches its Output.
type scratch struct {
	ids     index.Keys
	facts   []fact  // per allocation
	groupOf []int32 // per allocation: its position in stepper.groups
	slot    []int32 // per allocation: its Index (see stepper.indexOf)
	byGroup []int32 // the allocations, grouped (groupState.allocs)
	// iota holds 0, 1, 2, ...: the allocations of a job whose one group
	// holds them all (see positions). Never written but to extend it.
	iota []int32
	// destructive holds classes.destructive of the group being reconciled.
	destructive []int32
	// lowest holds what stepper.lowest returns; lowCounts and lowSorted
	// are its counting sort's.
	lowest, lowCounts, lowSorted []int32
	// chosenIDs holds the IDs of the allocations a destructive update
	// replaces, during reconcile.
	chosenIDs []string
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// getScratch returns a scratch sized for n allocations.
func getScratch(n int) *scratch {
	sc := scratchPool.Get().(*scratch)
	sc.facts = resize(sc.facts, n)
	sc.groupOf = resize(sc.groupOf, n)
	sc.slot = resize(sc.slot, n)
	sc.byGroup = resize(sc.byGroup, n)
	sc.destructive = resize(sc.destructive, n)
	return sc
}

// positions returns the positions 0 to n-1, read-only.
func (sc *scratch) positions(n int) []int32 {
	if len(sc.iota) < n {
		sc.iota = slices.Grow(sc.iota, n-len(sc.iota))
		for i := len(sc.iota); i < n; i++ {
			sc.iota = append(sc.iota, int32(i))
		}
	}
	return sc.iota[:n:n]
}

// release returns sc to the pool, keeping none of the step's input alive.
func (sc *scratch) release() {
	sc.ids.Release()
	scratchPool.Put(sc)
}

// resize returns a slice of length n, reusing b's array when it is large
// enough. The contents are left as they were: callers write every element.
func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// slotOf returns what the scratch keeps of an index: the index itself, or
// math.MaxInt32 for an index too large for an int32.
func slotOf(index int) int32 { return int32(min(index, math.MaxInt32)) }
