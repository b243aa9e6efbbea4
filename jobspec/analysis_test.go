package jobspec_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// TestAnalysisLoad reads the analysis block at the job and the group level:
// the group's replaces the job's whole, as the core merges it, and the API
// JSON spelling loads to the same blocks.
func TestAnalysisLoad(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/analysis.nomad", nil)
	if err == nil {
		err = j.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*rollout.Analysis{
		"api": {Interval: 30 * time.Second, Measurements: 3, FailureLimit: 0, OnInconclusive: rollout.InconclusiveRetry,
			Checks: []rollout.AnalysisCheck{{Name: "error-rate", Provider: "prometheus", Threshold: "< 0.01", Baseline: true,
				Query: `sum(rate(http_errors_total{job="{{.Job}}",version="{{.Version}}"}[1m]))`}}},
		"web": {Measurements: 5, Checks: []rollout.AnalysisCheck{
			{Name: "latency", Provider: "webhook", Query: "https://judge.internal/latency"},
			{Name: "saturation", Provider: "prometheus", Query: `max(cpu{version="{{.Version}}"})`, Threshold: "<= 0.8"}}},
	}
	api := `{"Job": {"ID": "shop", "Update": {"MaxParallel": 1, "Canary": 1, "AutoPromote": true, "AutoRevert": true,
    "Analysis": {"Interval": 30000000000, "Measurements": 3, "FailureLimit": 0, "OnInconclusive": "retry",
      "Checks": [{"Name": "error-rate", "Provider": "prometheus", "Threshold": "< 0.01", "Baseline": true,
        "Query": "sum(rate(http_errors_total{job=\"{{.Job}}\",version=\"{{.Version}}\"}[1m]))"}]}},
  "TaskGroups": [
    {"Name": "api", "Count": 3, "Tasks": [{"Name": "server", "Driver": "docker", "Config": {"image": "shop-api:2"}}]},
    {"Name": "web", "Count": 2, "Update": {"Analysis": {"Measurements": 5, "Checks": [
      {"Name": "latency", "Provider": "webhook", "Query": "https://judge.internal/latency"},
      {"Name": "saturation", "Provider": "prometheus", "Query": "max(cpu{version=\"{{.Version}}\"})", "Threshold": "<= 0.8"}]}},
     "Tasks": [{"Name": "server", "Driver": "docker", "Config": {"image": "shop-web:2"}}]}]}}`
	fromJSON, err := jobspec.Load("shop.json", []byte(api), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		for from, job := range map[string]*jobspec.Job{"HCL": j, "API JSON": fromJSON} {
			st, ok := job.Version.Strategy(name)
			if !ok {
				t.Fatalf("%s: group %s has no strategy", from, name)
			}
			if d := cmp.Diff(w, st.Analysis, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("%s: group %s's analysis (-want +got):\n%s", from, name, d)
			}
			if !st.AutoPromote || st.Canary != 1 {
				t.Errorf("%s: group %s: the job's update block is lost: %+v", from, name, st)
			}
		}
	}
}

// TestAnalysisDynamicChecks: a dynamic block generates check blocks, each
// named by its label.
func TestAnalysisDynamicChecks(t *testing.T) {
	src := `job "j" {
  group "g" {
    count = 2
    update {
      canary = 1
      analysis {
        dynamic "check" {
          for_each = {errors = "< 0.01", latency = "< 0.3"}
          labels   = [check.key]
          content {
            provider  = "prometheus"
            query     = "${check.key}{version=\"{{.Version}}\"}"
            threshold = check.value
          }
        }
      }
    }
    task "t" { driver = "exec" }
  }
}`
	j, err := jobspec.Load("d.nomad", []byte(src), nil)
	if err == nil {
		err = j.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	st, _ := j.Version.Strategy("g")
	want := []rollout.AnalysisCheck{
		{Name: "errors", Provider: "prometheus", Query: `errors{version="{{.Version}}"}`, Threshold: "< 0.01"},
		{Name: "latency", Provider: "prometheus", Query: `latency{version="{{.Version}}"}`, Threshold: "< 0.3"},
	}
	if st.Analysis == nil {
		t.Fatal("no analysis")
	}
	if d := cmp.Diff(want, st.Analysis.Checks); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
}

// analysisJob is a job whose group's update block holds an analysis block
// of the given lines, starting at line 6.
func analysisJob(lines ...string) string {
	return "job \"j\" {\n  group \"g\" {\n    count = 2\n    update {\n      canary = 1\n" +
		strings.Join(lines, "\n") + "\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n"
}

// TestAnalysisLoadErrors: a misspelt or mistyped argument, a missing
// label, a block written as an argument, is refused at its position,
// naming it.
func TestAnalysisLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"misspelt argument", analysisLines(`  intervall = "30s"`), `a.nomad:7:3: unsupported argument "intervall" in an analysis block`},
		{"misspelt check argument", []string{"analysis {", `  check "e" {`, `    provider = "p"`, `    query = "q"`, `    treshold = "< 1"`, "  }", "}"}, `a.nomad:10:5: unsupported argument "treshold" in a check block`},
		{"unknown block", analysisLines("  metric {}"), `a.nomad:7:3: unsupported block "metric" in an analysis block`},
		{"bad interval", analysisLines(`  interval = "soon"`), "a.nomad:7:3: update.analysis.interval"},
		{"written zero", analysisLines("  measurements = 0"), "a.nomad:7:3: update.analysis.measurements"},
		{"wrong type", analysisLines(`  failure_limit = "none"`), "a.nomad:7:3: update.analysis.failure_limit"},
		{"list for a string", []string{"analysis {", `  check "e" {`, `    provider = ["p"]`, `    query = "q"`, "  }", "}"}, "a.nomad:8:5: update.analysis.checks[0].provider must be a string"},
		{"check without a label", []string{"analysis {", `  check { provider = "p" }`, "}"}, "a.nomad:7:3: a check block of an analysis block takes one label"},
		{"check as an argument", []string{"analysis {", `  check = {}`, "}"}, "a.nomad:7:3: check is a block"},
		{"argument as a block", analysisLines("  interval {}"), "a.nomad:7:3: interval is an argument"},
		{"analysis as an argument", []string{`analysis = {}`}, "a.nomad:6:1: analysis is a block"},
		{"two analysis blocks", append(analysisLines(), analysisLines()...), "a.nomad:12:1: an update block takes one analysis block"},
		{"analysis with a label", append([]string{`analysis "x" {`}, analysisLines()[1:]...), "a.nomad:6:1: an analysis block takes no label"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := jobspec.Load("a.nomad", []byte(analysisJob(c.lines...)), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// analysisLines is an analysis block of the given lines (from line 7)
// then one check, "e".
func analysisLines(lines ...string) []string {
	out := append([]string{"analysis {"}, lines...)
	return append(out, `  check "e" {`, `    provider = "p"`, `    query = "q"`, "  }", "}")
}

// TestAnalysisTooManyChecks: a check block past rollout.MaxAnalysisChecks
// is refused at the first one too many, once.
func TestAnalysisTooManyChecks(t *testing.T) {
	lines := []string{"analysis {"}
	for i := range rollout.MaxAnalysisChecks + 3 {
		lines = append(lines, `  check "c`+strings.Repeat("x", i)+`" {`, `    query = "q"`, "  }")
	}
	lines = append(lines, "}")
	_, err := jobspec.Load("a.nomad", []byte(analysisJob(lines...)), nil)
	want := "a.nomad:55:3: update.analysis: more than 16 check blocks"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "more than") != 1 {
		t.Errorf("Load = %v, want one error containing %q", err, want)
	}
}

// TestAnalysisValidateErrors: what JobVersion.Validate refuses in an
// analysis block is reported at the argument, the check's label or the
// block it concerns, at the group or the job level.
func TestAnalysisValidateErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		src  string
		want []string
	}{
		{"bad threshold", analysisJob("analysis {", `  check "e" {`, `    provider = "p"`, `    query = "q"`, `    threshold = "<< 1"`, "  }", "}"),
			[]string{`a.nomad:10:5: group "g" update.analysis.checks[0].threshold = "<< 1"`}},
		{"bad action", analysisJob(analysisLines(`  on_inconclusive = "maybe"`)...),
			[]string{`a.nomad:7:3: group "g" update.analysis.on_inconclusive = "maybe"`}},
		{"duplicate check names", analysisJob(append(analysisLines()[:5], analysisLines()[1:]...)...),
			[]string{`a.nomad:11:9: group "g" update.analysis.checks[1].name = "e": is also the name of checks[0]`}},
		{"no checks", analysisJob("analysis {", "  interval = \"1m\"", "}"),
			[]string{`a.nomad:6:1: group "g" update.analysis.checks: must list at least one check`}},
		{"check without a query", analysisJob("analysis {", `  check "e" {`, `    provider = "p"`, "  }", "}"),
			[]string{`a.nomad:7:3: group "g" update.analysis.checks[0].query: must be set`}},
		{"bad provider name", analysisJob("analysis {", `  check "e" {`, `    provider = "Prom"`, `    query = "q"`, "  }", "}"),
			[]string{`a.nomad:8:5: group "g" update.analysis.checks[0].provider = "Prom"`}},
		{"at the job level, for each group", "job \"j\" {\n  update {\n    canary = 1\n    analysis {\n      measurements = 1001\n      check \"e\" {\n        provider = \"p\"\n        query = \"q\"\n      }\n    }\n  }\n" +
			"  group \"a\" {\n    count = 2\n    task \"t\" { driver = \"exec\" }\n  }\n  group \"b\" {\n    count = 2\n    update { max_parallel = 2 }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			[]string{`a.nomad:5:7: group "a" update.analysis.measurements = 1001`, `a.nomad:5:7: group "b" update.analysis.measurements = 1001`}},
		{"no gate to guard", "job \"j\" {\n  group \"g\" {\n    count = 2\n    update {\n      analysis {\n        check \"e\" {\n          provider = \"p\"\n          query = \"q\"\n        }\n      }\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			[]string{`a.nomad:5:7: group "g" update.analysis = "{…}": has no gate to guard`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			j, err := jobspec.Load("a.nomad", []byte(c.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			err = j.Validate()
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want an error containing %q", err, w)
				}
			}
			var fe *rollout.FieldError
			if !errors.As(err, &fe) || !strings.Contains(fe.Field, "update.analysis") {
				t.Errorf("Validate = %v, want a *rollout.FieldError naming update.analysis", err)
			}
		})
	}
}

// TestAnalysisFromFileNotShown: a check's query read from a file is not
// shown in the loader's message about it.
func TestAnalysisFromFileNotShown(t *testing.T) {
	src := analysisJob(analysisLines(`  interval = file("secret.txt")`)...)
	_, err := jobspec.Load("a.nomad", []byte(src), &jobspec.Options{FS: fstest.MapFS{"secret.txt": {Data: []byte("hunter2")}}})
	if err == nil || !strings.Contains(err.Error(), "a.nomad:7:3: update.analysis.interval (a value read from a file)") {
		t.Errorf("Load = %v, want the interval refused as a value read from a file", err)
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Load = %v: shows the file's content", err)
	}
}

// TestAnalysisLimitNeverTruncates: under any Work budget, the analysis
// file loads whole or is refused with ErrLimit, never with an analysis
// block cut short.
func TestAnalysisLimitNeverTruncates(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/analysis.nomad", nil)
	if err != nil {
		t.Fatal(err)
	}
	loaded, refused := 0, 0
	for n := 1; n <= 2000; n += 5 {
		got, err := jobspec.LoadFile("testdata/analysis.nomad", &jobspec.Options{Limits: jobspec.Limits{Work: n}})
		switch {
		case err == nil:
			loaded++
			if d := cmp.Diff(j.Version, got.Version, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("Work %d: loaded a different job (-unlimited +limited):\n%s", n, d)
			}
		case errors.Is(err, jobspec.ErrLimit):
			refused++
		default:
			t.Fatalf("Work %d: %v, want ErrLimit", n, err)
		}
	}
	if loaded == 0 || refused == 0 {
		t.Errorf("loaded %d times, refused %d: the sweep must cross the file's cost", loaded, refused)
	}
}
