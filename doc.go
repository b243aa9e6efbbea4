// Package rollout is the deployment state machine of a cluster scheduler:
// the semantics of HashiCorp Nomad's update block (rolling updates,
// canaries, blue/green, health gates, deadlines, auto-promote, auto-revert,
// job versions) as a library, for any scheduler.
//
// # The model
//
// A job has versions (JobVersion). Each version has task groups (Group)
// with a count, a Spec fingerprint (what forces a replacement when it
// changes) and an update block (UpdateBlock) that Merge resolves, with the
// job-level block, into an UpdateStrategy. Allocations (Alloc) are the
// running instances, named `<job>.<group>[<index>]`. A Deployment tracks
// the rollout of one version: its status, and per group the desired,
// placed, healthy and unhealthy counts, canaries, promotion and progress
// deadline.
//
// Step is the whole decision engine. It is a pure function: it takes the
// job version being deployed, the earlier versions, the deployment so far,
// every allocation, the health events and operator commands that arrived,
// and the time now; it returns decisions (Output) and never reads a clock,
// starts a goroutine, does I/O, calls user code or changes its input. The
// same Input gives the same Output, byte for byte.
//
// # The loop you write
//
//  1. Collect the job version being deployed, the current allocations, the
//     deployment so far, and the health events and commands that arrived
//     since the last step.
//  2. Call Step. An error means invalid input or a refused command
//     (errors.Is with ErrInvalid, ErrTerminal, ErrNoDeployment,
//     ErrPromotion, ErrRevert): nothing was decided.
//  3. Persist Output.Deployment (and Output.Cancelled, Output.Job,
//     Output.Revert when set); apply Output.Stop, Output.Place and
//     Output.InPlace through your driver; record Output.Health on your
//     allocations. Output.Apply does all of it to a slice of allocations.
//  4. Call Step again when new events arrive, or at Output.NextStep at the
//     latest.
//
// In code:
//
//	for {
//		out, err := rollout.Step(rollout.Input{
//			Now: now, Job: job, History: history.Versions,
//			Deployment: deployment, Allocs: allocs,
//			Events: events, Commands: commands,
//		})
//		if err != nil {
//			return err // nothing was decided
//		}
//		deployment = out.Deployment
//		if out.Job != nil {
//			job = *out.Job // the version is now Stable
//			history.Record(job)
//		}
//		if out.Revert != nil {
//			history.Record(*out.Revert)
//			job = *out.Revert
//		}
//		allocs = out.Apply(allocs) // or: your driver applies the decisions
//		events, commands = waitForEventsOrUntil(out.NextStep)
//	}
//
// The Runner does this loop for you against a Driver, a HealthSource and a
// clock.Clock, and package rollouttest simulates a cluster for tests.
//
// # What the caller owns
//
// Placement IDs are derived deterministically from the job, the deployment,
// the name and the time, so a placement applied twice is recognisably the
// same one: make your driver's Apply idempotent. Keep the allocations of the
// active deployment, stopped ones included, until it ends: its counters are
// derived from them. Health verdicts are final within a deployment; the
// tracker state that reaches them (Alloc.Health) lives on the allocations,
// so persisting the allocations as Output.Apply leaves them persists it.
//
// As in Nomad, a deployment succeeds only once the job's other groups
// (those without an update block, which it does not cover) have no work
// pending either: a group outside it that keeps failing holds it running,
// and no deadline of the deployment ends that (a Fail command does).
//
// # Order
//
// Every list in an Output is sorted by group (the job's group order, then
// removed groups by name), then allocation index, then ID; Transitions are
// in the order made; Ignored lists first the events that concern no
// tracked allocation (in Input.Events order), then, per allocation, the
// events that came too late, in time order.
//
// # Cost
//
// A step reads each allocation once, and its time is linear in the
// allocations: tens of nanoseconds per allocation (BENCHMARKS.md has the
// figures), plus a fraction of a microsecond per decision. Its working
// memory is reused from one step to the next, so what it allocates follows
// its decisions, not its input; Steps may run concurrently. Spec is
// compared for every allocation of an older version: a short digest of the
// group's specification is cheaper to compare than the specification.
// Output.Reasons builds the list of every decision's reason when called,
// so a step that nobody logs does not pay for it. The order of
// Input.Allocs does not matter to the decisions, and little to the time.
//
// A first deployment of a very large group places every allocation in one
// step (a million placements take under a second and a few hundred
// megabytes). To receive them in parts, set Input.MaxPlacements: a step
// then places at most that many and sets Output.Capped, and the next steps
// place the rest. It is off (0) by default.
//
// # Where rollout differs from Nomad, on purpose
//
// A group with no update block, at job or group level, has no deployment: a
// changed spec replaces its allocations at once. An unset progress_deadline
// is 10m or healthy_deadline + 5m, whichever is larger. canary greater than
// count is refused rather than truncated. A revert to a Stable version
// (auto-revert, or the Revert command) honours max_parallel and skips the
// canary phase: it returns to a known-good spec. An unhealthy verdict set by
// a SetHealth command counts as any other: with a progress deadline the
// allocation is replaced within the deployment, and only with
// progress_deadline 0 does it fail the deployment at once.
package rollout
