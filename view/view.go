// Package view prints a job's rollout the way the `nomad` command line
// shows it: `job status` (JobStatus), `job deployments` (Deployments),
// `deployment status` (DeploymentStatus), `job history -p` (History) and
// `job plan` (Plan), and draws a rollout over time as an SVG picture
// (Timeline, WriteSVG). It reads only rollout's plain values (JobVersion,
// Deployment, Alloc, History, Output), so it works with any store of them,
// and it depends on the standard library alone.
//
// Every function writes to an io.Writer and takes the current time as an
// argument where it prints ages, so its output is deterministic.
package view

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rollout-go/rollout"
)

// Short shortens an ID to the 8 characters Nomad shows.
func Short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Stamp formats a time as RFC 3339 in its own zone, as Nomad prints dates.
func Stamp(t time.Time) string { return t.Format(time.RFC3339) }

// table writes aligned columns, two spaces apart.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")) }
func (t *table) flush()              { t.tw.Flush() }

// keyValues writes `Key = value` lines with the equal signs aligned.
func keyValues(w io.Writer, kv ...string) {
	width := 0
	for i := 0; i < len(kv); i += 2 {
		width = max(width, len(kv[i]))
	}
	for i := 0; i < len(kv); i += 2 {
		fmt.Fprintf(w, "%-*s = %s\n", width, kv[i], kv[i+1])
	}
}

// Summary counts a group's allocations by client status, as the Summary
// table of `nomad job status` does; Unknown counts those whose node
// stopped heartbeating (rollout.ClientUnknown).
type Summary struct {
	Group                                                      string
	Queued, Starting, Running, Failed, Complete, Lost, Unknown int
}

// Summarize counts the allocations of each group of the job, in the job's
// group order.
func Summarize(job *rollout.JobVersion, allocs []rollout.Alloc) []Summary {
	out := make([]Summary, len(job.Groups))
	for i, g := range job.Groups {
		out[i].Group = g.Name
	}
	for _, a := range allocs {
		i := slices.IndexFunc(out, func(s Summary) bool { return s.Group == a.Group })
		if i < 0 {
			continue
		}
		s := &out[i]
		switch a.Client {
		case rollout.ClientPending:
			s.Starting++
		case rollout.ClientRunning:
			s.Running++
		case rollout.ClientFailed:
			s.Failed++
		case rollout.ClientComplete:
			s.Complete++
		case rollout.ClientLost:
			s.Lost++
		case rollout.ClientUnknown:
			s.Unknown++
		}
	}
	return out
}

// JobStatus prints `nomad job status`: the job, the summary per group,
// the latest deployment (deps holds the job's deployments, oldest first)
// and the allocations, newest first.
func JobStatus(w io.Writer, now time.Time, job *rollout.JobVersion, deps []rollout.Deployment, allocs []rollout.Alloc) {
	status := "running"
	if job.Stop {
		status = "dead (stopped)"
	}
	keyValues(w,
		"ID", job.ID,
		"Name", job.ID,
		"Submit Date", Stamp(job.SubmitTime),
		"Type", "service",
		"Version", strconv.FormatUint(job.Version, 10),
		"Status", status,
	)
	fmt.Fprintln(w, "\nSummary")
	t := newTable(w, "Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost", "Unknown")
	for _, s := range Summarize(job, allocs) {
		t.row(s.Group, itoa(s.Queued), itoa(s.Starting), itoa(s.Running), itoa(s.Failed), itoa(s.Complete), itoa(s.Lost), itoa(s.Unknown))
	}
	t.flush()
	if len(deps) > 0 {
		d := &deps[len(deps)-1]
		fmt.Fprintln(w, "\nLatest Deployment")
		keyValues(w, "ID", Short(d.ID), "Status", string(d.Status), "Description", d.Description)
		fmt.Fprintln(w, "\nDeployed")
		deployed(w, d, false)
	}
	fmt.Fprintln(w, "\nAllocations")
	Allocations(w, now, allocs)
}

// deployed prints the Deployed table. The Promoted and Canaries columns
// appear when a group has canaries, Auto Revert (with autoRevert) when a
// group reverts, Progress Deadline when a group has one.
func deployed(w io.Writer, d *rollout.Deployment, autoRevert bool) {
	canaries, revert, deadline := false, false, false
	for _, g := range d.Groups {
		canaries = canaries || g.DesiredCanaries > 0
		revert = revert || g.AutoRevert
		deadline = deadline || g.ProgressDeadline > 0
	}
	revert = revert && autoRevert
	header := []string{"Task Group"}
	if revert {
		header = append(header, "Auto Revert")
	}
	if canaries {
		header = append(header, "Promoted")
	}
	header = append(header, "Desired")
	if canaries {
		header = append(header, "Canaries")
	}
	header = append(header, "Placed", "Healthy", "Unhealthy")
	if deadline {
		header = append(header, "Progress Deadline")
	}
	t := newTable(w, header...)
	for _, g := range d.Groups {
		row := []string{g.Name}
		if revert {
			row = append(row, strconv.FormatBool(g.AutoRevert))
		}
		if canaries {
			promoted := "-" // a group without canaries has nothing to promote
			if g.DesiredCanaries > 0 {
				promoted = strconv.FormatBool(g.Promoted)
			}
			row = append(row, promoted)
		}
		row = append(row, itoa(g.DesiredTotal))
		if canaries {
			row = append(row, itoa(g.DesiredCanaries))
		}
		row = append(row, itoa(g.Placed), itoa(g.Healthy), itoa(g.Unhealthy))
		if deadline {
			by := "-"
			if !g.RequireProgressBy.IsZero() {
				by = Stamp(g.RequireProgressBy)
			}
			row = append(row, by)
		}
		t.row(row...)
	}
	t.flush()
}

// Allocations prints the allocation table, newest first.
func Allocations(w io.Writer, now time.Time, allocs []rollout.Alloc) {
	sorted := slices.Clone(allocs)
	slices.SortStableFunc(sorted, func(a, b rollout.Alloc) int {
		if c := b.CreateTime.Compare(a.CreateTime); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
	t := newTable(w, "ID", "Task Group", "Name", "Version", "Desired", "Status", "Health", "Created")
	for _, a := range sorted {
		health := string(a.Health.Status)
		if health == "" {
			health = "-"
		}
		name := fmt.Sprintf("[%d]", a.Index)
		if a.Canary {
			name += " canary"
		}
		t.row(Short(a.ID), a.Group, name, strconv.FormatUint(a.JobVersion, 10), string(a.Desired), string(a.Client), health, Ago(now, a.CreateTime))
	}
	t.flush()
}

// Ago formats how long before now t was: `1m12s ago`.
func Ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d <= 0 {
		return "0s ago"
	}
	return d.String() + " ago"
}

// Deployments prints `nomad job deployments`, newest first.
func Deployments(w io.Writer, deps []rollout.Deployment) {
	t := newTable(w, "ID", "Job ID", "Job Version", "Status", "Description")
	for i := len(deps) - 1; i >= 0; i-- {
		d := &deps[i]
		t.row(Short(d.ID), d.JobID, strconv.FormatUint(d.JobVersion, 10), string(d.Status), d.Description)
	}
	t.flush()
}

// DeploymentStatus prints `nomad deployment status`.
func DeploymentStatus(w io.Writer, d *rollout.Deployment) {
	keyValues(w,
		"ID", Short(d.ID),
		"Job ID", d.JobID,
		"Job Version", strconv.FormatUint(d.JobVersion, 10),
		"Status", string(d.Status),
		"Description", d.Description,
	)
	fmt.Fprintln(w, "\nDeployed")
	deployed(w, d, true)
}

// History prints `nomad job history -p`, newest first: each version with
// what changed from the one before it (rollout.Diff).
func History(w io.Writer, h rollout.History) {
	vs := h.Versions
	for i := len(vs) - 1; i >= 0; i-- {
		v := &vs[i]
		keyValues(w, "Version", strconv.FormatUint(v.Version, 10), "Stable", strconv.FormatBool(v.Stable), "Submit Date", Stamp(v.SubmitTime))
		if i > 0 {
			fmt.Fprintln(w, "Diff        =")
			diffLines(w, v.ID, rollout.Diff(&vs[i-1], v))
			fmt.Fprintln(w)
		}
	}
}

// diffLines prints field differences under their job and task groups.
func diffLines(w io.Writer, jobID string, diffs []rollout.FieldDiff) {
	fmt.Fprintf(w, "+/- Job: %q\n", jobID)
	var groups []string
	for _, d := range diffs {
		if d.Group == "" {
			fmt.Fprintf(w, "  +/- %s: %q => %q\n", d.Field, d.Old, d.New)
		} else if !slices.Contains(groups, d.Group) {
			groups = append(groups, d.Group)
		}
	}
	for _, g := range groups {
		fmt.Fprintf(w, "+/- Task Group: %q\n", g)
		for _, d := range diffs {
			if d.Group == g {
				fmt.Fprintf(w, "  +/- %s: %q => %q\n", d.Field, d.Old, d.New)
			}
		}
	}
}

// Plan prints `nomad job plan` for a proposed version: each group with
// the counts of what Step would decide (rollout.Plan), its resolved update
// strategy when it changes, and its count and spec changes; a group the
// version removes is marked "-". from is the current version (nil for a
// new job).
func Plan(w io.Writer, from *rollout.JobVersion, to *rollout.JobVersion, plans []rollout.GroupPlan) {
	mark := "+/-"
	if from == nil {
		mark = "+"
	}
	fmt.Fprintf(w, "%s Job: %q\n", mark, to.ID)
	for _, p := range plans {
		g, ok := to.Group(p.Group)
		var old *rollout.Group
		if from != nil {
			old, _ = from.Group(p.Group)
		}
		if !ok { // removed: its allocations stop
			fmt.Fprintf(w, "- Task Group: %q (%s)\n", p.Group, p.String())
			if old != nil {
				fmt.Fprintf(w, "  - Count: %q (forces destroy)\n", itoa(old.Count))
			}
			continue
		}
		var lines []string
		if old == nil {
			lines = append(lines, fmt.Sprintf("  + Count: %q (forces create)", itoa(g.Count)))
		} else {
			if old.Count != g.Count {
				lines = append(lines, fmt.Sprintf("  +/- Count: %q => %q (forces %s)", itoa(old.Count), itoa(g.Count), map[bool]string{true: "create", false: "destroy"}[g.Count > old.Count]))
			}
			lines = append(lines, updateDiff(from, to, p.Group)...)
			if old.Spec != g.Spec {
				lines = append(lines, fmt.Sprintf("  +/- Spec: %q => %q (forces create/destroy update)", old.Spec, g.Spec))
			}
		}
		gmark := "   "
		if len(lines) > 0 {
			gmark = mark
		}
		fmt.Fprintf(w, "%s Task Group: %q (%s)\n", gmark, p.Group, p.String())
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}

// updateDiff shows a group's resolved update strategy when it changes
// between the versions, every field listed, the changed ones marked.
func updateDiff(from, to *rollout.JobVersion, group string) []string {
	a, okA := from.Strategy(group)
	b, okB := to.Strategy(group)
	if okA == okB && a == b {
		return nil
	}
	fields := func(s rollout.UpdateStrategy, ok bool) []string {
		if !ok {
			return nil
		}
		return []string{
			strconv.FormatBool(s.AutoPromote), strconv.FormatBool(s.AutoRevert), itoa(s.Canary), string(s.HealthCheck),
			s.HealthyDeadline.String(), itoa(s.MaxParallel), s.MinHealthyTime.String(), s.ProgressDeadline.String(),
		}
	}
	names := []string{"AutoPromote", "AutoRevert", "Canary", "HealthCheck", "HealthyDeadline", "MaxParallel", "MinHealthyTime", "ProgressDeadline"}
	fa, fb := fields(a, okA), fields(b, okB)
	head := "+/-"
	switch {
	case !okA:
		head = "+"
	case !okB:
		head = "-"
	}
	out := []string{"  " + head + " Update {"}
	for i, n := range names {
		label := fmt.Sprintf("%-17s", n+":")
		switch {
		case !okA:
			out = append(out, fmt.Sprintf("    + %s %q", label, fb[i]))
		case !okB:
			out = append(out, fmt.Sprintf("    - %s %q", label, fa[i]))
		case fa[i] != fb[i]:
			out = append(out, fmt.Sprintf("    +/- %s %q => %q", label, fa[i], fb[i]))
		default:
			out = append(out, fmt.Sprintf("        %s %q", label, fa[i]))
		}
	}
	return append(out, "      }")
}

// Decisions prints what one step decided: its deployment transitions,
// stops, placements and in-place updates, with their reasons.
func Decisions(w io.Writer, out *rollout.Output) {
	for _, tr := range out.Transitions {
		if tr.DeploymentID == "" { // a freeze's transitions may concern no deployment
			fmt.Fprintf(w, "  job %s: %s\n", tr.Kind, tr.Reason)
			continue
		}
		fmt.Fprintf(w, "  deployment %s %s: %s\n", Short(tr.DeploymentID), tr.Kind, tr.Reason)
	}
	for _, s := range out.Stop {
		fmt.Fprintf(w, "  stop    %s %s: %s\n", Short(s.ID), s.Name, s.Reason)
	}
	for _, p := range out.Place {
		kind := string(p.Kind)
		fmt.Fprintf(w, "  place   %s %s (version %d, %s): %s\n", Short(p.ID), p.Name, p.JobVersion, kind, p.Reason)
	}
	for _, u := range out.InPlace {
		fmt.Fprintf(w, "  update  %s %s (to version %d): %s\n", Short(u.ID), u.Name, u.JobVersion, u.Reason)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
