package walkthrough

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
	"github.com/rollout-go/rollout/view"
)

// Analysis shows canary analysis (rollout's own; Nomad has none) on one
// job: its canary is judged on two metrics, measured every minute, twice
// each, before the gate opens. A good version passes and auto_promote
// promotes it; a bad one fails its first error-rate measurement, which
// fails the deployment, and auto_revert restores the version before it.
// The walkthrough plays the analysis provider (the analysis module's
// Prometheus, say), answering each measurement rollout.DueChecks says is
// due.
var Analysis = Walkthrough{
	Name:  "analysis",
	Title: "shop: canary analysis on metrics, a promotion and a revert",
	Seed:  "the metric checks of Argo Rollouts, Flagger and Kayenta (rollout's own)",
	Run:   analysis,
}

func analysisJob(image string) rollout.JobVersion {
	return rollout.JobVersion{
		ID: "shop",
		Update: &rollout.UpdateBlock{
			MaxParallel: intp(1), Canary: intp(1), AutoPromote: boolp(true), AutoRevert: boolp(true),
			HealthCheck: checkp(rollout.HealthTaskStates), MinHealthyTime: durp(10 * time.Second),
			Analysis: &rollout.Analysis{
				Interval: time.Minute, Measurements: 2, FailureLimit: 0, OnInconclusive: rollout.InconclusiveFail,
				Checks: []rollout.AnalysisCheck{
					{Name: "errors", Provider: "prometheus", Threshold: "< 0.01", Baseline: true,
						Query: `sum(rate(http_errors_total{job="{{.Job}}",version="{{.Version}}"}[1m]))`},
					{Name: "latency", Provider: "prometheus", Threshold: "< 0.3",
						Query: `histogram_quantile(0.99, sum by (le) (rate(http_seconds_bucket{version="{{.Version}}"}[1m])))`},
				},
			},
		},
		Groups: []rollout.Group{{Name: "web", Count: 3, Spec: image, Tasks: []string{"server"}}},
	}
}

// measurement is what the provider measures for one check.
type measurement struct {
	check   string
	verdict rollout.Verdict
	value   float64
	reason  string
}

// analysisDue reports whether a measurement of the job's deployment is due.
func analysisDue(c *rollouttest.Cluster) bool {
	job, ok := c.Job()
	return ok && len(rollout.DueChecks(&job, c.Deployment(), c.Now())) > 0
}

// analysisStarted reports whether the latest deployment's group web has an
// analysis running.
func analysisStarted(c *rollouttest.Cluster) bool {
	d := c.Deployment()
	if d == nil {
		return false
	}
	g, ok := d.Group("web")
	if !ok {
		return false
	}
	_, ok = g.LiveAnalysis()
	return ok
}

// measure answers the measurements due now with the given ones, as a
// provider hands its results to a Runner (rollout.RecordAnalysis), and
// prints what the step decided.
func (s *Session) measure(ms ...measurement) {
	if !s.ok() {
		return
	}
	job, _ := s.C.Job()
	due := rollout.DueChecks(&job, s.C.Deployment(), s.C.Now())
	fmt.Fprintf(s.w, "\n[%s] analysis provider: %d measurements due\n", s.since(), len(due))
	var results []rollout.AnalysisResult
	for _, d := range due {
		for _, m := range ms {
			if m.check != d.Check.Name {
				continue
			}
			fmt.Fprintf(s.w, "    %s/%s of v%d (baseline v%d): %s, %s\n", d.Group, m.check, d.Version, d.BaselineVersion, m.verdict, m.reason)
			results = append(results, rollout.AnalysisResult{Time: s.C.Now(), Group: d.Group, Check: m.check, Verdict: m.verdict, Value: m.value, Reason: m.reason})
		}
	}
	mark := len(s.outs)
	if err := s.C.Command(rollout.RecordAnalysis(results...)); err != nil {
		s.fail(err)
		return
	}
	for i := mark; i < len(s.outs); i++ {
		view.Decisions(s.w, &s.outs[i])
	}
}

// analysisRuns prints the canary analyses of the job's deployment of
// version v: each run with every measurement.
func (s *Session) analysisRuns(v uint64) {
	if !s.ok() {
		return
	}
	for _, d := range s.C.Deployments() {
		if d.JobVersion != v {
			continue
		}
		var lines []string
		for _, g := range d.Groups {
			for _, run := range g.Analysis {
				lines = append(lines, fmt.Sprintf("Deployment %s, group %s, %s gate: analysis %s (%s)", view.Short(d.ID), g.Name, run.Gate, run.Status, run.Reason))
				for _, m := range run.Measurements {
					lines = append(lines, fmt.Sprintf("  +%s  %-8s %-5s %s  %s", m.Time.Sub(s.start), m.Check, m.Verdict, strconv.FormatFloat(m.Value, 'g', 4, 64), m.Reason))
				}
			}
		}
		s.Say(lines...)
	}
}

func analysis(s *Session) {
	s.Setup("shop", rollouttest.Config{
		Start:   time.Date(2026, 11, 9, 10, 0, 0, 0, time.UTC),
		Default: rollouttest.Behavior{StartAfter: 3 * time.Second},
	})
	s.Say("Version 0: three allocations of shop:1.0. The update block places one canary,",
		"and judges it on two metrics before the gate opens: the error rate (below 1%,",
		"and not significantly above the baseline's, a Mann-Whitney U test) and the",
		"99th percentile latency (below 300ms), measured every minute, twice each.",
		"A first deployment has no canaries, so nothing to judge: it runs as without.")
	s.Run("shop.nomad", analysisJob("shop:1.0"))
	s.Settle()
	s.Status("v0 deployed")

	s.Say("Version 1: shop:1.1. Once its canary is healthy, the analysis starts; the",
		"promotion waits for it, even with auto_promote.")
	s.Run("shop.nomad", analysisJob("shop:1.1"))
	s.Until("the canary's analysis starts", analysisStarted)
	s.Status("v1 canary under analysis")
	s.Until("the first measurements are due", analysisDue)
	s.measure(
		measurement{"errors", rollout.VerdictPass, 0.0021, "0.0021 < 0.01; not above the baseline (p = 0.41)"},
		measurement{"latency", rollout.VerdictPass, 0.182, "0.182 < 0.3"})
	s.Until("the second measurements are due", analysisDue)
	s.Say("A minute later, the second measurements: with them every check has its two,",
		"no failure among them (failure_limit = 0), so the gate opens and auto_promote",
		"promotes the canary.")
	s.measure(
		measurement{"errors", rollout.VerdictPass, 0.0018, "0.0018 < 0.01; not above the baseline (p = 0.57)"},
		measurement{"latency", rollout.VerdictPass, 0.175, "0.175 < 0.3"})
	s.Settle()
	s.Status("v1 deployed")
	s.analysisRuns(1)

	s.Say("Version 2: shop:1.2, which fails one request in twenty. Its canary is healthy",
		"(the process runs, its checks pass): only the metrics tell.")
	s.Run("shop.nomad", analysisJob("shop:1.2"))
	s.Until("the first measurements are due", analysisDue)
	s.Say("The first error-rate measurement fails: one failure, more than failure_limit = 0",
		"allows.")
	s.measure(
		measurement{"errors", rollout.VerdictFail, 0.052, "0.052 >= 0.01; above the baseline (p = 0.003)"},
		measurement{"latency", rollout.VerdictPass, 0.191, "0.191 < 0.3"})
	s.Say("The deployment failed on its analysis and auto_revert restored version 1's",
		"specification as version 3.")
	s.Settle()
	s.Status("v3 deployed")
	s.analysisRuns(2)
	s.Deployments()
}
