package rollout_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
)

var sysNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sysJob is a system job of one group "agent" with the given spec.
func sysJob(version uint64, spec string, upd *rollout.UpdateBlock) rollout.JobVersion {
	return rollout.JobVersion{
		ID: "sys", Type: rollout.JobSystem, Version: version, Update: upd,
		Groups: []rollout.Group{{Name: "agent", Spec: spec}},
	}
}

// sysAlloc is a running, healthy allocation of version 0 on a node.
func sysAlloc(id string, index int, node string) rollout.Alloc {
	return rollout.Alloc{
		ID: id, JobID: "sys", Group: "agent", Index: index, NodeID: node, JobVersion: 0, Spec: "v1",
		Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: sysNow,
		Health: rollout.AllocHealth{Status: rollout.Healthy, Time: sysNow},
	}
}

func nodes(ids ...string) []rollout.Node {
	out := make([]rollout.Node, len(ids))
	for i, id := range ids {
		out[i] = rollout.Node{ID: id, Eligible: true}
	}
	return out
}

func intp(n int) *int { return &n }

// fieldErrors returns the FieldErrors of a Step or Validate error, checking
// that each wraps ErrInvalid.
func fieldErrors(t *testing.T, err error) []*rollout.FieldError {
	t.Helper()
	var merr *multierror.Error
	if !errors.As(err, &merr) {
		t.Fatalf("error %v is not a go-multierror", err)
	}
	var out []*rollout.FieldError
	for _, e := range merr.Errors {
		var fe *rollout.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not a *FieldError", e)
		}
		if !errors.Is(e, rollout.ErrInvalid) {
			t.Errorf("error %v does not wrap ErrInvalid", e)
		}
		out = append(out, fe)
	}
	return out
}

func TestSystemValidation(t *testing.T) {
	tests := []struct {
		name   string
		in     func() rollout.Input
		field  string
		value  any
		reason string
	}{
		{
			name: "unknown type",
			in: func() rollout.Input {
				j := sysJob(0, "v1", nil)
				j.Type = "batch"
				return rollout.Input{Now: sysNow, Job: j}
			},
			field: "job.type", value: "batch",
			reason: "only service and system jobs are deployed",
		},
		{
			name: "empty node ID",
			in: func() rollout.Input {
				return rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: []rollout.Node{{ID: "n1"}, {ID: ""}}}
			},
			field: "nodes[1].id", value: "",
			reason: "a node without an ID cannot hold an allocation",
		},
		{
			name: "duplicate node ID",
			in: func() rollout.Input {
				return rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: nodes("n1", "n2", "n1")}
			},
			field: "nodes[2].id", value: "n1",
			reason: "one node, one allocation: two entries would be ambiguous",
		},
		{
			name: "allocation without node",
			in: func() rollout.Input {
				return rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: nodes("n1"), Allocs: []rollout.Alloc{sysAlloc("a1", 0, "")}}
			},
			field: `alloc "a1" node_id`, value: "",
			reason: "a system job's allocation belongs to a node",
		},
		{
			name: "negative index",
			in: func() rollout.Input {
				return rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: nodes("n1"), Allocs: []rollout.Alloc{sysAlloc("a1", -2, "n1")}}
			},
			field: `alloc "a1" index`, value: -2,
			reason: "the engine sees node ranks, so the system path checks the allocation's own index",
		},
		{
			name: "history holds the job's version with another spec",
			in: func() rollout.Input {
				return rollout.Input{Now: sysNow, Job: sysJob(1, "v2", nil), History: []rollout.JobVersion{sysJob(1, "v9", nil)}, Nodes: nodes("n1")}
			},
			field: "history[0].version", value: uint64(1),
			reason: "the engine runs a node-slotted copy of the job in its place, so the system path checks it",
		},
		{
			name: "canary above 100 percent",
			in: func() rollout.Input {
				return rollout.Input{Now: sysNow, Job: sysJob(0, "v1", &rollout.UpdateBlock{MaxParallel: intp(2), Canary: intp(150)}), Nodes: nodes("n1")}
			},
			field: `group "agent" update.canary`, value: 150,
			reason: "a system job's canary is a percentage",
		},
		{
			name: "negative count still refused",
			in: func() rollout.Input {
				j := sysJob(0, "v1", nil)
				j.Groups[0].Count = -1
				return rollout.Input{Now: sysNow, Job: j, Nodes: nodes("n1")}
			},
			field: `group "agent" count`, value: -1,
			reason: "the count is ignored, but a negative one is a typo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rollout.Step(tt.in())
			if err == nil {
				t.Fatalf("Step accepted it; want a FieldError on %s (%s)", tt.field, tt.reason)
			}
			var found bool
			for _, fe := range fieldErrors(t, err) {
				if fe.Field == tt.field {
					found = true
					if diff := cmp.Diff(tt.value, fe.Value); diff != "" {
						t.Errorf("value mismatch (-want +got):\n%s", diff)
					}
				}
			}
			if !found {
				t.Errorf("no FieldError on %s in %v (%s)", tt.field, err, tt.reason)
			}
		})
	}
}

func TestSystemCountIgnored(t *testing.T) {
	// A count (from a job file's default) does not change a system job's
	// decisions; canary may exceed it.
	upd := &rollout.UpdateBlock{MaxParallel: intp(1), Canary: intp(50)}
	j := sysJob(0, "v1", upd)
	j.Groups[0].Count = 1
	if err := j.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	a, err := rollout.Step(rollout.Input{Now: sysNow, Job: j, Nodes: nodes("n1", "n2", "n3")})
	if err != nil {
		t.Fatal(err)
	}
	j.Groups[0].Count = 7
	b, err := rollout.Step(rollout.Input{Now: sysNow, Job: j, Nodes: nodes("n1", "n2", "n3")})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Place) != 3 {
		t.Errorf("placed %d, want one per node (3)", len(a.Place))
	}
	if diff := cmp.Diff(a.Place, b.Place); diff != "" {
		t.Errorf("count changed the placements (-1 +7):\n%s", diff)
	}
}

func TestSystemTypeSpellings(t *testing.T) {
	for _, in := range []string{
		`{"id":"sys","type":"system","groups":[{"name":"agent","count":0}]}`,
		`{"ID":"sys","Type":"system","Groups":[{"Name":"agent","Count":0}]}`,
	} {
		var j rollout.JobVersion
		if err := json.Unmarshal([]byte(in), &j); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if j.Type != rollout.JobSystem {
			t.Errorf("%s: Type = %q, want system", in, j.Type)
		}
	}
	var j rollout.JobVersion
	if err := json.Unmarshal([]byte(`{"id":"x","type":"batch","groups":[{"name":"g","count":1}]}`), &j); err != nil {
		t.Fatalf("loading is not validating: %v", err)
	}
	if err := j.Validate(); err == nil {
		t.Error(`Validate accepted type "batch"`)
	}
	if err := json.Unmarshal([]byte(`{"id":"x","type":3,"groups":[]}`), &j); err == nil {
		t.Error("a numeric type was accepted")
	}
	// A service job's JSON does not mention the type: goldens stay as they were.
	out, err := json.Marshal(rollout.JobVersion{ID: "x", Groups: []rollout.Group{{Name: "g", Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"x","version":0,"groups":[{"name":"g","count":1}]}`; string(out) != want {
		t.Errorf("service job JSON = %s, want %s", out, want)
	}
	alloc, _ := json.Marshal(rollout.Alloc{ID: "a"})
	var m map[string]any
	_ = json.Unmarshal(alloc, &m)
	if _, ok := m["NodeID"]; ok {
		t.Errorf("an allocation without a node writes NodeID: %s", alloc)
	}
}

func TestServiceJobIgnoresNodes(t *testing.T) {
	in := rollout.Input{
		Now: sysNow,
		Job: rollout.JobVersion{ID: "svc", Groups: []rollout.Group{{Name: "web", Count: 2, Spec: "v1"}}},
	}
	a, err := rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Nodes = []rollout.Node{{ID: "n1", Eligible: true}, {ID: "n1"}, {ID: ""}} // not even validated
	b, err := rollout.Step(in)
	if err != nil {
		t.Fatalf("a service job's Nodes were validated: %v", err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("Nodes changed a service job's output (-without +with):\n%s", diff)
	}
	for _, p := range a.Place {
		if p.NodeID != "" {
			t.Errorf("service placement %s has node %q", p.Name, p.NodeID)
		}
	}
	in.Job.Type = rollout.JobService
	c, err := rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, c); diff != "" {
		t.Errorf(`type "service" differs from the empty type (-empty +service):\n%s`, diff)
	}
}

func TestSystemNodeOrderDoesNotMatter(t *testing.T) {
	ids := []string{"n5", "n2", "n9", "n1", "n7"}
	allocs := []rollout.Alloc{sysAlloc("a", 3, "n9"), sysAlloc("b", 0, "n1"), sysAlloc("c", 1, "gone")}
	var first rollout.Output
	for k := 0; k < 5; k++ {
		perm := slices.Clone(ids)
		for i := range perm { // a deterministic rotation per round
			perm[i] = ids[(i+k)%len(ids)]
		}
		al := slices.Clone(allocs)
		slices.Reverse(al[:k%2+1])
		out, err := rollout.Step(rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: nodes(perm...), Allocs: al})
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			first = out
			continue
		}
		if diff := cmp.Diff(first, out); diff != "" {
			t.Fatalf("round %d: output depends on input order (-first +this):\n%s", k, diff)
		}
	}
	// n2, n5, n7 get the lowest free indexes (0 and 3 are held; c's 1 is
	// freed by nothing yet, since c is stopped in this very step).
	var got []string
	for _, p := range first.Place {
		got = append(got, fmt.Sprintf("%s@%s", p.Name, p.NodeID))
	}
	want := []string{"sys.agent[2]@n2", "sys.agent[4]@n5", "sys.agent[5]@n7"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("placements (-want +got):\n%s", diff)
	}
	if len(first.Stop) != 1 || first.Stop[0].ID != "c" || !first.Stop[0].Lost || first.Stop[0].Kind != rollout.KindLost {
		t.Errorf("stops = %+v, want c lost (its node is gone)", first.Stop)
	}
}

func TestSystemSecondAllocationOnANode(t *testing.T) {
	allocs := []rollout.Alloc{sysAlloc("a", 0, "n1"), sysAlloc("b", 1, "n1"), sysAlloc("c", 2, "n2")}
	out, err := rollout.Step(rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: nodes("n1", "n2"), Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Place) != 0 || len(out.Stop) != 1 || out.Stop[0].ID != "b" || out.Stop[0].Kind != rollout.KindScaleDown {
		t.Errorf("want b (the second on n1) stopped and nothing placed; got stops %+v places %+v", out.Stop, out.Place)
	}
}

func TestSystemStoppedJob(t *testing.T) {
	j := sysJob(1, "v1", nil)
	j.Stop = true
	allocs := []rollout.Alloc{sysAlloc("a", 0, "n1"), sysAlloc("b", 1, "gone"), sysAlloc("c", 2, "n2")}
	out, err := rollout.Step(rollout.Input{Now: sysNow, Job: j, Nodes: nodes("n1", "n2"), Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.Stop {
		got = append(got, s.ID+":"+string(s.Kind))
	}
	if diff := cmp.Diff([]string{"a:job-stopped", "b:job-stopped", "c:job-stopped"}, got); diff != "" {
		t.Errorf("stops (-want +got):\n%s", diff)
	}
	if len(out.Place) != 0 {
		t.Errorf("a stopped job placed %d allocations", len(out.Place))
	}
}

func TestSystemCanaryMoreThanDestructive(t *testing.T) {
	// canary = 100 of three nodes, but only one node runs an older spec:
	// one canary, on that node, replacing its allocation.
	upd := &rollout.UpdateBlock{MaxParallel: intp(3), Canary: intp(100)}
	cur := sysAlloc("b", 1, "n2")
	cur.JobVersion, cur.Spec = 1, "v2"
	cur2 := sysAlloc("c", 2, "n3")
	cur2.JobVersion, cur2.Spec = 1, "v2"
	old := sysAlloc("a", 0, "n1")
	out, err := rollout.Step(rollout.Input{
		Now: sysNow, Job: sysJob(1, "v2", upd), History: []rollout.JobVersion{sysJob(0, "v1", upd)},
		Nodes: nodes("n1", "n2", "n3"), Allocs: []rollout.Alloc{old, cur, cur2},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Place) != 1 || out.Place[0].NodeID != "n1" || !out.Place[0].Canary || out.Place[0].Replaces != "a" || out.Place[0].Index != 0 {
		t.Errorf("want one canary on n1 replacing a at index 0; got %+v", out.Place)
	}
	if len(out.Stop) != 1 || out.Stop[0].ID != "a" {
		t.Errorf("want a stopped; got %+v", out.Stop)
	}
}

func TestSystemApplyKeepsNode(t *testing.T) {
	out, err := rollout.Step(rollout.Input{Now: sysNow, Job: sysJob(0, "v1", nil), Nodes: nodes("n1")})
	if err != nil {
		t.Fatal(err)
	}
	allocs := out.Apply(nil)
	if len(allocs) != 1 || allocs[0].NodeID != "n1" {
		t.Errorf("Apply gave %+v, want one allocation on n1", allocs)
	}
}

// TestSystemReplacementsOutsideMaxParallel: a node whose allocation failed,
// or that has none, gets one at once, as Nomad's system scheduler places on
// any node without a live allocation; max_parallel paces only the
// destructive updates, which go on beside them.
func TestSystemReplacementsOutsideMaxParallel(t *testing.T) {
	failed := sysAlloc("a", 0, "n1")
	failed.Client, failed.Health, failed.StatusTime = rollout.ClientFailed, rollout.AllocHealth{}, sysNow.Add(-time.Hour)
	allocs := []rollout.Alloc{failed, sysAlloc("b", 1, "n2"), sysAlloc("c", 2, "n3")}
	job := sysJob(1, "v2", &rollout.UpdateBlock{MaxParallel: intp(1)})
	hist := []rollout.JobVersion{sysJob(0, "v1", &rollout.UpdateBlock{MaxParallel: intp(1)})}
	hist[0].Stable = true
	out, err := rollout.Step(rollout.Input{Now: sysNow, Job: job, History: hist, Nodes: nodes("n1", "n2", "n3", "n4"), Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]rollout.DecisionKind{}
	for _, p := range out.Place {
		kinds[p.NodeID] = p.Kind
	}
	want := map[string]rollout.DecisionKind{"n1": rollout.KindReschedule, "n2": rollout.KindUpdate, "n4": rollout.KindCreate}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("placements by node (-want +got):\n%s", diff)
	}
}
