package dashboard

import (
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// TestUnknownAllocationsHaveTheirSection: the job page lists allocations
// whose node stopped heartbeating in a status group of their own, after
// the running and pending ones and before the failed ones.
func TestUnknownAllocationsHaveTheirSection(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	allocs := []rollout.Alloc{
		{ID: "a", Group: "api", Index: 0, Desired: rollout.DesiredRun, Client: rollout.ClientFailed, CreateTime: t0},
		{ID: "b", Group: "api", Index: 1, Desired: rollout.DesiredRun, Client: rollout.ClientUnknown, StatusTime: t0, CreateTime: t0},
		{ID: "c", Group: "api", Index: 1, Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: t0, StandsInFor: "b"},
	}
	secs := allocSections(allocs, rollout.History{}, t0)
	var got []string
	for _, s := range secs {
		for _, a := range s.Allocs {
			got = append(got, s.Status+":"+a.ID)
		}
	}
	want := []string{"running:c", "unknown:b", "failed:a"}
	if len(got) != len(want) {
		t.Fatalf("sections %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sections %v, want %v", got, want)
			break
		}
	}
}
