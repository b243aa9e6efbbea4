package rollouttest

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

var conformanceRuns atomic.Int64

// TestDriver checks that a controller.Driver keeps the contract documented on
// controller.Driver, the way testing/fstest.TestFS checks a file system. It
// rolls out a small job of its own, with decisions made by rollout.Step,
// and checks that:
//
//   - an unknown job has no allocations;
//   - Allocs reflects every applied placement, stop (lost ones included),
//     in-place update and health record, field by field;
//   - applying the same decisions twice has the effect of applying them
//     once, and empty decisions are accepted;
//   - decisions about allocations the driver does not know are refused
//     with an error or ignored, without a panic and without harm;
//   - the slice Allocs returns belongs to the caller;
//   - both methods return an error wrapping context.Canceled for a
//     cancelled context, and a retry with a live context completes the
//     work;
//   - no method panics.
//
// It uses jobs whose IDs start with "rollouttest-", which a driver must
// accept as it would any job, and leaves their allocations behind. It
// returns every problem found, joined (errors.Join), or nil.
func TestDriver(d controller.Driver) error {
	t := &conformance{
		d:     d,
		ctx:   context.Background(),
		job:   "rollouttest-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(conformanceRuns.Add(1), 10),
		now:   time.Date(2020, 2, 5, 16, 57, 24, 0, time.UTC),
		state: map[string]rollout.Alloc{},
	}
	t.run()
	return errors.Join(t.errs...)
}

// conformance is one run of TestDriver. state is what the driver should
// hold, as Output.Apply computes it.
type conformance struct {
	d     controller.Driver
	ctx   context.Context
	job   string
	now   time.Time
	errs  []error
	state map[string]rollout.Alloc
	order []string
	hist  rollout.History
	dep   *rollout.Deployment
}

func (t *conformance) fail(check, format string, args ...any) {
	t.errs = append(t.errs, fmt.Errorf("rollouttest: driver %T: %s: %s", t.d, check, fmt.Sprintf(format, args...)))
}

// try runs one check and turns a panic into a problem; it reports whether
// the check ran to its end.
func (t *conformance) try(check string, fn func() bool) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			t.fail(check, "panic: %v\n%s", p, debug.Stack())
			ok = false
		}
	}()
	return fn()
}

func (t *conformance) run() {
	steps := []struct {
		name string
		fn   func(string) bool
	}{
		{"unknown job", t.unknownJob},
		{"first placements", t.firstRun},
		{"health records", t.health},
		{"in-place updates", t.inPlace},
		{"destructive updates", t.destructive},
		{"lost allocation", t.lost},
		{"empty decisions", t.empty},
		{"unknown allocations", t.unknownAllocs},
		{"caller owns the allocations", t.owned},
		{"cancelled context", t.cancelled},
	}
	for _, s := range steps {
		if !t.try(s.name, func() bool { return s.fn(s.name) }) {
			return // later checks build on this one
		}
	}
}

func intp(n int) *int { return &n }

var manual = rollout.HealthManual

// version returns a version of the conformance job.
func (t *conformance) version(count int, spec string, update bool) rollout.JobVersion {
	j := rollout.JobVersion{ID: t.job, Groups: []rollout.Group{{Name: "web", Count: count, Spec: spec}}}
	if update {
		j.Update = &rollout.UpdateBlock{MaxParallel: intp(count), HealthCheck: &manual}
	}
	return j
}

// decide makes a step at the next second and returns its decisions.
func (t *conformance) decide(check string, job *rollout.JobVersion, cmds ...rollout.Command) (rollout.Decisions, bool) {
	t.now = t.now.Add(time.Second)
	if job != nil {
		t.hist.Submit(*job, t.now)
	}
	latest, _ := t.hist.Latest()
	allocs := make([]rollout.Alloc, 0, len(t.order))
	for _, id := range t.order {
		allocs = append(allocs, t.state[id])
	}
	out, err := rollout.Step(rollout.Input{Now: t.now, Job: latest, History: t.hist.Versions, Deployment: t.dep, Allocs: allocs, Commands: cmds})
	if err != nil {
		t.fail(check, "rollout.Step (a bug in TestDriver): %v", err)
		return rollout.Decisions{}, false
	}
	t.dep = out.Deployment
	if out.Job != nil {
		t.hist.Record(*out.Job)
	}
	for _, a := range out.Apply(allocs) {
		if _, ok := t.state[a.ID]; !ok {
			t.order = append(t.order, a.ID)
		}
		t.state[a.ID] = a
	}
	return rollout.DecisionsOf(t.job, &out), true
}

// applyTwice applies d twice and checks the driver's allocations after each.
func (t *conformance) applyTwice(check string, d rollout.Decisions) bool {
	for _, what := range []string{"Apply", "Apply of the same decisions again"} {
		if err := t.d.Apply(t.ctx, d); err != nil {
			t.fail(check, "%s: %v", what, err)
			return false
		}
		if !t.expect(check, what) {
			return false
		}
	}
	return true
}

// expect checks that the driver holds exactly the expected allocations.
func (t *conformance) expect(check, after string) bool {
	got, err := t.d.Allocs(t.ctx, t.job)
	if err != nil {
		t.fail(check, "Allocs after %s: %v", after, err)
		return false
	}
	ok := true
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g.ID] {
			t.fail(check, "after %s: Allocs lists allocation %s twice", after, g.ID)
			ok = false
			continue
		}
		seen[g.ID] = true
		w, known := t.state[g.ID]
		if !known {
			t.fail(check, "after %s: Allocs lists allocation %s, which no decision made", after, g.ID)
			ok = false
			continue
		}
		if diff := allocDiff(w, g); diff != "" {
			t.fail(check, "after %s: allocation %s (%s): %s", after, g.ID, w.Name(), diff)
			ok = false
		}
	}
	for _, id := range t.order {
		if !seen[id] {
			w := t.state[id]
			t.fail(check, "after %s: Allocs does not list allocation %s (%s)", after, id, w.Name())
			ok = false
		}
	}
	return ok
}

// allocDiff compares what a driver must keep of an allocation. The client
// status is the node's: a placement may be pending or running, a stop may
// have completed, but a lost allocation must be lost.
func allocDiff(want, got rollout.Alloc) string {
	var diffs []string
	check := func(field string, w, g any) {
		if w != g {
			diffs = append(diffs, fmt.Sprintf("%s is %v, want %v", field, g, w))
		}
	}
	check("JobID", want.JobID, got.JobID)
	check("Group", want.Group, got.Group)
	check("Index", want.Index, got.Index)
	check("JobVersion", want.JobVersion, got.JobVersion)
	check("Spec", want.Spec, got.Spec)
	check("Desired", want.Desired, got.Desired)
	check("Canary", want.Canary, got.Canary)
	check("DeploymentID", want.DeploymentID, got.DeploymentID)
	check("Attempts", want.Attempts, got.Attempts)
	if !want.CreateTime.Equal(got.CreateTime) {
		diffs = append(diffs, fmt.Sprintf("CreateTime is %v, want %v", got.CreateTime, want.CreateTime))
	}
	check("Health.Status", want.Health.Status, got.Health.Status)
	if !want.Health.Time.Equal(got.Health.Time) {
		diffs = append(diffs, fmt.Sprintf("Health.Time is %v, want %v", got.Health.Time, want.Health.Time))
	}
	if !want.Health.LastEvent.Equal(got.Health.LastEvent) {
		diffs = append(diffs, fmt.Sprintf("Health.LastEvent is %v, want %v", got.Health.LastEvent, want.Health.LastEvent))
	}
	switch {
	case want.Client == rollout.ClientLost && got.Client != rollout.ClientLost:
		diffs = append(diffs, fmt.Sprintf("Client is %q, want %q", got.Client, rollout.ClientLost))
	case want.Desired == rollout.DesiredRun && got.Client != rollout.ClientPending && got.Client != rollout.ClientRunning:
		diffs = append(diffs, fmt.Sprintf("Client is %q, want pending or running", got.Client))
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprint(diffs)
}

func (t *conformance) unknownJob(check string) bool {
	got, err := t.d.Allocs(t.ctx, t.job)
	if err != nil {
		t.fail(check, "Allocs: %v", err)
		return false
	}
	if len(got) != 0 {
		t.fail(check, "Allocs of a job never applied lists %d allocations, want none", len(got))
		return false
	}
	return true
}

func (t *conformance) firstRun(check string) bool {
	j := t.version(3, "image=v1", true)
	d, ok := t.decide(check, &j)
	if !ok {
		return false
	}
	if len(d.Place) != 3 {
		t.fail(check, "rollout.Step placed %d allocations, want 3 (a bug in TestDriver)", len(d.Place))
		return false
	}
	return t.applyTwice(check, d)
}

func (t *conformance) health(check string) bool {
	d, ok := t.decide(check, nil, rollout.SetHealth(true, t.order...))
	if !ok {
		return false
	}
	if len(d.Health) != 3 {
		t.fail(check, "rollout.Step recorded %d health verdicts, want 3 (a bug in TestDriver)", len(d.Health))
		return false
	}
	return t.applyTwice(check, d)
}

func (t *conformance) inPlace(check string) bool {
	j := t.version(4, "image=v1", true) // same spec, one more: 3 in place, 1 placed
	d, ok := t.decide(check, &j)
	if !ok {
		return false
	}
	if len(d.InPlace) != 3 || len(d.Place) != 1 {
		t.fail(check, "rollout.Step made %d in-place updates and %d placements, want 3 and 1 (a bug in TestDriver)", len(d.InPlace), len(d.Place))
		return false
	}
	return t.applyTwice(check, d)
}

func (t *conformance) destructive(check string) bool {
	j := t.version(4, "image=v2", false) // no update block: all replaced at once
	d, ok := t.decide(check, &j)
	if !ok {
		return false
	}
	if len(d.Stop) != 4 || len(d.Place) != 4 {
		t.fail(check, "rollout.Step made %d stops and %d placements, want 4 and 4 (a bug in TestDriver)", len(d.Stop), len(d.Place))
		return false
	}
	return t.applyTwice(check, d)
}

func (t *conformance) lost(check string) bool {
	var victim rollout.Alloc
	for _, id := range t.order {
		if a := t.state[id]; a.Desired == rollout.DesiredRun {
			victim = a
			break
		}
	}
	d := rollout.Decisions{JobID: t.job, Stop: []rollout.StopDecision{{
		ID: victim.ID, Group: victim.Group, Index: victim.Index, Name: victim.Name(), Lost: true,
		Kind: rollout.KindLost, Reason: rollout.ReasonLost,
	}}}
	out := rollout.Output{Stop: d.Stop}
	t.state[victim.ID] = out.Apply([]rollout.Alloc{victim})[0]
	return t.applyTwice(check, d)
}

func (t *conformance) empty(check string) bool {
	if err := t.d.Apply(t.ctx, rollout.Decisions{JobID: t.job}); err != nil {
		t.fail(check, "Apply of no decisions: %v", err)
		return false
	}
	return t.expect(check, "Apply of no decisions")
}

func (t *conformance) unknownAllocs(check string) bool {
	const ghost = "rollouttest-no-such-allocation"
	d := rollout.Decisions{
		JobID:   t.job,
		Stop:    []rollout.StopDecision{{ID: ghost, Group: "web", Index: 9, Name: t.job + ".web[9]", Kind: rollout.KindScaleDown, Reason: rollout.ReasonNotNeeded}},
		InPlace: []rollout.InPlaceUpdate{{ID: ghost + "-2", Group: "web", Name: t.job + ".web[8]", JobVersion: 2, CreateTime: t.now, Reason: rollout.ReasonInPlace}},
		Health:  []rollout.HealthUpdate{{ID: ghost + "-3", Group: "web", Health: rollout.AllocHealth{Status: rollout.Healthy, Time: t.now}}},
	}
	_ = t.d.Apply(t.ctx, d) // an error or nothing: both keep the contract
	return t.expect(check, "Apply of decisions about unknown allocations")
}

func (t *conformance) owned(check string) bool {
	got, err := t.d.Allocs(t.ctx, t.job)
	if err != nil {
		t.fail(check, "Allocs: %v", err)
		return false
	}
	for i := range got {
		got[i].Desired, got[i].JobVersion, got[i].Spec = "scribbled", 99, "scribbled"
		if len(got[i].Health.Tasks) > 0 {
			got[i].Health.Tasks[0].Name = "scribbled"
		}
	}
	return t.expect(check, "the caller changed the slice Allocs returned")
}

func (t *conformance) cancelled(check string) bool {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := t.d.Allocs(ctx, t.job); !errors.Is(err, context.Canceled) {
		t.fail(check, "Allocs with a cancelled context returned %v, want an error wrapping context.Canceled", err)
	}
	j := t.version(6, "image=v2", false) // two more
	d, ok := t.decide(check, &j)
	if !ok {
		return false
	}
	if err := t.d.Apply(ctx, d); !errors.Is(err, context.Canceled) {
		t.fail(check, "Apply with a cancelled context returned %v, want an error wrapping context.Canceled", err)
	}
	return t.applyTwice(check+" (retried with a live context)", d)
}
