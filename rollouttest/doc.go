// Package rollouttest holds what users of rollout need to test their own
// systems, in the way net/http/httptest and testing/fstest do for theirs:
//
//   - Cluster, a deterministic simulated cluster. It keeps a job's versions,
//     deployments and allocations, places allocations on simulated nodes,
//     and makes them start, pass checks, fail or flap as a script
//     (Behavior, per group Spec) says, in simulated time: Run replays a
//     whole rollout, with its health deadlines, in microseconds, and hooks
//     submit versions, issue commands, lose nodes and observe every step.
//     A Cluster is also a controller.Driver and a controller.HealthSource, for
//     testing a controller.Runner end to end (see Cluster.Advance).
//   - RecordingDriver, a controller.Driver that records every call, keeps the
//     allocations it is told to make, and fails when told to.
//   - TestDriver, a conformance check to run against your own
//     controller.Driver, and TestStore, one for your own controller.Store.
package rollouttest
