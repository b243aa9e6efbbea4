package rollout_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/rollout-go/rollout/internal/scenario"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of testdata/scenarios/*.txt with the actual ones")

// TestScenarios runs the scenario scripts in testdata/scenarios: each case
// drives rollout.Step as a caller would and compares what it prints with
// the expected output. `go test -run TestScenarios -rewrite` regenerates
// the expected outputs; read the diff before committing it.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario scripts in testdata/scenarios")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			scenario.Run(t, f, *rewrite)
		})
	}
}
