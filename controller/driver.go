package controller

import (
	"context"

	"github.com/rollout-go/rollout"
)

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
//     Runner) is adopted as reported, every field read, unless it is stopped
//     and finished: desired stop with a client status complete, failed or
//     lost. Such an allocation is ignored, so the Driver may go on
//     reporting the allocations whose records the Runner dropped
//     (RunnerConfig.KeepStopped) without their being adopted again; one
//     still running or still to run is always adopted. Once Apply has
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
	Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error)
	// Apply carries out one step's decisions, idempotently. d.Versions
	// holds every version its placements and in-place updates name, with
	// the job's and the groups' definitions (d.Definition): what to run,
	// so that a driver needs nothing outside the store to start or update
	// an allocation.
	Apply(ctx context.Context, d rollout.Decisions) error
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
	Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error)
}

// DriverNotifier is implemented by a Driver that can tell when an
// allocation of a job changes on its node (a process exits, restarts or is
// killed for memory): a Runner whose Driver implements it steps at once on
// each notice, observing the allocations anew (Allocs), instead of at its
// next health event or timer.
//
// AllocChanges returns a channel that receives a value after such a change
// (a notice may stand for several changes; a reader that falls behind may
// miss some, but always gets one after the latest), until ctx ends; then
// the channel may close. An error is reported and not retried: the Runner
// then runs as with a Driver that does not notify.
type DriverNotifier interface {
	// AllocChanges subscribes to changes of the job's allocations.
	AllocChanges(ctx context.Context, jobID string) (<-chan struct{}, error)
}
