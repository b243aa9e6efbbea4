package rollout

import (
	"context"
	"slices"
	"sync"
)

// MemoryStore is a Store in memory, safe for concurrent use. It keeps deep
// copies, so callers cannot change what it holds by accident. Its revisions
// count saves across all its jobs.
type MemoryStore struct {
	mu   sync.Mutex
	rev  uint64
	jobs map[string]State
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{jobs: map[string]State{}} }

var (
	_ Store     = (*MemoryStore)(nil)
	_ JobLister = (*MemoryStore)(nil)
)

// Load returns a copy of the job's state.
func (m *MemoryStore) Load(ctx context.Context, jobID string) (State, error) {
	if err := ctx.Err(); err != nil {
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
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.jobs[jobID].Revision; cur != s.Revision {
		return 0, &ConflictError{JobID: jobID, Expected: s.Revision, Actual: cur}
	}
	m.rev++
	c := s.Clone()
	c.Revision = m.rev
	m.jobs[jobID] = c
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
