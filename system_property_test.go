package rollout_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/internal/invariant"
	"pgregory.net/rapid"
)

// TestSystemConverges drives random system jobs (random nodes joining,
// leaving, draining or ineligible; random older allocations on them; a new
// spec with a random update block) through Step and Apply, every new
// allocation turning healthy, and checks after each step that placements go
// only to eligible nodes, that no eligible node ever runs two allocations of
// a group, that live names are unique, and in the end that every eligible
// node runs exactly one allocation of the new version.
func TestSystemConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := sysNow
		nNodes := rapid.IntRange(0, 8).Draw(t, "nodes")
		var ns []rollout.Node
		for i := 0; i < nNodes; i++ {
			n := rollout.Node{ID: fmt.Sprintf("n%d", i), Eligible: true}
			switch rapid.IntRange(0, 5).Draw(t, fmt.Sprintf("n%d.state", i)) {
			case 0:
				n.Draining = true
			case 1:
				n.Eligible = false
			}
			ns = append(ns, n)
		}
		// Older allocations: on known nodes and on gone ones.
		var allocs []rollout.Alloc
		for i, n := 0, rapid.IntRange(0, 8).Draw(t, "allocs"); i < n; i++ {
			node := fmt.Sprintf("n%d", rapid.IntRange(0, 10).Draw(t, fmt.Sprintf("a%d.node", i)))
			allocs = append(allocs, sysAlloc(fmt.Sprintf("old%d", i), i, node))
		}
		upd := &rollout.UpdateBlock{MaxParallel: intp(rapid.IntRange(0, 3).Draw(t, "max_parallel"))}
		if *upd.MaxParallel > 0 && rapid.Bool().Draw(t, "canary") {
			upd.Canary = intp(rapid.IntRange(1, 100).Draw(t, "canary%"))
			upd.AutoPromote = propPtr(true)
		}
		upd.MinHealthyTime = propPtr(time.Duration(0))
		v0 := sysJob(0, "v1", upd)
		v1 := sysJob(1, "v2", upd)
		want := map[string]bool{}
		for _, n := range ns {
			if n.Eligible && !n.Draining {
				want[n.ID] = true
			}
		}
		var dep *rollout.Deployment
		for round := 0; round < 30; round++ {
			in := rollout.Input{Now: now, Job: v1, History: []rollout.JobVersion{v0}, Deployment: dep, Allocs: allocs, Nodes: ns}
			out, err := rollout.Step(in)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			again, _ := rollout.Step(in)
			if !reflect.DeepEqual(again, out) {
				t.Fatalf("round %d: two steps on one input differ", round)
			}
			for _, p := range out.Place {
				if !want[p.NodeID] {
					t.Fatalf("round %d: %s placed on %q, not an eligible node", round, p.Name, p.NodeID)
				}
			}
			if !slices.IsSortedFunc(out.Place, func(a, b rollout.Placement) int { return a.Index - b.Index }) {
				t.Fatalf("round %d: placements out of index order", round)
			}
			if out.Job != nil {
				v1 = *out.Job
			}
			dep = out.Deployment
			allocs = out.Apply(allocs)
			now = now.Add(time.Minute)
			onNode, names := map[string]int{}, map[string]bool{}
			for i := range allocs {
				a := &allocs[i]
				if a.Desired != rollout.DesiredRun || a.Client == rollout.ClientLost {
					continue
				}
				if a.Client == rollout.ClientPending {
					a.Client = rollout.ClientRunning
					a.Health = rollout.AllocHealth{Status: rollout.Healthy, Time: now}
				}
				sysOneLive(t, round, a, want, onNode, names)
			}
			if len(out.Place)+len(out.Stop)+len(out.InPlace) == 0 && out.NextStep.IsZero() {
				break
			}
		}
		for node := range want {
			n := 0
			for _, a := range allocs {
				if a.NodeID == node && a.Desired == rollout.DesiredRun && a.JobVersion == 1 {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("node %s runs %d allocations of v1 in the end, want 1", node, n)
			}
		}
		if dep != nil && dep.Status == rollout.StatusRunning {
			t.Fatalf("deployment still running at the end: %+v", *dep)
		}
	})
}

// TestSystemChaos changes the nodes between steps (joins, leaves, drains,
// eligibility), fails random allocations, pauses health and submits a
// newer version mid-way, and checks after every step that Step accepts its
// own applied output, places only on eligible nodes and never puts two
// live allocations of the group on one node.
func TestSystemChaos(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := sysNow
		var ns []rollout.Node
		for i, n := 0, rapid.IntRange(0, 6).Draw(t, "nodes"); i < n; i++ {
			ns = append(ns, rollout.Node{ID: fmt.Sprintf("n%d", i), Eligible: true})
		}
		upd := &rollout.UpdateBlock{
			MaxParallel: intp(rapid.IntRange(0, 3).Draw(t, "max_parallel")),
			AutoRevert:  propPtr(rapid.Bool().Draw(t, "auto_revert")),
		}
		if *upd.MaxParallel > 0 && rapid.Bool().Draw(t, "canary") {
			upd.Canary = intp(rapid.IntRange(1, 100).Draw(t, "canary%"))
			upd.AutoPromote = propPtr(rapid.Bool().Draw(t, "auto_promote"))
		}
		var history []rollout.JobVersion
		job := sysJob(0, "v1", upd)
		var allocs []rollout.Alloc
		var dep *rollout.Deployment
		next := len(ns)
		for round := 0; round < 25; round++ {
			switch rapid.IntRange(0, 9).Draw(t, "change") {
			case 0:
				ns = append(ns, rollout.Node{ID: fmt.Sprintf("n%d", next), Eligible: true})
				next++
			case 1:
				if len(ns) > 0 {
					k := rapid.IntRange(0, len(ns)-1).Draw(t, "remove")
					ns = slices.Delete(slices.Clone(ns), k, k+1)
				}
			case 2:
				if len(ns) > 0 {
					ns = slices.Clone(ns)
					k := rapid.IntRange(0, len(ns)-1).Draw(t, "drain")
					ns[k].Draining = !ns[k].Draining
				}
			case 3:
				if len(ns) > 0 {
					ns = slices.Clone(ns)
					k := rapid.IntRange(0, len(ns)-1).Draw(t, "eligible")
					ns[k].Eligible = !ns[k].Eligible
				}
			case 4:
				if job.Version < 3 {
					v := sysJob(job.Version+1, fmt.Sprintf("v%d", job.Version+2), upd)
					history = append(history, job)
					job = v
				}
			}
			var cmds []rollout.Command
			if rapid.IntRange(0, 4).Draw(t, "promote") == 0 && dep != nil && dep.Status == rollout.StatusRunning && dep.RequiresPromotion() {
				cmds = append(cmds, rollout.Command{Kind: rollout.CmdPromote})
			}
			in := rollout.Input{Now: now, Job: job, History: history, Deployment: dep, Allocs: allocs, Nodes: ns, Commands: cmds}
			out, err := rollout.Step(in)
			if err != nil {
				in.Commands = nil
				if out, err = rollout.Step(in); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if err := invariant.Check(in, out); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			want := map[string]bool{}
			for _, n := range ns {
				if n.Eligible && !n.Draining {
					want[n.ID] = true
				}
			}
			for _, p := range out.Place {
				if !want[p.NodeID] {
					t.Fatalf("round %d: %s placed on %q, not an eligible node", round, p.Name, p.NodeID)
				}
			}
			if out.Job != nil {
				job = *out.Job
			}
			if out.Revert != nil {
				history = append(history, job)
				job = *out.Revert
			}
			dep = out.Deployment
			allocs = out.Apply(allocs)
			now = now.Add(time.Minute)
			onNode, names := map[string]int{}, map[string]bool{}
			for i := range allocs {
				a := &allocs[i]
				if a.Desired != rollout.DesiredRun {
					continue
				}
				if a.Client == rollout.ClientPending {
					switch rapid.IntRange(0, 5).Draw(t, "fails") {
					case 0:
						a.Client, a.StatusTime = rollout.ClientFailed, now
						a.Health = rollout.AllocHealth{Status: rollout.Unhealthy, Time: now}
					case 1:
						// Running, but its checks never pass.
						a.Client = rollout.ClientRunning
						a.Health = rollout.AllocHealth{Status: rollout.Unhealthy, Time: now}
					default:
						a.Client = rollout.ClientRunning
						a.Health = rollout.AllocHealth{Status: rollout.Healthy, Time: now}
					}
				}
				if a.Client == rollout.ClientRunning || a.Client == rollout.ClientPending {
					sysOneLive(t, round, a, want, onNode, names)
				}
			}
		}
	})
}

// sysOneLive counts a live allocation on its node and by its name: an
// eligible node runs one allocation of the group, and no two live
// allocations share a name.
func sysOneLive(t *rapid.T, round int, a *rollout.Alloc, want map[string]bool, onNode map[string]int, names map[string]bool) {
	t.Helper()
	if want[a.NodeID] {
		onNode[a.NodeID]++
		if onNode[a.NodeID] > 1 {
			t.Fatalf("round %d: node %s runs two allocations", round, a.NodeID)
		}
	}
	if names[a.Name()] {
		t.Fatalf("round %d: two live allocations named %s", round, a.Name())
	}
	names[a.Name()] = true
}
