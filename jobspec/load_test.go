package jobspec_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

func TestSeedJobFilesLoad(t *testing.T) {
	files, _ := filepath.Glob("testdata/seeds/*.nomad")
	if len(files) != 5 {
		t.Fatalf("want the 5 job files of the demo-webapp tutorial, have %d", len(files))
	}
	for _, f := range files {
		j, err := jobspec.LoadFile(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := j.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		g := j.Version.Groups[0]
		if j.Version.ID != "update-demo-webapp" || g.Count != 10 || len(g.Tasks) != 1 {
			t.Errorf("%s: loaded %+v", f, j.Version)
		}
	}
	// As printed in the tutorial, inside a shell heredoc: \${ escapes ${.
	printed, _ := os.ReadFile("testdata/seeds/my-first-update.nomad")
	shell := strings.ReplaceAll(string(printed), "${", `\${`)
	a, err := jobspec.Load("printed.nomad", []byte(shell), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jobspec.LoadFile("testdata/seeds/my-first-update.nomad", nil)
	if a.Version.Groups[0].Spec != b.Version.Groups[0].Spec {
		t.Error("the printed (escaped) file and the file the shell writes differ")
	}
}

func TestSeedSpecs(t *testing.T) {
	spec := func(f string) string {
		j, err := jobspec.LoadFile("testdata/seeds/"+f, nil)
		if err != nil {
			t.Fatal(err)
		}
		return j.Version.Groups[0].Spec
	}
	if spec("my-first-update.nomad") != spec("my-first-update-v3.nomad") {
		t.Error("v1 and v3 run the same image and must share a Spec")
	}
	if spec("my-first-update-v2.nomad") == spec("my-first-update-v3.nomad") {
		t.Error("v2 and v3 run different images")
	}
}

func TestVariablesLocalsAndRuntimeInterpolation(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/variables.nomad", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := j.Version.Groups[0]
	want := rollout.Group{
		Name: "web", Count: 2, Spec: g.Spec, Tasks: []string{"nginx-server"}, Definition: g.Definition,
		Checks:     []string{`service: "nginx-updater" check`},
		Reschedule: rollout.ReschedulePolicy{Delay: 15 * time.Second, MaxDelay: 5 * time.Minute, Attempts: 3, Interval: time.Hour},
	}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("group (-want +got):\n%s", d)
	}
	var env []string
	for _, f := range j.Groups[0].Tasks[0].Fields {
		if f.Section == "Env" {
			env = append(env, f.Key+"="+f.Value)
		}
	}
	if d := cmp.Diff([]string{"NODE=${node.unique.name}", "PORT=${NOMAD_PORT_http}"}, env); d != "" {
		t.Errorf("run-time interpolations are kept as written (-want +got):\n%s", d)
	}
	other, err := jobspec.LoadFile("testdata/variables.nomad", &jobspec.Options{Vars: map[string]string{"image": "nginx:1.26.0", "count": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	if other.Version.Groups[0].Count != 4 || other.Version.Groups[0].Spec == g.Spec {
		t.Errorf("-var image and count: %+v", other.Version.Groups[0])
	}
}

func TestRuntimeInterpolationWithDashes(t *testing.T) {
	src := `job "j" {
  group "g" {
    meta {
      attribute = "${attr.unique.network.ip-address}"
      value     = "10.0.0.1"
    }
    task "t" {
      driver = "exec"
      env { A = "${NOMAD_META_x}-${node.unique.name}" }
    }
  }
}`
	j, err := jobspec.Load("j.nomad", []byte(src), nil)
	if err != nil {
		t.Fatalf("Nomad reads ${attr.unique.network.ip-address} as a run-time attribute: %v", err)
	}
	var got []string
	for _, f := range j.Groups[0].Fields {
		got = append(got, f.Key+"="+f.Value)
	}
	for _, f := range j.Groups[0].Tasks[0].Fields {
		got = append(got, f.Key+"="+f.Value)
	}
	want := []string{"attribute=${attr.unique.network.ip-address}", "value=10.0.0.1", "Driver=exec", "A=${NOMAD_META_x}-${node.unique.name}"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
}

func TestDynamicBlocks(t *testing.T) {
	src := func(files string) string {
		return `variable "files" { default = ` + files + ` }
job "j" {
  dynamic "group" {
    for_each = ["a", "b"]
    labels   = [group.value]
    content {
      task "t" {
        driver = "exec"
        dynamic "template" {
          for_each = var.files
          iterator = f
          content {
            data        = f.value
            destination = "local/${f.key}"
          }
        }
      }
    }
  }
}`
	}
	one, err := jobspec.Load("d.nomad", []byte(src(`["x"]`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Version.Groups) != 2 || one.Version.Groups[1].Name != "b" {
		t.Fatalf("dynamic groups: %+v", one.Version.Groups)
	}
	var got []string
	for _, f := range one.Groups[0].Tasks[0].Fields {
		got = append(got, f.Section+" "+f.Key+"="+f.Value)
	}
	want := []string{" Driver=exec", "Template[0] data=x", "Template[0] destination=local/0"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("dynamic templates (-want +got):\n%s", d)
	}
	two, err := jobspec.Load("d.nomad", []byte(src(`["x", "y"]`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if two.Version.Groups[0].Spec == one.Version.Groups[0].Spec {
		t.Error("a template more is a destructive change")
	}
}

func TestLoadingIsNotValidating(t *testing.T) {
	src := `job "j" {
  group "g" {
    count = 3
    update {
      max_parallel = 0
      canary       = 1
    }
    task "t" { driver = "exec" }
  }
}`
	j, err := jobspec.Load("j.nomad", []byte(src), nil)
	if err != nil {
		t.Fatalf("a job Nomad parses must load: %v", err)
	}
	err = j.Validate()
	if !errors.Is(err, rollout.ErrInvalid) || !strings.HasPrefix(err.(interface{ WrappedErrors() []error }).WrappedErrors()[0].Error(), "j.nomad:4:5: ") {
		t.Errorf("Validate = %v, want the problem at the update block j.nomad:4:5", err)
	}
}

func TestErrorsCarryPositions(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"syntax", "job \"j\" {\n  group \"g\" {\n    count = \n  }\n}", "x.nomad:3:"},
		{"dynamic without content", "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      dynamic \"template\" {\n      }\n    }\n  }\n}", `x.nomad:4:7: a dynamic block needs for_each and a content block`},
		{"bad duration", "job \"j\" {\n  update {\n    min_healthy_time = \"soon\"\n  }\n  group \"g\" {}\n}", "x.nomad:3:5: update.min_healthy_time"},
		{"unknown variable", "job \"j\" {\n  group \"g\" {\n    count = var.n\n  }\n}", "x.nomad:3:"},
		{"no default", "variable \"n\" {}\njob \"j\" {}", `x.nomad:1:1: variable "n" has no default`},
		{"count not a number", "job \"j\" {\n  group \"g\" {\n    count = \"x\"\n  }\n}", "x.nomad:3:5: count"},
		{"top-level block", "jobb \"j\" {}", `x.nomad:1:1: unsupported block "jobb"`},
		{"hcl json", `{"job": {"j": {}}}`, "unsupported construct: HCL's JSON syntax"},
		{"bad json", "{\n\"ID\": }", "x.nomad:2:"},
		{"json wrong type", "{\"Job\": {\"ID\": \"x\",\n \"TaskGroups\": [{\"Name\": \"g\",\n  \"Count\": \"six\"}]}}", "x.nomad:3:12: TaskGroups[0].Count: must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jobspec.Load("x.nomad", []byte(tt.src), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNomadInspectJSON(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/inspect.json", nil)
	if err == nil {
		err = j.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	g := j.Version.Groups[0]
	if j.Version.ID != "geo-api-server" || j.Version.Version != 1 || g.Count != 6 ||
		*g.Update.MaxParallel != 2 || *g.Update.MinHealthyTime != 30*time.Second || g.Reschedule.Delay != 30*time.Second {
		t.Errorf("loaded %+v", j.Version)
	}
	if d := cmp.Diff([]string{"server"}, g.Tasks); d != "" {
		t.Error(d)
	}
	src, _ := os.ReadFile("testdata/inspect.json")
	changed, err := jobspec.Load("x.json", []byte(strings.Replace(string(src), "geo-api-server:0.2", "geo-api-server:0.3", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Version.Groups[0].Spec == g.Spec {
		t.Error("a new image must change the Spec")
	}
	counted, _ := jobspec.Load("x.json", []byte(strings.Replace(string(src), `"Count": 6`, `"Count": 8`, 1)), nil)
	if counted.Version.Groups[0].Spec != g.Spec || counted.Version.Groups[0].Count != 8 {
		t.Error("count is updated in place")
	}
}

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.nomad")
	more, _ := filepath.Glob("testdata/seeds/*.nomad")
	for _, f := range append(append(files, more...), "testdata/inspect.json") {
		j, err := jobspec.LoadFile(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(j.Version)
		if err != nil {
			t.Fatal(err)
		}
		var back rollout.JobVersion
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d := cmp.Diff(j.Version, back, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: round trip (-loaded +decoded):\n%s", f, d)
		}
	}
}

func FuzzLoadHCL(f *testing.F) {
	for _, p := range []string{"testdata/variables.nomad", "testdata/seeds/my-first-update-v5.nomad", "testdata/geo-api-server-v2.nomad", "testdata/system-agent.nomad"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(base))
	// Every policy block Validate checks, with limited reschedules.
	f.Add([]byte(resched("attempts = 5\n      interval = \"1h\"\n      unlimited = false\n      delay_function = \"fibonacci\"")))
	addHostileSeeds(f, false)
	f.Fuzz(func(t *testing.T, src []byte) {
		j, err := jobspec.Load("fuzz.nomad", src, fuzzOptions())
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("an error shows the secret file's content: %v", err)
		}
		if err == nil {
			_ = j.Validate()
		}
	})
}

// fuzzOptions bound a fuzzed load tighter than the defaults, so that each
// input is quick, and grant a file system holding the secret file, whose
// content no error may show.
func fuzzOptions() *jobspec.Options {
	return &jobspec.Options{FS: grantedFS(), Limits: jobspec.Limits{
		SourceBytes: 64 << 10, Elements: 1000, StringBytes: 64 << 10, FileBytes: 4 << 10, Work: 20_000,
	}}
}

// addHostileSeeds adds the small hostile job files, HCL or JSON, as seeds.
func addHostileSeeds(f *testing.F, json bool) {
	for _, c := range hostileCases {
		src := c.src()
		if len(src) <= 64<<10 && strings.HasPrefix(src, "{") == json && !c.loads {
			f.Add([]byte(src))
		}
	}
}

func FuzzLoadJSON(f *testing.F) {
	b, _ := os.ReadFile("testdata/inspect.json")
	f.Add(b)
	f.Add([]byte(`{"Job":{"ID":"x","TaskGroups":[{"Name":"g","Update":{"Canary":"x"}}]}}`))
	f.Add([]byte(`{"Job":{"ID":"x","Meta":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}`))
	addHostileSeeds(f, true)
	f.Fuzz(func(t *testing.T, src []byte) {
		j, err := jobspec.LoadJSON("fuzz.json", src, fuzzOptions())
		if err == nil {
			_ = j.Validate()
		}
	})
}
