package rollout_test

import (
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// TestRepairStartsNoDeployment: a group that already ran the job's version
// gets its missing allocations back without a new deployment, as Nomad
// does, even when every allocation of that version has finished since; an
// allocation the caller stopped does not count as having run it.
func TestRepairStartsNoDeployment(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	one := 1
	job := rollout.JobVersion{ID: "j", Version: 1, Update: &rollout.UpdateBlock{MaxParallel: &one},
		Groups: []rollout.Group{{Name: "web", Count: 2, Spec: "b"}}}
	for _, tc := range []struct {
		name    string
		desired rollout.DesiredStatus
		client  rollout.ClientStatus
		wantDep bool
	}{
		{"finished", rollout.DesiredRun, rollout.ClientComplete, false},
		{"stopped by the caller", rollout.DesiredStop, rollout.ClientComplete, true},
		{"running", rollout.DesiredRun, rollout.ClientRunning, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := rollout.Alloc{ID: "a0", JobID: "j", Group: "web", Index: 0, JobVersion: 1, Spec: "b",
				Desired: tc.desired, Client: tc.client, CreateTime: t0.Add(-time.Hour), StatusTime: t0.Add(-time.Minute)}
			out, err := rollout.Step(rollout.Input{Now: t0, Job: job, Allocs: []rollout.Alloc{a}})
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Deployment != nil; got != tc.wantDep {
				t.Errorf("deployment created: %v, want %v (placed %d)", got, tc.wantDep, len(out.Place))
			}
			if len(out.Place) == 0 {
				t.Errorf("nothing placed, want the group's missing allocations")
			}
		})
	}
}
