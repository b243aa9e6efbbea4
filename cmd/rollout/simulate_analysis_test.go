package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestSimulateAnalysisGolden: simulate answers the canary's analysis checks
// as they fall due, passing by default (the canary is promoted) and as
// -analysis scripts them (the deployment fails and auto_revert reverts).
func TestSimulateAnalysisGolden(t *testing.T) {
	files := []string{"testdata/analysis-v0.nomad", "testdata/analysis-v1.nomad"}
	for _, tt := range []struct {
		name  string
		flags []string
		code  int
		must  []string
		files []string // files, when nil
	}{
		{"simulate-analysis-pass", nil, 0, []string{
			"[+1m0s] analysis of group web at v1: check error-rate: pass (the simulation's default)",
			"[+1m30s] analysis of group web at v1 passed: 2 measurements of 1 check, 0 failures, failure_limit 0",
			"[+1m30s] deployment eb22e505 promoted: canaries healthy: promoted automatically (auto_promote)",
			"web         true      3        1         3       3        0",
		}, nil},
		{"simulate-analysis-fail", []string{"-analysis", "v1=fail"}, 1, []string{
			"[+1m0s] analysis of group web at v1: check error-rate: fail (scripted by -analysis v1=fail)",
			"[+1m0s] deployment eb22e505 failed: Failed due to canary analysis - rolling back to job version 0",
			"[+1m0s] deployment eb22e505 reverted: job version 2 submitted with the specification of version 0",
		}, nil},
		// The group's flag wins over the version's; inconclusive counts
		// as a failure (on_inconclusive defaults to fail).
		{"simulate-analysis-inconclusive", []string{"-analysis", "v1=pass", "-analysis", "v1:web=inconclusive"}, 1, []string{
			"[+1m0s] analysis of group web at v1: check error-rate: inconclusive (scripted by -analysis v1:web=inconclusive)",
			"[+1m0s] deployment eb22e505 failed: Failed due to canary analysis - rolling back to job version 0",
		}, nil},
		// At checkpoints: the simulated operator does not resume while the
		// analysis runs; its pass resumes the rollout.
		{"simulate-analysis-checkpoints", nil, 0, []string{
			"[+1m30s] deployment 1ce76d1d resumed: canary analysis passed at the checkpoint",
			"[+2m30s] deployment 1ce76d1d resumed: canary analysis passed at the checkpoint",
		}, []string{"testdata/checkpoints-v1.nomad", "testdata/checkpoints-analysis-v2.nomad"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			fs := files
			if tt.files != nil {
				fs = tt.files
			}
			code := run(append(append([]string{"simulate"}, tt.flags...), fs...), &stdout, &stderr)
			checkGolden(t, tt.name, code, tt.code, tt.must, &stdout, &stderr)
		})
	}
}

// TestSimulateAnalysisJSON: -json prints the analysis run of the canary's
// deployment with each measurement answered.
func TestSimulateAnalysisJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"simulate", "-json", "-analysis", "v1=fail", "testdata/analysis-v0.nomad", "testdata/analysis-v1.nomad"}, &stdout, &stderr)
	if code != exitProblems {
		t.Fatalf("exit %d, want %d: %s", code, exitProblems, stderr.String())
	}
	var results []simResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || len(results[1].Deployments) == 0 {
		t.Fatalf("results: %+v", results)
	}
	d := results[1].Deployments[0]
	if d.Status != rollout.StatusFailed || len(d.Groups) != 1 || len(d.Groups[0].Analysis) != 1 {
		t.Fatalf("deployment of v1: %+v", d)
	}
	run := d.Groups[0].Analysis[0]
	if run.Status != rollout.AnalysisFailed || len(run.Measurements) != 1 || run.Measurements[0].Verdict != rollout.VerdictFail {
		t.Errorf("analysis run: %+v, want failed on one failed measurement", run)
	}
}

// TestSimulateAnalysisFlags: a malformed -analysis, or one naming what the
// simulation does not run, is a usage error naming the flag.
func TestSimulateAnalysisFlags(t *testing.T) {
	files := []string{"testdata/analysis-v0.nomad", "testdata/analysis-v1.nomad"}
	for _, tt := range []struct {
		flag, want string
	}{
		{"v1", `-analysis "v1": want vN=VERDICT or vN:GROUP=VERDICT`},
		{"1=fail", `-analysis "1=fail": want vN=VERDICT`},
		{"vx=fail", `-analysis "vx=fail": want vN=VERDICT`},
		{"v1:=fail", `-analysis "v1:=fail": the group after ':' is empty`},
		{"v1=bad", `-analysis "v1=bad": the verdict must be pass, fail or inconclusive`},
		{"v2=fail", "-analysis v2=fail: want v0 to v1"},
		{"v1:api=fail", `-analysis v1:api=fail: version 1 has no group "api"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"simulate", "-analysis", tt.flag}, files...), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("-analysis %s: exit %d, want %d and %q in:\n%s%s", tt.flag, code, exitUsage, tt.want, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"simulate", "-analysis", "v0=fail", jobs + "geo-api-server-v0.nomad"}, &stdout, &stderr)
	if want := "-analysis v0=fail: version 0 has no analysis block to answer"; code != exitUsage || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, want %d and %q in:\n%s", code, exitUsage, want, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"simulate", "-help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "every check passes unless -analysis\nscripts it") {
		t.Errorf("simulate -help: exit %d, want the analysis part:\n%s", code, stdout.String())
	}
}
