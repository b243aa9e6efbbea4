package rollout_test

import (
	"encoding/json"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/internal/invariant"
)

// durState is what a caller persists between steps: the job's versions,
// its latest deployment and its allocations, and the events and commands
// queued for the next step.
type durState struct {
	Now        time.Time
	History    rollout.History
	Job        rollout.JobVersion
	Deployment *rollout.Deployment
	Allocs     []rollout.Alloc
	Events     []rollout.Event
	Commands   []rollout.Command
}

func durSave(w *propWorld) durState {
	return durState{Now: w.now, History: w.hist, Job: w.job,
		Deployment: w.dep, Allocs: w.allocs, Events: w.events, Commands: w.cmds}
}

// durRoundTrip encodes the world's persisted state as JSON, decodes it, and
// checks that nothing was lost (go-cmp, exact times, nil vs empty).
func durRoundTrip(t propTB, w *propWorld) durState {
	t.Helper()
	saved := durSave(w)
	data, err := json.Marshal(saved)
	if err != nil {
		t.Fatalf("persisted state does not encode: %v", err)
	}
	var back durState
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("persisted state does not decode: %v\n%s", err, data)
	}
	if d := invariant.Diff(saved, back); d != "" {
		t.Fatalf("persisted state changed through JSON (-saved +decoded):\n%s", d)
	}
	return back
}

// durRestart replaces the world's state by its decoded copy: the process
// restarted and read its store.
func durRestart(t propTB, w *propWorld) {
	t.Helper()
	back := durRoundTrip(t, w)
	w.now, w.hist, w.job, w.dep, w.allocs, w.events, w.cmds = back.Now, back.History, back.Job, back.Deployment, back.Allocs, back.Events, back.Commands
}

// durSync gives the twin the external changes the last action made to the
// primary: time, submitted versions, queued events and commands, and what
// the nodes, the drainer and the store did to allocations (client status,
// migrate marks, garbage collection). Everything Step decides, the twin
// decides for itself.
func durSync(twin, w *propWorld) {
	twin.now = w.now
	twin.hist = invariant.DeepCopy(w.hist)
	twin.job = invariant.DeepCopy(w.job)
	twin.events = invariant.DeepCopy(w.events)
	twin.cmds = invariant.DeepCopy(w.cmds)
	twin.hold = w.hold
	type external struct {
		client  rollout.ClientStatus
		migrate bool
	}
	ext := make(map[string]external, len(w.allocs))
	for _, a := range w.allocs {
		ext[a.ID] = external{a.Client, a.Migrate}
	}
	keep := twin.allocs[:0:0]
	for _, a := range twin.allocs {
		if e, ok := ext[a.ID]; ok {
			a.Client, a.Migrate = e.client, e.migrate
			keep = append(keep, a)
		}
	}
	twin.allocs = keep
}

// TestPropertyDurability runs a primary world that restarts from its
// JSON-encoded store at random points beside a twin that never restarts,
// both fed the same external events, and checks after every step that the
// persisted state survives a JSON round trip exactly and that the two
// decide exactly the same (outputs compared with go-cmp, exact times).
func TestPropertyDurability(t *testing.T) {
	var histories, steps, restarts int
	tolerated := propTolerated{}
	rapid.Check(t, func(t *rapid.T) {
		w, twin := newPropWorld(), newPropWorld()
		w.noDiff, twin.noDiff, twin.plain = true, true, true
		w.submit(propNewJob(t))
		durSync(twin, w)
		acts := propActions(w)
		m := map[string]func(*rapid.T){}
		for name, act := range acts {
			m[name] = func(t *rapid.T) {
				if !act(t) {
					t.Skip("precondition")
				}
				durSync(twin, w)
				durStep(t, w, twin, name)
			}
		}
		// The step actions step both worlds (the primary's own step
		// actions would step it alone).
		for _, name := range []string{"step", "step-twice", "step-restart-reapply"} {
			m[name] = func(t *rapid.T) {
				durSync(twin, w)
				durStep(t, w, twin, name)
			}
		}
		m["restart"] = func(t *rapid.T) {
			durRestart(t, w)
			restarts++
		}
		m[""] = func(t *rapid.T) {
			if d := invariant.Diff(durSave(twin), durSave(w)); d != "" {
				t.Fatalf("the restarted world and its twin differ (-twin +primary):\n%s", d)
			}
		}
		t.Repeat(m)
		histories++
		steps += w.steps
		tolerated.add(w.chk)
	})
	t.Logf("%d histories, %d steps, %d restarts", histories, steps, restarts)
	tolerated.log(t)
}

// durStep takes the step an action calls for on both worlds, compares the
// outputs, and applies them the same way.
func durStep(t propTB, w, twin *propWorld, action string) {
	t.Helper()
	apply := true
	times := 1
	if action == "step-twice" {
		times = 2
	}
	if action != "step" && action != "step-twice" && action != "step-restart-reapply" {
		if w.hold {
			w.hold, twin.hold = false, false
			return
		}
		if action == "hold" {
			w.hold, twin.hold = true, true
			return
		}
	}
	for i := 0; i < times; i++ {
		a, aok := w.step(t, apply)
		b, bok := twin.step(t, apply)
		if aok != bok {
			t.Fatalf("the restarted world's step succeeded=%v, its twin's %v", aok, bok)
		}
		if d := invariant.Diff(b, a); d != "" {
			t.Fatalf("the restarted world decided differently (-twin +restarted):\n%s", d)
		}
		propJSONRoundTrip(t, a)
		durRoundTrip(t, w)
	}
}

// TestDurabilityExactTimes shows what the exact comparison guards against:
// a time read from the wall clock carries a monotonic reading and a local
// location that JSON drops, so only UTC times without one (as Step's
// callers should store) survive a round trip exactly.
func TestDurabilityExactTimes(t *testing.T) {
	roundTrip := func(v time.Time) time.Time {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back time.Time
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		return back
	}
	wall := time.Now()
	if d := invariant.Diff(wall, roundTrip(wall)); d == "" {
		t.Errorf("a time with a monotonic reading survived JSON exactly; the comparison is too lax")
	}
	utc := time.Date(2024, 3, 1, 12, 0, 0, 123, time.UTC)
	if d := invariant.Diff(utc, roundTrip(utc)); d != "" {
		t.Errorf("a UTC time changed through JSON:\n%s", d)
	}
	if d := invariant.Diff(utc, roundTrip(utc.In(time.FixedZone("CET", 3600)))); d == "" {
		t.Errorf("a time in another location compared equal to UTC; the comparison is too lax")
	}
}
