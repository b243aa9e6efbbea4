package rollout_test

import (
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
)

// A node drain under a service job: the caller's drainer marks the
// allocations that must leave the node (Alloc.Migrate), and the next step
// stops each and places it again under its name, while the rolling update
// of the same step keeps to max_parallel.
func ExampleAlloc_migrate() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	one := 1
	job := func(version uint64, spec string) rollout.JobVersion {
		return rollout.JobVersion{ID: "web", Version: version, Update: &rollout.UpdateBlock{MaxParallel: &one},
			Groups: []rollout.Group{{Name: "api", Count: 4, Spec: spec}}}
	}
	var allocs []rollout.Alloc
	for i := range 4 {
		allocs = append(allocs, rollout.Alloc{
			ID: fmt.Sprintf("a%d", i), JobID: "web", Group: "api", Index: i, Spec: "v1",
			Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: now,
			Health:  rollout.AllocHealth{Status: rollout.Healthy, Time: now},
			Migrate: i >= 2, // a2 and a3 run on the node being drained
		})
	}
	out, err := rollout.Step(rollout.Input{Now: now, Job: job(1, "v2"), History: []rollout.JobVersion{job(0, "v1")}, Allocs: allocs})
	if err != nil {
		panic(err)
	}
	for _, s := range out.Stop {
		fmt.Println("stop", s.Name, s.Kind)
	}
	for _, p := range out.Place {
		fmt.Println("place", p.Name, "v", p.JobVersion, p.Kind)
	}
	fmt.Println("plan:", out.Plan[0])
	// Output:
	// stop web.api[0] update
	// stop web.api[2] migrate
	// stop web.api[3] migrate
	// place web.api[0] v 1 update
	// place web.api[2] v 1 migrate
	// place web.api[3] v 1 migrate
	// plan: 1 create/destroy update, 2 migrate, 1 ignore
}
