package boltstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/rollout-go/rollout/controller"
)

// Problem is one piece of damage that Check found.
type Problem struct {
	// JobID is the job whose stored state is damaged; empty when the
	// damage is in the file itself (its pages or its layout).
	JobID string
	// Err says what is wrong. It wraps controller.ErrCorrupt, or
	// controller.ErrSchema for a job written by a newer version.
	Err error
}

// String describes the problem on one line, the job ID cut short if it is
// long: `job "web": rollout: decode state: stored state is corrupt: …`.
func (p Problem) String() string {
	if p.JobID == "" {
		return "file: " + p.Err.Error()
	}
	return "job " + jobName(p.JobID) + ": " + p.Err.Error()
}

// maxFileProblems bounds the page problems Check reports: past it, one more
// problem says how many were left out.
const maxFileProblems = 100

// Check reads the whole file in one transaction and returns what is
// damaged, none for a sound file: bbolt's consistency check of its pages
// (every page reachable or free, none freed twice, keys in order), and
// every job's stored state, decoded strictly as Load decodes it. File
// problems come first, then the jobs' in ID order. The error is for a
// check that could not run (ctx done, the store closed); damage is never
// an error of Check itself. On a store not opened ReadOnly, Check holds
// the write lock while it runs (bbolt's check is not safe beside writers),
// so saves wait for it.
func (s *Store) Check(ctx context.Context) ([]Problem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var file, jobs []Problem
	err := guard("check", func() error {
		return s.checkTx(func(tx *bolt.Tx) error {
			// Every page is first read here, under guard: bbolt's check
			// runs in a goroutine of its own, where a fault on a page
			// past the end of the file would end the process.
			if err := touchAll(tx); err != nil {
				file = append(file, Problem{Err: err})
				return nil
			}
			file = append(file, pageProblems(tx)...)
			return tx.Bucket(jobsBucket).ForEach(func(k, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				if p := checkJob(k, v); p != nil {
					jobs = append(jobs, *p)
				}
				return nil
			})
		})
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("boltstore: check: %w", err)
	}
	var damage *DamageError
	switch {
	case errors.As(err, &damage):
		file = append(file, Problem{Err: err})
	case err != nil:
		return nil, fmt.Errorf("boltstore: check: %w", err)
	}
	return append(file, jobs...), nil
}

// CheckFile opens the existing file at path read-only, checks it, and
// closes it. A file Open refuses as damaged (controller.ErrCorrupt or
// ErrSchema) is one problem; the error is for a file that could not be
// checked (it does not exist, another process holds it).
func CheckFile(ctx context.Context, path string, opts *Options) ([]Problem, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.ReadOnly = true
	s, err := Open(path, &o)
	if errors.Is(err, controller.ErrCorrupt) || errors.Is(err, controller.ErrSchema) {
		return []Problem{{Err: err}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Check(ctx)
}

// errRollback ends checkTx's write transaction without a commit.
var errRollback = errors.New("rollback")

// checkTx runs fn in a transaction no writer runs beside: a read
// transaction on a ReadOnly store (no process can write), a write
// transaction rolled back otherwise.
func (s *Store) checkTx(fn func(tx *bolt.Tx) error) error {
	if s.db.IsReadOnly() {
		return s.db.View(fn)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// checkJob decodes one stored job as Load does.
func checkJob(k, v []byte) *Problem {
	id := string(k)
	if v == nil {
		return &Problem{JobID: id, Err: fmt.Errorf("%w: the job's key holds a bucket, not a state", controller.ErrCorrupt)}
	}
	_, body, err := split(v)
	if err == nil {
		_, err = controller.DecodeState(body)
	}
	if err != nil {
		return &Problem{JobID: id, Err: err}
	}
	return nil
}

// touched sinks what touchAll reads.
var touched atomic.Uint32

// touchAll reads every key and value of every bucket, so that a fault on
// a page shows here.
func touchAll(tx *bolt.Tx) error {
	var sum byte
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			for _, c := range k {
				sum ^= c
			}
			if v == nil {
				if child := b.Bucket(k); child != nil {
					return walk(child)
				}
				return nil
			}
			for _, c := range v {
				sum ^= c
			}
			return nil
		})
	}
	err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) })
	touched.Add(uint32(sum)) // so that the compiler keeps the reads
	return err
}

// pageProblems runs bbolt's consistency check.
func pageProblems(tx *bolt.Tx) []Problem {
	var out []Problem
	n := 0
	for err := range tx.Check() {
		n++
		if n <= maxFileProblems {
			out = append(out, Problem{Err: fmt.Errorf("%w: %s", controller.ErrCorrupt, shorten(err.Error(), 200))})
		}
	}
	if n > maxFileProblems {
		out = append(out, Problem{Err: fmt.Errorf("%w: %d more page problems", controller.ErrCorrupt, n-maxFileProblems)})
	}
	return out
}
