package benchchart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/rollout-go/rollout
cpu: AMD EPYC
BenchmarkStep/steady/groups=1/allocs=1000-2         	   10000	    120000 ns/op	    100000 cpu-ns/op	       120.0 ns/alloc	   29000 B/op	      17 allocs/op
BenchmarkStep/steady/groups=1/allocs=1000-2         	   10000	    100000 ns/op	       100.0 ns/alloc	   29000 B/op	      17 allocs/op
BenchmarkStep/steady/groups=1/allocs=1000-2         	   10000	    110000 ns/op	       110.0 ns/alloc	   29000 B/op	      17 allocs/op
BenchmarkStep/steady/groups=1/allocs=10000-2        	    1000	   1100000 ns/op	       110.0 ns/alloc	  290000 B/op	      17 allocs/op
BenchmarkStep/a<b&"c"/groups=10/allocs=1000-2       	   10000	    150000 ns/op	       150.0 ns/alloc	   29000 B/op	      63 allocs/op
BenchmarkStep/a<b&"c"/groups=10/allocs=10000-2      	    1000	   1500000 ns/op	       150.0 ns/alloc	  290000 B/op	      63 allocs/op
BenchmarkOther-2                                    	    1000	      1000 ns/op
--- BENCH: BenchmarkStep/steady
    bench_test.go:1: a log line
PASS
ok  	github.com/rollout-go/rollout	16.086s
`

func TestParse(t *testing.T) {
	rs, err := Parse(strings.NewReader(sample), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("got %d results, want 4 (BenchmarkOther has no size): %+v", len(rs), rs)
	}
	r := rs[0]
	if r.Name != "BenchmarkStep/steady/groups=1/allocs=1000" || r.Series != "steady/groups=1" || r.Size != 1000 || r.Runs != 3 {
		t.Errorf("first result = %+v", r)
	}
	// The median of three runs, per unit.
	if r.Metrics["ns/op"] != 110000 || r.Metrics["ns/alloc"] != 110 || r.Metrics["allocs/op"] != 17 {
		t.Errorf("medians = %v", r.Metrics)
	}
}

// TestParseSeriesWithoutParameters checks the series of a benchmark whose
// only parameter is the size: its own name, without "Benchmark".
func TestParseSeriesWithoutParameters(t *testing.T) {
	rs, err := Parse(strings.NewReader("BenchmarkReadFloor/allocs=1000-2   100   22000 ns/op\n"), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Series != "ReadFloor" || rs[0].Size != 1000 {
		t.Errorf("results = %+v, want series ReadFloor at size 1000", rs)
	}
}

func TestSVGWellFormed(t *testing.T) {
	rs, err := Parse(strings.NewReader(sample), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	opt := Options{Title: "time <per> step & more", XLabel: "allocs", References: []Reference{{PerUnit: 100, Label: "target"}}}
	if err := SVG(&buf, rs, opt); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	counts := map[string]int{}
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			counts[se.Name.Local]++
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
	if counts["polyline"] != 2 {
		t.Errorf("%d polylines, want one per series (2)", counts["polyline"])
	}
	if counts["circle"] != 4 {
		t.Errorf("%d points, want 4", counts["circle"])
	}
}

func TestSVGNoResults(t *testing.T) {
	if err := SVG(io.Discard, nil, Options{}); err == nil {
		t.Error("SVG of no results: want an error")
	}
}

func TestTable(t *testing.T) {
	rs, err := Parse(strings.NewReader(sample), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Table(&buf, rs, rs, "alloc"); err != nil {
		t.Fatal(err)
	}
	want := "| steady/groups=1 | 1k | 110 µs → 110 µs | 110.0 → 110.0 | 100.0 → 100.0 | 28.3 KiB → 28.3 KiB | 17 → 17 |"
	if !strings.Contains(buf.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, buf.String())
	}
	if !strings.Contains(buf.String(), "| ns per alloc | cpu-ns per alloc |") {
		t.Errorf("table header does not name the unit:\n%s", buf.String())
	}
}

func TestSVGMetric(t *testing.T) {
	rs, err := Parse(strings.NewReader(sample), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := SVG(&buf, rs, Options{Metric: "cpu-ns/op"}); err != nil {
		t.Fatal(err)
	}
	// Only steady/groups=1 at 1k reports cpu-ns/op in the sample.
	if n := strings.Count(buf.String(), "<circle"); n != 1 {
		t.Errorf("%d points plotted for cpu-ns/op, want 1", n)
	}
	if !strings.Contains(buf.String(), "cpu-ns per step") {
		t.Error("the y axis does not name the metric")
	}
}

// TestParseTwoFunctions checks that two benchmark functions over the same
// states (Step and Stepper) make distinct series, each named after its
// function, while a function without parameters keeps its own name.
func TestParseTwoFunctions(t *testing.T) {
	in := "BenchmarkStep/tenth-mid/groups=1/allocs=1000-2   100   50000 ns/op\n" +
		"BenchmarkStepper/tenth-mid/groups=1/allocs=1000-2   100   45000 ns/op\n" +
		"BenchmarkReadFloor/allocs=1000-2   100   22000 ns/op\n"
	rs, err := Parse(strings.NewReader(in), "allocs")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Series)
	}
	want := []string{"Step/tenth-mid/groups=1", "Stepper/tenth-mid/groups=1", "ReadFloor"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("series = %q, want %q", got, want)
	}
}
