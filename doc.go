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
// Package controller runs this loop for you against a Driver, a
// HealthSource, a Store and a clock.Clock (its Runner and Manager), and
// package rollouttest simulates a cluster for tests. This package does no
// I/O of its own: it imports no context, os, net or slog and starts no
// goroutine.
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
// Draining a node is the caller's too: set Alloc.Migrate on the
// allocations that must leave it, as Nomad's drainer does. Step stops each
// and places it again under its name in the same step (KindMigrate),
// outside max_parallel and whatever the deployment's state; a canary
// awaiting promotion is placed again as a canary, and a scale-down stops
// migrating allocations before others.
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
// so a step that nobody logs does not pay for it. A loop that is done with
// each Output before its next step can step through a Stepper, which
// builds each Output in the memory of the previous one: what a step
// allocates then hardly depends on its decisions, and the garbage
// collector runs far less often. The order of
// Input.Allocs does not matter to the decisions, and little to the time.
//
// A first deployment of a very large group places every allocation in one
// step (a million placements take under a second and a few hundred
// megabytes). To receive them in parts, set Input.MaxPlacements: a step
// then places at most that many and sets Output.Capped, and the next steps
// place the rest. It is off (0) by default.
//
// # Controls beyond Nomad
//
// The update block takes six more fields, each off when unset, so that a
// job written for Nomad behaves exactly as in Nomad. Job files and both
// JSON spellings read them; Validate refuses contradictions, naming the
// field.
//
//   - max_surge and max_unavailable (counts, or percentages of count:
//     surge rounds up, unavailable down) change a rolling update: a new
//     allocation may be placed beside the old one it replaces, named as
//     it (KindSurge), which is stopped once the new one is healthy
//     (KindReplaced). At most count + max_surge allocations are live
//     (canaries aside) and at most max_unavailable of count are not
//     healthy because of the update; max_parallel still caps the new
//     allocations not yet healthy. An unset one is 0 when the other is
//     set; both 0 is refused. If the deployment fails or is superseded,
//     a surge allocation not yet healthy is stopped (KindSurgeCancelled)
//     and its old namesake keeps the slot.
//   - pause_after = [1, "50%"] lists checkpoints: the deployment places at
//     most that many allocations, then pauses (status paused, Nomad's
//     description) once they are healthy; Resume goes on to the next.
//     Checkpoints count the group's allocations of the deployment; one at
//     or below the canary count is passed at promotion. Replacements of
//     lost and failed allocations are placed as always.
//   - gate_timeout with on_gate_timeout = "fail" (the default), "promote"
//     or "resume": a gate is healthy canaries waiting for a manual
//     promotion, or a checkpoint. When nobody answers within gate_timeout
//     the deployment fails ("Failed due to gate timeout", rollout's own
//     description; auto_revert applies) or goes on past the gate.
//     NextStep wakes for it; a paused deployment's canary gate waits, and
//     Resume starts its clock again.
//   - Freeze(reason, until) and Unfreeze hold a job's rollouts
//     (see FreezeState): no deployment starts, a running one places nothing
//     new, and its progress deadline and gates wait. The freeze is the
//     job's state (Input.Freeze, Output.Freeze, State.Freeze) and may
//     stand with no deployment; its reason shows in Output's transitions,
//     never in the deployment's description.
//   - analysis (see Analysis) judges a gate on metrics: checks measured
//     every interval, measurements times each, by a provider the core
//     never calls. A group's analysis starts when all its canaries are
//     healthy (the canaries are the new version's allocations, the
//     baseline its older live ones) or when it reaches a pause_after
//     checkpoint. Step takes the results as data (Input.Analysis, or a
//     RecordAnalysis command), each timed and applied once it is due;
//     NextStep wakes at the next one due and DueChecks lists them. Once
//     every check has its measurements with at most failure_limit
//     failures, the gate opens: auto_promote promotes, a checkpoint
//     resumes, and a manual promotion is accepted (it is refused while
//     the analysis runs, so an operator cannot promote past it; Fail
//     stays available, and gate_timeout still bounds the wait). One
//     failure more fails the deployment ("Failed due to canary
//     analysis"; auto_revert applies). An inconclusive result counts as
//     a failure, or under on_inconclusive = "retry" is measured again.
//     The runs and their measurements are kept in DeploymentGroup.Analysis.
//     Module github.com/rollout-go/rollout/analysis runs the queries.
//
// History.SubmitChecked adds the submit checks: a version planned against
// an older one is refused (check-index), and, when asked, a spec that just
// failed and was auto-reverted is refused unless forced.
//
// # System jobs
//
// A job whose Type is JobSystem runs one allocation of each group on every
// node of Input.Nodes that is Eligible and not Draining; Group.Count is
// ignored (a negative count is still refused). Updates follow Nomad 1.11
// and later, where system jobs have deployments:
//
//   - A node that joins gets an allocation (KindCreate, the reason naming
//     the node) at the lowest index that no live allocation of the group
//     holds; an allocation keeps its index for its life, so names do not
//     move when nodes come and go. Placement.NodeID says where to place;
//     Alloc.NodeID records where an allocation runs (required for every
//     allocation of a system job).
//   - A node gone from Input.Nodes loses its allocation (KindLost, Lost
//     set); a draining node's allocation is stopped (KindNodeDrained).
//     Neither is replaced elsewhere. An ineligible node keeps its running
//     allocation of the job's version as it is, as Nomad does: not
//     stopped, counted as ignored, and still a canary of the deployment
//     if it was one; it gets none if it has none. One of another version
//     is stopped and not replaced (KindNodeIneligible, as Nomad stops it
//     once the job changes), and so is a failed one there (or one
//     unhealthy in the deployment), which cannot be replaced on its node.
//   - A deployment wants one healthy allocation per eligible node as they
//     are at each step: DesiredTotal follows nodes that join or leave
//     during the rollout.
//   - A change is deployed as for a service job, with the same deployment,
//     health tracking, progress deadline, auto_revert, auto_promote and
//     Stable marking: destructive updates replace the allocation on its
//     node, at most max_parallel in flight; in-place updates are made at
//     once; max_parallel = 0 replaces everything at once with no
//     deployment. A node without a live allocation (none yet, or a failed
//     one) gets one outside max_parallel, as Nomad places on such nodes at
//     once; it then counts in flight until healthy. Unlike Nomad 1.11's
//     system scheduler, a paused, failed or canarying deployment holds
//     these placements and destructive updates alike: nothing of a new
//     version runs unpromoted except canaries, and a pause or a failure
//     stops the rollout. An allocation on an ineligible node takes no
//     place of max_parallel (Nomad counts one of the deployment whose
//     health is unknown): rollout does not track its health there.
//   - canary is a percentage of the eligible nodes (at most 100): a change
//     places min(max_parallel, ceil(canary% of the nodes)) canaries, each
//     replacing the allocation on its node (one allocation per node), and
//     never more than the nodes that run another spec; the deployment
//     fixes the number, and lowers it only when nodes leave or the engine
//     cannot place them. Promotion, manual or automatic, lets the rest
//     follow at max_parallel.
//   - A failed or unhealthy allocation is replaced on its own node, per the
//     group's reschedule policy: a system job never moves to another node.
//     A canary's replacement is a canary, as for a service job (Nomad's
//     system scheduler places a plain allocation of the new version).
//   - A second live allocation of a group on one node is stopped
//     (KindScaleDown), keeping the lowest index.
//   - stagger is validated and otherwise ignored: Nomad 1.11 deprecated it.
//   - The caller gives the nodes (Input.Nodes); package controller's
//     Runner asks its Driver for them when the Driver is a NodeLister.
//
// Older Nomad documentation (the update block's text before 1.11) says
// that for system jobs "only max_parallel and stagger are enforced", the
// job being updated max_parallel allocations at a time with stagger
// between sets, and no deployment. rollout follows 1.11 instead: health
// gates each set rather than a fixed stagger, and canary, auto_revert and
// auto_promote apply.
//
// # Disconnected clients
//
// An allocation whose node stops heartbeating is reported with client
// status ClientUnknown, StatusTime the time it went unknown. The group's
// Disconnect block (Nomad 1.8's disconnect block; its older
// max_client_disconnect and prevent_reschedule_on_lost load into it) says
// what follows: without it, or with lost_after 0, the allocation is lost at
// once; within lost_after it is left running, and with replace (the
// default) a stand-in is placed under its name (Placement.StandsInFor);
// past lost_after it is lost, and replaced only if no stand-in holds its
// slot. When it reconnects beside its stand-in, reconcile keeps one and
// KindReconnected stops the other; one that comes back failed is stopped.
// A stand-in that fails or is lost in turn is replaced by one that stands
// in for the same allocation, as Nomad follows the chain of replacements.
// As in Nomad, only a running allocation goes unknown: report a pending
// one on a node that stops heartbeating as lost. Unlike Nomad, an unknown allocation is
// neither updated in place nor replaced by a rolling update while away (it
// cannot be reached), and best_score keeps the original: rollout has no
// placement scores (Nomad keeps it too when neither has one).
//
// # Batch jobs
//
// Batch jobs are out of scope: Nomad's update block does not apply to
// them (they have no deployments), so rollout deploys service and system
// jobs only, and Nomad's batch reconciler tests have no counterpart here.
//
// # Where rollout differs from Nomad, on purpose
//
// Every decision matches Nomad's service-job reconciler and deployment
// watcher except these, each kept for the reason given. (As in Nomad's
// deployment watcher, an unhealthy allocation of a deployment with no
// reschedule attempts left fails the deployment at once, progress
// deadline or not: no other allocation can take its place.)
//
//   - A group with no update block, at job or group level, has no
//     deployment and a changed spec replaces its allocations at once: there
//     is nothing to gate on, so nothing is tracked.
//   - An unset progress_deadline is 10m or healthy_deadline + 5m, whichever
//     is larger: Nomad keeps 10m and then rejects jobs that only raised
//     healthy_deadline, which older job files do.
//   - canary greater than count is refused rather than truncated: a silent
//     guess hides a typo.
//   - canary > 0 with max_parallel = 0 is refused by Validate (Nomad places
//     an untracked canary): a canary nobody gates on is no canary.
//   - A revert to a Stable version (auto-revert or the Revert command)
//     honours max_parallel and skips the canary phase: it returns to a
//     known-good spec, never all at once.
//   - An unhealthy verdict set by SetHealth counts as any other: with a
//     progress deadline the allocation is replaced within the deployment;
//     only with progress_deadline 0 does it fail the deployment at once, so
//     manual and automatic verdicts behave alike.
//   - A failed allocation whose verdict was healthy is replaced (Nomad
//     leaves it and may declare success): a deployment never succeeds on a
//     dead allocation.
//   - The rolling budget pauses while an allocation of the deployment is
//     being replaced: a replacement in flight is not yet healthy capacity.
//   - A replaced canary of a promoted group is an ordinary allocation: after
//     promotion there are no canaries left to tell apart.
//   - An old allocation whose name a promoted canary holds is stopped once
//     the group is promoted, whatever the count, even while paused: Nomad
//     stops it only when the group has an allocation too many, and
//     otherwise replaces it under the same name, running two allocations
//     of one name.
//   - A deployment succeeds only when every allocation of it that still
//     runs is healthy: Nomad compares the group's healthy counter with its
//     desired total, so a scale-down that stops a healthy allocation and
//     keeps one whose health is unknown can succeed before that one is
//     known.
//   - A lost allocation is replaced even while canarying (Nomad can place a
//     rescheduled allocation twice instead): the group never runs short nor
//     doubles a name.
//   - Placements are never truncated after a reschedule's stop: every
//     placement Step asks for is one the group needs.
//   - A paused deployment is not declared successful while a group outside
//     it still waits to place: success means the whole job is in place.
//   - A failed or lost allocation of an older version, or the stand-in of
//     an unknown one, replaced while the group awaits promotion keeps its
//     own version, outside the deployment (Nomad places the new version):
//     nothing of the new version runs unpromoted except canaries.
//   - An unknown allocation within lost_after that has no stand-in gets one
//     in whichever step sees it so (with replace). Nomad places the
//     replacement in the evaluation that finds the node disconnected and
//     ignores an allocation already unknown: Step keeps no memory of
//     earlier steps, and cannot tell a stand-in it decided that the caller
//     never applied from one never decided; a slot it left short would stay
//     short until lost_after. Nomad also waits out the group's reschedule
//     delay before it places that replacement (a follow-up evaluation, 30s
//     by default), and places none for an allocation of an active
//     deployment until the deployment marks it: Step places the stand-in in
//     the step that first sees the allocation unknown, so that the slot is
//     held as soon as possible and no timer it cannot see decides it.
//   - An allocation that comes back from a disconnected node with no
//     stand-in (replace = false) is an ordinary running allocation: one of
//     an older version is updated in place or destructively as any other.
//     Nomad stops an outdated reconnecting allocation and places a new one;
//     Step is told only the client status, not that the allocation was
//     away, and an update in place keeps what still runs.
//   - A lost allocation (ClientLost) is stopped and replaced even when its
//     group's disconnect block says replace = false. Nomad, for an
//     allocation on a down node of such a group, marks it unknown and keeps
//     it in its slot until the node returns. Step knows no nodes: lost is
//     the caller's word that the allocation is gone; a caller that expects
//     it back reports it ClientUnknown, within a LostAfter.
//   - An unknown allocation and its stand-in hold one slot. Nomad counts
//     both toward the count while the allocation is away, so a scale-up in
//     that time places one fewer and a new deployment's desired total is
//     one short; Step counts the slot once, so that the group runs its
//     count while the allocation is away.
//   - A scale-down beside an unknown allocation within lost_after keeps the
//     group at its count. With replace, the unknown allocation gets no
//     stand-in when the running ones fill the count (Nomad stops as if it
//     were gone and still places its stand-in, one over the count); without,
//     it holds its slot and the scale-down stops a running one in its place
//     (Nomad stops none for it, and runs over the count when it returns).
//   - A scale-down that stops a failed allocation places no replacement
//     for it (Nomad also reschedules it, running one allocation over the
//     count): the group never runs more than its count.
//   - A canary that finished by itself (client complete) is unhealthy and
//     no longer one of the group's canaries: a new canary is placed (Nomad
//     still counts it among the canaries and places none in its stead, so
//     the group can be neither promoted nor given a working canary until
//     the progress deadline): a canary that cannot turn healthy gates
//     nothing.
//   - A lost canary of a promoted group is replaced even while the
//     deployment is paused or failed (Nomad places no replacement then,
//     the canary having left its set of allocations): as for any lost
//     allocation, the group never runs short.
//   - A scale-down that must stop running allocations stops those with the
//     highest indexes among them. Nomad picks the highest names among all
//     the group's, lost ones included: when a lost allocation holds the
//     highest name, the running allocation it stops instead is picked in
//     map order. rollout's choice is the same on every run.
//   - While a deployment is paused, the slot of an allocation that
//     finished (client complete) waits for Resume with the rest of the
//     rollout: a pause holds every placement but the replacements of lost
//     and failed allocations, and a finished allocation is neither.
//   - auto_promote promotes once each group has at least its desired
//     number of healthy canaries (Nomad wants exactly that number, and
//     waits, for a manual promotion or the progress deadline, when a
//     replaced canary makes one more healthy): more healthy canaries than
//     asked for are as good a verdict.
//   - A reschedule policy's interval frees a slot's attempts once its
//     failed allocation had run the whole interval (from its CreateTime,
//     its slot's last replacement, to its failure); one that failed sooner
//     counts every earlier replacement (Alloc.Attempts), where Nomad counts
//     only those within the interval: rollout keeps no time of the earlier
//     ones. Delay functions (exponential, constant, fibonacci), the delay
//     starting over after an allocation ran longer than max_delay, and
//     turning rescheduling off (Disabled, Nomad's attempts = 0 with
//     unlimited = false) are as in Nomad.
//   - A task that finishes before its allocation's verdict makes it
//     unhealthy (it never was healthy); as in Nomad, the finished
//     allocation is then left alone and its slot refilled as a missing
//     allocation, not rescheduled.
//   - Step makes every migration it is given at once, as Nomad's
//     reconciler does; Nomad's drainer paces them with the group's migrate
//     block (how many at a time, and their health), which rollout leaves
//     to the caller's drainer: it marks (Alloc.Migrate) as many at a time
//     as the drain allows. A deployment created in the step of a migration
//     counts the migrated allocation in its desired total, as it counts a
//     lost one's replacement (Nomad leaves it out, and the deployment can
//     then succeed while that slot still fails). A migrating allocation of
//     the deployment whose health is not yet known counts against
//     max_parallel, as its replacement will (Nomad leaves it out of the
//     budget, which lets a rolling update take down its last healthy
//     allocations while the drain's replacements start).
//   - A system job's new allocation takes the lowest index that no live
//     allocation of its group holds, so that each has a name of its own
//     (agent[0] on one node, agent[1] on the next); Nomad names every
//     node's allocation agent[0]. Step does not read a system group's
//     Count (Nomad allows 0, run nowhere, or 1; the jobspec loader accepts
//     only 1). "System jobs" above says where system updates differ from
//     Nomad 1.11's system scheduler.
//   - A refused promotion names the group as "group "web" has 1/2 healthy
//     allocations" (Nomad: "Task group"); the error is typed
//     (ErrPromotion), so programs need not parse it.
//   - An in-place update of a running allocation whose tracker state was
//     not kept counts its tasks as running from the update (and its checks
//     passing when it was healthy): Nomad's clients report the state again;
//     a caller that stored only the verdict cannot.
package rollout
