package rollout_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// eventDrivenRun is a caller that calls Step only when an event arrives or
// at Output.NextStep, as the package documentation asks. Each placed allocation starts
// startAfter after its placement; allocations whose spec is in `broken`
// never start.
type eventDrivenRun struct {
	t          *testing.T
	now        time.Time
	job        rollout.JobVersion
	dep        *rollout.Deployment
	allocs     []rollout.Alloc
	startAfter time.Duration
	broken     map[string]bool
	pending    map[string]time.Time // alloc ID → when its task starts
	steps      []time.Time
}

func (r *eventDrivenRun) step(evs []rollout.Event) rollout.Output {
	r.t.Helper()
	in := rollout.Input{Now: r.now, Job: r.job, Deployment: r.dep, Allocs: r.allocs, Events: evs}
	out, err := rollout.Step(in)
	if err != nil {
		r.t.Fatal(err)
	}
	r.checkNotEarly(in, out)
	r.steps = append(r.steps, r.now)
	r.dep = out.Deployment
	if out.Job != nil {
		r.job = *out.Job
	}
	r.allocs = out.Apply(r.allocs)
	for _, p := range out.Place {
		if !r.broken[p.Spec] {
			r.pending[p.ID] = r.now.Add(r.startAfter)
		}
	}
	return out
}

// checkNotEarly calls Step one nanosecond before NextStep with no events
// and checks that nothing changes then: no timer fires early.
func (r *eventDrivenRun) checkNotEarly(in rollout.Input, out rollout.Output) {
	r.t.Helper()
	if out.NextStep.IsZero() {
		return
	}
	if !out.NextStep.After(in.Now) {
		r.t.Fatalf("NextStep %v is not after Now %v", out.NextStep, in.Now)
	}
	early := rollout.Input{Now: out.NextStep.Add(-time.Nanosecond), Job: in.Job, Deployment: out.Deployment, Allocs: out.Apply(in.Allocs)}
	if out.Job != nil {
		early.Job = *out.Job
	}
	eo, err := rollout.Step(early)
	if err != nil {
		r.t.Fatal(err)
	}
	if len(eo.Place)+len(eo.Stop)+len(eo.InPlace)+len(eo.Health)+len(eo.Transitions) > 0 {
		r.t.Fatalf("at NextStep-1ns (%v) something changed already: %+v", early.Now, eo)
	}
	if !eo.NextStep.Equal(out.NextStep) {
		r.t.Fatalf("NextStep moved from %v to %v with nothing happening", out.NextStep, eo.NextStep)
	}
}

// run loops until the deployment ends or nothing is timed.
func (r *eventDrivenRun) run(limit int) rollout.Output {
	r.t.Helper()
	out := r.step(nil)
	for i := 0; i < limit; i++ {
		next := out.NextStep
		var starts []rollout.Event
		for id, at := range r.pending {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			_ = id
		}
		if next.IsZero() || r.dep == nil || r.dep.Status.Terminal() {
			return out
		}
		r.now = next
		for id, at := range r.pending {
			if !at.After(r.now) {
				starts = append(starts, rollout.Event{Time: at, Alloc: id, Kind: rollout.TaskStarted})
				delete(r.pending, id)
			}
		}
		sortEvents(starts)
		out = r.step(starts)
	}
	r.t.Fatalf("deployment still %v after %d steps", r.dep.Status, limit)
	return out
}

func sortEvents(evs []rollout.Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Alloc < evs[j-1].Alloc; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

func TestEventDrivenRolloutHonoursTimers(t *testing.T) {
	update := &rollout.UpdateBlock{
		MaxParallel: ptr(2), HealthCheck: ptr(rollout.HealthTaskStates),
		MinHealthyTime: ptr(30 * time.Second), HealthyDeadline: ptr(10 * time.Minute), ProgressDeadline: ptr(15 * time.Minute),
	}
	r := &eventDrivenRun{t: t, now: t0, startAfter: 7 * time.Second, pending: map[string]time.Time{}, broken: map[string]bool{}}
	r.job = rollout.JobVersion{ID: "geo", Version: 0, Update: update, Groups: []rollout.Group{{Name: "api", Count: 6, Spec: "0.1"}}}
	out := r.run(50)
	if r.dep.Status != rollout.StatusSuccessful {
		t.Fatalf("first run ended %v %q", r.dep.Status, r.dep.Description)
	}
	// All six start at +7s and are healthy at exactly +37s: the step that
	// marks success runs then.
	if got, want := r.now, t0.Add(37*time.Second); !got.Equal(want) {
		t.Errorf("first deployment succeeded at +%v, want +%v", got.Sub(t0), want.Sub(t0))
	}
	for _, a := range r.allocs {
		if !a.Health.Time.Equal(t0.Add(37 * time.Second)) {
			t.Errorf("%s healthy at +%v, want +37s", a.Name(), a.Health.Time.Sub(t0))
		}
	}
	_ = out

	// Version 1 rolls two at a time: each pair placed when the previous
	// pair turns healthy, 37s apart.
	start := r.now
	r.job = rollout.JobVersion{ID: "geo", Version: 1, Update: update, Groups: []rollout.Group{{Name: "api", Count: 6, Spec: "0.2"}}}
	r.steps = nil
	r.run(50)
	if r.dep.Status != rollout.StatusSuccessful {
		t.Fatalf("rolling update ended %v %q", r.dep.Status, r.dep.Description)
	}
	if got, want := r.now.Sub(start), 3*37*time.Second; got != want {
		t.Errorf("rolling update of 6 by 2 took %v, want %v (3 pairs × (7s start + 30s min_healthy_time))", got, want)
	}

	// Version 2 never starts: each allocation is unhealthy at exactly its
	// placement + healthy_deadline (10m); replacements follow; the
	// progress deadline (15m after placement) fails the deployment exactly.
	start = r.now
	r.broken["0.33"] = true
	r.job = rollout.JobVersion{ID: "geo", Version: 2, Update: update, Groups: []rollout.Group{{Name: "api", Count: 6, Spec: "0.33"}}}
	r.run(50)
	if r.dep.Status != rollout.StatusFailed || r.dep.Description != rollout.DescProgressDeadline {
		t.Fatalf("broken update ended %v %q, want failed by progress deadline", r.dep.Status, r.dep.Description)
	}
	if got, want := r.now.Sub(start), 15*time.Minute; got != want {
		t.Errorf("failed %v after the update began, want exactly the progress deadline %v", got, want)
	}
	var verdicts []time.Duration
	for _, a := range r.allocs {
		if a.JobVersion == 2 && a.Health.Status == rollout.Unhealthy {
			verdicts = append(verdicts, a.Health.Time.Sub(start))
		}
	}
	if diff := cmp.Diff([]time.Duration{10 * time.Minute, 10 * time.Minute}, verdicts); diff != "" {
		t.Errorf("unhealthy verdict times (-want +got):\n%s", diff)
	}
}
