package rollout_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// sysCase is one case of Nomad's system scheduler test of the update block
// (TestSystemSched_UpdateBlock): ten nodes, a job of two groups, tg1 and
// tg2, changed destructively from version 0 to version 1, and the
// allocations, deployment states and expected counts of that case.
type sysCase struct {
	name     string
	tg1, tg2 *rollout.UpdateBlock
	// Nodes (by position) holding an allocation of each group: of version
	// 0 (previous), of version 1 running, of version 1 failed; canary lists
	// which of the version 1 allocations are canaries of the deployment.
	previous, running, failed, canary map[string][]int
	// cur is the current deployment's group states (PlacedCanaries filled
	// from canary); old, when set, adds a running deployment of version 0.
	cur map[string]rollout.DeploymentGroup
	old bool
	// ineligible lists nodes that take no new allocations.
	ineligible []int

	// nomad is Nomad's answer.
	nomad sysWant
	// differs says why rollout's answer differs from Nomad's, on purpose
	// (see the package documentation); own holds rollout's answer then.
	differs string
	own     *sysWant
}

// sysWant is an answer of a case: allocations placed and stopped per
// group, and per group DesiredTotal, DesiredCanaries, Placed and the
// number of PlacedCanaries of the deployment after the step.
type sysWant struct {
	place, stop map[string]int
	groups      map[string][4]int
}

func mp(n int) *rollout.UpdateBlock { return &rollout.UpdateBlock{MaxParallel: &n} }

func mpCanary(n, canary int, autoPromote bool) *rollout.UpdateBlock {
	return &rollout.UpdateBlock{MaxParallel: &n, Canary: &canary, AutoPromote: &autoPromote}
}

func sysCases() []sysCase {
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	return []sysCase{
		{
			name:  "legacy upgrade non-deployment",
			nomad: sysWant{place: map[string]int{"tg1": 10, "tg2": 10}},
		},
		{
			name:     "new deployment max_parallel vs no update block",
			tg1:      mp(2),
			previous: map[string][]int{"tg1": all, "tg2": all},
			old:      true,
			nomad:    sysWant{place: map[string]int{"tg1": 2, "tg2": 10}, stop: map[string]int{"tg1": 2, "tg2": 10}, groups: map[string][4]int{"tg1": {10, 0, 2, 0}}},
		},
		{
			name:     "max_parallel mid-deployment",
			tg1:      mp(2),
			tg2:      mp(3),
			previous: map[string][]int{"tg1": all[:8], "tg2": all[:7]},
			running:  map[string][]int{"tg1": {8, 9}, "tg2": {7, 8, 9}},
			cur:      map[string]rollout.DeploymentGroup{"tg1": {DesiredTotal: 10, Placed: 2, Healthy: 2}, "tg2": {DesiredTotal: 10, Placed: 3, Healthy: 3}},
			nomad:    sysWant{place: map[string]int{"tg1": 2, "tg2": 3}, stop: map[string]int{"tg1": 2, "tg2": 3}, groups: map[string][4]int{"tg1": {10, 0, 4, 0}, "tg2": {10, 0, 6, 0}}},
		},
		{
			name:     "legacy upgrade max_parallel mid-rollout",
			tg1:      mp(2),
			tg2:      mp(3),
			previous: map[string][]int{"tg1": all[:8], "tg2": all[:7]},
			running:  map[string][]int{"tg1": {8, 9}, "tg2": {7, 8, 9}},
			nomad:    sysWant{place: map[string]int{"tg1": 2, "tg2": 3}, stop: map[string]int{"tg1": 2, "tg2": 3}},
		},
		{
			name:     "max_parallel underprovisioned from failure",
			tg1:      mp(2),
			tg2:      mp(3),
			previous: map[string][]int{"tg1": all[:8], "tg2": all[:7]},
			failed:   map[string][]int{"tg1": {8, 9}, "tg2": {7, 8, 9}},
			cur:      map[string]rollout.DeploymentGroup{"tg1": {DesiredTotal: 10, Placed: 2, Unhealthy: 2}, "tg2": {DesiredTotal: 10, Placed: 3, Unhealthy: 3}},
			nomad:    sysWant{place: map[string]int{"tg1": 4, "tg2": 6}, stop: map[string]int{"tg1": 2, "tg2": 3}, groups: map[string][4]int{"tg1": {10, 0, 6, 0}, "tg2": {10, 0, 9, 0}}},
			differs:  "the rolling budget pauses while an allocation of the deployment is being replaced",
			own: &sysWant{place: map[string]int{"tg1": 2, "tg2": 3}, stop: map[string]int{"tg1": 2, "tg2": 3},
				groups: map[string][4]int{"tg1": {10, 0, 4, 0}, "tg2": {10, 0, 6, 0}}},
		},
		{
			name:     "new deployment max_parallel with old underprovisioned",
			tg1:      mp(2),
			tg2:      mp(3),
			previous: map[string][]int{"tg1": all[:5], "tg2": all[:3]},
			old:      true,
			nomad:    sysWant{place: map[string]int{"tg1": 7, "tg2": 10}, stop: map[string]int{"tg1": 2, "tg2": 3}, groups: map[string][4]int{"tg1": {10, 0, 7, 0}, "tg2": {10, 0, 10, 0}}},
		},
		{
			name:     "new deployment with canaries",
			tg1:      mpCanary(2, 30, false),
			tg2:      mp(5),
			previous: map[string][]int{"tg1": all, "tg2": all[:8]},
			old:      true,
			nomad:    sysWant{place: map[string]int{"tg1": 2, "tg2": 7}, stop: map[string]int{"tg1": 2, "tg2": 5}, groups: map[string][4]int{"tg1": {10, 2, 2, 2}, "tg2": {10, 0, 7, 0}}},
		},
		{
			name:     "canaries failed",
			tg1:      mpCanary(3, 30, false),
			tg2:      mp(5),
			previous: map[string][]int{"tg1": all[:7], "tg2": all[:5]},
			running:  map[string][]int{"tg1": {7}, "tg2": {5, 6, 7, 8, 9}},
			failed:   map[string][]int{"tg1": {8}},
			canary:   map[string][]int{"tg1": {7, 8}},
			cur: map[string]rollout.DeploymentGroup{
				"tg1": {DesiredCanaries: 3, DesiredTotal: 10, Placed: 2, Healthy: 1, Unhealthy: 1},
				"tg2": {DesiredTotal: 10, Placed: 5, Healthy: 5},
			},
			nomad: sysWant{place: map[string]int{"tg1": 3, "tg2": 5}, stop: map[string]int{"tg1": 1, "tg2": 5}, groups: map[string][4]int{"tg1": {10, 3, 5, 2}, "tg2": {10, 0, 10, 0}}},
			// Nomad replaces the failed canary with a plain allocation of
			// the new version, and places one on the empty node: nothing of
			// it runs unpromoted but canaries here, and a replaced canary
			// stays a canary.
			differs: "a failed canary is replaced by a canary; no placement on an empty node while canaries await promotion",
			own: &sysWant{place: map[string]int{"tg1": 2, "tg2": 5}, stop: map[string]int{"tg1": 2, "tg2": 5},
				groups: map[string][4]int{"tg1": {10, 3, 4, 4}, "tg2": {10, 0, 10, 0}}},
		},
		{
			name:     "canaries partial placement",
			tg1:      mpCanary(2, 30, false),
			tg2:      mp(5),
			previous: map[string][]int{"tg1": {0, 1, 2, 3, 4, 5, 6, 8, 9}, "tg2": all[:5]},
			running:  map[string][]int{"tg1": {7}, "tg2": {5, 6, 7, 8, 9}},
			canary:   map[string][]int{"tg1": {7}},
			cur: map[string]rollout.DeploymentGroup{
				"tg1": {DesiredCanaries: 2, DesiredTotal: 10, Placed: 1, Healthy: 1},
				"tg2": {DesiredTotal: 10, Placed: 5, Healthy: 5},
			},
			nomad: sysWant{place: map[string]int{"tg1": 1, "tg2": 5}, stop: map[string]int{"tg1": 1, "tg2": 5}, groups: map[string][4]int{"tg1": {10, 2, 2, 2}, "tg2": {10, 0, 10, 0}}},
		},
		{
			name:     "canaries awaiting promotion",
			tg1:      mpCanary(3, 30, false),
			tg2:      mp(5),
			previous: map[string][]int{"tg1": all[:7]},
			running:  map[string][]int{"tg1": {7, 8, 9}, "tg2": all},
			canary:   map[string][]int{"tg1": {7, 8, 9}},
			cur: map[string]rollout.DeploymentGroup{
				"tg1": {DesiredCanaries: 3, DesiredTotal: 10, Placed: 3, Healthy: 3},
				"tg2": {DesiredTotal: 10, Placed: 10, Healthy: 10},
			},
			nomad: sysWant{groups: map[string][4]int{"tg1": {10, 3, 3, 3}, "tg2": {10, 0, 10, 0}}},
		},
		{
			name:     "canaries promoted",
			tg1:      mpCanary(2, 30, true),
			previous: map[string][]int{"tg1": all[:7]},
			running:  map[string][]int{"tg1": {7, 8, 9}, "tg2": all},
			canary:   map[string][]int{"tg1": {7, 8, 9}},
			cur: map[string]rollout.DeploymentGroup{
				"tg1": {Promoted: true, DesiredCanaries: 3, DesiredTotal: 10, Placed: 3, Healthy: 3},
				"tg2": {DesiredTotal: 10, Placed: 10, Healthy: 10},
			},
			nomad: sysWant{place: map[string]int{"tg1": 2}, stop: map[string]int{"tg1": 2}, groups: map[string][4]int{"tg1": {10, 3, 5, 3}, "tg2": {10, 0, 10, 0}}},
		},
		{
			name:     "deployment complete with ineligible nodes",
			tg1:      mpCanary(10, 30, true),
			previous: map[string][]int{"tg1": all[:7]},
			running:  map[string][]int{"tg1": {7, 8, 9}, "tg2": all},
			canary:   map[string][]int{"tg1": {7, 8, 9}},
			cur: map[string]rollout.DeploymentGroup{
				"tg1": {Promoted: true, DesiredCanaries: 3, DesiredTotal: 10, Placed: 3, Healthy: 3},
				"tg2": {DesiredTotal: 10, Placed: 10, Healthy: 10},
			},
			ineligible: []int{0, 1},
			nomad:      sysWant{place: map[string]int{"tg1": 5}, stop: map[string]int{"tg1": 7}, groups: map[string][4]int{"tg1": {8, 3, 8, 3}, "tg2": {10, 0, 10, 0}}},
			differs:    "a group's desired total follows the eligible nodes at every step (Nomad leaves a group with nothing to place as it was)",
			own: &sysWant{place: map[string]int{"tg1": 5}, stop: map[string]int{"tg1": 7},
				groups: map[string][4]int{"tg1": {8, 3, 8, 3}, "tg2": {8, 0, 10, 0}}},
		},
		{
			name:  "deployment previous no placements",
			tg1:   mpCanary(10, 30, false),
			cur:   map[string]rollout.DeploymentGroup{"tg1": {}, "tg2": {}},
			nomad: sysWant{place: map[string]int{"tg1": 10, "tg2": 10}, groups: map[string][4]int{"tg1": {10, 0, 10, 0}, "tg2": {10, 0, 10, 0}}},
		},
	}
}

// TestSystemUpdateBlockAsNomad runs the cases of Nomad's system scheduler
// test of the update block (TestSystemSched_UpdateBlock) through Step,
// with Nomad's expected counts, or rollout's own where it differs on
// purpose. Its case of changing constraints is left out: rollout does not
// model feasibility (Input.Nodes are the nodes a job may run on).
func TestSystemUpdateBlockAsNomad(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range sysCases() {
		t.Run(tc.name, func(t *testing.T) {
			var nodes []rollout.Node
			for i := range 10 {
				nodes = append(nodes, rollout.Node{ID: fmt.Sprintf("n%d", i), Eligible: !slices.Contains(tc.ineligible, i)})
			}
			version := func(v uint64, spec string) rollout.JobVersion {
				return rollout.JobVersion{ID: "sys", Type: rollout.JobSystem, Version: v, SubmitTime: t0, Groups: []rollout.Group{
					{Name: "tg1", Count: 1, Spec: spec, Update: tc.tg1},
					{Name: "tg2", Count: 1, Spec: spec, Update: tc.tg2},
				}}
			}
			old, job := version(0, "date"), version(1, "other")
			old.Stable = true
			in := rollout.Input{Now: t0, Job: job, History: []rollout.JobVersion{old}, Nodes: nodes}
			if tc.old {
				in.Deployment = &rollout.Deployment{ID: "d0", JobID: "sys", JobVersion: 0, Status: rollout.StatusRunning,
					Description: "Deployment is running", CreateTime: t0.Add(-time.Hour), ModifyTime: t0.Add(-time.Hour)}
			}
			n := 0
			add := func(group string, node int, v uint64, client rollout.ClientStatus) *rollout.Alloc {
				n++
				a := rollout.Alloc{ID: fmt.Sprintf("a%02d", n), JobID: "sys", Group: group, Index: node, NodeID: fmt.Sprintf("n%d", node),
					JobVersion: v, Spec: map[uint64]string{0: "date", 1: "other"}[v], Desired: rollout.DesiredRun, Client: client,
					CreateTime: t0.Add(-30 * time.Minute), StatusTime: t0.Add(-20 * time.Minute)}
				in.Allocs = append(in.Allocs, a)
				return &in.Allocs[len(in.Allocs)-1]
			}
			canaryIDs := map[string][]string{}
			for _, g := range []string{"tg1", "tg2"} {
				for _, i := range tc.previous[g] {
					add(g, i, 0, rollout.ClientRunning)
				}
				for _, list := range []struct {
					nodes  []int
					client rollout.ClientStatus
				}{{tc.running[g], rollout.ClientRunning}, {tc.failed[g], rollout.ClientFailed}} {
					for _, i := range list.nodes {
						a := add(g, i, 1, list.client)
						if tc.cur == nil {
							continue // placed before any deployment
						}
						// In the deployment, with the health its counters
						// say: healthy running, unhealthy failed.
						a.DeploymentID = "d1"
						a.Health = rollout.AllocHealth{Status: rollout.Healthy, Time: t0.Add(-10 * time.Minute)}
						if list.client == rollout.ClientFailed {
							a.Health.Status = rollout.Unhealthy
						}
						if slices.Contains(tc.canary[g], i) {
							a.Canary = true
							canaryIDs[g] = append(canaryIDs[g], a.ID)
						}
					}
				}
			}
			if tc.cur != nil {
				d := &rollout.Deployment{ID: "d1", JobID: "sys", JobVersion: 1, Status: rollout.StatusRunning,
					Description: "Deployment is running", CreateTime: t0.Add(-time.Hour), ModifyTime: t0.Add(-time.Hour)}
				for _, g := range []string{"tg1", "tg2"} {
					ds, ok := tc.cur[g]
					if !ok {
						continue
					}
					ds.Name, ds.ProgressDeadline, ds.RequireProgressBy = g, 10*time.Minute, t0.Add(10*time.Minute)
					ds.PlacedCanaries = canaryIDs[g]
					d.Groups = append(d.Groups, ds)
				}
				in.Deployment = d
			}
			out, err := rollout.Step(in)
			if err != nil {
				t.Fatal(err)
			}
			place, stop := map[string]int{}, map[string]int{}
			for _, p := range out.Place {
				place[p.Group]++
			}
			for _, s := range out.Stop {
				stop[s.Group]++
			}
			want, who := tc.nomad, "Nomad"
			if tc.differs != "" {
				want, who = *tc.own, "want (differs on purpose: "+tc.differs+")"
			}
			var bad []string
			if fmt.Sprint(place) != fmt.Sprint(nz(want.place)) {
				bad = append(bad, fmt.Sprintf("placed %v, %s %v", place, who, nz(want.place)))
			}
			if fmt.Sprint(stop) != fmt.Sprint(nz(want.stop)) {
				bad = append(bad, fmt.Sprintf("stopped %v, %s %v", stop, who, nz(want.stop)))
			}
			for g, want := range want.groups {
				var got [4]int
				if out.Deployment != nil {
					if ds, ok := out.Deployment.Group(g); ok {
						got = [4]int{ds.DesiredTotal, ds.DesiredCanaries, ds.Placed, len(ds.PlacedCanaries)}
					}
				}
				if got != want {
					bad = append(bad, fmt.Sprintf("group %s total/canaries/placed/placed canaries %v, %s %v", g, got, who, want))
				}
			}
			if len(bad) > 0 {
				var got []string
				for _, st := range out.Stop {
					got = append(got, fmt.Sprintf("stop %s %s %s", st.ID, st.Name, st.Kind))
				}
				for _, p := range out.Place {
					got = append(got, fmt.Sprintf("place %s on %s canary=%v %s replaces %s", p.Name, p.NodeID, p.Canary, p.Kind, p.Replaces))
				}
				t.Errorf("%s\n%s\n%s", strings.Join(bad, "\n"), out.Plan, strings.Join(got, "\n"))
			}
		})
	}
}

func nz(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
