package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// A group's part of the plan: its count, its update strategy and its
// definition's fields, the group-level fields whose change replaces the
// allocations annotated as Count is, then each task marked by whether its
// change replaces the allocations or is made in place.

// forcesDestructive annotates a field whose change replaces allocations.
const forcesDestructive = "forces create/destroy update"

// groupObject diffs a group that both versions have: Count, the
// definition's fields and blocks (without the tasks) and Update.
func groupObject(from, to *rollout.JobVersion, name string, oldSpec, curSpec *jobspec.GroupSpec) *diffObject {
	og, _ := from.Group(name)
	g, _ := to.Group(name)
	o := buildObject("Task Group", asTree(og.Definition), asTree(g.Definition), "name", "tasks")
	count := diffField{name: "Count", old: strconv.Itoa(og.Count), new: strconv.Itoa(g.Count), had: true, has: true}
	switch {
	case g.Count > og.Count:
		count.note = "forces create"
	case g.Count < og.Count:
		count.note = "forces destroy"
	}
	o.fields = append([]diffField{count}, o.fields...)
	if u := updateObject(from, to, name); u != nil {
		o.objects = append(o.objects, u)
		slices.SortStableFunc(o.objects, func(x, y *diffObject) int { return strings.Compare(x.name, y.name) })
	}
	markDestructive(o, changedSections(oldSpec.Fields, curSpec.Fields))
	return o
}

// groupSections name the group's blocks by the section that jobspec's
// destructive fields give them, where the two differ.
var groupSections = map[string]string{"RestartPolicy": "Restart"}

// markDestructive annotates the changed group-level fields of the
// sections whose destructive fields changed: Meta[...] (Group Meta), the
// blocks Network, EphemeralDisk, Volume, Consul, Vault, Secret and a
// restart block's render_templates, and a service's Connect.
func markDestructive(o *diffObject, changed map[string]bool) {
	if changed["Group Meta"] {
		for i := range o.fields {
			if strings.HasPrefix(o.fields[i].name, "Meta[") && o.fields[i].change() != same {
				o.fields[i].note = forcesDestructive
			}
		}
	}
	for _, c := range o.objects {
		section := c.name
		if s, ok := groupSections[section]; ok {
			section = s
		}
		switch {
		case c.name == "Service":
			for _, cc := range c.objects {
				if cc.name == "Connect" && changed["Connect"] {
					cc.annotate(forcesDestructive)
				}
			}
		case c.name == "Update", c.name == "Task Group":
		case changed[section]:
			c.annotate(forcesDestructive)
		}
	}
}

var sectionIndex = regexp.MustCompile(`\[[^\]]*\]`)

// changedSections names the sections (without their indexes) whose
// destructive fields differ between a and b.
func changedSections(a, b []jobspec.Field) map[string]bool {
	bySection := func(fs []jobspec.Field) map[string][]jobspec.Field {
		out := map[string][]jobspec.Field{}
		for _, f := range fs {
			s := sectionIndex.ReplaceAllString(f.Section, "")
			out[s] = append(out[s], f)
		}
		return out
	}
	sa, sb := bySection(a), bySection(b)
	out := map[string]bool{}
	for s, fs := range sa {
		if !slices.Equal(fs, sb[s]) {
			out[s] = true
		}
	}
	for s := range sb {
		if _, ok := sa[s]; !ok {
			out[s] = true
		}
	}
	return out
}

// jobMetaDestructive holds when a group's Job Meta fields differ: a job
// meta change replaces every group's allocations.
func jobMetaDestructive(old, cur *jobspec.Job) bool {
	for i := range cur.Groups {
		if changedSections(groupSpec(old, cur.Groups[i].Name).Fields, cur.Groups[i].Fields)["Job Meta"] {
			return true
		}
	}
	return false
}

// taskLines lists each task's changes, marked by whether the change
// replaces the allocations (the task's destructive fields differ) or is
// made in place, and reports whether any task changed.
func taskLines(oldSpec, curSpec *jobspec.GroupSpec, a, b *rollout.GroupDefinition, verbose bool) ([]string, bool) {
	oldTasks, _ := tasksOf(a)
	curTasks, names := tasksOf(b)
	destructive := func(name string) bool {
		var fa, fb []jobspec.Field
		for _, t := range oldSpec.Tasks {
			if t.Name == name {
				fa = t.Fields
			}
		}
		for _, t := range curSpec.Tasks {
			if t.Name == name {
				fb = t.Fields
			}
		}
		return !slices.Equal(fa, fb)
	}
	var out []string
	changed := false
	for _, name := range names {
		ot, ok := oldTasks[name]
		if !ok {
			out = append(out, fmt.Sprintf("  + Task: %q (forces create/destroy update)", name))
			changed = true
			continue
		}
		t := buildObject("Task", ot, curTasks[name], "name")
		switch t.change() {
		case same:
			if verbose {
				out = append(out, fmt.Sprintf("  %sTask: %q", same.marker(), name))
				out = append(out, t.lines("    ", verbose)...)
			}
			continue
		}
		forces := "in-place update"
		if destructive(name) {
			forces = "create/destroy update"
		}
		out = append(out, fmt.Sprintf("  +/- Task: %q (forces %s)", name, forces))
		out = append(out, t.lines("    ", verbose)...)
		changed = true
	}
	for name := range oldTasks {
		if _, ok := curTasks[name]; !ok {
			out = append(out, fmt.Sprintf("  - Task: %q (forces create/destroy update)", name))
			changed = true
		}
	}
	return out, changed
}

func groupSpec(j *jobspec.Job, name string) *jobspec.GroupSpec {
	for i := range j.Groups {
		if j.Groups[i].Name == name {
			return &j.Groups[i]
		}
	}
	return &jobspec.GroupSpec{}
}

// tasksOf returns a definition's tasks by name, and their names in order.
func tasksOf(d *rollout.GroupDefinition) (map[string]map[string]any, []string) {
	out := map[string]map[string]any{}
	var names []string
	if d == nil {
		return out, nil
	}
	for i := range d.Tasks {
		out[d.Tasks[i].Name] = asTree(d.Tasks[i])
		names = append(names, d.Tasks[i].Name)
	}
	return out, names
}

// updateObject diffs a group's resolved update strategy, as Nomad's API
// holds it (durations in nanoseconds); nil when neither version has one.
func updateObject(from, to *rollout.JobVersion, group string) *diffObject {
	a, okA := from.Strategy(group)
	b, okB := to.Strategy(group)
	if !okA && !okB {
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
	o := &diffObject{name: "Update"}
	for i, n := range names {
		o.fields = append(o.fields, diffField{name: n, old: fa[i], new: fb[i], had: okA, has: okB})
	}
	return o
}
