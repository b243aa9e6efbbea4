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

const planHelp = `Usage: rollout plan [options] [OLD] NEW

Show what submitting the job file NEW over OLD would do, as "nomad job plan"
does: OLD is deployed in a simulated cluster (with OLD left out, NEW is a
new job), then the job is headed "+ Job" (new), "+/- Job" (changed) or
"Job" (the same), and each group of NEW is annotated with the counts of what
rollout would decide first ("2 create/destroy update, 4 ignore", "2
in-place update"), marked "+" when added and "-" when removed, and followed
by the fields that change (lists by index, maps by key as Meta[tier],
datacenters and service tags as sets of added and removed values; every
field with -verbose). A task whose change replaces allocations is marked
"(forces create/destroy update)", one whose change is made in place
"(forces in-place update)"; a group-level field whose change replaces
allocations (meta, network, ephemeral_disk, volume, a service's connect)
is annotated "(forces create/destroy update)", as Count is. NEW's warnings, if any, follow under "Job Warnings:", as
in Nomad's plan. The cluster has -nodes nodes (3 by default): a system job
runs one allocation on each. Batch, sysbatch, periodic and parameterized
jobs are refused: the update block does not apply to them.

Exit codes, as nomad job plan's: 0 no allocation would be created or
destroyed, 1 some would be, 255 an error (a file with problems, a usage
error, two different jobs, a job type out of scope).
`

// Exit codes of plan, as nomad job plan's.
const (
	planNoChange = 0
	planChange   = 1
	planError    = 255
)

func planCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	vs := vars{}
	fs.Var(vs, "var", "set a variable, as name=value (repeatable)")
	verbose := fs.Bool("verbose", false, "show every field of a changed block, not only the changed ones")
	nodes := nodesFlag(fs)
	files, code, ok := parse(fs, args, planHelp, stdout, stderr)
	if !ok {
		if code == exitOK {
			return code
		}
		return planError
	}
	if len(files) != 1 && len(files) != 2 {
		fmt.Fprintf(stderr, "rollout plan: want [OLD] NEW, have %d file(s)\n\n%s", len(files), planHelp)
		return planError
	}
	var old *jobspec.Job
	if len(files) == 2 {
		var okOld bool
		if old, okOld = load(files[0], &jobspec.Options{Vars: vs}, stdout); !okOld {
			return planError
		}
	}
	cur, okNew := load(files[len(files)-1], &jobspec.Options{Vars: vs}, stdout)
	if !okNew {
		return planError
	}
	for _, j := range []*jobspec.Job{old, cur} {
		if j == nil {
			continue
		}
		if kind, out := outOfScope(j); out {
			fmt.Fprintf(stdout, "rollout plan: job %q is a %s job: the update block does not apply to it, and rollout plans service and system jobs only\n", j.Version.ID, kind)
			return planError
		}
	}
	if old != nil && old.Version.ID != cur.Version.ID {
		fmt.Fprintf(stdout, "rollout plan: %s is job %q and %s is job %q: a plan compares two versions of one job\n", files[0], old.Version.ID, files[1], cur.Version.ID)
		return planError
	}
	names, ok := nodeNames(*nodes, stderr, "plan")
	if !ok {
		return planError
	}
	c := rollouttest.NewCluster(rollouttest.Config{Nodes: names})
	var prev rollout.JobVersion
	if old != nil {
		if _, err := c.Submit(old.Version); err != nil {
			printErrors(stdout, err)
			return planError
		}
		if err := c.Run(); err != nil {
			fmt.Fprintf(stdout, "deploying %s: %v\n", files[0], err)
			return planError
		}
		prev, _ = c.Job()
	}
	plans, err := c.Plan(cur.Version)
	if err != nil {
		printErrors(stdout, err)
		return planError
	}
	printPlan(stdout, old, &prev, cur, plans, *verbose)
	fmt.Fprint(stdout, "\nScheduler dry-run:\n- All tasks successfully allocated.\n")
	printJobWarnings(stdout, cur.Warnings())
	for _, p := range plans {
		if p.Create+p.Destroy+p.Destructive+p.Canary+p.Migrate > 0 {
			return planChange
		}
	}
	return planNoChange
}

// outOfScope names the type of a job the update block does not apply to:
// batch, sysbatch, periodic or parameterized.
func outOfScope(j *jobspec.Job) (string, bool) {
	if d := j.Version.Definition; d != nil {
		for _, k := range []string{"periodic", "parameterized"} {
			if _, ok := d.Extra[k]; ok {
				return k, true
			}
		}
	}
	switch j.Type {
	case "batch", "sysbatch":
		return j.Type, true
	}
	return "", false
}

// printPlan prints the `nomad job plan` view of cur over old (nil for a
// new job).
func printPlan(w io.Writer, old *jobspec.Job, prev *rollout.JobVersion, cur *jobspec.Job, plans []rollout.GroupPlan, verbose bool) {
	header := "+/- Job:"
	switch {
	case old == nil:
		header = "+ Job:"
	case prev.Same(&cur.Version):
		header = "Job:"
	}
	fmt.Fprintf(w, "%s %q\n", header, cur.Version.ID)
	if old != nil {
		job := buildObject("Job", asTree(prev.Definition), asTree(cur.Version.Definition))
		if jobMetaDestructive(old, cur) {
			for i := range job.fields {
				if strings.HasPrefix(job.fields[i].name, "Meta[") && job.fields[i].change() != same {
					job.fields[i].note = forcesDestructive
				}
			}
		}
		for _, l := range job.lines("", verbose) {
			fmt.Fprintln(w, l)
		}
	}
	for _, p := range plans {
		g, ok := cur.Version.Group(p.Group)
		og, had := prev.Group(p.Group)
		if !ok { // removed: its allocations stop
			fmt.Fprintf(w, "- Task Group: %q (%s)\n", p.Group, p.String())
			if had {
				fmt.Fprintf(w, "  - Count: %q (forces destroy)\n", strconv.Itoa(og.Count))
			}
			continue
		}
		if !had {
			fmt.Fprintf(w, "+ Task Group: %q (%s)\n", p.Group, p.String())
			fmt.Fprintf(w, "  + Count: %q (forces create)\n", strconv.Itoa(g.Count))
			_, tasks := tasksOf(g.Definition)
			for _, t := range tasks {
				fmt.Fprintf(w, "  + Task: %q (forces create)\n", t)
			}
			continue
		}
		oldSpec, curSpec := groupSpec(old, p.Group), groupSpec(cur, p.Group)
		group := groupObject(prev, &cur.Version, p.Group, oldSpec, curSpec)
		tasks, tasksChanged := taskLines(oldSpec, curSpec, og.Definition, g.Definition, verbose)
		mark := "   "
		if group.change() != same || tasksChanged {
			mark = "+/-"
		}
		fmt.Fprintf(w, "%s Task Group: %q (%s)\n", mark, p.Group, p.String())
		for _, l := range append(group.lines("  ", verbose), tasks...) {
			fmt.Fprintln(w, l)
		}
	}
}
