package rollout

import "context"

// Decisions are the part of one Output that a Driver carries out: what to
// stop, place and update in place, and the health to record. Runner builds
// them with DecisionsOf; the slices are in Output's documented order.
type Decisions struct {
	// JobID is the job the decisions are for.
	JobID string
	// Stop lists the allocations to stop. Record Desired = stop; for a stop
	// with Lost set, record the client status lost as well.
	Stop []StopDecision
	// Place lists the allocations to create, each exactly as Placement.Alloc
	// returns it. Placement IDs are derived deterministically, so an ID the
	// driver already has means the placement was already made.
	Place []Placement
	// InPlace lists the allocations to move to a new version where they
	// run: record JobVersion, DeploymentID, CreateTime and Health, and
	// clear Canary.
	InPlace []InPlaceUpdate
	// Health lists health to record on allocations (AllocHealth as a whole).
	Health []HealthUpdate
}

// Empty reports whether there is nothing to carry out.
func (d *Decisions) Empty() bool {
	return len(d.Stop) == 0 && len(d.Place) == 0 && len(d.InPlace) == 0 && len(d.Health) == 0
}

// DecisionsOf returns the decisions of one step's output for the job. The
// slices are shared with out, not copied.
func DecisionsOf(jobID string, out *Output) Decisions {
	return Decisions{JobID: jobID, Stop: out.Stop, Place: out.Place, InPlace: out.InPlace, Health: out.Health}
}

// Driver carries out a rollout's decisions on a real cluster and reports
// what its nodes observe: Step decides, the Store keeps what was decided
// (the desired state), the Driver acts and observes. A scheduler author
// implements it over their placement engine, and can check an
// implementation with rollouttest.TestDriver.
//
// The contract:
//
//   - Concurrency. A Runner calls its Driver from one goroutine, one call at
//     a time, for its one job. Several Runners (one per job) may share a
//     Driver, so calls for different jobs may be concurrent.
//   - Allocs returns every allocation of the job that the nodes run or ran,
//     of any version or status, with the client status its node reports
//     and, when known, when that status last changed (StatusTime), and
//     Migrate set on those its nodes' drains move. A Runner reads only the
//     ID, the job, the client status, StatusTime and Migrate of an
//     allocation its Store has a record of; the record (desired status,
//     version, deployment, canary flag, attempts, health) is the Store's.
//     An allocation no record knows (made before the job was handed to the
//     Runner) is adopted as reported, every field read. Once Apply has
//     returned, the allocations it placed are reported. An unknown job has
//     no allocations: an empty list and no error. The returned slice belongs
//     to the caller.
//   - Apply is idempotent: applying the same Decisions twice has the effect
//     of applying them once. A placement whose ID exists is already made; a
//     stop of an allocation already stopped or no longer known, an in-place
//     update or a health record already recorded, change nothing. A stop and
//     the placement that replaces it (Placement.Replaces) may be applied in
//     either order.
//   - Errors. Both methods report failure by returning an error, never by
//     panicking. Apply may have carried out any part of the decisions when
//     it fails: the Runner retries the very same Decisions, with backoff,
//     until Apply returns nil or the Runner stops, and never decides anew in
//     between, so that no decision is lost or made twice. Every error is
//     treated as temporary; a driver that cannot recover should keep
//     failing and let the operator stop the Runner.
//   - Context. Both methods return promptly once ctx is done, with an error
//     that wraps ctx.Err().
type Driver interface {
	// Allocs returns every allocation of the job.
	Allocs(ctx context.Context, jobID string) ([]Alloc, error)
	// Apply carries out one step's decisions, idempotently.
	Apply(ctx context.Context, d Decisions) error
}

// HealthSource delivers the health events of a job's allocations (tasks
// started, restarted, failed or finished; checks passing or failing), as
// the nodes and the service catalog report them.
//
// The contract:
//
//   - Events is called once each time a Runner starts running (and again if
//     it fails or the channel closes while the Runner still runs). It
//     returns a channel of batches of events, each event about an
//     allocation of the job; an event about another allocation is dropped
//     by the Runner.
//   - Delivery is at least once: an event may be delivered again, and a
//     batch may hold events out of time order; Step ignores repeated and
//     stale events. An event's Time is when it happened; the Runner holds an
//     event stamped later than its clock until its clock reaches that time.
//   - The source sends from its own goroutines and may block while the
//     Runner is busy; the Runner reads between steps. Once ctx is done the
//     source stops sending and may close the channel.
//   - An error from Events is treated as temporary: the Runner retries with
//     backoff.
//
// With health_check = "manual", health comes from SetHealth commands instead,
// and a Runner needs no HealthSource.
type HealthSource interface {
	// Events subscribes to the job's health events until ctx is done.
	Events(ctx context.Context, jobID string) (<-chan []Event, error)
}

// Apply returns allocs with the decisions applied, as Output.Apply does:
// the allocation records a Store keeps after the decisions.
func (d *Decisions) Apply(allocs []Alloc) []Alloc {
	o := Output{Stop: d.Stop, Place: d.Place, InPlace: d.InPlace, Health: d.Health}
	return o.Apply(allocs)
}
