package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rollout-go/rollout"
)

// Store errors. Stores wrap them, so callers branch with errors.Is.
var (
	// ErrConflict is returned by Store.Save when another writer saved the
	// job since the state was loaded: the caller reloads and steps again.
	// Stores return it wrapped in a *ConflictError.
	ErrConflict = errors.New("store revision conflict")

	// ErrCorrupt is returned when stored bytes cannot be decoded as a
	// State.
	ErrCorrupt = errors.New("stored state is corrupt")

	// ErrSchema is returned when stored state was written with a schema
	// newer than this version of the package understands.
	ErrSchema = errors.New("stored state has an unknown schema")
)

// ConflictError is a failed compare-and-set: the revision the caller loaded
// is not the one stored. It wraps ErrConflict.
type ConflictError struct {
	// JobID is the job whose state was saved.
	JobID string
	// Expected is the revision the caller loaded (State.Revision).
	Expected uint64
	// Actual is the revision the store holds; 0 when the store does not
	// know it.
	Actual uint64
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("job %q: saved at revision %d, but the store holds revision %d", e.JobID, e.Expected, e.Actual)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Store persists the desired state of jobs: for each job its versions, its
// deployments, its allocation records and the decisions of a step not yet
// confirmed applied, as one State with a revision. A Runner loads the state
// before each step and saves it, with the step's decisions as Pending,
// before it applies them; once applied it saves again with Pending cleared.
// NewMemoryStore returns one in memory; the bbolt and etcd modules of this
// repository hold durable ones; rollouttest.TestStore checks any Store.
//
// The contract:
//
//   - Load of a job never saved returns the zero State (Revision 0) and no
//     error. Otherwise State.Revision is the revision of what was loaded.
//   - Save is a compare-and-set: it stores s as a whole, atomically, only if
//     the job's stored revision is s.Revision (0: the job was never saved),
//     and returns the new revision, which is greater than any revision the
//     job had. Otherwise it stores nothing and returns an error wrapping a
//     *ConflictError (errors.Is(err, ErrConflict)).
//   - What Load returns is exactly what was saved (every field, including
//     the allocations' health tracker state), and belongs to the caller.
//   - Job IDs. Every ID that rollout.ValidateJobID accepts is kept apart
//     from every other (slashes, spaces and any letters included); Load
//     and Save refuse one that it refuses with its *rollout.FieldError
//     (errors.Is rollout.ErrInvalid), which names an over-long ID by its
//     length.
//   - Concurrency. Every method may be called concurrently, for the same
//     job or different ones, from several goroutines or processes.
//   - Errors other than a conflict are treated as temporary and retried with
//     backoff; stored bytes that cannot be read fail with an error wrapping
//     ErrCorrupt or ErrSchema. All methods return promptly once ctx is
//     done, with an error that wraps ctx.Err().
type Store interface {
	// Load returns the job's state and its revision.
	Load(ctx context.Context, jobID string) (State, error)
	// Save stores the job's state if its revision is still s.Revision and
	// returns the new revision.
	Save(ctx context.Context, jobID string, s State) (uint64, error)
}

// JobLister is implemented by a Store that can list the jobs it holds. A
// Manager uses it to find the jobs to run after a restart.
type JobLister interface {
	// Jobs returns the IDs of every job saved, in ascending order.
	Jobs(ctx context.Context) ([]string, error)
}

// Notifier is implemented by a Store that can tell when a job's state is
// saved, by any writer: another process, another replica, a Submit. A
// Runner whose Store implements it steps when another writer saves the
// job, instead of at its next timer.
//
// Changes returns a channel that receives the revision of each save of the
// job (a reader that falls behind may miss some, but always gets the latest
// soon), until ctx ends; then the channel may close.
type Notifier interface {
	// Changes subscribes to the job's saves.
	Changes(ctx context.Context, jobID string) (<-chan uint64, error)
}

// State is what a Store keeps of one job: its desired state.
type State struct {
	// Revision is the store's revision of this state when it was loaded; 0
	// for a job never saved. Save succeeds only while it is current. It is
	// set by the Store, not by the caller, and is not part of the encoding.
	Revision uint64 `json:"-"`
	// History holds the job's retained versions, oldest first.
	History rollout.History
	// Deployments holds the job's deployments, oldest first; the last one is
	// the job's latest deployment, the one Step continues.
	Deployments []rollout.Deployment
	// Allocs holds the job's allocation records as Step's decisions define
	// them (desired status, version, deployment, canary flag, attempts,
	// health and its tracker state), in ID order. The client status and
	// times are what the Driver last reported.
	Allocs []rollout.Alloc `json:",omitempty"`
	// Freeze is the job's freeze (see Freeze); nil when its rollouts are
	// not frozen. It stands with or without a deployment.
	Freeze *rollout.FreezeState `json:",omitempty"`
	// Pending holds the decisions of the last step that were saved but not
	// yet confirmed applied; nil when there are none. A Runner that starts
	// applies them again (Driver.Apply is idempotent) before it steps.
	Pending *rollout.Decisions `json:",omitempty"`
	// Retained holds, in version order, the versions History no longer
	// retains (beyond its Keep) that a live allocation or Pending still
	// names, with their definitions: a driver restarting or placing such an
	// allocation needs nothing outside the store. See State.Version.
	Retained []rollout.JobVersion `json:",omitempty"`
}

// Deployment returns a copy of the job's latest deployment, or nil.
func (s *State) Deployment() *rollout.Deployment {
	if len(s.Deployments) == 0 {
		return nil
	}
	return s.Deployments[len(s.Deployments)-1].Clone()
}

// RecordDeployment stores d: it replaces the deployment with the same ID, or
// is appended as the latest.
func (s *State) RecordDeployment(d *rollout.Deployment) {
	for i := range s.Deployments {
		if s.Deployments[i].ID == d.ID {
			s.Deployments[i] = *d.Clone()
			return
		}
	}
	s.Deployments = append(s.Deployments, *d.Clone())
}

// Clone returns a deep copy of s.
func (s *State) Clone() State {
	c := State{Revision: s.Revision, History: s.History.Clone()}
	if len(s.Deployments) > 0 { // (sized at once: a fleet's Runners clone states on every step)
		c.Deployments = make([]rollout.Deployment, len(s.Deployments))
		for i := range s.Deployments {
			c.Deployments[i] = *s.Deployments[i].Clone()
		}
	}
	if len(s.Allocs) > 0 {
		c.Allocs = make([]rollout.Alloc, len(s.Allocs))
		for i := range s.Allocs {
			c.Allocs[i] = s.Allocs[i].Clone()
		}
	}
	if s.Pending != nil {
		p := s.Pending.Clone()
		c.Pending = &p
	}
	if s.Freeze != nil {
		f := *s.Freeze
		c.Freeze = &f
	}
	for i := range s.Retained {
		c.Retained = append(c.Retained, s.Retained[i].Clone())
	}
	return c
}

// StateSchema is the schema of the encoding EncodeState writes. DecodeState
// reads this schema and every older one, and refuses newer ones with
// ErrSchema.
//
// Schema 2 has the encoding of schema 1; it marks states written by Steps
// that derive placement IDs from one seed per step (see Placement.ID),
// so that a binary of the older derivation refuses to step them.
//
// Schema 3 adds the job definitions: JobVersion.Definition and
// Group.Definition in every stored version, Decisions.Versions in Pending,
// and State.Retained. A state of schema 2 reads as one without them.
const StateSchema = 3

// stateEnvelope is the stored form of a State: the schema beside it.
type stateEnvelope struct {
	Schema int             `json:"schema"`
	State  json.RawMessage `json:"state"`
}

// EncodeState returns the stored form of s (JSON with its schema), the one
// encoding every durable Store of this repository writes. Revision is not
// encoded: it belongs to the store.
func EncodeState(s State) ([]byte, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("rollout: encode state: %w", err)
	}
	return wrapState(body), nil // state_envelope.go: as json.Marshal(stateEnvelope{StateSchema, body})
}

// DecodeState reads what EncodeState wrote, strictly: it never reads stored
// bytes as less than they hold. Bytes that are not a stored state fail with
// an error wrapping ErrCorrupt: not JSON, no schema or a schema below 1, a
// state that is missing, null or empty (`{}`), a value of the wrong type,
// and a key this version does not know, at any depth (a writer that adds a
// field bumps StateSchema). A schema newer than StateSchema fails with an
// error wrapping ErrSchema. The error names the problem and the field, and
// quotes at most a short excerpt of the stored bytes.
func DecodeState(data []byte) (State, error) {
	if s, ok := decodeWrapped(data); ok { // state_envelope.go
		return s, nil
	}
	return decodeEnvelope(data)
}

// decodeEnvelope is DecodeState of any bytes: the envelope through
// encoding/json, strictly, then the state.
func decodeEnvelope(data []byte) (State, error) {
	// The schema first, leniently: a newer writer's envelope may differ in
	// more than its schema, and that is ErrSchema, not ErrCorrupt.
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return State{}, corruptState("not a stored state", err)
	}
	switch {
	case head.Schema > StateSchema:
		return State{}, fmt.Errorf("rollout: decode state: %w: schema %d, this version reads up to %d", ErrSchema, head.Schema, StateSchema)
	case head.Schema < 1:
		return State{}, corruptState(fmt.Sprintf("schema %d (no schema, or below 1)", head.Schema), nil)
	}
	var env stateEnvelope
	if err := decodeStrictJSON(data, &env); err != nil {
		return State{}, corruptState("envelope", err)
	}
	if len(env.State) == 0 || string(env.State) == "null" {
		return State{}, corruptState("no state", nil)
	}
	s, err := decodeStateBody(env.State)
	if err != nil {
		return State{}, corruptState("state", err)
	}
	return s, nil
}

// Leaser grants per-job leases, so that several controller replicas can
// share a fleet of jobs with each job run by exactly one replica at a time.
// A Manager given a Leaser runs a job only while it holds the job's lease.
// The etcd module of this repository implements it on etcd sessions; a
// single controller needs none.
//
// The contract: Acquire blocks until the caller holds the job's lease, or
// ctx ends (then it returns an error wrapping ctx.Err()). Two holders of
// one job's lease never overlap, except that a holder cut off from the
// lease service learns of the loss at most one lease TTL late: that window
// is why Store.Save is a compare-and-set. Methods may be called
// concurrently.
type Leaser interface {
	// Acquire waits for the job's lease and returns it.
	Acquire(ctx context.Context, jobID string) (Lease, error)
}

// Lease is a held per-job lease.
type Lease interface {
	// Done is closed when the lease is lost (expired, revoked, or
	// released): the holder must stop acting for the job.
	Done() <-chan struct{}
	// Release gives the lease up, so another replica can take the job at
	// once. Releasing twice is not an error.
	Release(ctx context.Context) error
}
