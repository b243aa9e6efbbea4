// Package invariant is the one home of the rollout invariants. Every
// kind of test of package rollout (unit, property, durability, fuzz, bad
// input) runs its steps through a Checker, which calls rollout.Step and
// checks the step against every invariant below.
//
// What "in flight" means: an allocation of a deployment is
// in flight in a group when it belongs to the deployment (DeploymentID), is
// live (desired run, client pending or running), has no health verdict yet,
// and is not a canary awaiting promotion. The budget of §6.6–7 limits the
// destructive updates only: first runs, scale-ups, replacements of lost or
// failed allocations and in-place updates are placed all at once by design
// (§4, §6.2, §6.7). So the max_parallel invariant reads: a step that starts a
// destructive update in a group starts none while the deployment is paused,
// failed or canarying in that group or has an unhealthy allocation there,
// and leaves at most max_parallel allocations of the deployment in flight in
// the group, not counting the allocations it updated in place.
//
// The invariants, by name (see the Name constants for each one's rule):
// max-parallel, canary-count, canary-hold, availability, terminal,
// lifecycle, revert, deterministic, unmutated, order, kind-reason,
// placement-ids, references, health-final, counters, plan, next-step,
// success, zero-on-error.
//
// Use: make one Checker per history (New) and run every step through
// Checker.Step, which calls rollout.Step on the input and again on a deep
// copy, checks the input was not changed, and checks the output; it returns Step's output and
// error and the Violations. Checker.Probe asks without recording;
// Checker.Check checks an output obtained elsewhere. The checker remembers
// what spans steps (deployments seen terminal, failures that reverted,
// allocations placed and seen healthy). DeepCopy and Diff (go-cmp with
// exact times) are exported for the tests' own comparisons.
package invariant

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/rollout-go/rollout"
)

// Name names an invariant.
type Name string

// The invariants.
const (
	// MaxParallel: see the package comment.
	MaxParallel Name = "max-parallel"
	// CanaryCount: a group never has more live canaries in its deployment
	// than asked (its strategy's canary, or the deployment's
	// DesiredCanaries); canaries are placed only into a deployment group
	// that wants them; a new deployment's DesiredCanaries is 0 or the
	// strategy's canary, and it never changes afterwards.
	CanaryCount Name = "canary-count"
	// CanaryHold: while a group's canaries await promotion, nothing old is
	// stopped but scale-down excess, lost allocations and rescheduled failed
	// ones (and job-stop, group-removed, cancelled-canary stops), and a
	// non-canary placement only replaces an allocation with its own version
	// and spec. And at any time, a "cancelled canary"
	// stop only stops a canary of a deployment whose group had canaries
	// awaiting promotion.
	CanaryHold Name = "canary-hold"
	// Availability: during a rolling update in which no allocation of the
	// group is failed, lost or unhealthy, and every live allocation is up or
	// part of the deployment, the group's up allocations (desired run and
	// healthy; or running with no verdict yet and not placed since it was
	// last healthy; canaries only once promoted) never fall below min(up
	// before the step less the excess it scales down and the old
	// allocations promoted canaries replace, count - max_parallel).
	Availability Name = "availability"
	// Terminal: a terminal deployment never changes again: the same
	// deployment ID comes back with the same status, description and
	// decision-bearing fields (desired counts, promoted, deadlines, auto
	// flags), whatever later steps do; only the counters derived from the
	// allocations and the modify time may follow them.
	Terminal Name = "terminal"
	// Lifecycle: statuses move only running <-> paused and active ->
	// terminal; the input deployment is never lost (it comes back as
	// Deployment, or as Cancelled when replaced); Cancelled is cancelled;
	// times are ordered (CreateTime <= ModifyTime <= Now).
	Lifecycle Name = "lifecycle"
	// Revert: a revert is a new version (max retained + 1, not Stable) with
	// the target's specification; an auto-revert happens at most once per
	// failure, only in the step that fails the deployment, only for a group
	// with auto_revert, and only to the newest Stable version, whose
	// specification differs; a manual one only by a Revert command.
	Revert Name = "revert"
	// Deterministic: the same input gives the same output (and error).
	Deterministic Name = "deterministic"
	// Unmutated: Step does not change its input.
	Unmutated Name = "unmutated"
	// Order: Stop, Place, InPlace and Health are sorted by group (the job's
	// group order, then removed groups by name), allocation index, ID; Plan
	// and Deployment.Groups follow the job's group order; PlacedCanaries is
	// in name order.
	Order Name = "order"
	// KindReason: every decision (stop, placement, in-place update,
	// transition, ignored event) has a non-empty Kind (when it has one) and
	// Reason, and a Kind is a known one.
	KindReason Name = "kind-reason"
	// PlacementIDs: placements have non-empty IDs, unique in the output and
	// not colliding with any existing allocation, and consistent fields
	// (job, name, group, time).
	PlacementIDs Name = "placement-ids"
	// References: stops, in-place and health updates name existing
	// allocations, once each; stops and in-place updates only touch
	// allocations that are desired to run, never the same one twice; a
	// placement's Replaces is stopped in the same output.
	References Name = "references"
	// HealthFinal: a health verdict, once reached, is not changed by a
	// health update.
	HealthFinal Name = "health-final"
	// Counters: the counters of a deployment that was live at the start of
	// the step are what the allocations say after it (placed, healthy,
	// unhealthy, placed canaries).
	Counters Name = "counters"
	// Plan: Plan has one entry per job group, whose counts match the
	// decisions.
	Plan Name = "plan"
	// NextStep: NextStep is zero or after Now.
	NextStep Name = "next-step"
	// Success: a deployment succeeds only with every group healthy enough
	// and promoted, and then (only then) the job comes back Stable.
	Success Name = "success"
	// ZeroOnError: an error decides nothing: the Output is zero.
	ZeroOnError Name = "zero-on-error"
)

// Violation is one broken invariant.
type Violation struct {
	Invariant Name
	Detail    string
}

func (v Violation) Error() string { return string(v.Invariant) + ": " + v.Detail }

// Violations lists the invariants a step broke. It is an error.
type Violations []Violation

func (vs Violations) Error() string {
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.Error()
	}
	return strings.Join(lines, "\n")
}

// Has reports whether the invariant n is among the violations.
func (vs Violations) Has(n Name) bool {
	return slices.ContainsFunc(vs, func(v Violation) bool { return v.Invariant == n })
}

// Broken reports whether err (from Check or Step) lists the invariant n.
func Broken(err error, n Name) bool {
	var vs Violations
	return errors.As(err, &vs) && vs.Has(n)
}

func (vs Violations) orNil() error {
	if len(vs) == 0 {
		return nil
	}
	return vs
}

// Checker checks steps, one after another, and remembers what the
// invariants that span steps need: the deployments seen terminal, the
// failures that reverted, and the allocations placed. Use one Checker per
// history; its zero value is not ready, use New.
type Checker struct {
	terminal map[string]rollout.Deployment
	reverted map[string]bool
	placed   map[string]bool
	seen     map[string]bool
	proven   map[string]bool // allocations seen healthy
	steps    int
	known    []tolerance
	hits     map[string]int
}

// tolerance is a known engine bug whose violations a test chooses to
// count rather than fail on, so that a history can go on and find others.
type tolerance struct {
	bug   string
	match func(v Violation, step Violations) bool
}

// Tolerate makes the checker count, instead of report, the violations that
// match, naming the known bug (as filed in the bug list). match sees each
// violation and all the violations of its step (a consequence can be
// matched by its cause). Use it sparingly and narrowly, and log Tolerated
// at the end of the test so that the bug stays visible; remove it once the
// bug is fixed.
func (c *Checker) Tolerate(bug string, match func(v Violation, step Violations) bool) {
	c.known = append(c.known, tolerance{bug, match})
}

// Ignore turns invariants off for this checker. The fuzz target uses it for
// inputs whose deployment was not made by Step (a hand-written or hostile
// deployment that validation accepts but no history could produce), where
// the invariants about deployment state do not apply.
func (c *Checker) Ignore(names ...Name) {
	c.known = append(c.known, tolerance{"", func(v Violation, _ Violations) bool { return slices.Contains(names, v.Invariant) }})
}

// Tolerated returns how many violations of each tolerated bug were seen.
func (c *Checker) Tolerated() map[string]int { return maps.Clone(c.hits) }

// filter drops (and counts) the tolerated violations.
func (c *Checker) filter(vs Violations) Violations {
	if len(c.known) == 0 {
		return vs
	}
	var keep Violations
outer:
	for _, v := range vs {
		for _, t := range c.known {
			if t.match(v, vs) {
				if t.bug != "" {
					if c.hits == nil {
						c.hits = map[string]int{}
					}
					c.hits[t.bug]++
				}
				continue outer
			}
		}
		keep = append(keep, v)
	}
	return keep
}

// New returns a Checker with an empty history.
func New() *Checker {
	return &Checker{terminal: map[string]rollout.Deployment{}, reverted: map[string]bool{}, placed: map[string]bool{}, seen: map[string]bool{}, proven: map[string]bool{}}
}

// Steps returns how many successful steps the checker has checked.
func (c *Checker) Steps() int { return c.steps }

// Check checks one step's output against its input, without calling Step,
// and against the history of steps the checker saw. It returns nil or
// Violations.
func Check(in rollout.Input, out rollout.Output) error { return New().Check(in, out) }

// Step calls rollout.Step(in) and checks it: the input is not mutated, a
// second call on a deep copy gives the same result, an error comes with a
// zero Output, and a successful output passes Check. It returns Step's
// output and error, and the violations (nil when none).
func (c *Checker) Step(in rollout.Input) (out rollout.Output, stepErr, violations error) {
	snapshot := DeepCopy(in)
	again := DeepCopy(in)
	out, stepErr = rollout.Step(in)
	var vs Violations
	if d := Diff(snapshot, in); d != "" {
		vs = append(vs, Violation{Unmutated, "Step changed its input (-before +after):\n" + d})
	}
	out2, err2 := rollout.Step(again)
	if (stepErr == nil) != (err2 == nil) || (stepErr != nil && stepErr.Error() != err2.Error()) {
		vs = append(vs, Violation{Deterministic, fmt.Sprintf("errors differ: %v, then %v", stepErr, err2)})
	} else if d := Diff(out, out2); d != "" {
		vs = append(vs, Violation{Deterministic, "outputs differ (-first +second):\n" + d})
	}
	if stepErr != nil {
		if !reflect.DeepEqual(out, rollout.Output{}) {
			vs = append(vs, Violation{ZeroOnError, fmt.Sprintf("error %q came with a non-zero output", stepErr)})
		}
		return out, stepErr, vs.orNil()
	}
	if err := c.Check(snapshot, out); err != nil {
		vs = append(vs, err.(Violations)...)
	}
	return out, nil, c.filter(vs).orNil()
}

// Check checks one successful step (see the package function Check) and
// records it in the checker's history.
func (c *Checker) Check(in rollout.Input, out rollout.Output) error {
	k := newStep(c, in, out)
	k.references()
	k.kindReason()
	k.order()
	k.healthFinal()
	k.lifecycle()
	k.counters()
	k.plan()
	k.success()
	k.revert()
	k.canaries()
	k.maxParallel()
	k.availability()
	if !out.NextStep.IsZero() && !out.NextStep.After(in.Now) {
		k.bad(NextStep, "NextStep %v is not after Now %v", out.NextStep, in.Now)
	}
	c.record(in, out, k.after)
	c.steps++
	return c.filter(k.vs).orNil()
}

func (c *Checker) record(in rollout.Input, out rollout.Output, after []rollout.Alloc) {
	for i := range in.Allocs {
		c.seen[in.Allocs[i].ID] = true
	}
	for i := range after {
		if after[i].Health.Status == rollout.Healthy {
			c.proven[after[i].ID] = true
		}
	}
	for _, p := range out.Place {
		c.placed[p.ID] = true
		c.seen[p.ID] = true
	}
	for _, d := range []*rollout.Deployment{in.Deployment, out.Deployment, out.Cancelled} {
		if d != nil && d.Status.Terminal() {
			if _, ok := c.terminal[d.ID]; !ok {
				c.terminal[d.ID] = DeepCopy(*d)
			}
		}
	}
}

// Probe is Step without memory: it checks what Step would decide for in
// against the history so far, and records nothing, so a test can ask at
// any moment without changing what later steps are checked against.
func (c *Checker) Probe(in rollout.Input) (out rollout.Output, stepErr, violations error) {
	return c.clone().Step(in)
}

func (c *Checker) clone() *Checker {
	return &Checker{terminal: maps.Clone(c.terminal), reverted: maps.Clone(c.reverted),
		placed: maps.Clone(c.placed), seen: maps.Clone(c.seen), proven: maps.Clone(c.proven), steps: c.steps,
		known: c.known, hits: maps.Clone(c.hits)}
}
