package dashboard

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// overviewPage is what the overview of every job shows.
type overviewPage struct {
	Title string
	Rows  []overviewRow
	Total int    // jobs before filtering
	Query string // the filter
	Sort  string // the sort key
	Sorts []sortLink
}

// sortLink is a column header that sorts by its key.
type sortLink struct {
	Key, Label string
	Active     bool
}

// overviewRow is one job of the overview.
type overviewRow struct {
	ID      string
	Version uint64
	Stable  bool
	// Status is running, stopped or frozen; StatusClass styles it.
	Status, StatusClass string
	// Phase says where the deployment stands, for a person; PhaseClass
	// styles it (rolling, promote, paused, gate, frozen, ok, failed).
	Phase, PhaseClass string
	Groups            []groupBar
	// Deadline is the time left to the progress deadline ("" for none);
	// deadline sorts it.
	Deadline string
	deadline time.Duration
	rank     int // how much it asks for attention: sorts by status
}

// groupBar is a group's progress: healthy / placed / desired, canaries
// marked, as percentages of the bar's width.
type groupBar struct {
	Name                                string
	Desired, Placed, Healthy, Unhealthy int
	Canaries, CanariesPlaced            int
	HealthyPct, PendingPct, BadPct      int
	CanaryPct                           int // where the canaries' share ends
}

var sortKeys = []struct{ key, label string }{{"attention", "Attention"}, {"name", "Job"}, {"version", "Version"}, {"deadline", "Deadline"}}

// overview serves the overview of every job: sortable (?sort=), filtered
// (?q=), and refreshed by its script on the API's change events.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	if err := h.authorize(r, readAction("")); err != nil {
		http.Error(w, "not authorised: "+err.Error(), http.StatusForbidden)
		return
	}
	jobs, err := h.backend.Jobs(r.Context())
	if err != nil {
		http.Error(w, "listing jobs: "+err.Error(), http.StatusInternalServerError)
		return
	}
	now := h.opts.Now()
	p := overviewPage{Title: h.opts.Title, Total: len(jobs), Query: strings.TrimSpace(r.URL.Query().Get("q")), Sort: r.URL.Query().Get("sort")}
	if !slices.ContainsFunc(sortKeys, func(k struct{ key, label string }) bool { return k.key == p.Sort }) {
		p.Sort = "attention"
	}
	for _, k := range sortKeys {
		p.Sorts = append(p.Sorts, sortLink{Key: k.key, Label: k.label, Active: k.key == p.Sort})
	}
	for _, j := range jobs {
		st, err := h.backend.State(r.Context(), j)
		if err != nil {
			continue // a job that went meanwhile
		}
		row := newOverviewRow(j, st, now)
		if p.Query != "" && !strings.Contains(strings.ToLower(row.ID+" "+row.Status+" "+row.Phase), strings.ToLower(p.Query)) {
			continue
		}
		p.Rows = append(p.Rows, row)
	}
	sortRows(p.Rows, p.Sort)
	name := "overview.html"
	if r.URL.Query().Get("part") == "rows" {
		name = "overview-rows"
	}
	h.render(w, name, p)
}

func sortRows(rows []overviewRow, key string) {
	slices.SortStableFunc(rows, func(a, b overviewRow) int {
		switch key {
		case "version":
			return cmp.Or(-cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID))
		case "deadline":
			ad, bd := a.deadline, b.deadline
			if a.Deadline == "" {
				ad = 1<<63 - 1
			}
			if b.Deadline == "" {
				bd = 1<<63 - 1
			}
			return cmp.Or(cmp.Compare(ad, bd), cmp.Compare(a.ID, b.ID))
		case "attention":
			return cmp.Or(-cmp.Compare(a.rank, b.rank), cmp.Compare(a.ID, b.ID))
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// newOverviewRow sums up a job's state.
func newOverviewRow(id string, st controller.State, now time.Time) overviewRow {
	row := overviewRow{ID: id, Status: "running", StatusClass: "running"}
	latest, ok := st.History.Latest()
	if ok {
		row.Version, row.Stable = latest.Version, latest.Stable
		if latest.Stop {
			row.Status, row.StatusClass = "stopped", "stopped"
		}
	}
	d := st.Deployment()
	row.Phase, row.PhaseClass, row.rank = phaseOf(d, now)
	if st.Freeze != nil {
		row.Status, row.StatusClass = "frozen", "frozen"
		row.Phase, row.PhaseClass, row.rank = "frozen: "+st.Freeze.Reason, "frozen", 3
		if !st.Freeze.Until.IsZero() {
			row.Phase += fmt.Sprintf(" (%s left)", roundLeft(st.Freeze.Until.Sub(now)))
		}
	}
	if d != nil {
		for _, g := range d.Groups {
			row.Groups = append(row.Groups, newGroupBar(g))
			if d.Status.Active() && !g.RequireProgressBy.IsZero() {
				left := g.RequireProgressBy.Sub(now)
				if row.Deadline == "" || left < row.deadline {
					row.deadline, row.Deadline = left, roundLeft(left)
				}
			}
		}
	}
	return row
}

// phaseOf says where a deployment stands, its style and how much it asks
// for attention.
func phaseOf(d *rollout.Deployment, now time.Time) (string, string, int) {
	if d == nil {
		return "no deployment", "none", 0
	}
	switch d.Status {
	case rollout.StatusFailed:
		return "failed: " + d.Description, "failed", 5
	case rollout.StatusSuccessful:
		return "successful", "ok", 0
	case rollout.StatusCancelled:
		return "cancelled: " + d.Description, "none", 1
	case rollout.StatusPaused:
		for _, g := range d.Groups {
			if !g.GateOpenedAt.IsZero() && (g.DesiredCanaries == 0 || g.Promoted) {
				return fmt.Sprintf("paused at checkpoint %d of %d (%s)", g.CheckpointsReached, len(g.PauseAfter), g.Name), "paused", 4
			}
		}
		return "paused", "paused", 4
	}
	for _, g := range d.Groups {
		if !g.GateOpenedAt.IsZero() && g.GateTimeout > 0 {
			left := g.GateOpenedAt.Add(g.GateTimeout).Sub(now)
			return fmt.Sprintf("gate of %s: %s left, then %s", g.Name, roundLeft(left), cmp.Or(string(g.OnGateTimeout), "fail")), "gate", 4
		}
	}
	if d.RequiresPromotion() {
		ready := true
		for _, g := range d.Groups {
			if g.DesiredCanaries > 0 && !g.Promoted && g.Healthy < g.DesiredCanaries {
				ready = false
			}
		}
		if ready && !d.HasAutoPromote() {
			return "canaries awaiting promotion", "promote", 6
		}
		return "canaries", "rolling", 2
	}
	return "rolling", "rolling", 2
}

func newGroupBar(g rollout.DeploymentGroup) groupBar {
	b := groupBar{Name: g.Name, Desired: g.DesiredTotal, Placed: g.Placed, Healthy: g.Healthy, Unhealthy: g.Unhealthy, Canaries: g.DesiredCanaries, CanariesPlaced: len(g.PlacedCanaries)}
	total := max(g.DesiredTotal+g.DesiredCanaries, g.Placed, 1)
	pct := func(n int) int { return min(100, max(0, n*100/total)) }
	b.HealthyPct = pct(g.Healthy)
	b.BadPct = pct(g.Unhealthy)
	b.PendingPct = max(0, pct(g.Placed)-b.HealthyPct-b.BadPct)
	if g.DesiredCanaries > 0 {
		b.CanaryPct = pct(g.DesiredCanaries)
	}
	return b
}

// roundLeft formats a time left to the second ("overdue" once past).
func roundLeft(d time.Duration) string {
	if d <= 0 {
		return "overdue"
	}
	return d.Round(time.Second).String()
}
