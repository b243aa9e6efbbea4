package scenario

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rollout-go/rollout"
)

// printOutput prints a step's output, in the order a caller handles it:
// deployment transitions, stops, placements, in-place updates, health
// verdicts, ignored events, the plan per group, the deployment, job
// versions to store, and when to step again.
func (r *runner) printOutput(out *rollout.Output) []string {
	var lines []string
	add := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	// Name the deployments in order of appearance: the cancelled one first.
	r.depName(out.Cancelled)
	r.depName(out.Deployment)
	curID := ""
	if out.Deployment != nil {
		curID = out.Deployment.ID
	}
	for _, tr := range out.Transitions {
		groups := ""
		if len(tr.Groups) > 0 {
			groups = " [" + strings.Join(tr.Groups, ",") + "]"
		}
		add("%s %s%s: %s", tr.Kind, r.depNameByID(tr.DeploymentID), groups, tr.Reason)
	}
	for _, st := range out.Stop {
		lost := ""
		if st.Lost && st.Kind != rollout.KindLost {
			lost = " (client lost)"
		}
		add("stop %s %s%s: %s", r.aliasOf(st.ID), st.Kind, lost, st.Reason)
	}
	for _, p := range out.Place {
		s := fmt.Sprintf("place %s %s", r.allocAlias(p.ID, p.Group, p.Index, p.JobVersion), p.Kind)
		if p.Canary && p.Kind != rollout.KindCanary {
			s += " canary"
		}
		if p.StandsInFor != "" {
			s += " stands in for " + r.aliasOf(p.StandsInFor)
		}
		if p.Replaces != "" {
			s += " replaces " + r.aliasOf(p.Replaces)
		}
		if p.Attempts > 0 {
			s += " attempt=" + strconv.Itoa(p.Attempts)
		}
		if p.NodeID != "" {
			s += " on " + p.NodeID
		}
		if p.DeploymentID != curID {
			s += " deployment=" + r.depNameByID(p.DeploymentID)
		}
		lines = append(lines, s)
	}
	for _, u := range out.InPlace {
		s := fmt.Sprintf("in-place %s -> v%d", r.aliasOf(u.ID), u.JobVersion)
		if u.DeploymentID != curID {
			s += " deployment=" + r.depNameByID(u.DeploymentID)
		}
		lines = append(lines, s)
	}
	var tracking []string
	for _, h := range out.Health {
		if h.Health.Status == "" || r.verdict(h.ID) == h.Health.Status {
			tracking = append(tracking, r.aliasOf(h.ID))
			continue
		}
		s := fmt.Sprintf("health %s %s at %s", r.aliasOf(h.ID), h.Health.Status, r.fmtTime(h.Health.Time))
		if h.Health.Reason != "" {
			s += ": " + h.Health.Reason
		}
		lines = append(lines, s)
	}
	if len(tracking) > 0 {
		add("tracker state updated: %s", strings.Join(tracking, " "))
	}
	for _, ig := range out.IgnoredAnalysis {
		add("ignored measurement %s %s=%s at %s: %s", ig.Result.Group, ig.Result.Check, ig.Result.Verdict, r.fmtTime(ig.Result.Time), ig.Reason)
	}
	for _, ig := range out.Ignored {
		ev := ig.Event
		what := string(ev.Kind)
		if ev.Task != "" {
			what += " task=" + ev.Task
		}
		if ev.Check != "" {
			what += " check=" + ev.Check
		}
		add("ignored %s of %s at %s: %s", what, r.aliasOf(ev.Alloc), r.fmtTime(ev.Time), ig.Reason)
	}
	for _, p := range out.Plan {
		plan := p.String()
		if plan == "" {
			plan = "nothing"
		}
		add("plan %s: %s", p.Group, plan)
	}
	if out.Cancelled != nil {
		lines = append(lines, r.printDeployment(out.Cancelled)...)
	}
	lines = append(lines, r.printDeployment(out.Deployment)...)
	if out.Freeze != nil {
		until := "unfrozen"
		if !out.Freeze.Until.IsZero() {
			until = r.fmtTime(out.Freeze.Until)
		}
		add("freeze since %s until %s: %s", r.fmtTime(out.Freeze.Since), until, out.Freeze.Reason)
	}
	if out.Job != nil {
		add("job %s", describeVersion(out.Job))
	}
	if out.Revert != nil {
		add("revert: submit job %s", describeVersion(out.Revert))
	}
	if out.NextStep.IsZero() {
		add("next step: none")
	} else {
		add("next step at %s", r.fmtTime(out.NextStep))
	}
	return lines
}

// verdict returns an allocation's recorded health verdict.
func (r *runner) verdict(id string) rollout.HealthStatus {
	for p := range r.allocs {
		if r.allocs[p].ID == id {
			return r.allocs[p].Health.Status
		}
	}
	return ""
}

// printDeployment prints a deployment and its groups' state.
func (r *runner) printDeployment(d *rollout.Deployment) []string {
	if d == nil {
		return []string{"deployment: none"}
	}
	lines := []string{fmt.Sprintf("deployment %s (v%d) %s: %s", r.depName(d), d.JobVersion, d.Status, d.Description)}
	for _, g := range d.Groups {
		s := fmt.Sprintf("  %s desired=%d placed=%d healthy=%d unhealthy=%d", g.Name, g.DesiredTotal, g.Placed, g.Healthy, g.Unhealthy)
		if g.DesiredCanaries > 0 || len(g.PlacedCanaries) > 0 {
			names := make([]string, len(g.PlacedCanaries))
			for i, id := range g.PlacedCanaries {
				names[i] = r.aliasOf(id)
			}
			s += fmt.Sprintf(" canaries=%d/%d", len(g.PlacedCanaries), g.DesiredCanaries)
			if len(names) > 0 {
				s += "(" + strings.Join(names, ",") + ")"
			}
			s += " promoted=" + strconv.FormatBool(g.Promoted)
		}
		if g.AutoRevert {
			s += " auto_revert"
		}
		if g.AutoPromote {
			s += " auto_promote"
		}
		if !g.RequireProgressBy.IsZero() {
			s += " progress_by=" + r.fmtTime(g.RequireProgressBy)
		}
		if len(g.PauseAfter) > 0 {
			cps := make([]string, len(g.PauseAfter))
			for i, c := range g.PauseAfter {
				cps[i] = strconv.Itoa(c)
			}
			s += fmt.Sprintf(" checkpoints=%d/%d[%s]", g.CheckpointsReached, len(g.PauseAfter), strings.Join(cps, ","))
		}
		if g.GateTimeout > 0 {
			s += fmt.Sprintf(" gate_timeout=%s(%s)", fmtDur(g.GateTimeout), g.OnGateTimeout)
		}
		if !g.GateOpenedAt.IsZero() {
			s += " gate_opened=" + r.fmtTime(g.GateOpenedAt)
		}
		lines = append(lines, s)
		lines = append(lines, r.printAnalysis(g.Analysis)...)
	}
	return lines
}

// doStatus prints a `nomad job status`-like view: versions, the latest
// deployment, and the live allocations (all=true: every allocation).
func (r *runner) doStatus(a *args) ([]string, error) {
	all := false
	if v, ok := a.get("all"); ok {
		var err error
		if all, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("status all=%q: %v", v, err)
		}
	}
	j, err := r.job()
	if err != nil {
		return nil, err
	}
	vs := make([]string, len(r.versions))
	for i := range r.versions {
		vs[i] = describeVersion(&r.versions[i])
	}
	lines := []string{fmt.Sprintf("job %s v%d; versions: %s", j.ID, j.Version, strings.Join(vs, ", "))}
	lines = append(lines, r.printDeployment(r.dep)...)
	var ps []int
	hidden := 0
	for p := range r.allocs {
		if all || r.allocs[p].Desired == rollout.DesiredRun {
			ps = append(ps, p)
		} else {
			hidden++
		}
	}
	r.sortAllocs(ps)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	withNode := false
	for _, p := range ps {
		withNode = withNode || r.allocs[p].NodeID != ""
	}
	if withNode {
		fmt.Fprint(tw, "  node\t")
	} else {
		fmt.Fprint(tw, "  ")
	}
	fmt.Fprintln(tw, "alloc\tversion\tdesired\tclient\thealth\tcanary\tdeployment")
	for _, p := range ps {
		al := &r.allocs[p]
		health := string(al.Health.Status)
		if health == "" {
			health = "-"
		}
		canary := "-"
		if al.Canary {
			canary = "canary"
		}
		if withNode {
			fmt.Fprintf(tw, "  %s\t", al.NodeID)
		} else {
			fmt.Fprint(tw, "  ")
		}
		fmt.Fprintf(tw, "%s\tv%d\t%s\t%s\t%s\t%s\t%s\n", r.aliasOf(al.ID), al.JobVersion, al.Desired, al.Client, health, canary, r.depNameByID(al.DeploymentID))
	}
	tw.Flush()
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	if hidden > 0 {
		lines = append(lines, fmt.Sprintf("  (%d stopped allocations not shown)", hidden))
	}
	return lines, nil
}

// describeVersion prints a job version: v3 (revert of v1) stable.
func describeVersion(v *rollout.JobVersion) string {
	s := "v" + strconv.FormatUint(v.Version, 10)
	if v.RevertOf != nil {
		s += fmt.Sprintf(" (revert of v%d)", *v.RevertOf)
	}
	if v.Stop {
		s += " stopped"
	}
	if v.Stable {
		s += " stable"
	}
	return s
}

// describeStrategy prints a group's resolved update strategy: the fields
// that differ from the defaults.
func describeStrategy(job, group *rollout.UpdateBlock) string {
	st, ok := rollout.Merge(job, group)
	if !ok {
		return "no update block (a change replaces every allocation at once)"
	}
	def := rollout.DefaultUpdateStrategy()
	def.ProgressDeadline = max(rollout.DefaultProgressDeadline, st.HealthyDeadline+5*time.Minute)
	var f []string
	if st.MaxParallel != def.MaxParallel {
		f = append(f, fmt.Sprintf("max_parallel=%d", st.MaxParallel))
	}
	if st.Canary != def.Canary {
		f = append(f, fmt.Sprintf("canary=%d", st.Canary))
	}
	if st.HealthCheck != def.HealthCheck {
		f = append(f, "health_check="+string(st.HealthCheck))
	}
	for _, d := range []struct {
		name     string
		got, def time.Duration
	}{
		{"min_healthy_time", st.MinHealthyTime, def.MinHealthyTime},
		{"healthy_deadline", st.HealthyDeadline, def.HealthyDeadline},
		{"progress_deadline", st.ProgressDeadline, def.ProgressDeadline},
		{"stagger", st.Stagger, def.Stagger},
	} {
		if d.got != d.def {
			f = append(f, fmt.Sprintf("%s=%s", d.name, fmtDur(d.got)))
		}
	}
	if st.AutoRevert {
		f = append(f, "auto_revert")
	}
	if st.AutoPromote {
		f = append(f, "auto_promote")
	}
	for _, kv := range [][2]string{
		{"max_surge", string(st.MaxSurge)}, {"max_unavailable", string(st.MaxUnavailable)},
		{"pause_after", string(st.PauseAfter)}, {"on_gate_timeout", string(st.OnGateTimeout)},
	} {
		if kv[1] != "" {
			f = append(f, kv[0]+"="+kv[1])
		}
	}
	if st.GateTimeout != 0 {
		f = append(f, "gate_timeout="+fmtDur(st.GateTimeout))
	}
	if a := st.Analysis; a != nil {
		names := make([]string, len(a.Checks))
		for i, c := range a.Checks {
			names[i] = c.Name
		}
		f = append(f, fmt.Sprintf("analysis=%s(every %s, %d measurements, failure_limit %d, on_inconclusive %s)",
			strings.Join(names, ","), fmtDur(cmp.Or(a.Interval, rollout.DefaultAnalysisInterval)), cmp.Or(a.Measurements, rollout.DefaultAnalysisMeasurements),
			a.FailureLimit, cmp.Or(a.OnInconclusive, rollout.InconclusiveFail)))
	}
	s := "update defaults"
	if len(f) > 0 {
		s = "update " + strings.Join(f, " ")
	}
	if st.MaxParallel == 0 {
		s += " (no deployment: a change replaces every allocation at once)"
	}
	return s
}

// errorLines prints an error on lines without blanks or tabs.
func errorLines(msg string) []string {
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\t", "  "))
		if l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return []string{"error"}
	}
	out[0] = "error: " + out[0]
	for i := 1; i < len(out); i++ {
		out[i] = "  " + out[i]
	}
	return out
}
