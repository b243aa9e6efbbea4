package view

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/rollout-go/rollout"
)

// MarkKind names a moment marked on a timeline.
type MarkKind string

// The moments a timeline marks. Each marker is an SVG group of class
// "marker <kind>".
const (
	MarkSubmit  MarkKind = "submit"
	MarkPromote MarkKind = "promote"
	MarkFail    MarkKind = "fail"
	MarkRevert  MarkKind = "revert"
	MarkSuccess MarkKind = "success"
	MarkCancel  MarkKind = "cancel"
)

// Mark is a marked moment of a timeline.
type Mark struct {
	At    time.Duration
	Kind  MarkKind
	Label string
}

// PhaseKind names a phase of a deployment, drawn as a band behind the
// allocations. Each band is an SVG rect of class "phase <kind>".
type PhaseKind string

// The phases a timeline draws.
const (
	// PhaseCanary: the deployment runs canaries and waits for promotion.
	PhaseCanary PhaseKind = "canary"
	// PhaseRolling: the deployment replaces allocations.
	PhaseRolling PhaseKind = "rolling"
	// PhasePaused: the deployment is paused.
	PhasePaused PhaseKind = "paused"
)

// Phase is a span of a deployment's life. End is zero while it lasts.
type Phase struct {
	Start, End time.Duration
	Kind       PhaseKind
}

// Sample counts, at a moment, the allocations of one group that hold a
// slot (desired run, and either not terminal or failed and not replaced
// yet) by version and health verdict. Older means any version but the
// newest. The five counts add up to the slots held.
type Sample struct {
	At time.Duration
	// Old counts allocations of older versions without a verdict: the
	// capacity the rollout replaces.
	Old int
	// OldHealthy counts allocations of older versions with a healthy
	// verdict (in the deployment that placed them): a version that
	// succeeded stays green, lighter, once the next one is submitted.
	OldHealthy int
	// NewHealthy and NewPending count allocations of the newest version
	// with a healthy verdict and without a verdict yet.
	NewHealthy, NewPending int
	// Unhealthy counts allocations of any version with an unhealthy
	// verdict, and failed allocations whose slot has no replacement yet
	// (one that never started is drawn red, not as a spike of pending).
	Unhealthy int
}

// Total is how many slots the sample's allocations hold.
func (s Sample) Total() int { return s.Old + s.OldHealthy + s.NewHealthy + s.NewPending + s.Unhealthy }

// Timeline records a job's rollout over time: what runs in each group, by
// version and health, the deployments' phases, and the moments that
// matter (submits, promotions, failures, reverts, ...). WriteSVG draws it.
// Times count from the start given to NewTimeline; feed it in time order.
type Timeline struct {
	Title   string
	start   time.Time
	groups  []string   // in order of first appearance
	samples [][]Sample // per group, in time order
	marks   []Mark
	phases  []Phase
	// pending holds the allocations counted NewPending whose client has
	// not run yet: since when, in which group.
	pending map[string]pendingSpan
	// neverStarted holds the spans of allocations that were pending and
	// then failed or were found unhealthy without ever running: drawn red
	// over that span, not as pending.
	neverStarted []pendingSpan
}

// pendingSpan is a span during which an allocation of a group waited to
// start.
type pendingSpan struct {
	group      int
	since, end time.Duration
}

// NewTimeline returns an empty timeline whose time counts from start.
func NewTimeline(title string, start time.Time) *Timeline {
	return &Timeline{Title: title, start: start}
}

// slot names an allocation's place in its group.
type slot struct {
	group string
	index int
}

// Sample records, per group, the allocations that hold a slot at a time,
// split by whether they run the newest version and by their health
// verdict. A later sample at the same time replaces an earlier one. A
// group seen once keeps a sample (maybe empty) at every later time.
func (t *Timeline) Sample(at time.Time, newest uint64, allocs []rollout.Alloc) {
	d := at.Sub(t.start)
	live := map[slot]bool{}
	for _, a := range allocs {
		if a.Desired == rollout.DesiredRun && !a.Client.Terminal() {
			live[slot{a.Group, a.Index}] = true
		}
	}
	counts := make([]Sample, len(t.groups))
	failed := map[slot]bool{}
	for _, a := range allocs {
		if a.Desired != rollout.DesiredRun {
			delete(t.pending, a.ID)
			continue
		}
		i := t.group(a.Group)
		if i == len(counts) {
			counts = append(counts, Sample{})
		}
		t.trackStart(a, i, d, newest)
		s := slot{a.Group, a.Index}
		if a.Client.Terminal() && (a.Client != rollout.ClientFailed || live[s] || failed[s]) {
			continue
		}
		p := &counts[i]
		switch {
		case a.Client == rollout.ClientFailed:
			failed[s] = true
			p.Unhealthy++
		case a.Health.Status == rollout.Unhealthy:
			p.Unhealthy++
		case a.JobVersion != newest && a.Health.Status == rollout.Healthy:
			p.OldHealthy++
		case a.JobVersion != newest:
			p.Old++
		case a.Health.Status == rollout.Healthy:
			p.NewHealthy++
		default:
			p.NewPending++
		}
	}
	for i := range t.groups {
		counts[i].At = d
		ss := t.samples[i]
		if n := len(ss); n > 0 && ss[n-1].At == d {
			ss[n-1] = counts[i]
			continue
		}
		t.samples[i] = append(ss, counts[i])
	}
}

// trackStart follows an allocation that waits to start: one of the newest
// version counted pending while its client is pending starts a span; the
// span ends, drawn red, when it fails or is found unhealthy before its
// client ever ran, and is forgotten once it runs.
func (t *Timeline) trackStart(a rollout.Alloc, group int, at time.Duration, newest uint64) {
	span, tracked := t.pending[a.ID]
	switch {
	case !tracked && a.JobVersion == newest && a.Client == rollout.ClientPending && a.Health.Status == "":
		if t.pending == nil {
			t.pending = map[string]pendingSpan{}
		}
		t.pending[a.ID] = pendingSpan{group: group, since: at}
	case tracked && (a.Client == rollout.ClientFailed || a.Health.Status == rollout.Unhealthy):
		span.end = at
		t.neverStarted = append(t.neverStarted, span)
		delete(t.pending, a.ID)
	case tracked && a.Client != rollout.ClientPending:
		delete(t.pending, a.ID)
	}
}

// drawn returns a group's samples as drawn: an allocation that never
// started counts unhealthy, not pending, over the span it waited.
func (t *Timeline) drawn(group int) []Sample {
	out := append([]Sample(nil), t.samples[group]...)
	for _, sp := range t.neverStarted {
		if sp.group != group {
			continue
		}
		for i := range out {
			if p := &out[i]; p.At >= sp.since && p.At < sp.end && p.NewPending > 0 {
				p.NewPending--
				p.Unhealthy++
			}
		}
	}
	return out
}

// group returns the index of the group, adding it when new.
func (t *Timeline) group(name string) int {
	for i, g := range t.groups {
		if g == name {
			return i
		}
	}
	t.groups = append(t.groups, name)
	t.samples = append(t.samples, nil)
	return len(t.groups) - 1
}

// Groups returns the names of the groups sampled so far, in the order
// they first held a slot.
func (t *Timeline) Groups() []string { return append([]string(nil), t.groups...) }

// GroupSamples returns the group's samples so far as they are drawn, in
// time order (nil for a group never seen): an allocation that waited to
// start and then failed, or was found unhealthy, without ever running
// counts unhealthy over the span it waited.
func (t *Timeline) GroupSamples(group string) []Sample {
	for i, g := range t.groups {
		if g == group {
			return t.drawn(i)
		}
	}
	return nil
}

// Samples returns the samples so far summed over the groups, in time
// order.
func (t *Timeline) Samples() []Sample {
	var out []Sample
	for g := range t.samples {
		for _, p := range t.drawn(g) {
			i, ok := slices.BinarySearchFunc(out, p.At, func(s Sample, at time.Duration) int { return cmp.Compare(s.At, at) })
			if !ok {
				out = slices.Insert(out, i, Sample{At: p.At})
			}
			q := &out[i]
			q.Old += p.Old
			q.OldHealthy += p.OldHealthy
			q.NewHealthy += p.NewHealthy
			q.NewPending += p.NewPending
			q.Unhealthy += p.Unhealthy
		}
	}
	return out
}

// Mark marks a moment. A mark of the same kind at the same moment as an
// earlier one is the same event (an operator's promote and the promotion
// it makes): it is not marked twice.
func (t *Timeline) Mark(at time.Time, kind MarkKind, label string) {
	m := Mark{At: at.Sub(t.start), Kind: kind, Label: label}
	if slices.ContainsFunc(t.marks, func(o Mark) bool { return o.At == m.At && o.Kind == m.Kind }) {
		return
	}
	t.marks = append(t.marks, m)
}

// Marks returns the marks so far, in the order they were made.
func (t *Timeline) Marks() []Mark { return append([]Mark(nil), t.marks...) }

// Phases returns the deployment phases so far, in time order; the last one
// has a zero End while it lasts.
func (t *Timeline) Phases() []Phase { return append([]Phase(nil), t.phases...) }

// MarkTransitions records a step's deployment transitions: it marks
// promotions, failures, reverts, successes and cancellations, and starts
// and ends the phases (canary until promotion, rolling, paused).
func (t *Timeline) MarkTransitions(at time.Time, out *rollout.Output) {
	d := at.Sub(t.start)
	for _, tr := range out.Transitions {
		switch tr.Kind {
		case rollout.TransitionCreated:
			t.startPhase(d, initialPhase(out.Deployment))
		case rollout.TransitionPromoted:
			t.Mark(at, MarkPromote, "promoted")
			t.startPhase(d, PhaseRolling)
		case rollout.TransitionPaused:
			t.startPhase(d, PhasePaused)
		case rollout.TransitionResumed:
			t.startPhase(d, initialPhase(out.Deployment))
		case rollout.TransitionFailed:
			t.Mark(at, MarkFail, "failed")
			t.endPhase(d)
		case rollout.TransitionReverted:
			label := "revert"
			if out.Revert != nil {
				label = fmt.Sprintf("revert: v%d", out.Revert.Version)
			}
			t.Mark(at, MarkRevert, label)
		case rollout.TransitionSucceeded:
			t.Mark(at, MarkSuccess, "successful")
			t.endPhase(d)
		case rollout.TransitionCancelled:
			t.Mark(at, MarkCancel, "cancelled")
			t.endPhase(d)
		}
	}
}

// initialPhase is the phase of a running deployment: canary while a group
// waits for promotion, rolling otherwise.
func initialPhase(d *rollout.Deployment) PhaseKind {
	if d == nil {
		return PhaseRolling
	}
	for _, g := range d.Groups {
		if g.DesiredCanaries > 0 && !g.Promoted {
			return PhaseCanary
		}
	}
	return PhaseRolling
}

func (t *Timeline) startPhase(at time.Duration, kind PhaseKind) {
	t.endPhase(at)
	t.phases = append(t.phases, Phase{Start: at, Kind: kind})
}

func (t *Timeline) endPhase(at time.Duration) {
	if n := len(t.phases); n > 0 && t.phases[n-1].End == 0 {
		t.phases[n-1].End = at
		if at == t.phases[n-1].Start { // nothing to draw
			t.phases = t.phases[:n-1]
		}
	}
}
