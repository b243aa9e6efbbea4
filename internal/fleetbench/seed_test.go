package fleetbench

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout/controller"
)

// TestSeedIsIdle: the jobs Seed stores are idle, deployed and steady: a
// Manager started over them steps each job once and decides and saves
// nothing, so that StartManager measures a start and nothing else.
func TestSeedIsIdle(t *testing.T) {
	ctx := context.Background()
	store := controller.NewMemoryStore()
	const jobs = 3
	cluster, err := Seed(ctx, store, jobs, 3)
	if err != nil {
		t.Fatal(err)
	}
	var before []controller.State
	for i := range jobs {
		st, err := store.Load(ctx, JobID(i))
		if err != nil || st.Revision == 0 {
			t.Fatalf("%s after Seed: revision %d, %v", JobID(i), st.Revision, err)
		}
		before = append(before, st)
	}
	d, err := StartManager(ctx, store, cluster, jobs, time.Minute)
	if err != nil || d <= 0 {
		t.Fatalf("StartManager = %v, %v", d, err)
	}
	for i := range jobs {
		after, err := store.Load(ctx, JobID(i))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before[i], after); diff != "" {
			t.Errorf("%s changed at the Manager's start (-seeded +after):\n%s", JobID(i), diff)
		}
		if n := cluster.Running(JobID(i)); n != 3 {
			t.Errorf("%s runs %d allocations, want 3", JobID(i), n)
		}
	}
}
