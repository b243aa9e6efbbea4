package jobspec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// TestControlsLoad reads the controls beyond Nomad's update block from HCL,
// and from the API JSON spelling, to the same strategy.
func TestControlsLoad(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/controls.nomad", nil)
	if err == nil {
		err = j.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	st, ok := j.Version.Strategy("api")
	if !ok {
		t.Fatal("group api has no strategy")
	}
	want := rollout.DefaultUpdateStrategy()
	want.MaxParallel, want.MaxSurge, want.MaxUnavailable = 2, "1", "25%"
	want.PauseAfter, want.GateTimeout, want.OnGateTimeout = "1,50%", 30*time.Minute, rollout.GateResume
	if st != want {
		t.Errorf("strategy\n got %+v\nwant %+v", st, want)
	}

	api := `{"Job": {"ID": "checkout", "Update": {"MaxParallel": 2, "MaxSurge": 1, "MaxUnavailable": "25%"},
  "TaskGroups": [{"Name": "api", "Count": 8,
    "Update": {"PauseAfter": [1, "50%"], "GateTimeout": 1800000000000, "OnGateTimeout": "resume"},
    "Tasks": [{"Name": "server", "Driver": "docker", "Config": {"image": "checkout:2.1"}}]}]}}`
	fromJSON, err := jobspec.Load("checkout.json", []byte(api), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fromJSON.Version.Strategy("api"); got != want {
		t.Errorf("strategy from API JSON\n got %+v\nwant %+v", got, want)
	}
}

// TestControlsErrorsCarryPositions: a bad control is reported at its line,
// naming the field.
func TestControlsErrorsCarryPositions(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"job \"j\" {\n  update {\n    max_surge = \"lots\"\n  }\n  group \"g\" {}\n}", "x.nomad:3:5: update.max_surge"},
		{"job \"j\" {\n  update {\n    pause_after = [1, true]\n  }\n  group \"g\" {}\n}", "x.nomad:3:5: update.pause_after"},
	} {
		_, err := jobspec.Load("x.nomad", []byte(c.src), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load = %v, want an error containing %q", err, c.want)
		}
	}
	j, err := jobspec.Load("x.nomad", []byte("job \"j\" {\n  group \"g\" {\n    count = 2\n    update {\n      gate_timeout = \"1h\"\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Validate(); err == nil || !strings.Contains(err.Error(), "gate_timeout") || !strings.Contains(err.Error(), "x.nomad:4:") {
		t.Errorf("Validate = %v, want gate_timeout refused at the update block", err)
	}
}
