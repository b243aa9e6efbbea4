package analysis

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/rollout-go/rollout"
)

// Prometheus is the "prometheus" provider: the check's Query is a
// text/template of PromQL over QueryVars, run over the last Window with a
// range query. The canary's value is the mean of every sample returned.
//
// A check with a Threshold passes when the canary's value meets it. A
// check with Baseline runs the query again for the baseline and fails when
// a one-sided Mann-Whitney U test finds the canary's samples greater with
// p < Alpha (see MannWhitneyU). A check with both must pass both. A query
// that fails, a template that does not execute, or an empty result is
// inconclusive, as is a Baseline check without a baseline or with fewer
// than 3 samples on a side.
type Prometheus struct {
	// API is the Prometheus HTTP API client (promv1.NewAPI).
	API promv1.API
	// Window is how far back a measurement looks; 0 is 30s. Step is
	// the range query's resolution; 0 is 1s.
	Window, Step time.Duration
	// Alpha is the baseline judge's significance level; 0 is 0.05
	// (95% confidence that a failed canary is worse).
	Alpha float64
}

// QueryVars are what a query template sees: {{.Job}}, {{.Group}},
// {{.Version}} (the version measured: the canary's, or the baseline's for
// the baseline query) and {{.Role}} ("canary" or "baseline").
type QueryVars struct {
	Job, Group string
	Version    uint64
	Role       string
}

// Measure runs the check's query and judges its result.
func (p Prometheus) Measure(ctx context.Context, req Request) Measurement {
	c := req.Check
	tmpl, err := template.New(c.Name).Option("missingkey=error").Parse(c.Query)
	if err != nil {
		return inconclusive("prometheus: the query template does not parse: " + err.Error())
	}
	canary, err := p.samples(ctx, tmpl, req, QueryVars{Job: req.Job, Group: req.Group, Version: req.Version, Role: "canary"})
	if err != nil {
		return inconclusive("prometheus: canary query: " + err.Error())
	}
	value := mean(canary)
	var reasons []string
	verdict := rollout.VerdictPass
	if c.Threshold != "" {
		th, err := rollout.ParseThreshold(c.Threshold)
		if err != nil {
			return inconclusive("prometheus: " + err.Error())
		}
		if th.Holds(value) {
			reasons = append(reasons, fmt.Sprintf("%s %s", formatValue(value), th))
		} else {
			verdict = rollout.VerdictFail
			reasons = append(reasons, fmt.Sprintf("%s is not %s", formatValue(value), th))
		}
	}
	if c.Baseline {
		if !req.HasBaseline {
			return Measurement{Verdict: rollout.VerdictInconclusive, Value: value, Reason: "prometheus: no baseline to compare with"}
		}
		base, err := p.samples(ctx, tmpl, req, QueryVars{Job: req.Job, Group: req.Group, Version: req.BaselineVersion, Role: "baseline"})
		if err != nil {
			return inconclusive("prometheus: baseline query: " + err.Error())
		}
		if len(canary) < 3 || len(base) < 3 {
			return Measurement{Verdict: rollout.VerdictInconclusive, Value: value,
				Reason: fmt.Sprintf("prometheus: %d canary and %d baseline samples, fewer than 3", len(canary), len(base))}
		}
		alpha := p.Alpha
		if alpha == 0 {
			alpha = 0.05
		}
		_, pv := MannWhitneyU(canary, base)
		if pv < alpha {
			verdict = rollout.VerdictFail
			reasons = append(reasons, fmt.Sprintf("canary greater than baseline %s (Mann-Whitney p = %.3g < %g)", formatValue(mean(base)), pv, alpha))
		} else {
			reasons = append(reasons, fmt.Sprintf("canary not worse than baseline %s (Mann-Whitney p = %.3g)", formatValue(mean(base)), pv))
		}
	}
	return Measurement{Verdict: verdict, Value: value, Reason: shorten(strings.Join(reasons, "; "), 512)}
}

// samples runs the query for vars over the window ending at req.Time.
func (p Prometheus) samples(ctx context.Context, tmpl *template.Template, req Request, vars QueryVars) ([]float64, error) {
	var q bytes.Buffer
	if err := tmpl.Execute(&q, vars); err != nil {
		return nil, fmt.Errorf("the template does not execute: %w", err)
	}
	window, step := p.Window, p.Step
	if window <= 0 {
		window = 30 * time.Second
	}
	if step <= 0 {
		step = time.Second
	}
	end := req.Time
	if end.IsZero() {
		end = time.Now()
	}
	v, _, _, err := p.API.QueryRange(ctx, q.String(), promv1.Range{Start: end.Add(-window), End: end, Step: step})
	if err != nil {
		return nil, err
	}
	var out []float64
	switch m := v.(type) {
	case model.Matrix:
		for _, s := range m {
			for _, pt := range s.Values {
				out = append(out, float64(pt.Value))
			}
		}
	case model.Vector:
		for _, s := range m {
			out = append(out, float64(s.Value))
		}
	default:
		return nil, fmt.Errorf("the result is a %s, not a range of samples", v.Type())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the query returned no samples")
	}
	return out, nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
