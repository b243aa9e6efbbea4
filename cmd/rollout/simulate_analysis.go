package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
	"github.com/rollout-go/rollout/rollouttest"
)

// analysisScript is one -analysis flag: the verdict every due check of a
// version (of one group, when Group is set) is answered with.
type analysisScript struct {
	Version uint64
	Group   string
	Verdict rollout.Verdict
	flag    string // as written, for the timeline
}

// analysisScripts are the -analysis flags, in the order given.
type analysisScripts []analysisScript

// analysisFlag defines -analysis on fs.
func analysisFlag(fs *flag.FlagSet) *analysisScripts {
	s := &analysisScripts{}
	fs.Var(s, "analysis", "answer the due analysis checks of a version: vN=pass|fail|inconclusive or vN:GROUP=... (repeatable; default pass)")
	return s
}

func (s *analysisScripts) String() string { return "" }

// Set reads one -analysis flag: vN=VERDICT or vN:GROUP=VERDICT.
func (s *analysisScripts) Set(v string) error {
	target, verdict, ok := strings.Cut(v, "=")
	ver, group, _ := strings.Cut(strings.TrimPrefix(target, "v"), ":")
	n, err := strconv.ParseUint(ver, 10, 64)
	switch {
	case !ok || !strings.HasPrefix(target, "v") || err != nil:
		return fmt.Errorf("-analysis %q: want vN=VERDICT or vN:GROUP=VERDICT, such as v1=fail", v)
	case strings.Contains(target, ":") && group == "":
		return fmt.Errorf("-analysis %q: the group after ':' is empty", v)
	case !rollout.Verdict(verdict).Valid():
		return fmt.Errorf("-analysis %q: the verdict must be pass, fail or inconclusive", v)
	}
	*s = append(*s, analysisScript{Version: n, Group: group, Verdict: rollout.Verdict(verdict), flag: v})
	return nil
}

// check reports a flag that names a version the simulation does not run,
// or a group that version lacks or that has no analysis block.
func (s analysisScripts) check(jobs []*jobspec.Job) error {
	for _, sc := range s {
		if sc.Version >= uint64(len(jobs)) {
			return fmt.Errorf("-analysis %s: want v0 to v%d", sc.flag, len(jobs)-1)
		}
		job := &jobs[sc.Version].Version
		analysed := false
		for _, g := range job.Groups {
			if sc.Group != "" && g.Name != sc.Group {
				continue
			}
			st, _ := job.Strategy(g.Name)
			analysed = analysed || st.Analysis != nil
		}
		if _, ok := job.Group(sc.Group); sc.Group != "" && !ok {
			return fmt.Errorf("-analysis %s: version %d has no group %q", sc.flag, sc.Version, sc.Group)
		}
		if !analysed {
			return fmt.Errorf("-analysis %s: version %d has no analysis block to answer", sc.flag, sc.Version)
		}
	}
	return nil
}

// verdict returns the verdict for a due check of version v's group, and
// the flag that scripted it ("" for the default pass).
func (s analysisScripts) verdict(v uint64, group string) (rollout.Verdict, string) {
	verdict, by := rollout.VerdictPass, ""
	for _, sc := range s {
		switch {
		case sc.Version != v:
		case sc.Group == group:
			return sc.Verdict, sc.flag
		case sc.Group == "" && by == "":
			verdict, by = sc.Verdict, sc.flag
		}
	}
	return verdict, by
}

// answerAnalysis makes the cluster answer every analysis check as it falls
// due, after the step that makes it due, with the scripted verdict; each
// answer is a line printed by say.
func answerAnalysis(c *rollouttest.Cluster, scripts analysisScripts, say func(format string, args ...any)) {
	pending := false
	seen := map[string]rollout.AnalysisStatus{} // by deployment, group and gate
	c.Observe(func(c *rollouttest.Cluster, _ rollouttest.StepInfo) {
		for _, d := range c.Deployments() {
			for _, g := range d.Groups {
				for _, run := range g.Analysis {
					key := d.ID + "/" + g.Name + "/" + run.Gate
					if seen[key] == run.Status {
						continue
					}
					seen[key] = run.Status
					if run.Status == rollout.AnalysisRunning {
						say("analysis of group %s at v%d started at the %s gate", g.Name, run.Version, run.Gate)
					} else {
						say("analysis of group %s at v%d %s: %s", g.Name, run.Version, run.Status, run.Reason)
					}
				}
			}
		}
		if pending || len(dueChecks(c)) == 0 {
			return
		}
		pending = true
		c.At(c.Now(), func(c *rollouttest.Cluster) {
			pending = false
			var results []rollout.AnalysisResult
			for _, d := range dueChecks(c) {
				verdict, by := scripts.verdict(d.Version, d.Group)
				reason := "the simulation's default"
				if by != "" {
					reason = "scripted by -analysis " + by
				}
				results = append(results, rollout.AnalysisResult{Time: c.Now(), Group: d.Group, Check: d.Check.Name, Verdict: verdict, Reason: reason})
				say("analysis of group %s at v%d: check %s: %s (%s)", d.Group, d.Version, d.Check.Name, verdict, reason)
			}
			if len(results) == 0 {
				return
			}
			if err := c.Command(rollout.RecordAnalysis(results...)); err != nil {
				say("analysis: %v", err)
			}
		})
	})
}

// dueChecks lists the analysis checks due now in the cluster's deployment.
func dueChecks(c *rollouttest.Cluster) []rollout.DueCheck {
	job, ok := c.Job()
	if !ok {
		return nil
	}
	return rollout.DueChecks(&job, c.Deployment(), c.Now())
}

// analysisRunning reports whether the group waits for a running analysis:
// the simulation's operator neither promotes nor resumes it meanwhile.
func analysisRunning(g *rollout.DeploymentGroup) bool {
	_, ok := g.LiveAnalysis()
	return ok
}

// scriptAnalysis checks the -analysis flags against the jobs, reporting a
// bad one on stderr.
func scriptAnalysis(s *analysisScripts, jobs []*jobspec.Job, stderr io.Writer) bool {
	if err := s.check(jobs); err != nil {
		fmt.Fprintf(stderr, "rollout simulate: %v\n", err)
		return false
	}
	return true
}
