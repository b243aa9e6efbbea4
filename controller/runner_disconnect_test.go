package controller_test

import (
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// recordsByID returns the state's allocation records by ID.
func recordsByID(st controller.State) map[string]rollout.Alloc {
	m := map[string]rollout.Alloc{}
	for _, a := range st.Allocs {
		m[a.ID] = a
	}
	return m
}

// TestRunnerDisconnectedNode: the Runner reads the client status the
// Driver observes, unknown included with its StatusTime, so that Step
// places a stand-in at once for an allocation whose node stops
// heartbeating; back within lost_after the original stays and its
// stand-in is stopped (reconcile best_score); away past lost_after (the
// Runner wakes for it) the original is stopped and the stand-in stays.
func TestRunnerDisconnectedNode(t *testing.T) {
	for _, back := range []bool{true, false} {
		name := map[bool]string{true: "back within lost_after", false: "away past lost_after"}[back]
		t.Run(name, func(t *testing.T) {
			cluster := rollouttest.NewCluster(rollouttest.Config{Start: runnerT0, Nodes: []string{"a", "b", "c"}})
			h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: cluster, Health: cluster})
			job := geo(3, "geo-api-server:0.1", nil)
			job.Groups[0].Disconnect = &rollout.Disconnect{LostAfter: 10 * time.Minute}
			h.submit(job)
			h.wait()
			if cluster.Advance(runnerT0) > 0 {
				h.wait()
			}
			var orig string
			for _, a := range h.state().Allocs {
				if cluster.Node(a.ID) == "a" {
					orig = a.ID
				}
			}
			if orig == "" {
				t.Fatalf("no allocation on node a: %+v", h.state().Allocs)
			}

			if err := cluster.DisconnectNode("a"); err != nil {
				t.Fatal(err)
			}
			until := h.wait()
			if want := runnerT0.Add(10 * time.Minute); !until.Equal(want) {
				t.Errorf("the runner waits until %v, want lost_after's end %v", until, want)
			}
			recs := recordsByID(h.state())
			if a := recs[orig]; a.Client != rollout.ClientUnknown || !a.StatusTime.Equal(runnerT0) || a.Desired != rollout.DesiredRun {
				t.Errorf("the original's record: client %s at %v, desired %s; want unknown at %v, run", a.Client, a.StatusTime, a.Desired, runnerT0)
			}
			var standIn string
			for id, a := range recs {
				if a.StandsInFor == orig {
					standIn = id
				}
			}
			if standIn == "" {
				t.Fatalf("no stand-in recorded for %s: %+v", orig, recs)
			}

			if back {
				h.mock.Set(runnerT0.Add(5 * time.Minute))
				if err := cluster.ReconnectNode("a"); err != nil {
					t.Fatal(err)
				}
				h.wait()
			} else {
				h.mock.Set(runnerT0.Add(10 * time.Minute))
				h.wait()
			}
			recs = recordsByID(h.state())
			kept, stopped := orig, standIn
			if !back {
				kept, stopped = standIn, orig
			}
			if recs[kept].Desired != rollout.DesiredRun || recs[stopped].Desired != rollout.DesiredStop {
				t.Errorf("%s desired %s, %s desired %s; want %s kept and %s stopped",
					kept, recs[kept].Desired, stopped, recs[stopped].Desired, kept, stopped)
			}
		})
	}
}
