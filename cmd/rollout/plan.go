package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
	"github.com/rollout-go/rollout/rollouttest"
)

const planHelp = `Usage: rollout plan [options] OLD NEW

Show what submitting the job file NEW over OLD would do, as "nomad job plan"
does: OLD is deployed in a simulated cluster, then each group of NEW is
annotated with the counts of what rollout would decide first
("2 create/destroy update, 4 ignore") and followed by the fields that
change; a task whose change replaces allocations is marked
"(forces create/destroy update)". NEW's warnings, if any, follow under
"Job Warnings:", as in Nomad's plan. The cluster has -nodes nodes (3 by
default): a system job runs one allocation on each.

Exit codes: 0 plan shown, 1 a file has problems, 2 usage error.
`

func planCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	vs := vars{}
	fs.Var(vs, "var", "set a variable, as name=value (repeatable)")
	nodes := nodesFlag(fs)
	files, code, ok := parse(fs, args, planHelp, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) != 2 {
		fmt.Fprintf(stderr, "rollout plan: want OLD and NEW, have %d file(s)\n\n%s", len(files), planHelp)
		return exitUsage
	}
	old, okOld := load(files[0], &jobspec.Options{Vars: vs}, stdout)
	cur, okNew := load(files[1], &jobspec.Options{Vars: vs}, stdout)
	if !okOld || !okNew {
		return exitProblems
	}
	names, ok := nodeNames(*nodes, stderr, "plan")
	if !ok {
		return exitUsage
	}
	c := rollouttest.NewCluster(rollouttest.Config{Nodes: names})
	if _, err := c.Submit(old.Version); err != nil {
		printErrors(stdout, err)
		return exitProblems
	}
	if err := c.Run(); err != nil {
		fmt.Fprintf(stdout, "deploying %s: %v\n", files[0], err)
		return exitProblems
	}
	prev, _ := c.Job()
	plans, err := c.Plan(cur.Version)
	if err != nil {
		printErrors(stdout, err)
		return exitProblems
	}
	printPlan(stdout, old, &prev, cur, plans)
	fmt.Fprint(stdout, "\nScheduler dry-run:\n- All tasks successfully allocated.\n")
	printJobWarnings(stdout, cur.Warnings())
	return exitOK
}

// printPlan prints the `nomad job plan` view of cur over old.
func printPlan(w io.Writer, old *jobspec.Job, prev *rollout.JobVersion, cur *jobspec.Job, plans []rollout.GroupPlan) {
	fmt.Fprintf(w, "+/- Job: %q\n", cur.Version.ID)
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
		var lines []string
		if !had {
			lines = append(lines, fmt.Sprintf("  + Count: %q (forces create)", strconv.Itoa(g.Count)))
		} else {
			if og.Count != g.Count {
				forces := "destroy"
				if g.Count > og.Count {
					forces = "create"
				}
				lines = append(lines, fmt.Sprintf("  +/- Count: %q => %q (forces %s)", strconv.Itoa(og.Count), strconv.Itoa(g.Count), forces))
			}
			lines = append(lines, updateDiff(prev, &cur.Version, p.Group)...)
			lines = append(lines, specDiff(groupSpec(old, p.Group), groupSpec(cur, p.Group))...)
		}
		mark := "   "
		if len(lines) > 0 {
			mark = "+/-"
		}
		fmt.Fprintf(w, "%s Task Group: %q (%s)\n", mark, p.Group, p.String())
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}

func groupSpec(j *jobspec.Job, name string) *jobspec.GroupSpec {
	for i := range j.Groups {
		if j.Groups[i].Name == name {
			return &j.Groups[i]
		}
	}
	return &jobspec.GroupSpec{}
}

// updateDiff lists a group's resolved update strategy when it changes,
// every field shown as Nomad's API holds it (durations in nanoseconds), the
// changed ones marked.
func updateDiff(from, to *rollout.JobVersion, group string) []string {
	a, okA := from.Strategy(group)
	b, okB := to.Strategy(group)
	if okA == okB && a == b {
		return nil
	}
	fields := func(s rollout.UpdateStrategy) []string {
		return []string{
			strconv.FormatBool(s.AutoPromote), strconv.FormatBool(s.AutoRevert), strconv.Itoa(s.Canary),
			string(s.HealthCheck), strconv.FormatInt(int64(s.HealthyDeadline), 10), strconv.Itoa(s.MaxParallel),
			strconv.FormatInt(int64(s.MinHealthyTime), 10), strconv.FormatInt(int64(s.ProgressDeadline), 10),
		}
	}
	names := []string{"AutoPromote", "AutoRevert", "Canary", "HealthCheck", "HealthyDeadline", "MaxParallel", "MinHealthyTime", "ProgressDeadline"}
	fa, fb := fields(a), fields(b)
	out := []string{"  +/- Update {"}
	for i, n := range names {
		label := fmt.Sprintf("%-17s", n+":")
		if fa[i] != fb[i] {
			out = append(out, fmt.Sprintf("    +/- %s %q => %q", label, fa[i], fb[i]))
		} else {
			out = append(out, fmt.Sprintf("        %s %q", label, fa[i]))
		}
	}
	return append(out, "      }")
}

// specDiff lists the changed destructive fields of a group and its tasks.
func specDiff(old, cur *jobspec.GroupSpec) []string {
	var out []string
	out = append(out, sectionDiff("  ", old.Fields, cur.Fields)...)
	oldTasks := map[string]*jobspec.TaskSpec{}
	for i := range old.Tasks {
		oldTasks[old.Tasks[i].Name] = &old.Tasks[i]
	}
	seen := map[string]bool{}
	for _, t := range cur.Tasks {
		seen[t.Name] = true
		ot, ok := oldTasks[t.Name]
		if !ok {
			out = append(out, fmt.Sprintf("  + Task: %q (forces create/destroy update)", t.Name))
			continue
		}
		if d := sectionDiff("    ", ot.Fields, t.Fields); len(d) > 0 {
			out = append(out, fmt.Sprintf("  +/- Task: %q (forces create/destroy update)", t.Name))
			out = append(out, d...)
		}
	}
	for _, t := range old.Tasks {
		if !seen[t.Name] {
			out = append(out, fmt.Sprintf("  - Task: %q (forces create/destroy update)", t.Name))
		}
	}
	return out
}

// sectionDiff prints changed fields, grouped by section: a plain field as
// `+/- Driver: "docker" => "exec"`, a block's as `+/- Config { ... }`.
func sectionDiff(indent string, old, cur []jobspec.Field) []string {
	type key struct{ section, key string }
	ov := map[key]string{}
	for _, f := range old {
		ov[key{f.Section, f.Key}] = f.Value
	}
	cv := map[key]string{}
	var order []key
	for _, f := range cur {
		k := key{f.Section, f.Key}
		cv[k] = f.Value
		order = append(order, k)
	}
	for _, f := range old {
		k := key{f.Section, f.Key}
		if _, ok := cv[k]; !ok {
			order = append(order, k)
		}
	}
	var out []string
	open := ""
	closeSection := func() {
		if open != "" {
			out = append(out, indent+"    }")
			open = ""
		}
	}
	for _, k := range order {
		o, hadO := ov[k]
		n, hasN := cv[k]
		if hadO && hasN && o == n {
			continue
		}
		var line string
		switch {
		case !hadO:
			line = fmt.Sprintf("+ %s: %q", k.key, n)
		case !hasN:
			line = fmt.Sprintf("- %s: %q", k.key, o)
		default:
			line = fmt.Sprintf("+/- %s: %q => %q", k.key, o, n)
		}
		if k.section == "" {
			closeSection()
			out = append(out, indent+line)
			continue
		}
		if open != k.section {
			closeSection()
			out = append(out, indent+"+/- "+k.section+" {")
			open = k.section
		}
		out = append(out, indent+"  "+line)
	}
	closeSection()
	return out
}
