package dashboard

import (
	"strconv"
	"time"

	"github.com/rollout-go/rollout"
)

// analysisGroup is a deployment group's canary analysis as the job page
// shows it: each run (one per gate reached), oldest first.
type analysisGroup struct {
	Group string
	Runs  []analysisRun
}

// analysisRun is one analysis run: where it stands and why, and each of
// its checks with its measurements.
type analysisRun struct {
	Gate           string
	Status, Reason string
	StartedAt      time.Time
	EndedAt        time.Time
	Version        uint64
	Baseline       string // "v3", or "none" without a baseline
	Checks         []analysisCheck
}

// analysisCheck is one check of a run: its verdict so far and its
// measurements in time order.
type analysisCheck struct {
	Name, Provider, Threshold string
	// Verdict is "passed" (its measurements all taken, none failed),
	// "failed" (a measurement counts as a failure) or "measuring".
	Verdict string
	// Summary counts its measurements: "2 of 3 measurements, 0 failures".
	Summary      string
	Measurements []rollout.AnalysisResult
}

// analysisGroups returns the analyses of the deployment's groups, judged
// under the analysis block of the version each run measured (from
// versions; a check a result names and the block lacks is listed too).
func analysisGroups(d *rollout.Deployment, versions []rollout.JobVersion) []analysisGroup {
	if d == nil {
		return nil
	}
	var out []analysisGroup
	for _, g := range d.Groups {
		if len(g.Analysis) == 0 {
			continue
		}
		ag := analysisGroup{Group: g.Name}
		for _, run := range g.Analysis {
			ag.Runs = append(ag.Runs, newAnalysisRun(g.Name, run, blockOf(versions, run.Version, g.Name)))
		}
		out = append(out, ag)
	}
	return out
}

// blockOf returns the analysis block of the group in the given version,
// with its defaults, or an empty block.
func blockOf(versions []rollout.JobVersion, version uint64, group string) rollout.Analysis {
	var a rollout.Analysis
	for i := range versions {
		if versions[i].Version != version {
			continue
		}
		if st, ok := versions[i].Strategy(group); ok && st.Analysis != nil {
			a = *st.Analysis
		}
	}
	if a.Measurements == 0 {
		a.Measurements = rollout.DefaultAnalysisMeasurements
	}
	if a.OnInconclusive == "" {
		a.OnInconclusive = rollout.InconclusiveFail
	}
	return a
}

func newAnalysisRun(group string, run rollout.AnalysisRun, a rollout.Analysis) analysisRun {
	r := analysisRun{Gate: run.Gate, Status: string(run.Status), Reason: run.Reason, StartedAt: run.StartedAt, EndedAt: run.EndedAt,
		Version: run.Version, Baseline: "none"}
	if run.HasBaseline {
		r.Baseline = "v" + strconv.FormatUint(run.BaselineVersion, 10)
	}
	checks := map[string]int{}
	add := func(name string) int {
		if i, ok := checks[name]; ok {
			return i
		}
		checks[name] = len(r.Checks)
		c := analysisCheck{Name: name}
		if def, ok := a.Check(name); ok {
			c.Provider, c.Threshold = def.Provider, def.Threshold
		}
		r.Checks = append(r.Checks, c)
		return len(r.Checks) - 1
	}
	for _, c := range a.Checks {
		add(c.Name)
	}
	for _, m := range run.Measurements {
		if m.Group == group {
			i := add(m.Check)
			r.Checks[i].Measurements = append(r.Checks[i].Measurements, m)
		}
	}
	for i := range r.Checks {
		r.Checks[i].judge(a)
	}
	return r
}

// judge sets the check's verdict and summary from its measurements, as the
// core counts them: an inconclusive result is a failure under
// on_inconclusive = "fail", and is not counted under "retry".
func (c *analysisCheck) judge(a rollout.Analysis) {
	n, failures := 0, 0
	for _, m := range c.Measurements {
		switch {
		case m.Verdict == rollout.VerdictFail, m.Verdict == rollout.VerdictInconclusive && a.OnInconclusive == rollout.InconclusiveFail:
			n++
			failures++
		case m.Verdict == rollout.VerdictPass:
			n++
		}
	}
	switch {
	case failures > 0:
		c.Verdict = "failed"
	case n >= a.Measurements:
		c.Verdict = "passed"
	default:
		c.Verdict = "measuring"
	}
	c.Summary = strconv.Itoa(n) + " of " + strconv.Itoa(a.Measurements) + " measurements, " + plural(failures, "failure")
}

// plural is "1 failure", "2 failures".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// measured is how the job page writes a measurement's value: "-" for an
// inconclusive one, which measured nothing.
func measured(m rollout.AnalysisResult) string {
	if m.Verdict == rollout.VerdictInconclusive {
		return "-"
	}
	return strconv.FormatFloat(m.Value, 'g', 6, 64)
}
