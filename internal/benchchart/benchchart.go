// Package benchchart turns `go test -bench` output into the chart and the
// table of BENCHMARKS.md: an SVG of time per operation against a size
// parameter on log-log axes, one line per series, and a Markdown table of
// medians. It uses the standard library only.
//
// Benchmark names are read as slash-separated parts; a part `key=value`
// with a numeric value is a parameter. The size parameter (by default
// "allocs") is the x axis; the rest of the name, without the "Benchmark"
// function name and the -GOMAXPROCS suffix, names the series. Repeated runs
// of one benchmark (-count) are reduced to their median.
package benchchart

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Result is the median of the runs of one benchmark.
type Result struct {
	Name   string // full name, without the -GOMAXPROCS suffix
	Series string // name without the function and the size parameter
	Size   float64
	Runs   int
	// Metrics maps a unit (ns/op, B/op, allocs/op, and custom ones such as
	// ns/alloc) to the median value.
	Metrics map[string]float64
}

// Parse reads benchmark output and returns one Result per benchmark that
// has the size parameter sizeKey, in order of first appearance. Lines that
// are not benchmark results are skipped.
func Parse(r io.Reader, sizeKey string) ([]Result, error) {
	type acc struct {
		res     Result
		samples map[string][]float64
	}
	var order []string
	byName := map[string]*acc{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line (e.g. a log line starting with Benchmark)
		}
		name := trimProcs(f[0])
		series, size, ok := split(name, sizeKey)
		if !ok {
			continue
		}
		a := byName[name]
		if a == nil {
			a = &acc{res: Result{Name: name, Series: series, Size: size}, samples: map[string][]float64{}}
			byName[name] = a
			order = append(order, name)
		}
		a.res.Runs++
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: value %q: %w", name, f[i], err)
			}
			a.samples[f[i+1]] = append(a.samples[f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Two benchmark functions may share series names (Step and Stepper
	// over the same states): then each series is named after its function
	// too, so that neither the chart nor the table merges them.
	funcs := map[string]bool{}
	for _, name := range order {
		fn, _, _ := strings.Cut(name, "/")
		funcs[fn] = true
	}
	out := make([]Result, 0, len(order))
	for _, name := range order {
		a := byName[name]
		if fn, _, _ := strings.Cut(name, "/"); len(funcs) > 1 {
			if fn = strings.TrimPrefix(fn, "Benchmark"); a.res.Series != fn {
				a.res.Series = fn + "/" + a.res.Series
			}
		}
		a.res.Metrics = make(map[string]float64, len(a.samples))
		for unit, vs := range a.samples {
			a.res.Metrics[unit] = median(vs)
		}
		out = append(out, a.res)
	}
	return out, nil
}

// trimProcs removes the -GOMAXPROCS suffix that `go test` appends.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// split finds the size parameter in a benchmark name and returns the
// series name: the other parts, after the benchmark function's name.
func split(name, sizeKey string) (series string, size float64, ok bool) {
	parts := strings.Split(name, "/")
	var rest []string
	for _, p := range parts[1:] {
		if v, found := strings.CutPrefix(p, sizeKey+"="); found {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x <= 0 {
				return "", 0, false
			}
			size, ok = x, true
			continue
		}
		rest = append(rest, p)
	}
	if len(rest) == 0 { // BenchmarkReadFloor/allocs=1000: the series is ReadFloor
		rest = []string{strings.TrimPrefix(parts[0], "Benchmark")}
	}
	return strings.Join(rest, "/"), size, ok
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Table writes a Markdown table of the medians: one row per benchmark,
// with ns/op, ns/op per unit of size (named unit, e.g. "alloc"), the same
// for cpu-ns/op when the results report it, B/op and allocs/op. With
// before results, each cell shows before → after.
func Table(w io.Writer, before, after []Result, unit string) error {
	old := map[string]Result{}
	for _, r := range before {
		old[r.Name] = r
	}
	hasCPU := false
	for _, r := range after {
		_, ok := r.Metrics["cpu-ns/op"]
		hasCPU = hasCPU || ok
	}
	var b strings.Builder
	b.WriteString("| benchmark | size | ns/op | ns per " + unit + " |")
	if hasCPU {
		b.WriteString(" cpu-ns per " + unit + " |")
	}
	b.WriteString(" B/op | allocs/op |\n|---|---:|---:|---:|")
	if hasCPU {
		b.WriteString("---:|")
	}
	b.WriteString("---:|---:|\n")
	metric := func(unit string) func(Result) (float64, bool) {
		return func(x Result) (float64, bool) { v, ok := x.Metrics[unit]; return v, ok }
	}
	perUnit := func(unit string) func(Result) (float64, bool) {
		return func(x Result) (float64, bool) { v, ok := x.Metrics[unit]; return v / x.Size, ok }
	}
	for _, r := range after {
		o, hasOld := old[r.Name]
		cell := func(get func(Result) (float64, bool), format func(float64) string) string {
			v, ok := get(r)
			if !ok {
				return ""
			}
			if hasOld {
				if ov, ok := get(o); ok {
					return format(ov) + " → " + format(v)
				}
			}
			return format(v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |", r.Series, formatCount(r.Size),
			cell(metric("ns/op"), formatDuration), cell(perUnit("ns/op"), formatNs))
		if hasCPU {
			fmt.Fprintf(&b, " %s |", cell(perUnit("cpu-ns/op"), formatNs))
		}
		fmt.Fprintf(&b, " %s | %s |\n", cell(metric("B/op"), formatBytes), cell(metric("allocs/op"), formatInt))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatNs(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func formatInt(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }

// formatDuration formats nanoseconds with three significant digits.
func formatDuration(ns float64) string {
	units := []struct {
		scale float64
		name  string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}
	for _, u := range units {
		if ns >= u.scale || u.scale == 1 {
			return strconv.FormatFloat(ns/u.scale, 'g', 3, 64) + " " + u.name
		}
	}
	return ""
}

func formatBytes(v float64) string {
	switch {
	case v >= 1<<20:
		return strconv.FormatFloat(v/(1<<20), 'f', 2, 64) + " MiB"
	case v >= 1<<10:
		return strconv.FormatFloat(v/(1<<10), 'f', 1, 64) + " KiB"
	}
	return formatInt(v) + " B"
}

// formatCount formats a size as 1k, 10k, 100k, 1M.
func formatCount(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e6) == 0:
		return strconv.FormatFloat(v/1e6, 'f', 0, 64) + "M"
	case v >= 1e3 && math.Mod(v, 1e3) == 0:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
