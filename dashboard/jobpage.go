package dashboard

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/view"

	"github.com/rollout-go/rollout/controller"
)

// commandButton is an operator command on a job's page: disabled, with
// the reason, when the state does not allow it.
type commandButton struct {
	Cmd, Label string
	Enabled    bool
	Why        string // why it is disabled, or what it does
}

// allocSection is the job's allocations of one status.
type allocSection struct {
	Status string
	Allocs []allocRow
}

// allocRow is an allocation as the job page lists it.
type allocRow struct {
	rollout.Alloc
	// Age is since its placement; HealthyBy the time left to its healthy
	// deadline while it waits for a verdict; Restarts the earlier
	// replacements of its slot (Alloc.Attempts).
	Age, HealthyBy string
	Restarts       int
}

// versionDiff is the diff the job page shows between two versions.
type versionDiff struct {
	From, To uint64
	Text     string
}

// commandsFor says which commands the job's state allows, and why the
// others do not apply.
func commandsFor(d *rollout.Deployment, freeze *rollout.FreezeState, versions int) []commandButton {
	active := d != nil && d.Status.Active()
	none := "no active deployment"
	if d != nil && !active {
		none = "the deployment is " + string(d.Status)
	}
	btn := func(cmd, label string, ok bool, why, does string) commandButton {
		if ok {
			return commandButton{Cmd: cmd, Label: label, Enabled: true, Why: does}
		}
		return commandButton{Cmd: cmd, Label: label, Why: why}
	}
	promoteWhy := none
	if active && !d.RequiresPromotion() {
		promoteWhy = "no canaries wait for promotion"
	}
	pauseWhy, resumeWhy := none, none
	if active {
		pauseWhy, resumeWhy = "already paused", "not paused"
	}
	paused := active && d.Status == rollout.StatusPaused
	return []commandButton{
		btn("promote", "Promote", active && d.RequiresPromotion(), promoteWhy, "promote the canaries, roll out the rest"),
		btn("pause", "Pause", active && !paused, pauseWhy, "hold the deployment where it stands"),
		btn("resume", "Resume", paused, resumeWhy, "continue the paused deployment"),
		btn("fail", "Fail", active, none, "fail it (auto-revert applies)"),
		btn("revert", "Revert", versions > 1, "no earlier version", "submit an earlier version again"),
		btn("freeze", "Freeze", freeze == nil, "already frozen", "stop new rollouts, with a reason"),
		btn("unfreeze", "Unfreeze", freeze != nil, "not frozen", "allow rollouts again"),
	}
}

// allocSections groups the allocations by client status, running first,
// newest first within a status.
func allocSections(allocs []rollout.Alloc, h rollout.History, now time.Time) []allocSection {
	order := []rollout.ClientStatus{rollout.ClientRunning, rollout.ClientPending, rollout.ClientUnknown, rollout.ClientFailed, rollout.ClientLost, rollout.ClientComplete}
	var out []allocSection
	for _, st := range order {
		sec := allocSection{Status: string(st)}
		for _, a := range allocs {
			if a.Client != st {
				continue
			}
			r := allocRow{Alloc: a, Age: view.Ago(now, a.CreateTime), Restarts: a.Attempts}
			sec.Allocs = append(sec.Allocs, r)
		}
		slices.SortStableFunc(sec.Allocs, func(a, b allocRow) int { return b.CreateTime.Compare(a.CreateTime) })
		if len(sec.Allocs) > 0 {
			out = append(out, sec)
		}
	}
	healthyDeadlines(out, h, now)
	return out
}

// healthyDeadlines fills the time left to each waiting allocation's
// healthy deadline, from its version's resolved update block.
func healthyDeadlines(secs []allocSection, h rollout.History, now time.Time) {
	for i := range secs {
		for j := range secs[i].Allocs {
			a := &secs[i].Allocs[j]
			if a.Health.Status != "" || a.Desired != rollout.DesiredRun || a.Client.Terminal() {
				continue
			}
			v, ok := h.Get(a.JobVersion)
			if !ok {
				continue
			}
			if u, ok := v.Strategy(a.Group); ok && u.HealthyDeadline > 0 {
				a.HealthyBy = roundLeft(a.CreateTime.Add(u.HealthyDeadline).Sub(now))
			}
		}
	}
}

// diffOf renders the diff between two versions the history holds.
func (h *Handler) diffOf(st controller.State, from, to string) (*versionDiff, error) {
	if from == "" || to == "" {
		return nil, nil
	}
	get := func(s string) (rollout.JobVersion, error) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return rollout.JobVersion{}, fmt.Errorf("diff: version %q: want a number", truncate(s))
		}
		v, ok := st.History.Get(n)
		if !ok {
			return rollout.JobVersion{}, fmt.Errorf("diff: the history holds no version %d", n)
		}
		return h.redacted(v), nil
	}
	a, err := get(from)
	if err != nil {
		return nil, err
	}
	b, err := get(to)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	view.Diff(&buf, &a, &b)
	return &versionDiff{From: a.Version, To: b.Version, Text: buf.String()}, nil
}

// jobPage builds a job's page, with the diff the query asks for.
func (h *Handler) jobPage(r *http.Request, name string, st controller.State) *jobPage {
	p := newJobPage(h.opts.Title, name, st, h.opts.Now(), h.redacted)
	p.CanCommand = h.opts.Authorize != nil
	d, err := h.diffOf(st, r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	p.Diff = d
	if err != nil {
		p.DiffError = err.Error()
	}
	return p
}
