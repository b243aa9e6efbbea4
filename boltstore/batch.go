package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rollout-go/rollout/controller"
)

// Group commit. Concurrent Saves (the Runners of a fleet, one per job) are
// written together: each Save queues its value, and the first in line leads
// a write of everything queued, in one transaction and one fsync; the
// others wait for it. While that transaction commits, more Saves queue, and
// when it is done the leader hands the lead to the first of them, which
// writes them all in the next one. A lone Save is written at once; a
// fleet's Saves share fsyncs, as many per transaction as arrived during
// the previous one.
//
// Each queued Save keeps its own compare-and-set: one whose revision is
// stale fails with its ConflictError and the others of its transaction are
// written. A Save returns only once the transaction that holds it is
// committed and synced to disk (unless Options.NoSync), so a Runner never
// applies decisions that a crash could lose; when the commit fails, every
// Save of it fails and none is stored.

// committer is the queue of Saves waiting to be written; its zero value is
// ready.
type committer struct {
	mu    sync.Mutex
	queue []*saveRequest
	busy  bool // a leader is writing

	// Counts of transactions written and of Saves in them (for tests and
	// benchmarks).
	txs, saves, nanos atomic.Int64
}

// saveRequest is one queued Save.
type saveRequest struct {
	jobID    string
	expected uint64 // the revision the caller loaded
	value    []byte // EncodeState's bytes

	// wake receives one message: the result (lead false) or the lead.
	wake chan bool
	// Set by the leader before it wakes the request with its result.
	rev uint64
	err error
}

// commit stores value as jobID's state if its revision is still expected,
// in a transaction shared with the Saves queued meanwhile, and returns the
// new revision once that transaction is on disk.
func (s *Store) commit(ctx context.Context, jobID string, expected uint64, value []byte) (uint64, error) {
	req := &saveRequest{jobID: jobID, expected: expected, value: value, wake: make(chan bool, 1)}
	c := &s.commits
	c.mu.Lock()
	c.queue = append(c.queue, req)
	lead := !c.busy
	c.busy = true
	c.mu.Unlock()
	if !lead {
		select {
		case lead = <-req.wake:
		case <-ctx.Done():
			if s.withdraw(req) {
				return 0, fmt.Errorf("boltstore: save job %s: %w", jobName(jobID), ctx.Err())
			}
			// Taken by a leader already (or handed the lead): its outcome
			// is a transaction away.
			lead = <-req.wake
		}
	}
	if lead {
		s.lead()
	}
	return req.rev, req.err
}

// withdraw takes a request out of the queue if no leader has taken it and
// it has not been handed the lead; true when it was.
func (s *Store) withdraw(req *saveRequest) bool {
	c := &s.commits
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range c.queue {
		if r == req {
			if i == 0 && len(req.wake) > 0 {
				return false // handed the lead: it must write the queue
			}
			c.queue = append(c.queue[:i:i], c.queue[i+1:]...)
			return true
		}
	}
	return false
}

// lead writes everything queued in one transaction, answers each request,
// and hands the lead to the first request queued meanwhile.
func (s *Store) lead() {
	c := &s.commits
	c.mu.Lock()
	batch := c.queue
	c.queue = nil
	c.mu.Unlock()

	t0 := time.Now()
	s.write(batch)
	c.nanos.Add(int64(time.Since(t0)))
	c.txs.Add(1)
	c.saves.Add(int64(len(batch)))
	for _, req := range batch {
		if req.err == nil {
			s.notify(req.jobID, req.rev)
		}
	}

	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].wake <- true
	} else {
		c.busy = false
	}
	c.mu.Unlock()
	// batch[0] is the leader's own request (it queued into an empty queue,
	// or was first in line when handed the lead); it returns from commit.
	for _, req := range batch[1:] {
		req.wake <- false
	}
}

// write stores the batch in one transaction, each request a compare-and-set
// of its own, and sets each request's rev or err.
func (s *Store) write(batch []*saveRequest) {
	err := s.update(func(tx *bolt.Tx) error {
		jobs, meta := tx.Bucket(jobsBucket), tx.Bucket(metaBucket)
		var rev uint64
		if v := meta.Get(revKey); len(v) == 8 {
			rev = binary.BigEndian.Uint64(v)
		}
		for _, req := range batch {
			req.rev, req.err = 0, nil // a retried transaction starts over
			var cur uint64
			if v := jobs.Get([]byte(req.jobID)); v != nil {
				var err error
				if cur, _, err = split(v); err != nil {
					req.err = fmt.Errorf("boltstore: save job %s: %w", jobName(req.jobID), err)
					continue
				}
			}
			if cur != req.expected {
				req.err = fmt.Errorf("boltstore: save job %s: %w", jobName(req.jobID), &controller.ConflictError{JobID: req.jobID, Expected: req.expected, Actual: cur})
				continue
			}
			next := max(rev, cur) + 1
			val := make([]byte, 8+len(req.value))
			binary.BigEndian.PutUint64(val, next)
			copy(val[8:], req.value)
			if err := jobs.Put([]byte(req.jobID), val); err != nil {
				req.err = fmt.Errorf("boltstore: save job %s: %w", jobName(req.jobID), err)
				continue
			}
			rev, req.rev = next, next
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], rev)
		return meta.Put(revKey, b[:])
	})
	if err != nil {
		for _, req := range batch {
			req.rev, req.err = 0, fmt.Errorf("boltstore: save job %s: %w", jobName(req.jobID), err)
		}
	}
}
