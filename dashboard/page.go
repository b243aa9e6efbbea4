package dashboard

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/view"

	"github.com/rollout-go/rollout/controller"
)

// jobPage is what a job's page shows.
type jobPage struct {
	Title, Job string
	Token      string
	CanCommand bool
	Versions   []rollout.JobVersion // newest first
	Deployment *rollout.Deployment  // the latest, or nil
	Active     bool
	Allocs     []rollout.Alloc
	Freeze     *rollout.FreezeState // the job's freeze, or nil
	System     bool                 // the newest version is a system job
	Nodes      bool                 // an allocation names its node: show the column
	Commands   []commandButton      // the operator commands, enabled as the state allows
	Sections   []allocSection       // the allocations by client status
	Bars       []groupBar           // the latest deployment's groups
	Phase      string               // where the deployment stands
	PhaseClass string
	Analysis   []analysisGroup // the latest deployment's canary analyses
	Diff       *versionDiff    // the diff asked for (?from=&to=), or nil
	DiffError  string
}

func newJobPage(title, job string, st controller.State, now time.Time, redact func(rollout.JobVersion) rollout.JobVersion) *jobPage {
	p := &jobPage{Title: title, Job: job, Allocs: st.Allocs, Deployment: st.Deployment(), Freeze: st.Freeze}
	for i := len(st.History.Versions) - 1; i >= 0; i-- {
		p.Versions = append(p.Versions, redact(st.History.Versions[i]))
	}
	p.Commands = commandsFor(p.Deployment, st.Freeze, len(p.Versions))
	p.Sections = allocSections(st.Allocs, st.History, now)
	row := newOverviewRow(job, st, now)
	p.Bars, p.Phase, p.PhaseClass = row.Groups, row.Phase, row.PhaseClass
	p.Analysis = analysisGroups(p.Deployment, p.Versions)
	p.Active = p.Deployment != nil && p.Deployment.Status.Active()
	p.System = len(p.Versions) > 0 && p.Versions[0].Type == rollout.JobSystem
	p.Nodes = slices.ContainsFunc(st.Allocs, func(a rollout.Alloc) bool { return a.NodeID != "" })
	return p
}

var funcs = template.FuncMap{
	"short": view.Short,
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return view.Stamp(t)
	},
	"canaries": func(g rollout.DeploymentGroup) int { return len(g.PlacedCanaries) },
	"measured": measured,
}

// timeline draws the job's real history with package view: every version
// with the number the history holds, the deployments' phases, promotions,
// failures and reverts, and what ran in each group, up to now.
func (h *Handler) timeline(w http.ResponseWriter, r *http.Request) {
	name, st, ok := h.state(w, r, VerbRead)
	if !ok {
		return
	}
	now := h.opts.Now()
	for _, d := range st.Deployments { // a clock behind the records draws them all
		now = maxTime(now, d.ModifyTime)
	}
	tl := view.Recorded("job "+name, st.History.Versions, st.Deployments, st.Allocs, now)
	var b bytes.Buffer
	if err := view.WriteSVG(&b, "job "+name, []*view.Timeline{tl}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
