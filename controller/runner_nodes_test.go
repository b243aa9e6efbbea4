package controller_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// nodeCluster is a simulated cluster that also lists nodes.
type nodeCluster struct {
	*rollouttest.Cluster
	nodes []rollout.Node
}

func (c nodeCluster) Nodes(context.Context) ([]rollout.Node, error) { return c.nodes, nil }

var _ controller.NodeLister = nodeCluster{}

func systemRunnerJob() rollout.JobVersion {
	return rollout.JobVersion{ID: "agent", Type: rollout.JobSystem, Groups: []rollout.Group{{Name: "agent", Spec: "agent:1"}}}
}

func TestRunnerSystemJobOnListedNodes(t *testing.T) {
	cluster := nodeCluster{
		Cluster: rollouttest.NewCluster(rollouttest.Config{Start: runnerT0}),
		nodes:   []rollout.Node{{ID: "n2", Eligible: true}, {ID: "n1", Eligible: true}, {ID: "n3", Eligible: true, Draining: true}},
	}
	h := newRunnerHarness(t, controller.RunnerConfig{JobID: "agent", Driver: cluster, Health: cluster})
	h.submit(systemRunnerJob())
	h.wait()
	allocs, _ := cluster.Allocs(context.Background(), "agent")
	var on []string
	for _, a := range allocs {
		if a.Desired == rollout.DesiredRun {
			on = append(on, a.NodeID)
		}
	}
	slices.Sort(on)
	if !slices.Equal(on, []string{"n1", "n2"}) {
		t.Errorf("allocations on %v, want one on each eligible, non-draining node [n1 n2]", on)
	}
}

func TestRunnerSystemJobNeedsNodeLister(t *testing.T) {
	cluster := rollouttest.NewCluster(rollouttest.Config{Start: runnerT0})
	mock := clock.NewMock()
	mock.Set(runnerT0)
	r, err := controller.NewRunner(controller.RunnerConfig{JobID: "agent", Driver: cluster, Clock: mock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(context.Background(), systemRunnerJob()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = r.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "NodeLister") {
		t.Fatalf("Run = %v, want an error naming NodeLister (a system job without nodes would stop everything)", err)
	}
	if allocs, _ := cluster.Allocs(context.Background(), "agent"); len(allocs) != 0 {
		t.Errorf("the runner decided without nodes: %+v", allocs)
	}
}
