package view

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
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

var markColors = map[MarkKind]string{
	MarkSubmit: "#607d8b", MarkPromote: "#8e24aa", MarkFail: "#e53935",
	MarkRevert: "#fb8c00", MarkSuccess: "#2e7d32", MarkCancel: "#6d4c41",
}

// Mark is a marked moment of a timeline.
type Mark struct {
	At    time.Duration
	Kind  MarkKind
	Label string
}

type point struct {
	at                time.Duration
	old, new, healthy int
}

// Timeline records, over simulated time, how many allocations of older
// versions and of the newest version run, and how many of those running
// have a healthy verdict, of any version (the service's healthy capacity
// as far as deployments know: an in-place update starts its allocation's
// verdict afresh), with the moments that matter marked.
type Timeline struct {
	Title  string
	start  time.Time
	points []point
	marks  []Mark
}

// NewTimeline returns an empty timeline whose time counts from start.
func NewTimeline(title string, start time.Time) *Timeline {
	return &Timeline{Title: title, start: start}
}

// Sample records the allocations that run at a time (desired run, not
// terminal), split by whether they run the newest version, and how many of
// them are healthy. A later sample at the same time replaces an earlier one.
func (t *Timeline) Sample(at time.Time, newest uint64, allocs []rollout.Alloc) {
	p := point{at: at.Sub(t.start)}
	for _, a := range allocs {
		if a.Desired != rollout.DesiredRun || (a.Client != rollout.ClientPending && a.Client != rollout.ClientRunning) {
			continue
		}
		if a.JobVersion != newest {
			p.old++
		} else {
			p.new++
		}
		if a.Health.Status == rollout.Healthy {
			p.healthy++
		}
	}
	if n := len(t.points); n > 0 && t.points[n-1].at == p.at {
		t.points[n-1] = p
		return
	}
	t.points = append(t.points, p)
}

// Mark marks a moment.
func (t *Timeline) Mark(at time.Time, kind MarkKind, label string) {
	t.marks = append(t.marks, Mark{At: at.Sub(t.start), Kind: kind, Label: label})
}

// Marks returns the marks so far.
func (t *Timeline) Marks() []Mark { return append([]Mark(nil), t.marks...) }

// MarkTransitions marks a step's promotions, failures, reverts, successes
// and cancellations.
func (t *Timeline) MarkTransitions(at time.Time, out *rollout.Output) {
	for _, tr := range out.Transitions {
		switch tr.Kind {
		case rollout.TransitionPromoted:
			t.Mark(at, MarkPromote, "promoted")
		case rollout.TransitionFailed:
			t.Mark(at, MarkFail, "failed")
		case rollout.TransitionReverted:
			label := "revert"
			if out.Revert != nil {
				label = fmt.Sprintf("revert: v%d", out.Revert.Version)
			}
			t.Mark(at, MarkRevert, label)
		case rollout.TransitionSucceeded:
			t.Mark(at, MarkSuccess, "successful")
		case rollout.TransitionCancelled:
			t.Mark(at, MarkCancel, "cancelled")
		case rollout.TransitionCreated, rollout.TransitionPaused, rollout.TransitionResumed:
		}
	}
}

// SVG geometry.
const (
	svgWidth    = 960
	panelHeight = 270
	plotLeft    = 56
	plotRight   = 24
	plotTop     = 44
	plotHeight  = 160
)

// WriteSVG writes the timelines as one SVG image, one panel each, with the
// standard library only.
func WriteSVG(w io.Writer, title string, timelines []*Timeline) error {
	var b bytes.Buffer
	height := 40 + panelHeight*len(timelines)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">
<rect width="100%%" height="100%%" fill="white"/>
<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>
`, svgWidth, height, svgWidth, height, plotLeft, esc(title))
	for i, t := range timelines {
		t.panel(&b, 40+i*panelHeight)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func (t *Timeline) panel(b *bytes.Buffer, top int) {
	plotW := svgWidth - plotLeft - plotRight
	end := time.Second
	maxV := 1
	for _, p := range t.points {
		end = max(end, p.at)
		maxV = max(maxV, p.old, p.new, p.healthy)
	}
	for _, m := range t.marks {
		end = max(end, m.At)
	}
	end += end / 20 // room after the last moment
	x := func(d time.Duration) float64 { return plotLeft + float64(plotW)*float64(d)/float64(end) }
	y0 := float64(top + plotTop + plotHeight)
	y := func(v int) float64 { return y0 - float64(plotHeight)*float64(v)/float64(maxV) }

	fmt.Fprintf(b, "<g class=\"panel\">\n<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>\n", plotLeft, top+20, esc(t.Title))
	// Axes, grid and ticks.
	fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n", plotLeft, y0, plotLeft+plotW, y0)
	fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", plotLeft, y0, plotLeft, top+plotTop)
	for v := 0; v <= maxV; v += niceStep(maxV, 5) {
		fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n", plotLeft+1, y(v), plotLeft+plotW, y(v))
		fmt.Fprintf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", plotLeft-6, y(v)+4, v)
	}
	step := niceDuration(end / 8)
	for d := time.Duration(0); d <= end; d += step {
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">+%s</text>\n", x(d), y0+16, d)
	}
	// Markers.
	for i, m := range t.marks {
		color := markColors[m.Kind]
		fmt.Fprintf(b, "<g class=\"marker %s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"4 3\"/>", m.Kind, x(m.At), y0, x(m.At), top+plotTop-4, color)
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text></g>\n", x(m.At)+3, top+plotTop+8+(i%4)*11, color, esc(m.Label))
	}
	// Series, as steps.
	series := []struct {
		name, class, color, dash string
		get                      func(point) int
	}{
		{"older versions", "old", "#9e9e9e", "", func(p point) int { return p.old }},
		{"newest version", "new", "#1e88e5", "", func(p point) int { return p.new }},
		{"healthy (deployment verdict)", "healthy", "#43a047", "6 3", func(p point) int { return p.healthy }},
	}
	for k, s := range series {
		var pts bytes.Buffer
		for i, p := range t.points {
			if i > 0 {
				fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.at), y(s.get(t.points[i-1])))
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(p.at), y(s.get(p)))
		}
		if n := len(t.points); n > 0 {
			fmt.Fprintf(&pts, "%.1f,%.1f", x(end), y(s.get(t.points[n-1])))
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(" stroke-dasharray=\"%s\"", s.dash)
		}
		fmt.Fprintf(b, "<polyline class=\"series %s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>\n", s.class, s.color, dash, pts.String())
		lx := plotLeft + k*170
		fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/><text x=\"%d\" y=\"%.1f\">%s</text>\n",
			lx, y0+36, lx+24, y0+36, s.color, dash, lx+30, y0+40, esc(s.name))
	}
	b.WriteString("</g>\n")
}

// niceStep returns a step of 1, 2 or 5 times a power of ten giving at most
// n ticks up to v.
func niceStep(v, n int) int {
	for step := 1; ; step *= 10 {
		for _, m := range []int{1, 2, 5} {
			if v/(step*m) <= n {
				return step * m
			}
		}
	}
}

// niceDuration rounds d up to a readable tick spacing.
func niceDuration(d time.Duration) time.Duration {
	for _, s := range []time.Duration{
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour,
	} {
		if d <= s {
			return s
		}
	}
	return d.Round(time.Hour)
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
