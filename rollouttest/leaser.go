package rollouttest

import (
	"context"
	"sync"

	"github.com/rollout-go/rollout/controller"
)

// Leaser is a controller.Leaser in memory, for tests of Managers that share
// jobs: several Managers given the same Leaser run each job on one of them
// at a time. Revoke takes a lease away, as an expiry would. Its zero value
// is ready to use, and it is safe for concurrent use.
type Leaser struct {
	mu      sync.Mutex
	holders map[string]*lease
	freed   chan struct{} // closed and replaced when a lease ends
	grants  int
}

var _ controller.Leaser = (*Leaser)(nil)

type lease struct {
	l    *Leaser
	job  string
	done chan struct{}
}

// Acquire implements controller.Leaser: it waits until no one holds the job's
// lease.
func (l *Leaser) Acquire(ctx context.Context, jobID string) (controller.Lease, error) {
	for {
		l.mu.Lock()
		if l.holders == nil {
			l.holders = map[string]*lease{}
		}
		if l.freed == nil {
			l.freed = make(chan struct{})
		}
		if _, held := l.holders[jobID]; !held {
			le := &lease{l: l, job: jobID, done: make(chan struct{})}
			l.holders[jobID] = le
			l.grants++
			l.mu.Unlock()
			return le, nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-freed:
		}
	}
}

// Revoke ends the job's lease, as if it expired: its holder's Done closes.
// It reports whether someone held it.
func (l *Leaser) Revoke(jobID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	le, ok := l.holders[jobID]
	if ok {
		l.endLocked(le)
	}
	return ok
}

// Grants returns how many leases were granted so far.
func (l *Leaser) Grants() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.grants
}

func (l *Leaser) endLocked(le *lease) {
	if l.holders[le.job] != le {
		return
	}
	delete(l.holders, le.job)
	close(le.done)
	close(l.freed)
	l.freed = make(chan struct{})
}

func (le *lease) Done() <-chan struct{} { return le.done }

func (le *lease) Release(context.Context) error {
	le.l.mu.Lock()
	defer le.l.mu.Unlock()
	le.l.endLocked(le)
	return nil
}
