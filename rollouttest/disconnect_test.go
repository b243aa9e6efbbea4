package rollouttest_test

import (
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// onNode sorts the job's allocations by what they are: those still to
// run on node (by client status), and the stopped ones.
func onNode(c *rollouttest.Cluster, node string) (byStatus map[rollout.ClientStatus]int, stopped int) {
	byStatus = map[rollout.ClientStatus]int{}
	for _, a := range c.Allocations() {
		switch {
		case a.Desired != rollout.DesiredRun:
			stopped++
		case c.Node(a.ID) == node:
			byStatus[a.Client]++
		}
	}
	return byStatus, stopped
}

// TestClusterDisconnectNode: a node that stops heartbeating reports its
// allocations unknown; with lost_after, stand-ins run elsewhere at once;
// back within lost_after, the originals stay (best_score) and the
// stand-ins are stopped; away past it, the originals are lost and the
// stand-ins stay.
func TestClusterDisconnectNode(t *testing.T) {
	tests := []struct {
		name      string
		awayFor   time.Duration
		wantOnA   map[rollout.ClientStatus]int // still to run on node a at the end
		wantOnB   int                          // running on node b at the end
		wantStops int
	}{
		{"back within lost_after", 5 * time.Minute, map[rollout.ClientStatus]int{rollout.ClientRunning: 2}, 2, 2},
		{"away past lost_after", 20 * time.Minute, map[rollout.ClientStatus]int{}, 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := rollouttest.NewCluster(rollouttest.Config{Nodes: []string{"a", "b"}})
			job := web(4, "v1", nil)
			job.Groups[0].Disconnect = &rollout.Disconnect{LostAfter: 10 * time.Minute}
			mustSubmit(t, c, job)
			if err := c.Run(); err != nil {
				t.Fatal(err)
			}
			if err := c.DisconnectNode("a"); err != nil {
				t.Fatal(err)
			}
			if err := c.RunFor(time.Minute); err != nil {
				t.Fatal(err)
			}
			onA, _ := onNode(c, "a")
			onB, _ := onNode(c, "b")
			if onA[rollout.ClientUnknown] != 2 || onB[rollout.ClientRunning] != 4 {
				t.Fatalf("while away: %v on a, %v on b; want 2 unknown on a, 4 running on b (2 stand-ins)", onA, onB)
			}
			for _, a := range c.Allocations() {
				if a.Client == rollout.ClientUnknown && a.StatusTime.IsZero() {
					t.Errorf("unknown allocation %s has no StatusTime", a.Name())
				}
			}
			if err := c.RunFor(tt.awayFor); err != nil {
				t.Fatal(err)
			}
			if err := c.ReconnectNode("a"); err != nil {
				t.Fatal(err)
			}
			if err := c.Run(); err != nil {
				t.Fatal(err)
			}
			onA, stops := onNode(c, "a")
			onB, _ = onNode(c, "b")
			if len(onA) != len(tt.wantOnA) || onA[rollout.ClientRunning] != tt.wantOnA[rollout.ClientRunning] || onB[rollout.ClientRunning] != tt.wantOnB || stops != tt.wantStops {
				t.Errorf("at the end: %v on a, %v on b, %d stopped; want %v on a, %d running on b, %d stopped",
					onA, onB, stops, tt.wantOnA, tt.wantOnB, tt.wantStops)
			}
		})
	}
	c := rollouttest.NewCluster(rollouttest.Config{})
	if err := c.DisconnectNode("nowhere"); err == nil {
		t.Error("DisconnectNode of an unknown node succeeded")
	}
	if err := c.ReconnectNode("nowhere"); err == nil {
		t.Error("ReconnectNode of an unknown node succeeded")
	}
}
