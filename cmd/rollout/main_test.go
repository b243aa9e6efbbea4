package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const jobs = "../../jobspec/testdata/"

// TestGolden runs each command line and compares its output with
// testdata/<name>.golden (go test -update rewrites them).
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		// must lists lines the output must hold: the tutorials' own lines.
		must []string
	}{
		{"validate-ok", []string{"validate", jobs + "geo-api-server-v0.nomad", jobs + "variables.nomad"}, 0, nil},
		{"validate-warnings", []string{"validate", "testdata/warnings.nomad"}, 0, []string{
			"testdata/warnings.nomad: job validation successful",
			`testdata/warnings.nomad:10:5: warning: group "web" update.max_parallel = 4: is more than the group's count 2: a destructive change replaces every allocation at once`,
		}},
		{"plan-warnings", []string{"plan", "testdata/warnings.nomad", "testdata/warnings-v2.nomad"}, 0, []string{
			"Job Warnings:",
			"2 warning(s):",
			`* testdata/warnings-v2.nomad:10:5: group "web" update.max_parallel = 5: is more than the group's count 2: a destructive change replaces every allocation at once`,
		}},
		{"validate-problems", []string{"validate", "testdata/problems.nomad", "testdata/broken.nomad"}, 1, []string{
			`testdata/problems.nomad:9:5: group "web" update.canary = 3: is more than the group's count 2`,
			`testdata/broken.nomad:3:5: count must be a whole number, not two`,
			`testdata/broken.nomad:12:9: for_each must be a list, a set, a map or an object`,
		}},
		{"plan-geo", []string{"plan", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v1.nomad"}, 1, []string{
			`+/- Job: "geo-api-server"`,
			`+/- Task Group: "api-server" (2 create/destroy update, 4 ignore)`,
			`  +/- Task: "server" (forces create/destroy update)`,
			`      +/- image: "geo-api-server:0.1" => "geo-api-server:0.2"`,
		}},
		{"plan-demo-webapp", []string{"plan", jobs + "seeds/my-first-update-v2.nomad", jobs + "seeds/my-first-update-v3.nomad"}, 1, []string{
			`+/- Job: "update-demo-webapp"`,
			`    +/- MaxParallel:      "1" => "3"`,
			`      +/- image: "hashicorp/demo-webapp:v2" => "hashicorp/demo-webapp:v1"`,
		}},
		{"simulate-geo", []string{"simulate", "-fail", "v2", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v1.nomad", jobs + "geo-api-server-v2.nomad"}, 1, []string{
			"Failed due to unhealthy allocations - rolling back to job version 1",
		}},
		{"simulate-demo-webapp", []string{"simulate", jobs + "seeds/my-first-update.nomad", jobs + "seeds/my-first-update-v2.nomad",
			jobs + "seeds/my-first-update-v3.nomad", jobs + "seeds/my-first-update-v4.nomad", jobs + "seeds/my-first-update-v5.nomad", "-fail", "v3"}, 1, []string{
			"Description = Deployment is running but requires manual promotion",
			"Description = Failed due to progress deadline",
		}},
		{"plan-removed-group", []string{"plan", "testdata/cache-v1.nomad", "testdata/cache-v2.nomad"}, 1, []string{
			`    Task Group: "web" (2 in-place update)`,
			`- Task Group: "cache" (3 destroy)`,
			`  - Count: "3" (forces destroy)`,
		}},
		{"plan-blue-green", []string{"plan", jobs + "blue-green-0.1.nomad", jobs + "blue-green-0.2.nomad"}, 1, []string{
			`+/- Task Group: "api-server" (3 canary, 3 ignore)`,
		}},
		{"simulate-blue-green", []string{"simulate", jobs + "blue-green-0.1.nomad", jobs + "blue-green-0.2.nomad"}, 0, []string{
			"Description = Deployment is running but requires manual promotion",
			"api-server  true      3        3         3       3        0",
		}},
		{"simulate-blue-green-fail-canaries", []string{"simulate", "-fail", "canaries", jobs + "blue-green-0.1.nomad", jobs + "blue-green-0.2.nomad"}, 1, []string{
			"Description = Failed due to progress deadline",
		}},
		{"simulate-geo-fail-alloc", []string{"simulate", "-fail", "alloc=8", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v2.nomad"}, 1, []string{
			"Failed due to unhealthy allocations - rolling back to job version 0",
		}},
		{"simulate-gate-timeout", []string{"simulate", jobs + "controls.nomad", "testdata/controls-v2.nomad"}, 0, []string{
			"Description = Deployment completed successfully",
		}},
		{"simulate-checkpoints", []string{"simulate", "testdata/checkpoints-v1.nomad", "testdata/checkpoints-v2.nomad"}, 0, []string{
			"Description = Deployment is paused",
		}},
		// A system job on four nodes: one allocation each, a canary on a
		// quarter of them (one), promoted, then the rest two at a time.
		{"simulate-system", []string{"simulate", "-nodes", "4", jobs + "system-agent.nomad", "testdata/system-v2.nomad"}, 0, []string{
			"agent       4        4       4        0",
			"agent       false     4        1         1       1        0",
			"agent       true      4        1         4       4        0",
		}},
		{"plan-system", []string{"plan", "-nodes", "4", jobs + "system-agent.nomad", "testdata/system-v2.nomad"}, 1, []string{
			`+/- Task Group: "agent" (1 destroy, 1 canary, 3 ignore)`,
		}},
	}
	tests = append(tests, planAndSimulateCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			checkGolden(t, tt.name, code, tt.code, tt.must, &stdout, &stderr)
		})
	}
}

func TestSimulateJSONAndProgress(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"simulate", "-json", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v1.nomad"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var results []simResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("-json prints JSON: %v\n%s", err, stdout.String())
	}
	if len(results) != 2 || results[1].Deployments[0].Status != "successful" {
		t.Errorf("results = %+v", results)
	}
	if !strings.Contains(stderr.String(), "version 2 of 2") {
		t.Errorf("no progress line on stderr: %q", stderr.String())
	}
}

func TestHelpAndUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-help"}, 0, "Commands:"},
		{[]string{"validate", "-help"}, 0, "Usage: rollout validate"},
		{[]string{"-help"}, 0, "read the job file's own directory and nothing\nelse"},
		{[]string{"simulate", "-help"}, 0, "Loading is bounded: 4 MiB of\nsource"},
		{[]string{"plan", "--help"}, 0, "Usage: rollout plan"},
		{[]string{"simulate", "-h"}, 0, "Usage: rollout simulate"},
		{nil, 2, "Usage: rollout <command>"},
		{[]string{"deploy"}, 2, `unknown command "deploy"`},
		{[]string{"validate"}, 2, "no job file given"},
		{[]string{"plan", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v1.nomad", jobs + "geo-api-server-v2.nomad"}, 255, "want [OLD] NEW"},
		{[]string{"plan"}, 255, "want [OLD] NEW"},
		{[]string{"simulate", "-fail", "v9", jobs + "geo-api-server-v0.nomad"}, 2, "want v0 to v0"},
		{[]string{"simulate", "-fail", "node", jobs + "geo-api-server-v0.nomad"}, 2, "want vN, vN:GROUP, canaries or alloc=N"},
		{[]string{"simulate", "-fail", "alloc=0", jobs + "geo-api-server-v0.nomad"}, 2, "want alloc=N with N from 1"},
		{[]string{"simulate", "-nodes", "0", jobs + "geo-api-server-v0.nomad"}, 2, "-nodes 0: want at least 1"},
		{[]string{"plan", "-nodes", "-1", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v1.nomad"}, 255, "-nodes -1: want at least 1"},
		{[]string{"validate", "-nope", "x"}, 2, "flag provided but not defined"},
		{[]string{"validate", "no-such-file.nomad"}, 1, "no-such-file.nomad"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.want) {
			t.Errorf("rollout %v: exit %d, want %d and %q in:\n%s%s", tt.args, code, tt.code, tt.want, stdout.String(), stderr.String())
		}
	}
}

// TestSimulateSVG: -svg draws the rollout: one title, the version areas,
// and a marker for each submission and for the revert.
func TestSimulateSVG(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "geo.svg")
	code := run([]string{"simulate", "-svg", out, "-fail", "v2", jobs + "geo-api-server-v0.nomad", jobs + "geo-api-server-v1.nomad", jobs + "geo-api-server-v2.nomad"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a deployment failed): %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	if !strings.HasPrefix(svg, "<svg") && !strings.HasPrefix(svg, "<?xml") {
		t.Fatalf("not an SVG: %.80s", svg)
	}
	if n := strings.Count(svg, `class="marker submit"`); n != 3 {
		t.Errorf("%d submit markers, want 3", n)
	}
	if !strings.Contains(svg, `class="marker revert"`) {
		t.Error("no revert marker")
	}
}

// TestValidateGrantsTheJobFileDirectory: a job file reads the files of its
// own directory, wherever rollout runs, and no other.
func TestValidateGrantsTheJobFileDirectory(t *testing.T) {
	dir := t.TempDir()
	job := func(expr string) string {
		return "job \"j\" {\n  group \"g\" {\n    meta { conf = " + expr + " }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n"
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("app.conf", "listen 8080\n")
	for _, tc := range []struct {
		file, expr string
		code       int
		want       string
	}{
		{"ok.nomad", `file("app.conf")`, 0, "ok.nomad: job validation successful"},
		{"abs.nomad", `file("/etc/passwd")`, 1, `abs.nomad:3:19: file("/etc/passwd"): an absolute path is refused`},
		{"up.nomad", `file("../x")`, 1, `up.nomad:3:19: file("../x"): the path leaves the granted directory`},
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"validate", write(tc.file, job(tc.expr))}, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: exit %d, want %d and %q in:\n%s%s", tc.file, code, tc.code, tc.want, stdout.String(), stderr.String())
		}
	}
}

// checkGolden holds one run of the command to its exit code, to the lines
// its output must hold, and to its golden file testdata/NAME.golden (go
// test -update rewrites it).
func checkGolden(t *testing.T, name string, code, wantCode int, must []string, stdout, stderr *bytes.Buffer) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit code %d, want %d; stdout:\n%s\nstderr:\n%s", code, wantCode, stdout.String(), stderr.String())
	}
	for _, line := range must {
		if !strings.Contains(stdout.String(), line+"\n") {
			t.Errorf("output lacks the line %q:\n%s", line, stdout.String())
		}
	}
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, stdout.String())
	}
}
