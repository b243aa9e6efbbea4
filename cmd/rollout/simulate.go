package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
	"github.com/rollout-go/rollout/rollouttest"
	"github.com/rollout-go/rollout/view"
)

const simulateHelp = `Usage: rollout simulate [options] FILE...

Run the job files, in order, as versions 0, 1, 2, ... of one job through a
simulated cluster with scripted health, and print the timeline: each
submission, every deployment transition with its simulated time, and the
deployment status after each version settles. Canaries waiting for a
promotion are promoted once healthy ("nomad deployment promote"), and a
deployment paused at a pause_after checkpoint without gate_timeout is
resumed ("nomad deployment resume").

Allocations start -start-after after placement (by default 5s, or a
quarter of the shortest healthy_deadline of the files when that is less,
so that a healthy job never fails here) and pass their checks at once,
unless -fail scripts them:
    -fail vN        the allocations placed for version N fail -fail-after
                    after placement (by default 8s, or half the shortest
                    healthy_deadline when that is less); those of other
                    versions with the same spec do not
    -fail vN:GROUP  the same, for the group GROUP of version N only
    -fail canaries  the allocations of the last version fail (its canaries
                    first, when it has any)
    -fail alloc=N   the N-th allocation placed in the simulation (from 1)
                    is marked unhealthy (nomad deployment fail-alloc health)
                    one second after its placement

A group with an analysis block has each measurement answered as it falls
due (rollout.DueChecks), timed then: every check passes unless -analysis
scripts it (repeatable; a flag naming the group wins):
    -analysis vN=VERDICT        every due check of version N is answered
                                VERDICT: pass, fail or inconclusive
    -analysis vN:GROUP=VERDICT  the same, for the group GROUP of version N
Canaries under analysis are promoted, and a checkpoint resumed, only once
its analysis passed; a failed analysis fails the deployment.

The cluster has -nodes nodes (3 by default): a system job runs one
allocation on each.

A group without an update block is replaced all at once: the timeline
prints each step's decisions for it (the plan's counts, every stop and
placement) and says that no deployment tracks it. When such a version is
scripted to fail, nothing ends its failures (no deployment fails or
reverts it, and Nomad reschedules a service job's allocations for ever):
after each of its allocations has been rescheduled twice the simulation
says so and stops waiting for it (the next file, if any, replaces it).
Batch, sysbatch, periodic and parameterized jobs are refused: the update
block does not apply to them.

A line on stderr reports progress through the versions.

Exit codes: 0 every deployment succeeded, 1 a file has problems, a
deployment failed or a version that no deployment tracks failed, 2 usage
error.
`

// simResult is one version's outcome, as -json prints it.
type simResult struct {
	File        string               `json:"file"`
	Version     uint64               `json:"version"`
	Deployments []rollout.Deployment `json:"deployments"`
}

func simulateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	vs := vars{}
	fs.Var(vs, "var", "set a variable, as name=value (repeatable)")
	fail := fs.String("fail", "", "script a failure: vN, canaries or alloc=N")
	asJSON := fs.Bool("json", false, "print the deployments of each version as JSON instead of the timeline")
	svg := fs.String("svg", "", "also draw the rollout as an SVG timeline into this file")
	startAfter := fs.Duration("start-after", 0, "how long after placement allocations start (default: min(5s, healthy_deadline/4))")
	failAfter := fs.Duration("fail-after", 0, "how long after placement a failing allocation fails (default: min(8s, healthy_deadline/2))")
	nodes := nodesFlag(fs)
	scripts := analysisFlag(fs)
	files, code, ok := parse(fs, args, simulateHelp, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "rollout simulate: no job file given\n\n%s", simulateHelp)
		return exitUsage
	}
	var jobs []*jobspec.Job
	bad := false
	for i, f := range files {
		j, ok := load(f, &jobspec.Options{Vars: vs, Version: uint64(i)}, stdout)
		bad = bad || !ok
		jobs = append(jobs, j)
	}
	if bad {
		return exitProblems
	}
	for i, j := range jobs {
		if kind, out := outOfScope(j); out {
			fmt.Fprintf(stdout, "rollout simulate: %s: job %q is a %s job: the update block does not apply to it, and rollout simulates service and system jobs only\n", files[i], j.Version.ID, kind)
			return exitProblems
		}
	}
	if !scriptAnalysis(scripts, jobs, stderr) {
		return exitUsage
	}
	failing, failAlloc, failGroup := -1, 0, ""
	switch {
	case *fail == "":
	case *fail == "canaries":
		failing = len(jobs) - 1
	case strings.HasPrefix(*fail, "v"):
		ver, group, _ := strings.Cut((*fail)[1:], ":")
		n, err := strconv.Atoi(ver)
		if err != nil || n < 0 || n >= len(jobs) {
			fmt.Fprintf(stderr, "rollout simulate: -fail %s: want v0 to v%d\n", *fail, len(jobs)-1)
			return exitUsage
		}
		if _, ok := jobs[n].Version.Group(group); group != "" && !ok {
			fmt.Fprintf(stderr, "rollout simulate: -fail %s: version %d has no group %q\n", *fail, n, group)
			return exitUsage
		}
		failing, failGroup = n, group
	case strings.HasPrefix(*fail, "alloc="):
		n, err := strconv.Atoi(strings.TrimPrefix(*fail, "alloc="))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "rollout simulate: -fail %s: want alloc=N with N from 1\n", *fail)
			return exitUsage
		}
		failAlloc = n
	default:
		fmt.Fprintf(stderr, "rollout simulate: -fail %q: want vN, vN:GROUP, canaries or alloc=N\n", *fail)
		return exitUsage
	}
	names, ok := nodeNames(*nodes, stderr, "simulate")
	if !ok {
		return exitUsage
	}
	start, failIn := delays(jobs)
	if *startAfter > 0 {
		start = *startAfter
	}
	if *failAfter > 0 {
		failIn = *failAfter
	}
	cfg := rollouttest.Config{
		Default:          rollouttest.Behavior{StartAfter: start},
		VersionBehaviors: map[rollouttest.VersionGroup]rollouttest.Behavior{},
		Nodes:            names,
	}
	if failing >= 0 {
		cfg.VersionBehaviors[rollouttest.VersionGroup{Version: uint64(failing), Group: failGroup}] = rollouttest.Behavior{NeverStarts: true, FailsAfter: failIn}
	}
	c := rollouttest.NewCluster(cfg)
	untracked := newUntrackedFailures(failing)
	waitFor := func(c *rollouttest.Cluster) bool { return awaitingOperator(c) || untracked.keepsFailing(c) }
	t0 := c.Now()
	since := func() string { return "+" + c.Now().Sub(t0).String() }
	out := stdout
	if *asJSON {
		out = io.Discard
	}
	placed := 0
	var tl *view.Timeline
	if *svg != "" {
		tl = view.NewTimeline(jobs[0].Version.ID, t0)
	}
	// Before the transitions' observer: a verdict is printed before what it caused.
	answerAnalysis(c, *scripts, func(format string, args ...any) {
		fmt.Fprintf(out, "[%s] %s\n", since(), fmt.Sprintf(format, args...))
	})
	c.Observe(func(c *rollouttest.Cluster, info rollouttest.StepInfo) {
		if tl != nil {
			if job, ok := c.Job(); ok {
				tl.Sample(c.Now(), job.Version, info.Output.Apply(c.Allocations())) // as the step leaves them
			}
			tl.MarkTransitions(c.Now(), &info.Output)
		}
		for _, tr := range info.Output.Transitions {
			fmt.Fprintf(out, "[%s] deployment %s %s: %s\n", since(), short(tr.DeploymentID), tr.Kind, tr.Reason)
		}
		printUntracked(out, since(), &info)
		untracked.observe(&info)
		for _, p := range info.Output.Place {
			placed++
			if placed != failAlloc {
				continue
			}
			id, name := p.ID, p.Name
			c.After(time.Second, func(c *rollouttest.Cluster) {
				fmt.Fprintf(out, "[%s] allocation %s (%s) marked unhealthy\n", since(), short(id), name)
				if err := c.Command(rollout.SetHealth(false, id)); err != nil {
					fmt.Fprintf(out, "[%s] set-health: %v\n", since(), err)
				}
			})
		}
	})
	var results []simResult
	failed := false
	for i, f := range files {
		fmt.Fprintf(stderr, "rollout simulate: version %d of %d (%s)\n", i+1, len(files), f)
		before := len(c.Deployments())
		fmt.Fprintf(out, "\n[%s] $ nomad job run %s\n", since(), f)
		v, err := c.Submit(jobs[i].Version)
		if err != nil {
			printErrors(stdout, err)
			return exitProblems
		}
		fmt.Fprintf(out, "==> job version %d submitted\n", v.Version)
		if tl != nil {
			tl.Mark(c.Now(), view.MarkSubmit, fmt.Sprintf("v%d submitted", v.Version))
		}
		for {
			err := c.RunUntil(waitFor)
			if errors.Is(err, rollouttest.ErrSettled) {
				break
			}
			if err != nil {
				fmt.Fprintf(stdout, "simulation: %v\n", err)
				return exitProblems
			}
			if untracked.keepsFailing(c) {
				untracked.report(out, since(), i == len(files)-1)
				break
			}
			fmt.Fprintf(out, "\n[%s] $ nomad job status %s\n", since(), v.ID)
			status(out, c.Deployment())
			if pausedAtCheckpoint(c) {
				fmt.Fprintf(out, "\n[%s] $ nomad deployment resume %s\n", since(), short(c.Deployment().ID))
				if err := c.Command(rollout.Resume()); err != nil {
					fmt.Fprintf(stdout, "resume: %v\n", err)
					return exitProblems
				}
				continue
			}
			fmt.Fprintf(out, "\n[%s] $ nomad deployment promote %s\n", since(), short(c.Deployment().ID))
			if err := c.Command(rollout.Promote()); err != nil {
				fmt.Fprintf(stdout, "promote: %v\n", err)
				return exitProblems
			}
			if tl != nil {
				tl.Mark(c.Now(), view.MarkPromote, "promote")
			}
		}
		deps := c.Deployments()[before:]
		if len(deps) == 0 {
			running := 0
			for _, a := range c.Allocations() {
				if a.JobVersion == v.Version && a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning {
					running++
				}
			}
			fmt.Fprintf(out, "[%s] no deployment tracks version %d (no group with an update strategy has work): its allocations are replaced all at once; %d of them run\n", since(), v.Version, running)
		}
		if d := c.Deployment(); d != nil {
			fmt.Fprintf(out, "\n[%s] $ nomad job status %s\n", since(), v.ID)
			status(out, d)
		}
		for _, d := range deps {
			failed = failed || d.Status == rollout.StatusFailed
		}
		failed = untracked.settle(out, since(), c, v.Version) || failed
		results = append(results, simResult{File: f, Version: v.Version, Deployments: deps})
	}
	if len(c.Deployments()) > 0 {
		fmt.Fprintf(out, "\n[%s] $ nomad job deployments\n", since())
		deployments(out, c.Deployments())
	}
	if tl != nil {
		if err := writeTimeline(*svg, tl); err != nil {
			fmt.Fprintf(stderr, "rollout simulate: -svg: %v\n", err)
			return exitProblems
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(stderr, err)
			return exitProblems
		}
	}
	if failed {
		return exitProblems
	}
	return exitOK
}

// awaitingOperator holds when the deployment waits for an operator: a
// promotion, or a resume at a pause_after checkpoint.
func awaitingOperator(c *rollouttest.Cluster) bool {
	return awaitingPromotion(c) || pausedAtCheckpoint(c)
}

// pausedAtCheckpoint holds when the deployment is paused at a pause_after
// checkpoint that has no gate_timeout (one that has resumes or fails by
// itself, and the simulation lets it).
func pausedAtCheckpoint(c *rollouttest.Cluster) bool {
	d := c.Deployment()
	if d == nil || d.Status != rollout.StatusPaused {
		return false
	}
	for _, g := range d.Groups {
		if !g.GateOpenedAt.IsZero() && (g.DesiredCanaries == 0 || g.Promoted) && g.GateTimeout == 0 && !analysisRunning(&g) {
			return true
		}
	}
	return false
}

// awaitingPromotion holds when the deployment waits for a manual
// promotion and every group's canaries are healthy.
func awaitingPromotion(c *rollouttest.Cluster) bool {
	d := c.Deployment()
	if d == nil || !d.RequiresPromotion() || d.HasAutoPromote() {
		return false
	}
	for _, g := range d.Groups {
		if g.DesiredCanaries > 0 && !g.Promoted && (g.Healthy < g.DesiredCanaries || analysisRunning(&g)) {
			return false
		}
	}
	return true
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// status prints the latest deployment as `nomad job status` does.
func status(w io.Writer, d *rollout.Deployment) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "Latest Deployment\nID          = %s\nStatus      = %s\nDescription = %s\n\nDeployed\n", short(d.ID), d.Status, d.Description)
	canaries := false
	for _, g := range d.Groups {
		canaries = canaries || g.DesiredCanaries > 0
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if canaries {
		fmt.Fprintln(tw, "Task Group\tPromoted\tDesired\tCanaries\tPlaced\tHealthy\tUnhealthy")
	} else {
		fmt.Fprintln(tw, "Task Group\tDesired\tPlaced\tHealthy\tUnhealthy")
	}
	for _, g := range d.Groups {
		if canaries {
			promoted := "-"
			if g.DesiredCanaries > 0 {
				promoted = strconv.FormatBool(g.Promoted)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", g.Name, promoted, g.DesiredTotal, g.DesiredCanaries, g.Placed, g.Healthy, g.Unhealthy)
		} else {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", g.Name, g.DesiredTotal, g.Placed, g.Healthy, g.Unhealthy)
		}
	}
	tw.Flush()
}

// deployments prints `nomad job deployments`, newest first.
func deployments(w io.Writer, deps []rollout.Deployment) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tJob ID\tJob Version\tStatus\tDescription")
	for i := len(deps) - 1; i >= 0; i-- {
		d := deps[i]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", short(d.ID), d.JobID, d.JobVersion, d.Status, d.Description)
	}
	tw.Flush()
}

// writeTimeline draws the timeline into the file.
func writeTimeline(path string, tl *view.Timeline) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := view.WriteSVG(f, tl.Title, []*view.Timeline{tl}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// delays are the default start and failure delays of a simulation: 5s and
// 8s, or a quarter and a half of the shortest healthy_deadline of the
// files' groups when that is less, so that a healthy allocation always
// starts within its deadline and a failing one fails within it.
func delays(jobs []*jobspec.Job) (start, fail time.Duration) {
	start, fail = 5*time.Second, 8*time.Second
	for _, j := range jobs {
		for _, g := range j.Version.Groups {
			s, ok := j.Version.Strategy(g.Name)
			if !ok || s.HealthyDeadline <= 0 {
				continue
			}
			start = min(start, s.HealthyDeadline/4)
			fail = min(fail, s.HealthyDeadline/2)
		}
	}
	return start, fail
}
