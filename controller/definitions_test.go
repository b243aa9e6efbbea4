package controller_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// recordingDriver runs every allocation it places at once, and keeps each
// Decisions it is given.
type recordingDriver struct {
	mu      sync.Mutex
	allocs  []rollout.Alloc
	applied []rollout.Decisions
}

func (d *recordingDriver) Allocs(context.Context, string) ([]rollout.Alloc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.allocs), nil
}

func (d *recordingDriver) Apply(_ context.Context, dec rollout.Decisions) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.applied = append(d.applied, dec.Clone())
	d.allocs = dec.Apply(d.allocs)
	for i := range d.allocs {
		if d.allocs[i].Desired == rollout.DesiredRun {
			d.allocs[i].Client = rollout.ClientRunning
		} else {
			d.allocs[i].Client = rollout.ClientComplete
		}
	}
	return nil
}

func (d *recordingDriver) last() rollout.Decisions {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.applied) == 0 {
		return rollout.Decisions{}
	}
	return d.applied[len(d.applied)-1]
}

// tagged is a job of one group whose service carries tag.
func tagged(tag string) rollout.JobVersion {
	return rollout.JobVersion{ID: "geo-api-server", Groups: []rollout.Group{{
		Name: "api-server", Count: 2, Spec: "image:0.1", Tasks: []string{"server"},
		Definition: &rollout.GroupDefinition{Tasks: []rollout.TaskDefinition{{
			Name: "server", Driver: "exec", Config: map[string]any{"command": "/bin/api", "args": []any{"-listen", ":8080"}},
			Services: []rollout.Service{{Name: "api", PortLabel: "http", Tags: []string{tag}}},
		}}},
	}}}
}

func serviceTag(t *testing.T, d rollout.Decisions, version uint64) string {
	t.Helper()
	def, ok := d.Definition("api-server", version)
	if !ok || def == nil {
		t.Fatalf("the decisions carry no definition of version %d: %+v", version, d.Versions)
	}
	return def.Tasks[0].Services[0].Tags[0]
}

// TestTagChangeReachesTheDriverInPlace is the adopter's case: a service tag
// change (the same Spec, another definition) is a new version, and its
// allocations are updated in place with the new definition, which the
// driver reads from the decisions alone.
func TestTagChangeReachesTheDriverInPlace(t *testing.T) {
	drv := &recordingDriver{}
	h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: drv})

	v0 := h.submit(tagged("blue"))
	h.stepped(v0.Version)
	first := drv.last()
	if len(first.Place) != 2 || serviceTag(t, first, 0) != "blue" {
		t.Fatalf("first step placed %d allocations with tag %q, want 2 with \"blue\"", len(first.Place), serviceTag(t, first, 0))
	}
	if cfg := first.Versions[0].Groups[0].Definition.Tasks[0].Config; !slices.Equal(cfg["args"].([]any), []any{"-listen", ":8080"}) {
		t.Errorf("the placement's config args = %v", cfg["args"])
	}

	if again := h.submit(tagged("blue")); again.Version != 0 {
		t.Fatalf("an identical resubmission made version %d", again.Version)
	}
	v1 := h.submit(tagged("green"))
	if v1.Version != 1 {
		t.Fatalf("the tag change made version %d, want 1", v1.Version)
	}
	h.stepped(1)
	second := drv.last()
	if len(second.InPlace) != 2 || len(second.Place) != 0 || len(second.Stop) != 0 {
		t.Fatalf("the tag change gave %d in-place updates, %d placements and %d stops; want 2, 0 and 0", len(second.InPlace), len(second.Place), len(second.Stop))
	}
	if got := serviceTag(t, second, 1); got != "green" {
		t.Errorf("the in-place update carries tag %q, want \"green\"", got)
	}
}

// TestStateRetainsLiveVersions: a version History drops beyond its Keep is
// kept in State.Retained while a live allocation runs it, with its
// definition, and State.Version finds it.
func TestStateRetainsLiveVersions(t *testing.T) {
	store := controller.NewMemoryStore()
	ctx := context.Background()
	v0 := tagged("blue")
	live := rollout.Alloc{ID: "a0", JobID: v0.ID, Group: "api-server", JobVersion: 0, Spec: "image:0.1", Desired: rollout.DesiredRun, Client: rollout.ClientRunning}
	st := controller.State{History: rollout.History{Keep: 1}, Allocs: []rollout.Alloc{live}}
	st.History.Submit(v0, runnerT0)
	if _, err := store.Save(ctx, v0.ID, st); err != nil {
		t.Fatal(err)
	}
	r, err := controller.NewRunner(controller.RunnerConfig{JobID: v0.ID, Driver: &recordingDriver{}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"green", "red"} {
		if _, err := r.Submit(ctx, tagged(tag)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Load(ctx, v0.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History.Versions) != 1 || got.History.Versions[0].Version != 2 {
		t.Fatalf("history holds %d versions, want version 2 alone", len(got.History.Versions))
	}
	if len(got.Retained) != 1 || got.Retained[0].Version != 0 {
		t.Fatalf("retained %+v, want version 0 alone (version 1 has no live allocation)", got.Retained)
	}
	v, ok := got.Version(0)
	if !ok || v.Groups[0].Definition.Tasks[0].Services[0].Tags[0] != "blue" {
		t.Errorf("State.Version(0) = %+v, %v; want version 0 with its definition", v, ok)
	}
}

// notifyingDriver is a recordingDriver that implements DriverNotifier.
type notifyingDriver struct {
	recordingDriver
	changes chan struct{}
}

func (d *notifyingDriver) AllocChanges(context.Context, string) (<-chan struct{}, error) {
	return d.changes, nil
}

// TestDriverNotifierWakesTheRunner: an allocation that fails on its node
// is stepped on as soon as the driver says so, with no event or timer.
func TestDriverNotifierWakesTheRunner(t *testing.T) {
	drv := &notifyingDriver{changes: make(chan struct{}, 1)}
	var _ controller.DriverNotifier = drv
	h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: drv})
	h.submit(tagged("blue"))
	h.stepped(0)
	h.wait()
	drv.mu.Lock()
	drv.allocs[0].Client = rollout.ClientFailed
	failed := drv.allocs[0].ID
	drv.mu.Unlock()
	drv.changes <- struct{}{}
	h.wait() // the runner stepped, and waits again
	h.mu.Lock()
	last := h.reports[len(h.reports)-1]
	h.mu.Unlock()
	seen := false
	for _, a := range last.Input.Allocs {
		seen = seen || (a.ID == failed && a.Client == rollout.ClientFailed)
	}
	if !seen {
		t.Errorf("the step after the notice did not observe allocation %s failed", failed)
	}
}
