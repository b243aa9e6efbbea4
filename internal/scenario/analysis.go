package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rollout-go/rollout"
)

// parseAnalysis reads a group's analysis keys: analysis=a,b names the
// checks (provider "script", which the scenario's measure verb plays),
// analysis_interval, analysis_measurements, analysis_failure_limit and
// analysis_on_inconclusive set the block's fields. Nil when none is given.
func parseAnalysis(a *args) (*rollout.Analysis, error) {
	names, ok := a.get("analysis")
	if !ok {
		for _, k := range []string{"analysis_interval", "analysis_measurements", "analysis_failure_limit", "analysis_on_inconclusive"} {
			if a.has(k) {
				return nil, fmt.Errorf("%s needs analysis=<checks>", k)
			}
		}
		return nil, nil
	}
	an := &rollout.Analysis{}
	for _, n := range strings.Split(names, ",") {
		an.Checks = append(an.Checks, rollout.AnalysisCheck{Name: n, Provider: "script", Query: "-"})
	}
	if a.has("analysis_interval") {
		d, err := durArg(a, "analysis_interval")
		if err != nil {
			return nil, err
		}
		an.Interval = d
	}
	for k, dst := range map[string]*int{"analysis_measurements": &an.Measurements, "analysis_failure_limit": &an.FailureLimit} {
		if a.has(k) {
			n, err := intArg(a, k, 0)
			if err != nil {
				return nil, err
			}
			*dst = n
		}
	}
	if v, ok := a.get("analysis_on_inconclusive"); ok {
		an.OnInconclusive = rollout.InconclusiveAction(v)
	}
	return an, nil
}

// doMeasure queues an analysis result for the next step: in Input.Analysis,
// or with as=command in a CmdAnalysis command.
func (r *runner) doMeasure(a *args) ([]string, error) {
	res := rollout.AnalysisResult{Time: r.now}
	res.Group, _ = a.get("group")
	res.Check, _ = a.get("check")
	v, _ := a.get("verdict")
	res.Verdict = rollout.Verdict(v)
	if s, ok := a.get("value"); ok {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("measure value=%q: %v", s, err)
		}
		res.Value = x
	}
	if s, ok := a.get("reason"); ok {
		res.Reason = strings.ReplaceAll(s, "_", " ")
	}
	if s, ok := a.get("at"); ok {
		t, err := r.parseTime(s)
		if err != nil {
			return nil, err
		}
		res.Time = t
	}
	line := fmt.Sprintf("queued measurement %s %s=%s at %s", res.Group, res.Check, res.Verdict, r.fmtTime(res.Time))
	if as, _ := a.get("as"); as == "command" {
		r.cmds = append(r.cmds, rollout.RecordAnalysis(res))
		return []string{line + " (command)"}, nil
	}
	r.analysis = append(r.analysis, res)
	return []string{line}, nil
}

// printAnalysis prints a group's analysis runs, one line each.
func (r *runner) printAnalysis(runs []rollout.AnalysisRun) []string {
	var lines []string
	for _, run := range runs {
		s := fmt.Sprintf("    analysis %s %s from %s", run.Gate, run.Status, r.fmtTime(run.StartedAt))
		if run.HasBaseline {
			s += fmt.Sprintf(" v%d vs baseline v%d", run.Version, run.BaselineVersion)
		}
		var ms []string
		for _, m := range run.Measurements {
			ms = append(ms, fmt.Sprintf("%s=%s@%s", m.Check, m.Verdict, r.fmtTime(m.Time)))
		}
		if len(ms) > 0 {
			s += ": " + strings.Join(ms, " ")
		}
		if run.Reason != "" {
			s += " (" + run.Reason + ")"
		}
		lines = append(lines, s)
	}
	return lines
}
