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
// # Damaged files
//
// Open creates a file only where none exists. An existing file is checked
// before it is mapped, and is refused with an error wrapping
// controller.ErrCorrupt when it holds no rollout store: empty, truncated
// (shorter than its meta pages say), a meta page damaged, a damaged page
// tree or freelist, no rollout buckets or schema, a schema below 1. A schema above this package's is
// controller.ErrSchema. Faults on the mapped file and bbolt's panics on
// damaged pages are turned into a *DamageError (ErrCorrupt) instead of
// killing the process. A damaged job's value fails that job's Load alone,
// with ErrCorrupt; the other jobs load. Nothing is written to a file that
// is refused. Check reads a whole file and lists what is damaged; the
// rollout command's check subcommand runs it.
//
//	store, err := boltstore.Open("rollout.db", nil)
//	if err != nil { ... }
//	defer store.Close()
//	runner, err := controller.NewRunner(controller.RunnerConfig{JobID: "web", Driver: d, Store: store})
//
// A file is opened by one process at a time (bbolt takes a file lock); a
// second Open waits up to Options.Timeout and then fails.
//
// At fleet scale: the Saves of many jobs made at once share a transaction
// and its fsync (group commit), each still a compare-and-set of its own
// and returned only once on disk; a Load of what this Store saved last is
// served from memory rather than decoded (Options.NoCache). A file never
// shrinks: Compact copies it without its free pages.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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
	// ReadOnly opens an existing file (it is never created) for reading:
	// Save fails, and other read-only Opens may share the file. Check and
	// the rollout command's check use it.
	ReadOnly bool
	// NoCache turns the state cache off: every Load decodes the stored
	// value. The cache holds a copy of each job's latest saved or loaded
	// state in memory (as much memory as the memory store's), and a Load
	// of that revision returns a copy of it; off, a Store holds no state
	// in memory.
	NoCache bool
}

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("store file is locked by another process")

// Store is a controller.Store, controller.JobLister and controller.Notifier in a
// bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string

	// broken holds the *DamageError of a write that panicked: bbolt's
	// state after it is unknown, so later saves fail with it.
	broken atomic.Pointer[DamageError]

	mu   sync.Mutex
	subs map[string][]chan uint64 // job ID → subscribers; no empty entries

	commits committer // batch.go
	cache   stateCache
	noCache bool
}

var (
	_ controller.Store     = (*Store)(nil)
	_ controller.JobLister = (*Store)(nil)
	_ controller.Notifier  = (*Store)(nil)
)

// Open opens the store file at path. A file is created (mode 0600) only
// where none exists (and not with Options.ReadOnly); an existing file that
// holds no rollout store, or a damaged one, is refused with an error
// wrapping controller.ErrCorrupt, and is left as it was.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	created, err := createIfMissing(path, o.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	if !created {
		// The meta pages, before bbolt reads them (it would fault on a
		// file too short for them).
		if err := checkHeader(path, false); err != nil {
			return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
		}
	}
	db, err := openBolt(path, o)
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, noCache: o.NoCache}
	if created {
		err = guard("open", func() error { return db.Update(s.create) })
	} else {
		// Again, with the page tree, now that bbolt holds the file's
		// lock (another process may have written it meanwhile) and
		// before any transaction reads the tree.
		if err = checkHeader(path, true); err == nil {
			err = guard("open", func() error { return db.View(s.checkLayout) })
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return s, nil
}

// createIfMissing creates an empty file at path if there is none (bbolt
// lays out a new database in an empty file), and reports whether it did.
func createIfMissing(path string, readOnly bool) (bool, error) {
	if readOnly {
		return false, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

// openBolt opens the file with bbolt. A panic of bbolt's on a damaged page
// becomes a *DamageError, and the file bbolt opened is closed (which frees
// its lock; bbolt's mapping, if any, stays).
func openBolt(path string, o Options) (*bolt.DB, error) {
	var file *os.File
	bo := &bolt.Options{
		Timeout: o.Timeout, NoSync: o.NoSync, ReadOnly: o.ReadOnly,
		OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
			if o.ReadOnly {
				flag = os.O_RDONLY
			}
			f, err := os.OpenFile(name, flag&^os.O_CREATE, mode)
			file = f
			return f, err
		},
	}
	var db *bolt.DB
	err := guard("open", func() error {
		var err error
		db, err = bolt.Open(path, 0o600, bo)
		return err
	})
	var damage *DamageError
	switch {
	case errors.As(err, &damage):
		if file != nil {
			file.Close()
		}
		return nil, err
	case errors.Is(err, berrors.ErrTimeout):
		return nil, ErrLocked
	case errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("%w: %w", controller.ErrCorrupt, err)
	case err != nil: // the file system's: permissions, I/O
		return nil, err
	}
	return db, nil
}

// create lays out a new file: the buckets and the schema.
func (s *Store) create(tx *bolt.Tx) error {
	meta, err := tx.CreateBucket(metaBucket)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucket(jobsBucket); err != nil {
		return err
	}
	return meta.Put(schemaKey, []byte(strconv.Itoa(fileSchema)))
}

// checkLayout checks that an existing file holds a rollout store this
// package reads: both buckets, and a schema from 1 to fileSchema.
func (s *Store) checkLayout(tx *bolt.Tx) error {
	meta := tx.Bucket(metaBucket)
	if meta == nil {
		return fmt.Errorf("%w: no %q bucket: not a rollout store file", controller.ErrCorrupt, metaBucket)
	}
	v := meta.Get(schemaKey)
	if v == nil {
		return fmt.Errorf("%w: no schema: not a rollout store file", controller.ErrCorrupt)
	}
	n, err := strconv.Atoi(string(v))
	switch {
	case err != nil:
		return fmt.Errorf("%w: schema %q", controller.ErrCorrupt, shorten(string(v), 40))
	case n > fileSchema:
		return fmt.Errorf("%w: file schema %d, this version reads up to %d", controller.ErrSchema, n, fileSchema)
	case n < 1:
		return fmt.Errorf("%w: file schema %d (schemas start at 1)", controller.ErrCorrupt, n)
	}
	if tx.Bucket(jobsBucket) == nil {
		return fmt.Errorf("%w: no %q bucket: the file has lost its jobs", controller.ErrCorrupt, jobsBucket)
	}
	return nil
}

// Close closes the file. Loads and Saves after Close fail.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Load implements controller.Store. A job whose stored value is damaged
// fails alone, with an error wrapping controller.ErrCorrupt. It refuses, as
// every method does, a job ID that rollout.ValidateJobID refuses (bbolt's
// keys are limited to 32768 bytes, far above rollout.MaxJobIDLength).
func (s *Store) Load(ctx context.Context, jobID string) (controller.State, error) {
	if err := ctx.Err(); err != nil {
		return controller.State{}, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return controller.State{}, fmt.Errorf("boltstore: load: %w", err)
	}
	var (
		rev   uint64
		body  []byte
		found bool
	)
	err := guard("load", func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			k, v := tx.Bucket(jobsBucket).Cursor().Seek([]byte(jobID))
			if !bytes.Equal(k, []byte(jobID)) {
				return nil
			}
			if v == nil {
				return fmt.Errorf("%w: the job's key holds a bucket, not a state", controller.ErrCorrupt)
			}
			var err error
			rev, body, err = split(v)
			found = err == nil
			return err
		})
	})
	if err != nil {
		return controller.State{}, fmt.Errorf("boltstore: load job %s: %w", jobName(jobID), err)
	}
	if !found {
		return controller.State{}, nil
	}
	if st, ok := s.cached(jobID, rev); ok { // cache.go
		return st, nil
	}
	st, err := controller.DecodeState(body)
	if err != nil {
		return controller.State{}, fmt.Errorf("boltstore: load job %s: %w", jobName(jobID), err)
	}
	st.Revision = rev
	s.remember(jobID, rev, &st)
	return st, nil
}

// Save implements controller.Store: a compare-and-set on st.Revision,
// written in an fsync'd transaction shared with the Saves made meanwhile
// (group commit); it returns once that transaction is on disk.
func (s *Store) Save(ctx context.Context, jobID string, st controller.State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := rollout.ValidateJobID(jobID); err != nil {
		return 0, fmt.Errorf("boltstore: save: %w", err)
	}
	body, err := controller.EncodeState(st)
	if err != nil {
		return 0, fmt.Errorf("boltstore: save job %s: %w", jobName(jobID), err)
	}
	if d := s.broken.Load(); d != nil {
		return 0, fmt.Errorf("boltstore: save job %s: %w", jobName(jobID), d)
	}
	rev, err := s.commit(ctx, jobID, st.Revision, body) // batch.go: group commit
	if err == nil {
		s.remember(jobID, rev, &st) // cache.go
	}
	return rev, err
}

// update runs a write transaction under guard; a write that panicked
// breaks the store for later saves.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	err := guard("save", func() error { return s.db.Update(fn) })
	if d := (*DamageError)(nil); errors.As(err, &d) {
		s.broken.CompareAndSwap(nil, d)
	}
	return err
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
	err := guard("list jobs", func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(jobsBucket).ForEach(func(k, _ []byte) error {
				ids = append(ids, string(k))
				return nil
			})
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
		// The job's entry goes with its last subscriber: a process that
		// watches many jobs in turn keeps no entry per name it ever saw.
		if left := slices.DeleteFunc(s.subs[jobID], func(c chan uint64) bool { return c == ch }); len(left) > 0 {
			s.subs[jobID] = left
		} else {
			delete(s.subs, jobID)
		}
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
