package controller_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// TestRunnerForgetsTrimmedRecords: over 1,000 versions of one job, the
// records KeepStopped trims stay forgotten although the Driver still
// reports their stopped, finished allocations: no step adopts one again,
// and Step never sees more than KeepStopped stopped records beside the
// live ones and those stopped by the step before.
func TestRunnerForgetsTrimmedRecords(t *testing.T) {
	const versions, count, keep = 1000, 2, 3
	var buf syncBuffer
	var mu sync.Mutex
	most := 0
	d := rollouttest.NewRecordingDriver()
	store := controller.NewMemoryStore()
	r, _ := fastRunner(t, controller.RunnerConfig{
		JobID: "web", Driver: d, Store: store, KeepStopped: keep,
		Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		OnStep: func(s controller.StepReport) {
			mu.Lock()
			defer mu.Unlock()
			most = max(most, len(s.Input.Allocs))
		},
	})
	ctx := context.Background()
	for i := range versions {
		job := manualJob("web", count, fmt.Sprint("v", i))
		job.Update = nil // replaced all at once, no deployment
		if _, err := r.Submit(ctx, job); err != nil {
			t.Fatal(err)
		}
		eventually(t, fmt.Sprintf("version %d placed", i), func() bool {
			st, _ := store.Load(ctx, "web")
			n := 0
			for _, a := range st.Allocs {
				if a.Desired == rollout.DesiredRun && a.JobVersion == uint64(i) {
					n++
				}
			}
			return n == count && st.Pending == nil
		})
	}
	if got := len(d.Allocations("web")); got < versions*count {
		t.Fatalf("setup: the driver reports %d allocations, want every one of the %d placed", got, versions*count)
	}
	if n := strings.Count(buf.String(), "adopted"); n != 0 {
		t.Errorf("%d log records of adoptions, want none (every allocation was placed by this Runner)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if bound := keep + 2*count; most > bound {
		t.Errorf("a step saw %d allocation records, want at most %d (KeepStopped %d + %d live + %d just stopped)", most, bound, keep, count, count)
	}
	st, _ := store.Load(ctx, "web")
	if bound := keep + 2*count; len(st.Allocs) > bound {
		t.Errorf("the store keeps %d records, want at most %d", len(st.Allocs), bound)
	}
}

// TestRunnerAdoptsWhatStillMatters: of the allocations the Driver reports
// and no record knows, Step is given every one that runs, should run or is
// still stopping, and none that is stopped and finished on its node.
func TestRunnerAdoptsWhatStillMatters(t *testing.T) {
	for _, tc := range []struct {
		desired rollout.DesiredStatus
		client  rollout.ClientStatus
		adopted bool
	}{
		{rollout.DesiredRun, rollout.ClientRunning, true},
		{rollout.DesiredRun, rollout.ClientPending, true},
		{rollout.DesiredRun, rollout.ClientFailed, true}, // Step may reschedule it
		{rollout.DesiredRun, rollout.ClientComplete, true},
		{rollout.DesiredRun, rollout.ClientLost, true},
		{rollout.DesiredStop, rollout.ClientRunning, true}, // still stopping
		{rollout.DesiredStop, rollout.ClientPending, true},
		{rollout.DesiredStop, rollout.ClientComplete, false},
		{rollout.DesiredStop, rollout.ClientFailed, false},
		{rollout.DesiredStop, rollout.ClientLost, false},
	} {
		t.Run(string(tc.desired)+"/"+string(tc.client), func(t *testing.T) {
			d := rollouttest.NewRecordingDriver(rollout.Alloc{ID: "old-0", JobID: "web", Group: "web", Spec: "v0", Desired: tc.desired, Client: tc.client})
			seen := make(chan []rollout.Alloc, 1)
			r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, OnStep: func(s controller.StepReport) {
				select {
				case seen <- s.Input.Allocs:
				default:
				}
			}})
			if _, err := r.Submit(context.Background(), manualJob("web", 1, "v0")); err != nil {
				t.Fatal(err)
			}
			adopted := false
			for _, a := range <-seen {
				adopted = adopted || a.ID == "old-0"
			}
			if adopted != tc.adopted {
				t.Errorf("an unknown allocation desired %s, client %s: adopted %v, want %v", tc.desired, tc.client, adopted, tc.adopted)
			}
		})
	}
}
