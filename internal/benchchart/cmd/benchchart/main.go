// Command benchchart draws the chart of BENCHMARKS.md from `go test -bench`
// output, or prints its table.
//
//	go run ./internal/benchchart/cmd/benchchart testdata/bench/after.txt > benchmarks.svg
//	go run ./internal/benchchart/cmd/benchchart -table testdata/bench/before.txt testdata/bench/after.txt
//
// With -table and two files, each cell shows the median before → after.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rollout-go/rollout/internal/benchchart"
)

func main() {
	table := flag.Bool("table", false, "print a Markdown table of medians instead of the SVG chart (with two files: before → after)")
	size := flag.String("size", "allocs", "the benchmark name parameter (key=value) plotted on the x axis")
	title := flag.String("title", "rollout.Step: time per step against allocations", "chart title")
	unit := flag.String("unit", "alloc", "with -table: what one unit of the size parameter is called")
	metric := flag.String("metric", "ns/op", "the unit plotted on the y axis (e.g. cpu-ns/op)")
	target := flag.Float64("target", 100, "draw a reference line of this many ns per unit of size (0: none)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchchart [flags] bench.txt [after.txt]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 || (!*table && flag.NArg() != 1) {
		flag.Usage()
		os.Exit(2)
	}
	var sets [][]benchchart.Result
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fatal(err)
		}
		rs, err := benchchart.Parse(f, *size)
		f.Close()
		if err != nil {
			fatal(fmt.Errorf("%s: %w", path, err))
		}
		sets = append(sets, rs)
	}
	if *table {
		var before []benchchart.Result
		after := sets[len(sets)-1]
		if len(sets) == 2 {
			before = sets[0]
		}
		if err := benchchart.Table(os.Stdout, before, after, *unit); err != nil {
			fatal(err)
		}
		return
	}
	opt := benchchart.Options{Title: *title, XLabel: *size, Metric: *metric}
	if *target > 0 {
		opt.References = []benchchart.Reference{{PerUnit: *target, Label: fmt.Sprintf("target: %g ns × %s", *target, *size)}}
	}
	if err := benchchart.SVG(os.Stdout, sets[0], opt); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchchart:", err)
	os.Exit(1)
}
