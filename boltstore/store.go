// Package boltstore is a controller.Store in one file on disk, on bbolt (the
// embedded B+tree database etcd itself uses): the default durable store of
// a controller that runs on one machine.
//
// Each job's State is one value (controller.EncodeState) beside its revision,
// written in one fsync'd transaction: a crash leaves either the old state or
// the new one, never half of either. Save is a compare-and-set on the
// revision. The file records its schema; a file of an unknown schema, or a
// value that cannot be decoded, fails with controller.ErrSchema or
// controller.ErrCorrupt rather than being read as something else.
//
//	store, err := boltstore.Open("rollout.db", nil)
//	if err != nil { ... }
//	defer store.Close()
//	runner, err := controller.NewRunner(controller.RunnerConfig{JobID: "web", Driver: d, Store: store})
//
// A file is opened by one process at a time (bbolt takes a file lock); a
// second Open waits up to Options.Timeout and then fails.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// Buckets and keys of the file.
var (
	metaBucket = []byte("rollout")
	jobsBucket = []byte("jobs") // job ID → revision (8 bytes) + EncodeState
	schemaKey  = []byte("schema")
	revKey     = []byte("revision") // the file's latest revision
)

// fileSchema is the layout this package writes.
const fileSchema = 1

// Options configure Open. The zero value (or nil) is the default.
type Options struct {
	// Timeout bounds the wait for another process's lock on the file; zero
	// means one second. Open then fails with an error that wraps
	// ErrLocked.
	Timeout time.Duration
	// NoSync turns fsync off: faster, and a crash may lose the latest
	// saves. For tests only.
	NoSync bool
}

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("store file is locked by another process")

// Store is a controller.Store, controller.JobLister and controller.Notifier in a
// bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string

	mu   sync.Mutex
	subs map[string][]chan uint64
}

var (
	_ controller.Store     = (*Store)(nil)
	_ controller.JobLister = (*Store)(nil)
	_ controller.Notifier  = (*Store)(nil)
)

// Open opens the store file at path, creating it (mode 0600) if needed.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, NoSync: o.NoSync})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("boltstore: open %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("boltstore: open %s: %w: %w", path, controller.ErrCorrupt, err)
	}
	s := &Store{db: db, path: path}
	if err := db.Update(s.init); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return s, nil
}

// init creates the buckets of a new file and checks the schema of an old one.
func (s *Store) init(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(jobsBucket); err != nil {
		return err
	}
	v := meta.Get(schemaKey)
	if v == nil {
		return meta.Put(schemaKey, []byte(strconv.Itoa(fileSchema)))
	}
	n, err := strconv.Atoi(string(v))
	switch {
	case err != nil:
		return fmt.Errorf("%w: schema %q", controller.ErrCorrupt, v)
	case n > fileSchema:
		return fmt.Errorf("%w: file schema %d, this version reads up to %d", controller.ErrSchema, n, fileSchema)
	}
	return nil
}

// Close closes the file. Loads and Saves after Close fail.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Load implements controller.Store. It refuses, as every method does, a job
// ID that rollout.ValidateJobID refuses (bbolt's keys are limited to 32768
// bytes, far above rollout.MaxJobIDLength).
func (s *Store) Load(ctx context.Context, jobID string) (controller.State, error) {
	if err := ctx.Err(); err != nil {
		return controller.State{}, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return controller.State{}, fmt.Errorf("boltstore: load: %w", err)
	}
	var st controller.State
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(jobsBucket).Get([]byte(jobID))
		if v == nil {
			return nil
		}
		rev, body, err := split(v)
		if err != nil {
			return err
		}
		if st, err = controller.DecodeState(body); err != nil {
			return err
		}
		st.Revision = rev
		return nil
	})
	if err != nil {
		return controller.State{}, fmt.Errorf("boltstore: load job %q: %w", jobID, err)
	}
	return st, nil
}

// Save implements controller.Store: a compare-and-set on st.Revision in one
// fsync'd transaction.
func (s *Store) Save(ctx context.Context, jobID string, st controller.State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return 0, fmt.Errorf("boltstore: save: %w", err)
	}
	body, err := controller.EncodeState(st)
	if err != nil {
		return 0, fmt.Errorf("boltstore: save job %q: %w", jobID, err)
	}
	var rev uint64
	err = s.db.Update(func(tx *bolt.Tx) error {
		jobs, meta := tx.Bucket(jobsBucket), tx.Bucket(metaBucket)
		var cur uint64
		if v := jobs.Get([]byte(jobID)); v != nil {
			if cur, _, err = split(v); err != nil {
				return err
			}
		}
		if cur != st.Revision {
			return &controller.ConflictError{JobID: jobID, Expected: st.Revision, Actual: cur}
		}
		if v := meta.Get(revKey); len(v) == 8 {
			rev = binary.BigEndian.Uint64(v)
		}
		rev = max(rev, cur) + 1
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], rev)
		if err := meta.Put(revKey, b[:]); err != nil {
			return err
		}
		return jobs.Put([]byte(jobID), append(b[:], body...))
	})
	if err != nil {
		return 0, fmt.Errorf("boltstore: save job %q: %w", jobID, err)
	}
	s.notify(jobID, rev)
	return rev, nil
}

// split reads a stored value: the revision, then the encoded state.
func split(v []byte) (uint64, []byte, error) {
	if len(v) < 8 {
		return 0, nil, fmt.Errorf("%w: a value of %d bytes", controller.ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v[:8]), bytes.Clone(v[8:]), nil
}

// Jobs implements controller.JobLister.
func (s *Store) Jobs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(jobsBucket).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: list jobs: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// Changes implements controller.Notifier for the saves made through this
// Store (one process holds the file).
func (s *Store) Changes(ctx context.Context, jobID string) (<-chan uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return nil, fmt.Errorf("boltstore: watch: %w", err)
	}
	ch := make(chan uint64, 1)
	s.mu.Lock()
	if s.subs == nil {
		s.subs = map[string][]chan uint64{}
	}
	s.subs[jobID] = append(s.subs[jobID], ch)
	s.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.subs[jobID] = slices.DeleteFunc(s.subs[jobID], func(c chan uint64) bool { return c == ch })
	})
	return ch, nil
}

func (s *Store) notify(jobID string, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs[jobID] {
		select {
		case <-ch:
		default:
		}
		ch <- rev
	}
}
