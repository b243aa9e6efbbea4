package controller

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/rollout-go/rollout"
)

// MemoryStore is a Store in memory, safe for concurrent use. It keeps deep
// copies, so callers cannot change what it holds by accident. Its revisions
// count saves across all its jobs.
type MemoryStore struct {
	mu   sync.Mutex
	rev  uint64
	jobs map[string]State
	subs map[string][]chan uint64 // a job's entry only while it has subscribers
	// subsPeak is the most entries subs held since it was last copied.
	subsPeak int
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{jobs: map[string]State{}} }

var (
	_ Store     = (*MemoryStore)(nil)
	_ JobLister = (*MemoryStore)(nil)
	_ Notifier  = (*MemoryStore)(nil)
)

// Load returns a copy of the job's state.
func (m *MemoryStore) Load(ctx context.Context, jobID string) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.jobs[jobID]
	return st.Clone(), nil
}

// Save stores a copy of the job's state if its revision is current.
func (m *MemoryStore) Save(ctx context.Context, jobID string, s State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.jobs[jobID].Revision; cur != s.Revision {
		return 0, &ConflictError{JobID: jobID, Expected: s.Revision, Actual: cur}
	}
	m.rev++
	c := s.Clone()
	c.Revision = m.rev
	m.jobs[jobID] = c
	for _, ch := range m.subs[jobID] {
		select {
		case <-ch: // the latest revision replaces one not yet read
		default:
		}
		ch <- m.rev
	}
	return m.rev, nil
}

// Jobs returns the IDs of the jobs saved, in ascending order.
func (m *MemoryStore) Jobs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.jobs))
	for id := range m.jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// Changes implements Notifier: the channel receives the revision of each
// save of the job until ctx ends. A subscription costs nothing once its
// ctx has ended: a job's entry goes when its last subscriber leaves, so
// subscribing to many names, known or not, holds no memory afterwards.
func (m *MemoryStore) Changes(ctx context.Context, jobID string) (<-chan uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return nil, err
	}
	ch := make(chan uint64, 1)
	m.mu.Lock()
	if m.subs == nil {
		m.subs = map[string][]chan uint64{}
	}
	m.subs[jobID] = append(m.subs[jobID], ch)
	m.subsPeak = max(m.subsPeak, len(m.subs))
	m.mu.Unlock()
	context.AfterFunc(ctx, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if left := slices.DeleteFunc(m.subs[jobID], func(c chan uint64) bool { return c == ch }); len(left) > 0 {
			m.subs[jobID] = left
			return
		}
		delete(m.subs, jobID)
		// A Go map keeps the room of its most entries (maps.Clone too):
		// once it holds far fewer, copy it to a map of its size.
		if len(m.subs) < m.subsPeak/4 {
			subs := make(map[string][]chan uint64, len(m.subs))
			maps.Copy(subs, m.subs)
			m.subs, m.subsPeak = subs, len(subs)
		}
	})
	return ch, nil
}
