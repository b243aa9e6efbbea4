package view

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// The picture's geometry, in pixels.
const (
	svgWidth     = 960
	headerHeight = 84 // title and legend
	plotLeft     = 56
	plotRight    = 24
	plotHeight   = 150 // the plot of a job with one group
	groupHeight  = 90  // the plot of each group of a job with several
	groupGap     = 8   // between the plots of two groups
	labelRow     = 15  // height of one row of marker labels
	bandHeight   = 14  // the row of deployment phases above the plot
	panelGap     = 40  // axis ticks and the space between panels
	charWidth    = 6.2
)

// The colours of the areas, phases and markers.
var (
	areaStyles = []struct {
		class, name, color string
		count              func(Sample) int
	}{
		{"old", "older version", "#b0bec5", func(s Sample) int { return s.Old }},
		{"old-healthy", "older version, healthy", "#a5d6a7", func(s Sample) int { return s.OldHealthy }},
		{"new-healthy", "new version, healthy", "#43a047", func(s Sample) int { return s.NewHealthy }},
		{"new-pending", "new version, pending", "#90caf9", func(s Sample) int { return s.NewPending }},
		{"unhealthy", "unhealthy", "#e53935", func(s Sample) int { return s.Unhealthy }},
	}
	phaseStyles = []struct {
		kind        PhaseKind
		name, color string
	}{
		{PhaseCanary, "canary phase", "#ffb74d"},
		{PhaseRolling, "rolling phase", "#9575cd"},
		{PhasePaused, "paused", "#9e9e9e"},
	}
	markStyles = []struct {
		kind  MarkKind
		color string
	}{
		{MarkSubmit, "#37474f"}, {MarkPromote, "#8e24aa"}, {MarkFail, "#c62828"},
		{MarkRevert, "#ef6c00"}, {MarkSuccess, "#2e7d32"}, {MarkCancel, "#6d4c41"},
	}
)

func markColor(k MarkKind) string {
	for _, s := range markStyles {
		if s.kind == k {
			return s.color
		}
	}
	return "#000000"
}

func phaseColor(k PhaseKind) string {
	for _, s := range phaseStyles {
		if s.kind == k {
			return s.color
		}
	}
	return "#f5f5f5"
}

// WriteSVG writes the timelines as one SVG picture with the standard
// library only: the title once, a legend, then a panel per timeline. A
// panel draws, per group (its name on a band at the plot's left), the
// allocations holding a slot stacked by version and health as areas
// (older version, older version healthy, new version healthy, new version
// pending, unhealthy), the deployment phases as bands behind them, and
// marks each event with a labelled line across the group plots. Labels go
// in rows above the plots so that none overlaps another, and each starts
// at its line: the time axis leaves room after the last one. A panel's
// title that begins with the picture's drops that part (a lone panel of
// the picture's title has none). The output depends only on its input.
func WriteSVG(w io.Writer, title string, timelines []*Timeline) error {
	var b bytes.Buffer
	height := headerHeight
	layouts := make([][]placedLabel, len(timelines))
	for i, t := range timelines {
		layouts[i] = layoutLabels(t.marks, t.xScale())
		height += t.panelHeight(layouts[i], panelTitle(title, t.Title) != "")
	}
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">
<rect width="100%%" height="100%%" fill="white"/>
<text class="title" x="%d" y="26" font-size="16" font-weight="bold">%s</text>
`, svgWidth, height, svgWidth, height, plotLeft, esc(title))
	legend(&b)
	top := headerHeight
	for i, t := range timelines {
		pt := panelTitle(title, t.Title)
		t.panel(&b, top, layouts[i], pt)
		top += t.panelHeight(layouts[i], pt != "")
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// panelTitle is what a panel's title shows under the picture's: nothing
// when it is the picture's, the rest when it begins with it (so that the
// picture's title is printed once).
func panelTitle(title, panel string) string {
	if panel == title {
		return ""
	}
	if rest, ok := strings.CutPrefix(panel, title); ok && title != "" {
		return strings.TrimLeft(rest, " —-:,")
	}
	return panel
}

// plotHeights returns the height of each group's plot (one plot when the
// timeline has no group yet).
func (t *Timeline) plotHeights() []int {
	if len(t.groups) <= 1 {
		return []int{plotHeight}
	}
	out := make([]int, len(t.groups))
	for i := range out {
		out[i] = groupHeight
	}
	return out
}

func (t *Timeline) panelHeight(labels []placedLabel, titled bool) int {
	h := rows(labels)*labelRow + bandHeight + panelGap + 10
	for _, ph := range t.plotHeights() {
		h += ph + groupGap
	}
	h -= groupGap
	if titled {
		h += 22
	}
	return h
}

// legend draws what the colours mean, in two rows under the title: the
// areas, then the markers and the phases.
func legend(b *bytes.Buffer) {
	b.WriteString("<g class=\"legend\">\n")
	x := float64(plotLeft)
	for _, s := range areaStyles {
		fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"40\" width=\"14\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" y=\"49\">%s</text>\n", x, s.color, x+18, esc(s.name))
		x += 18 + textWidth(s.name) + 18
	}
	x = plotLeft
	for _, s := range markStyles {
		name := string(s.kind)
		fmt.Fprintf(b, "<line x1=\"%.1f\" y1=\"58\" x2=\"%.1f\" y2=\"70\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"68\" fill=\"%s\">%s</text>\n", x+4, x+4, s.color, x+10, s.color, esc(name))
		x += 10 + textWidth(name) + 18
	}
	for _, s := range phaseStyles {
		fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"59\" width=\"14\" height=\"10\" fill=\"%s\" stroke=\"#bdbdbd\"/><text x=\"%.1f\" y=\"68\">%s</text>\n", x, s.color, x+18, esc(s.name))
		x += 18 + textWidth(s.name) + 18
	}
	b.WriteString("</g>\n")
}

// scale maps time to x.
type scale struct{ end time.Duration }

func (s scale) x(d time.Duration) float64 {
	return plotLeft + float64(svgWidth-plotLeft-plotRight)*float64(d)/float64(s.end)
}

// xScale spans the timeline's samples, marks and phases, with room after
// the last moment, and so that every mark's label fits right of its line
// (a label too wide for that is drawn left of it).
func (t *Timeline) xScale() scale {
	end := time.Second
	for _, ss := range t.samples {
		for _, p := range ss {
			end = max(end, p.At)
		}
	}
	for _, m := range t.marks {
		end = max(end, m.At)
	}
	for _, p := range t.phases {
		end = max(end, p.End, p.Start)
	}
	end += end / 20
	width := float64(svgWidth - plotLeft - plotRight)
	for _, m := range t.marks {
		// The label spans [x, x+w]; x = plotLeft + width*At/end must keep
		// x+w within the picture: end >= At*width/(room).
		room := float64(svgWidth-4-plotLeft) - (textWidth(m.Label) + 6)
		if room < width/3 {
			continue // too wide: drawn left of its line
		}
		end = max(end, time.Duration(float64(m.At)*width/room)+1)
	}
	return scale{end: end}
}

func (t *Timeline) panel(b *bytes.Buffer, top int, labels []placedLabel, title string) {
	sc := t.xScale()
	right := float64(svgWidth - plotRight)
	fmt.Fprintf(b, "<g class=\"panel\">\n")
	if title != "" {
		fmt.Fprintf(b, "<text class=\"panel-title\" x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>\n", plotLeft, top+14, esc(title))
		top += 22
	}
	labelsTop := top
	bandTop := top + rows(labels)*labelRow + 4
	plotsTop := bandTop + bandHeight + 2
	heights := t.plotHeights()
	plotsBottom := plotsTop
	for _, h := range heights {
		plotsBottom += h + groupGap
	}
	plotsBottom -= groupGap

	// Phases, behind everything: a band above the plots and a tint over
	// them.
	for _, p := range t.phases {
		x1, x2 := sc.x(p.Start), right
		if p.End != 0 {
			x2 = sc.x(p.End)
		}
		fmt.Fprintf(b, "<rect class=\"phase %s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"white\"/>\n", p.Kind, x1, bandTop, x2-x1, bandHeight, phaseColor(p.Kind))
		fmt.Fprintf(b, "<rect class=\"phase-tint\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.15\"/>\n", x1, plotsTop, x2-x1, plotsBottom-plotsTop, phaseColor(p.Kind))
	}
	y0 := float64(plotsTop)
	for i, h := range heights {
		var samples []Sample
		name := ""
		if i < len(t.samples) {
			samples = t.drawn(i)
			if len(t.groups) > 1 {
				name = t.groups[i]
			}
		}
		y0 += float64(h)
		t.plot(b, sc, samples, name, y0, h, i == len(heights)-1)
		y0 += groupGap
	}
	// Phase names, inside their bands where they fit.
	for _, p := range t.phases {
		x1, x2 := sc.x(p.Start), right
		if p.End != 0 {
			x2 = sc.x(p.End)
		}
		if x2-x1 >= textWidth(string(p.Kind))+8 {
			fmt.Fprintf(b, "<text class=\"phase-name\" x=\"%.1f\" y=\"%d\" fill=\"white\" font-weight=\"bold\">%s</text>\n", x1+4, bandTop+11, esc(string(p.Kind)))
		}
	}
	// Markers: a line from the label's row down across the plots.
	for _, l := range labels {
		color := markColor(l.mark.Kind)
		ly := labelsTop + l.row*labelRow + 11
		anchor, tx := "start", l.x+3
		if l.alignEnd {
			anchor, tx = "end", l.x-3
		}
		fmt.Fprintf(b, "<g class=\"marker %s\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>", l.mark.Kind, l.x, ly-10, l.x, plotsBottom, color)
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" fill=\"%s\" font-weight=\"bold\">%s</text></g>\n", tx, ly, anchor, color, esc(l.mark.Label))
	}
	b.WriteString("</g>\n")
}

// plot draws one group's stacked areas with its y axis, from y0 (its
// bottom) up h pixels; name labels the group when the job has several;
// the last plot carries the time ticks.
func (t *Timeline) plot(b *bytes.Buffer, sc scale, samples []Sample, name string, y0 float64, h int, last bool) {
	right := float64(svgWidth - plotRight)
	maxV := 1
	for _, p := range samples {
		maxV = max(maxV, p.Total())
	}
	y := func(v int) float64 { return y0 - float64(h)*float64(v)/float64(maxV) }
	fmt.Fprintf(b, "<g class=\"group\" data-group=\"%s\">\n", esc(name))
	// Grid and y ticks.
	for v := 0; v <= maxV; v += niceStep(maxV, max(2, h/30)) {
		fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", plotLeft, y(v), right, y(v))
		fmt.Fprintf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", plotLeft-6, y(v)+4, v)
	}
	// Stacked areas, as steps: each sample holds until the next.
	for k, s := range areaStyles {
		var upper, lower []string
		for i, p := range samples {
			x1, x2 := sc.x(p.At), right
			if i+1 < len(samples) {
				x2 = sc.x(samples[i+1].At)
			}
			base := 0
			for _, below := range areaStyles[:k] {
				base += below.count(p)
			}
			hi := base + s.count(p)
			upper = append(upper, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x1, y(hi), x2, y(hi)))
			lower = append(lower, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x2, y(base), x1, y(base)))
		}
		if len(upper) == 0 {
			continue
		}
		for i, j := 0, len(lower)-1; i < j; i, j = i+1, j-1 {
			lower[i], lower[j] = lower[j], lower[i]
		}
		fmt.Fprintf(b, "<polygon class=\"area %s\" fill=\"%s\" points=\"%s %s\"/>\n", s.class, s.color, strings.Join(upper, " "), strings.Join(lower, " "))
	}
	// Axes.
	fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#424242\"/>\n", plotLeft, y0, right, y0)
	fmt.Fprintf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#424242\"/>\n", plotLeft, y0, plotLeft, y0-float64(h))
	// The group's name, on a band at the plot's top left.
	if name != "" {
		w := textWidth(name) + 10
		fmt.Fprintf(b, "<rect class=\"group-name\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"15\" fill=\"#37474f\" fill-opacity=\"0.85\" rx=\"2\"/><text x=\"%d\" y=\"%.1f\" fill=\"white\" font-weight=\"bold\">%s</text>\n", plotLeft+2, y0-float64(h)+2, w, plotLeft+7, y0-float64(h)+13, esc(name))
	}
	if last {
		step := niceDuration(sc.end / 8)
		for d := time.Duration(0); d <= sc.end; d += step {
			fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#616161\">+%s</text>\n", sc.x(d), y0+15, d)
		}
	}
	b.WriteString("</g>\n")
}

// placedLabel is a marker with its label's row and horizontal extent.
type placedLabel struct {
	mark        Mark
	x           float64 // the marker's position
	left, right float64 // the label's extent
	row         int
	alignEnd    bool // the label ends at the marker (too wide to fit after it)
}

// layoutLabels puts each mark's label in the first row where it overlaps
// no label already there, marks taken in time order (then in the order
// they were made).
func layoutLabels(marks []Mark, sc scale) []placedLabel {
	out := make([]placedLabel, 0, len(marks))
	order := make([]int, len(marks))
	for i := range order {
		order[i] = i
	}
	// Insertion sort by time: stable, and marks come nearly sorted.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && marks[order[j]].At < marks[order[j-1]].At; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	var rowEnds []float64 // per row: the right edge of its last label
	for _, i := range order {
		m := marks[i]
		l := placedLabel{mark: m, x: sc.x(m.At)}
		w := textWidth(m.Label) + 6
		l.left, l.right = l.x, l.x+w
		if l.right > svgWidth-4 {
			l.alignEnd = true
			l.left, l.right = max(0, l.x-w), l.x
		}
		l.row = -1
		for r, end := range rowEnds {
			if l.left >= end+6 {
				l.row = r
				break
			}
		}
		if l.row < 0 {
			l.row = len(rowEnds)
			rowEnds = append(rowEnds, 0)
		}
		rowEnds[l.row] = l.right
		out = append(out, l)
	}
	return out
}

// rows is how many label rows the labels take (at least one).
func rows(labels []placedLabel) int {
	n := 1
	for _, l := range labels {
		n = max(n, l.row+1)
	}
	return n
}

// textWidth estimates the width of a label at font-size 11.
func textWidth(s string) float64 { return charWidth * float64(utf8.RuneCountInString(s)) }

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
