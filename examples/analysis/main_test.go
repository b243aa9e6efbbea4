package main

import (
	"flag"
	"testing"

	"github.com/rollout-go/rollout/examples/internal/walkthrough"
)

var update = flag.Bool("update", false, "rewrite testdata/analysis.golden with the current output")

func TestGolden(t *testing.T) { walkthrough.Golden(t, "analysis", "analysis", *update) }
