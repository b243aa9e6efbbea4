package view

import (
	"fmt"
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

// Sample counts, at a moment, the allocations that run (desired run, not
// terminal) by version and health verdict. Older means any version but
// the newest. The four counts add up to the running allocations.
type Sample struct {
	At time.Duration
	// Old counts allocations of older versions without an unhealthy
	// verdict: the capacity the rollout replaces.
	Old int
	// NewHealthy and NewPending count allocations of the newest version
	// with a healthy verdict and without a verdict yet.
	NewHealthy, NewPending int
	// Unhealthy counts allocations of any version with an unhealthy
	// verdict.
	Unhealthy int
}

// Total is how many allocations run at the sample's moment.
func (s Sample) Total() int { return s.Old + s.NewHealthy + s.NewPending + s.Unhealthy }

// Timeline records a job's rollout over time: what runs, by version and
// health, the deployments' phases, and the moments that matter (submits,
// promotions, failures, reverts, ...). WriteSVG draws it. Times count from
// the start given to NewTimeline; feed it in time order.
type Timeline struct {
	Title   string
	start   time.Time
	samples []Sample
	marks   []Mark
	phases  []Phase
}

// NewTimeline returns an empty timeline whose time counts from start.
func NewTimeline(title string, start time.Time) *Timeline {
	return &Timeline{Title: title, start: start}
}

// Sample records the allocations that run at a time, split by whether they
// run the newest version and by their health verdict. A later sample at
// the same time replaces an earlier one.
func (t *Timeline) Sample(at time.Time, newest uint64, allocs []rollout.Alloc) {
	p := Sample{At: at.Sub(t.start)}
	for _, a := range allocs {
		if a.Desired != rollout.DesiredRun || (a.Client != rollout.ClientPending && a.Client != rollout.ClientRunning) {
			continue
		}
		switch {
		case a.Health.Status == rollout.Unhealthy:
			p.Unhealthy++
		case a.JobVersion != newest:
			p.Old++
		case a.Health.Status == rollout.Healthy:
			p.NewHealthy++
		default:
			p.NewPending++
		}
	}
	if n := len(t.samples); n > 0 && t.samples[n-1].At == p.At {
		t.samples[n-1] = p
		return
	}
	t.samples = append(t.samples, p)
}

// Samples returns the samples so far, in time order.
func (t *Timeline) Samples() []Sample { return append([]Sample(nil), t.samples...) }

// Mark marks a moment.
func (t *Timeline) Mark(at time.Time, kind MarkKind, label string) {
	t.marks = append(t.marks, Mark{At: at.Sub(t.start), Kind: kind, Label: label})
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
