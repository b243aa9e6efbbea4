package jobspec_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

func TestSystemJobFile(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/system-agent.nomad", nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Type != "system" || j.Version.Type != rollout.JobSystem {
		t.Fatalf("Type = %q, Version.Type = %q; want system for both", j.Type, j.Version.Type)
	}
	// canary = 25 is a percentage of the nodes: not held to the count.
	if err := j.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The version round-trips through rollout's JSON with its type.
	b, err := json.Marshal(j.Version)
	if err != nil {
		t.Fatal(err)
	}
	var back rollout.JobVersion
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Type != rollout.JobSystem {
		t.Errorf("round trip lost the type: %s", b)
	}
	// Deployed on four nodes: one allocation on each, at once.
	nodes := []rollout.Node{{ID: "n4", Eligible: true}, {ID: "n1", Eligible: true}, {ID: "n3", Eligible: true}, {ID: "n2", Eligible: true}}
	out, err := rollout.Step(rollout.Input{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Job: j.Version, Nodes: nodes})
	if err != nil {
		t.Fatal(err)
	}
	var on []string
	for _, p := range out.Place {
		on = append(on, p.NodeID)
	}
	if want := []string{"n1", "n2", "n3", "n4"}; len(on) != 4 || on[0] != want[0] || on[3] != want[3] {
		t.Errorf("placed on %v, want %v", on, want)
	}
}

func TestSystemJobAPIJSON(t *testing.T) {
	doc := `{"Job":{"ID":"node-agent","Name":"node-agent","Type":"system","Datacenters":["dc1"],
	 "TaskGroups":[{"Name":"agent","Count":1,
	   "Update":{"MaxParallel":2,"Canary":25,"HealthCheck":"checks","MinHealthyTime":10000000000,
	     "HealthyDeadline":180000000000,"ProgressDeadline":600000000000,"AutoRevert":true,"AutoPromote":false,"Stagger":30000000000},
	   "Tasks":[{"Name":"agent","Driver":"docker","Config":{"image":"example/node-agent:1.4"}}]}]}}`
	j, err := jobspec.Load("agent.json", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Version.Type != rollout.JobSystem {
		t.Fatalf("Version.Type = %q, want system", j.Version.Type)
	}
	if err := j.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// Other types stay service jobs for rollout.
	batch := `{"Job":{"ID":"b","Type":"batch","TaskGroups":[{"Name":"g","Count":1,"Tasks":[{"Name":"t","Driver":"docker"}]}]}}`
	b, err := jobspec.Load("b.json", []byte(batch), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version.Type != "" || b.Type != "batch" {
		t.Errorf("batch: Type %q, Version.Type %q", b.Type, b.Version.Type)
	}
}

// TestSystemJobCount: a system job's group runs one allocation per node;
// a count above 1 is refused, as Nomad refuses it, and so is 0, which
// Nomad reads as "run nowhere", naming the group and its position.
func TestSystemJobCount(t *testing.T) {
	for _, tc := range []struct {
		count, want string
	}{
		{"3", `sys.nomad:3:3: group "agent" count = 3: is more than 1`},
		{"0", `sys.nomad:3:3: group "agent" count = 0: would run the group on no node`},
		{"1", ""},
	} {
		src := "job \"sys\" {\n  type = \"system\"\n  group \"agent\" {\n    count = " + tc.count + "\n    task \"a\" {\n      driver = \"docker\"\n    }\n  }\n}\n"
		j, err := jobspec.Load("sys.nomad", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		err = j.Validate()
		var fe *rollout.FieldError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("count %s: %v, want no problem", tc.count, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe) || fe.Field != `group "agent" count`):
			t.Errorf("count %s: %v, want a FieldError on group \"agent\" count: %q", tc.count, err, tc.want)
		}
	}
}
