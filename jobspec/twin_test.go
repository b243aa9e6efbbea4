package jobspec_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// TestTwinDefinitions: one job as a job file and as `nomad job inspect`
// prints it (zero values and Nomad's defaults for what the file leaves
// unset, the server's bookkeeping) has the same definitions.
func TestTwinDefinitions(t *testing.T) {
	hcl, err := jobspec.LoadFile("testdata/twin.nomad", nil)
	if err != nil {
		t.Fatal(err)
	}
	api, err := jobspec.LoadFile("testdata/twin.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hcl.Version.Definition, api.Version.Definition); diff != "" {
		t.Errorf("job definition (-hcl +api):\n%s", diff)
	}
	if diff := cmp.Diff(hcl.Version.Groups[0].Definition, api.Version.Groups[0].Definition); diff != "" {
		t.Errorf("group definition (-hcl +api):\n%s", diff)
	}
	// What both say, so that the comparison is not of two empty things.
	g := api.Version.Groups[0].Definition
	if g == nil || len(g.Tasks) != 1 || g.Tasks[0].Config["image"] != "example/twin:1.0" || g.Tasks[0].KillTimeout != 10*time.Second ||
		g.Restart == nil || g.Restart.Attempts != 3 || len(g.Services) != 1 || len(g.Services[0].Tags) != 1 {
		t.Errorf("the API's definition lacks what the job says: %+v", g)
	}
	hs, _ := hcl.Version.Strategy("web")
	as, _ := api.Version.Strategy("web")
	if hs != as {
		t.Errorf("update strategy %+v from the job file, %+v from the API", hs, as)
	}
}

// TestAPIDefaultsKeepWhatDiffers: a value that differs from Nomad's
// default, or from zero, stays in the definition read from the API's
// JSON; one equal to it is dropped.
func TestAPIDefaultsKeepWhatDiffers(t *testing.T) {
	src, err := os.ReadFile("testdata/twin.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to string
		check    func(d *rollout.GroupDefinition) bool
		reason   string
	}{
		{"provider", `"Provider": "consul"`, `"Provider": "nomad"`,
			func(d *rollout.GroupDefinition) bool { return d.Services[0].Provider == "nomad" }, "a provider other than Nomad's default is the job's"},
		{"default kill timeout", `"KillTimeout": 10000000000`, `"KillTimeout": 5000000000`,
			func(d *rollout.GroupDefinition) bool { return d.Tasks[0].KillTimeout == 0 }, "Nomad's default kill_timeout is what an unset one prints"},
		{"cpu", `"CPU": 100`, `"CPU": 500`,
			func(d *rollout.GroupDefinition) bool {
				return d.Tasks[0].Resources != nil && d.Tasks[0].Resources.CPU == 500 && d.Tasks[0].Resources.MemoryMB == 300
			},
			"resources that differ from the default are kept whole"},
		{"check name", `"Name": "service: \"twin-web\" check"`, `"Name": "ready"`,
			func(d *rollout.GroupDefinition) bool { return d.Services[0].Checks[0].Name == "ready" }, "a check named by the job keeps its name"},
		{"sticky disk", `"Sticky": false, "SizeMB": 500`, `"Sticky": true, "SizeMB": 500`,
			func(d *rollout.GroupDefinition) bool {
				disk, _ := d.Extra["ephemeral_disk"].([]any)
				return len(disk) == 1 && cmp.Equal(disk[0], map[string]any{"size": float64(500), "sticky": true})
			}, "a true flag is kept beside the size, as a job file's block"},
	}
	for _, tt := range tests {
		if !strings.Contains(string(src), tt.from) {
			t.Fatalf("%s: twin.json lacks %s", tt.name, tt.from)
		}
		j, err := jobspec.Load("twin.json", []byte(strings.Replace(string(src), tt.from, tt.to, 1)), nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d := j.Version.Groups[0].Definition; !tt.check(d) {
			t.Errorf("%s: %+v (%s)", tt.name, d, tt.reason)
		}
	}
}
