package boltstore

import (
	"sync"

	"github.com/rollout-go/rollout/controller"
)

// The state cache. A Runner loads its job's state before every step and
// saves it after, so most Loads read what this Store saved a moment ago.
// The Store keeps a copy of each job's latest saved (or loaded) State with
// its revision, and a Load whose stored revision is the copy's returns a
// copy of it instead of decoding the value: a fleet's steps then cost no
// JSON decoding, only the encoding of their saves. One process holds the
// file, so the revision in the file tells whether the copy is current.
//
// A cached Load returns exactly what was saved, as the memory store does
// (times keep their location and monotonic reading); a Load after the
// file is opened again decodes it, as before. Options.NoCache turns the
// cache off, for a fleet too large to keep every job's state in memory.

// stateCache holds the latest state of each job; its zero value is ready.
type stateCache struct {
	mu   sync.Mutex
	jobs map[string]cachedState
}

// cachedState is one job's state at a revision.
type cachedState struct {
	rev uint64
	st  controller.State
}

// get returns a copy of the job's state at rev, if cached.
func (c *stateCache) get(jobID string, rev uint64) (controller.State, bool) {
	c.mu.Lock()
	e, ok := c.jobs[jobID]
	c.mu.Unlock()
	if !ok || e.rev != rev {
		return controller.State{}, false
	}
	st := e.st.Clone() // cached states are never changed: copy outside the lock
	st.Revision = rev
	return st, true
}

// put caches a copy of st as the job's state at rev, unless a later
// revision is cached already.
func (c *stateCache) put(jobID string, rev uint64, st *controller.State) {
	cp := st.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.jobs[jobID]; ok && e.rev > rev {
		return
	}
	if c.jobs == nil {
		c.jobs = map[string]cachedState{}
	}
	c.jobs[jobID] = cachedState{rev: rev, st: cp}
}

// cached returns a copy of the job's state at rev if the cache holds it
// (and is on).
func (s *Store) cached(jobID string, rev uint64) (controller.State, bool) {
	if s.noCache {
		return controller.State{}, false
	}
	return s.cache.get(jobID, rev)
}

// remember caches a copy of st as the job's state at rev (when the cache
// is on).
func (s *Store) remember(jobID string, rev uint64, st *controller.State) {
	if !s.noCache {
		s.cache.put(jobID, rev, st)
	}
}
