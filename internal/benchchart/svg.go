package benchchart

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

// Options shape a chart.
type Options struct {
	Title  string
	XLabel string // e.g. "allocations"
	// Metric is the unit plotted on the y axis, in nanoseconds: "ns/op"
	// when empty, or e.g. "cpu-ns/op".
	Metric string
	// Reference lines of constant time per unit of size, e.g. a target of
	// 100 ns per allocation, drawn dotted and labelled.
	References []Reference
}

// Reference is a line y = PerUnit * x (nanoseconds).
type Reference struct {
	PerUnit float64
	Label   string
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"}

var dashes = []string{"", "7 4", "2 3", "10 3 2 3"}

const (
	plotWidth, height         = 550, 540
	marginL, marginT, marginB = 80, 50, 60
	// legendChar is the width the legend allows a character of a label.
	legendChar = 7
)

// SVG writes a log-log chart of ns/op (or opt.Metric) against size, one
// line per series.
// A series' first name part picks its colour and the rest its dash, so
// that e.g. "steady/groups=1" and "steady/groups=10" share a colour.
func SVG(w io.Writer, results []Result, opt Options) error {
	metric := opt.Metric
	if metric == "" {
		metric = "ns/op"
	}
	series := map[string][]Result{}
	var names []string
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, r := range results {
		v, ok := r.Metrics[metric]
		if !ok || v <= 0 {
			continue
		}
		if _, seen := series[r.Series]; !seen {
			names = append(names, r.Series)
		}
		series[r.Series] = append(series[r.Series], r)
		xmin, xmax = math.Min(xmin, r.Size), math.Max(xmax, r.Size)
		ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
	}
	if len(names) == 0 {
		return fmt.Errorf("benchchart: no results with %s", metric)
	}
	for _, ref := range opt.References {
		ymin, ymax = math.Min(ymin, ref.PerUnit*xmin), math.Max(ymax, ref.PerUnit*xmax)
	}
	lx0, lx1 := math.Floor(math.Log10(xmin)), math.Ceil(math.Log10(xmax))
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if lx1 == lx0 {
		lx1++
	}
	if ly1 == ly0 {
		ly1++
	}
	// The legend, right of the plot, is as wide as its longest label.
	longest := 0
	for _, name := range names {
		longest = max(longest, len(name))
	}
	for _, ref := range opt.References {
		longest = max(longest, len(ref.Label))
	}
	marginR := max(230, 60+legendChar*longest)
	width := marginL + plotWidth + marginR
	pw, ph := float64(plotWidth), float64(height-marginT-marginB)
	px := func(x float64) float64 { return marginL + (math.Log10(x)-lx0)/(lx1-lx0)*pw }
	py := func(y float64) float64 { return marginT + ph - (math.Log10(y)-ly0)/(ly1-ly0)*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, marginT-22, esc(opt.Title))

	// Grid and ticks: decades, with minor lines at 2..9.
	for d := lx0; d <= lx1; d++ {
		for m := 1.0; m < 10 && (m == 1 || d < lx1); m++ {
			x := px(m * math.Pow(10, d))
			stroke := "#eeeeee"
			if m == 1 {
				stroke = "#cccccc"
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, height-marginB+18, esc(formatCount(math.Pow(10, d))))
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, marginT, x, height-marginB, stroke)
		}
	}
	for d := ly0; d <= ly1; d++ {
		for m := 1.0; m < 10 && (m == 1 || d < ly1); m++ {
			y := py(m * math.Pow(10, d))
			stroke := "#eeeeee"
			if m == 1 {
				stroke = "#cccccc"
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", marginL-8, y, esc(formatDuration(math.Pow(10, d))))
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", marginL, y, width-marginR, y, stroke)
		}
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333333"/>`+"\n", marginL, marginT, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s (log scale)</text>`+"\n", marginL+pw/2, height-marginB+42, esc(opt.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(%d %.1f) rotate(-90)" text-anchor="middle">%s per step (log scale)</text>`+"\n", 20, marginT+ph/2, esc(strings.TrimSuffix(metric, "/op")))

	// Reference lines.
	legendY := marginT + 8
	lx := float64(width - marginR + 16)
	for _, ref := range opt.References {
		x0, x1 := math.Pow(10, lx0), math.Pow(10, lx1)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555555" stroke-width="1.5" stroke-dasharray="1 4" stroke-linecap="round"/>`+"\n",
			px(x0), py(ref.PerUnit*x0), px(x1), py(ref.PerUnit*x1))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555555" stroke-width="1.5" stroke-dasharray="1 4" stroke-linecap="round"/>`+"\n", lx, legendY, lx+28, legendY)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" dominant-baseline="middle">%s</text>`+"\n", lx+36, legendY, esc(ref.Label))
		legendY += 20
	}

	// Series: colour by first name part, dash by the rest.
	var heads, tails []string
	for _, name := range names {
		head, tail, _ := strings.Cut(name, "/")
		if !slices.Contains(heads, head) {
			heads = append(heads, head)
		}
		if !slices.Contains(tails, tail) {
			tails = append(tails, tail)
		}
	}
	for _, name := range names {
		rs := series[name]
		slices.SortFunc(rs, func(a, b Result) int { return compareFloat(a.Size, b.Size) })
		head, tail, _ := strings.Cut(name, "/")
		color := palette[slices.Index(heads, head)%len(palette)]
		dash := dashes[slices.Index(tails, tail)%len(dashes)]
		dashAttr := ""
		if dash != "" {
			dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
		}
		var pts []string
		for _, r := range rs {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(r.Size), py(r.Metrics[metric])))
		}
		fmt.Fprintf(&b, `<g><title>%s</title>`+"\n", esc(name))
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), color, dashAttr)
		for _, r := range rs {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s</title></circle>`+"\n",
				px(r.Size), py(r.Metrics[metric]), color, esc(r.Name), esc(formatDuration(r.Metrics[metric])))
		}
		b.WriteString("</g>\n")
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", lx, legendY, lx+28, legendY, color, dashAttr)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" dominant-baseline="middle">%s</text>`+"\n", lx+36, legendY, esc(name))
		legendY += 18
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func esc(s string) string { return html.EscapeString(s) }
