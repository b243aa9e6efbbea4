package rollout_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rollout-go/rollout"
)

// TestPropertyDrainMovesEveryMarked: after any history the state machine
// can build (rolling updates, canaries, surges, pauses, failures, freezes),
// a drain of the whole cluster (every live allocation marked to migrate)
// makes the next step stop every marked allocation, and place each again
// under its name unless the step stops it for another reason (excess, a
// cancelled canary, a promoted canary's or a healthy surge's namesake),
// or a canary awaiting promotion while the deployment is paused. A drain
// waits for nobody: no deployment state holds it.
func TestPropertyDrainMovesEveryMarked(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := newPropWorld()
		w.submit(propNewJob(t))
		propPrefix(t, w, "node-drain")
		marked := map[string]bool{}
		for _, i := range w.liveAllocs() {
			w.allocs[i].Migrate = true
			marked[w.allocs[i].ID] = true
		}
		in := w.input()
		out, ok := w.step(t, false)
		if !ok {
			return // a refused command: nothing was decided
		}
		stopped := map[string]rollout.DecisionKind{}
		for _, s := range out.Stop {
			stopped[s.ID] = s.Kind
		}
		replaced := map[string]rollout.Placement{}
		for _, p := range out.Place {
			if p.Replaces != "" {
				replaced[p.Replaces] = p
			}
		}
		paused := out.Deployment != nil && out.Deployment.Status == rollout.StatusPaused
		for id := range marked {
			kind, ok := stopped[id]
			if !ok {
				t.Fatalf("marked allocation %s is not stopped\ninput: %s\noutput: %s", id, propDescribe(in), propDescribeOut(out))
			}
			if kind != rollout.KindMigrate {
				continue // stopped for another reason, not placed again
			}
			p, placed := replaced[id]
			var a rollout.Alloc
			for _, x := range in.Allocs {
				if x.ID == id {
					a = x
				}
			}
			switch {
			case placed && (p.Index != a.Index || p.Group != a.Group):
				t.Fatalf("%s (%s[%d]) placed again as %s\ninput: %s\noutput: %s", id, a.Group, a.Index, p.Name, propDescribe(in), propDescribeOut(out))
			case !placed && !(a.Canary && paused):
				t.Fatalf("migrating %s stopped and not placed again\ninput: %s\noutput: %s", id, propDescribe(in), propDescribeOut(out))
			}
		}
	})
}
