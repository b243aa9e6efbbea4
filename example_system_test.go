package rollout_test

import (
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
)

// A system job runs one allocation per eligible, non-draining node. Here
// node n3 joined, n2 is draining and n4 left the cluster; a new spec is
// rolled out two nodes at a time (max_parallel), and n3's first allocation
// takes one of the two.
func ExampleStep_systemJob() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	two := 2
	job := func(version uint64, spec string) rollout.JobVersion {
		return rollout.JobVersion{
			ID: "agent", Type: rollout.JobSystem, Version: version,
			Update: &rollout.UpdateBlock{MaxParallel: &two},
			Groups: []rollout.Group{{Name: "agent", Spec: spec}},
		}
	}
	running := func(id string, index int, node string) rollout.Alloc {
		return rollout.Alloc{
			ID: id, JobID: "agent", Group: "agent", Index: index, NodeID: node, Spec: "v1",
			Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: now,
			Health: rollout.AllocHealth{Status: rollout.Healthy, Time: now},
		}
	}
	out, err := rollout.Step(rollout.Input{
		Now: now, Job: job(1, "v2"), History: []rollout.JobVersion{job(0, "v1")},
		Nodes: []rollout.Node{
			{ID: "n1", Eligible: true},
			{ID: "n2", Eligible: true, Draining: true},
			{ID: "n3", Eligible: true},
		},
		Allocs: []rollout.Alloc{running("a0", 0, "n1"), running("a1", 1, "n2"), running("a2", 2, "n4")},
	})
	if err != nil {
		panic(err)
	}
	for _, s := range out.Stop {
		fmt.Println("stop", s.Name, s.Kind)
	}
	for _, p := range out.Place {
		fmt.Println("place", p.Name, "on", p.NodeID, p.Kind)
	}
	fmt.Println("deployment wants", out.Deployment.Groups[0].DesiredTotal)
	// Output:
	// stop agent.agent[0] update
	// stop agent.agent[1] node-drained
	// stop agent.agent[2] lost
	// place agent.agent[0] on n1 update
	// place agent.agent[3] on n3 create
	// deployment wants 2
}
