// Package controller is the loop around rollout's state machine: it runs
// rollout.Step for a job against a real cluster, keeps what was decided, and
// carries the decisions out. Package rollout decides and does no I/O; this
// package owns the goroutines, the clock, the context and the logs.
//
// # The parts you supply
//
//   - A Driver carries out decisions on your cluster and reports what its
//     nodes observe (Driver's doc comment states the contract, and
//     rollouttest.TestDriver checks an implementation against it).
//   - A HealthSource delivers the health events of a job's allocations
//     (package healthcheck builds one from HTTP, TCP and script checks).
//   - A Store keeps each job's desired state: NewMemoryStore for tests, or
//     the boltstore and etcdstore modules (rollouttest.TestStore checks
//     your own).
//   - Optionally a Leaser, so that only one of several replicas runs a job
//     at a time (etcdstore has one).
//
// # The runtime model
//
// Desired state lives in the Store, actual state comes from the Driver. A
// Runner's step loads the job's State (versions, deployments, allocation
// records, revision), merges in what Driver.Allocs observes (client status
// and times), runs rollout.Step, and saves the new records with the
// decisions as State.Pending by compare-and-set; then Driver.Apply carries
// the decisions out (idempotently) and a second save clears Pending. A
// conflict reloads and steps again; a Runner that starts re-applies Pending
// first, so a crash between save and apply loses nothing. A record the
// driver no longer reports is lost (or complete, if stopped); an allocation
// the driver reports that no record knows is adopted as reported, and Step
// keeps or stops it like any other, so a slot never keeps two. One that is
// stopped and finished (desired stop, client complete, failed or lost) is
// not adopted: that is what the records the Runner drops beyond
// RunnerConfig.KeepStopped look like when the driver still reports them,
// so a job's records stay bounded however many versions it runs.
//
// A Runner steps when health events arrive, when a command or submission
// comes in, when the Store notifies a change (Notifier), and at the time
// the last step asked for (rollout.Output.NextStep), with retries and
// backoff when the Driver or Store fails.
//
// A Manager runs one Runner per job, restarts failed ones with backoff,
// and, given a Leaser, runs a job only while it holds the job's lease.
// Submit, Command and Watch reach a job's Runner through its Manager.
//
// # Stored state
//
// State is what a Store keeps per job; EncodeState and DecodeState give its
// versioned encoding (StateSchema), which every Store uses, so that a file
// written by one store reads in another. DecodeState is strict: stored
// bytes it cannot read whole, a key it does not know included, fail with
// ErrCorrupt, so that a state is never read as less than it holds.
package controller
