package rollout_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// analysisBase is a valid strategy with an analysis, for the table tests.
func analysisBase() rollout.UpdateStrategy {
	s := rollout.DefaultUpdateStrategy()
	s.Canary = 1
	s.Analysis = &rollout.Analysis{Checks: []rollout.AnalysisCheck{{Name: "errors", Provider: "prometheus", Query: "sum(rate(x[1m]))", Threshold: "< 0.01"}}}
	return s
}

// TestAnalysisValidate lists each broken rule of the analysis block, and
// the field its FieldError names.
func TestAnalysisValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*rollout.UpdateStrategy)
		field string
		says  string
	}{
		{"no gate", func(s *rollout.UpdateStrategy) { s.Canary = 0 }, "analysis", "no gate to guard"},
		{"max_parallel 0", func(s *rollout.UpdateStrategy) { s.MaxParallel, s.Canary, s.PauseAfter = 0, 0, "" }, "analysis", "max_parallel"},
		{"negative interval", func(s *rollout.UpdateStrategy) { s.Analysis.Interval = -time.Second }, "analysis.interval", "negative"},
		{"too many measurements", func(s *rollout.UpdateStrategy) { s.Analysis.Measurements = 1001 }, "analysis.measurements", "between 1 and 1000"},
		{"negative failure limit", func(s *rollout.UpdateStrategy) { s.Analysis.FailureLimit = -1 }, "analysis.failure_limit", "negative"},
		{"unknown inconclusive action", func(s *rollout.UpdateStrategy) { s.Analysis.OnInconclusive = "pass" }, "analysis.on_inconclusive", `"fail", "retry"`},
		{"no checks", func(s *rollout.UpdateStrategy) { s.Analysis.Checks = nil }, "analysis.checks", "at least one"},
		{"check without name", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Name = "" }, "analysis.checks[0].name", "must be set"},
		{"check name with capitals", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Name = "Errors" }, "analysis.checks[0].name", "lowercase"},
		{"duplicate check", func(s *rollout.UpdateStrategy) {
			s.Analysis.Checks = append(s.Analysis.Checks, s.Analysis.Checks[0])
		}, "analysis.checks[1].name", "also the name of checks[0]"},
		{"no provider", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Provider = "" }, "analysis.checks[0].provider", "must be set"},
		{"no query", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Query = "" }, "analysis.checks[0].query", "must be set"},
		{"huge query", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Query = strings.Repeat("x", 5000) }, "analysis.checks[0].query", "longer than 4096"},
		{"bad threshold", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Threshold = "about 3" }, "analysis.checks[0].threshold", "operator"},
		{"threshold without number", func(s *rollout.UpdateStrategy) { s.Analysis.Checks[0].Threshold = "< lots" }, "analysis.checks[0].threshold", "finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := analysisBase()
			a := *s.Analysis
			a.Checks = append([]rollout.AnalysisCheck(nil), a.Checks...)
			s.Analysis = &a
			tt.edit(&s)
			err := s.Validate()
			var fe *rollout.FieldError
			if !errors.Is(err, rollout.ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError wrapping ErrInvalid", err)
			}
			if fe.Field != tt.field || !strings.Contains(fe.Problem, tt.says) {
				t.Errorf("FieldError = %s: %s; want %s: ...%s...", fe.Field, fe.Problem, tt.field, tt.says)
			}
		})
	}
	if err := analysisBase().Validate(); err != nil {
		t.Errorf("the base strategy: %v", err)
	}
}

// TestAnalysisJSON reads the analysis block in both spellings, writes it
// back, and refuses mistakes with the key named.
func TestAnalysisJSON(t *testing.T) {
	want := &rollout.Analysis{Interval: 30 * time.Second, Measurements: 5, FailureLimit: 1, OnInconclusive: rollout.InconclusiveRetry,
		Checks: []rollout.AnalysisCheck{{Name: "errors", Provider: "prometheus", Query: "q", Threshold: "< 0.01", Baseline: true}}}
	for _, doc := range []string{
		`{"canary": 1, "analysis": {"interval": "30s", "measurements": 5, "failure_limit": 1, "on_inconclusive": "retry", "checks": [{"name": "errors", "provider": "prometheus", "query": "q", "threshold": "< 0.01", "baseline": true}]}}`,
		`{"Canary": 1, "Analysis": {"Interval": 30000000000, "Measurements": 5, "FailureLimit": 1, "OnInconclusive": "retry", "Checks": [{"Name": "errors", "Provider": "prometheus", "Query": "q", "Threshold": "< 0.01", "Baseline": true}]}}`,
	} {
		var b rollout.UpdateBlock
		if err := json.Unmarshal([]byte(doc), &b); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if diff := cmp.Diff(want, b.Analysis); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", doc, diff)
		}
		for _, marshal := range []func() ([]byte, error){b.MarshalJSON, b.MarshalAPIJSON} {
			out, err := marshal()
			if err != nil {
				t.Fatal(err)
			}
			var again rollout.UpdateBlock
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if diff := cmp.Diff(b, again); diff != "" {
				t.Errorf("round trip through %s: (-want +got)\n%s", out, diff)
			}
		}
	}
	for _, tt := range []struct{ doc, field, says string }{
		{`{"analysis": []}`, "analysis", "must be a JSON object"},
		{`{"analysis": {"checks": [], "color": 1}}`, "analysis.color", "not a field of the analysis block"},
		{`{"analysis": {"interval": "0s"}}`, "analysis.interval", "greater than zero"},
		{`{"analysis": {"measurements": 0}}`, "analysis.measurements", "greater than zero"},
		{`{"analysis": {"Interval": 5}}`, "analysis.Interval", "not a field"},
		{`{"analysis": {"checks": [{"name": 3}]}}`, "analysis.checks[0].name", "must be a string"},
		{`{"analysis": {"checks": [{"name": "a", "name": "b"}]}}`, "analysis.checks[0].name", "more than once"},
	} {
		var b rollout.UpdateBlock
		err := json.Unmarshal([]byte(tt.doc), &b)
		var fe *rollout.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Problem, tt.says) {
			t.Errorf("%s: error %v; want %s: ...%s...", tt.doc, err, tt.field, tt.says)
		}
	}
}

// TestParseThreshold reads thresholds and judges values with them.
func TestParseThreshold(t *testing.T) {
	for _, tt := range []struct {
		text    string
		v       float64
		holds   bool
		printed string
	}{
		{"< 0.01", 0.005, true, "< 0.01"}, {"<0.01", 0.01, false, "< 0.01"}, {"<= 0.01", 0.01, true, "<= 0.01"},
		{"> 100", 100, false, "> 100"}, {" >= 1e3 ", 1000, true, ">= 1000"},
	} {
		th, err := rollout.ParseThreshold(tt.text)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if th.Holds(tt.v) != tt.holds || th.String() != tt.printed {
			t.Errorf("%q: Holds(%v) = %v, String %q; want %v, %q", tt.text, tt.v, th.Holds(tt.v), th, tt.holds, tt.printed)
		}
	}
	for _, bad := range []string{"", "0.01", "= 1", "< NaN", "< inf", "<"} {
		if _, err := rollout.ParseThreshold(bad); !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("%q: error %v, want ErrInvalid", bad, err)
		}
	}
}
