package rollout_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// TestPlanCountsEachKind: the plan tells fresh, lost and rescheduled
// placements apart, and counts destructive stops, so a caller need not
// recount Place and Stop.
func TestPlanCountsEachKind(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	job := rollout.JobVersion{ID: "j", Version: 1, Groups: []rollout.Group{{Name: "web", Count: 5, Spec: "b"}}}
	alloc := func(id string, idx int, version uint64, spec string, client rollout.ClientStatus) rollout.Alloc {
		return rollout.Alloc{ID: id, JobID: "j", Group: "web", Index: idx, JobVersion: version, Spec: spec,
			Desired: rollout.DesiredRun, Client: client, CreateTime: now.Add(-time.Hour), StatusTime: now.Add(-time.Hour)}
	}
	out, err := rollout.Step(rollout.Input{Now: now, Job: job, Allocs: []rollout.Alloc{
		alloc("a0", 0, 1, "b", rollout.ClientRunning),
		alloc("a1", 1, 1, "b", rollout.ClientLost),
		alloc("a2", 2, 1, "b", rollout.ClientFailed),
		alloc("a3", 3, 0, "a", rollout.ClientRunning),
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Plan[0]
	want := map[rollout.DecisionKind][2]int{ // placed, stopped
		rollout.KindCreate:     {1, 0},
		rollout.KindLost:       {1, 1},
		rollout.KindReschedule: {1, 1},
		rollout.KindUpdate:     {1, 1},
	}
	got := map[rollout.DecisionKind][2]int{}
	for k := range want {
		got[k] = [2]int{p.Placed(k), p.Stopped(k)}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("per-kind counts (-want +got):\n%s\nplan %+v", diff, p)
	}
	placed, stopped := 0, 0
	for _, c := range p.Placements {
		placed += c.N
	}
	for _, c := range p.Stops {
		stopped += c.N
	}
	if placed != len(out.Place) || stopped != len(out.Stop) {
		t.Errorf("the kinds add up to %d placements and %d stops, want %d and %d", placed, stopped, len(out.Place), len(out.Stop))
	}
}
