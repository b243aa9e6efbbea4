package rollout_test

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-go/rollout/internal/scenario"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of testdata/scenarios/*.txt with the actual ones")

// scenarioDirs are the directories of scenario scripts: the library's own,
// and the conformance corpus modelled on Nomad's reconciler tests (one
// script per Nomad test, named after it).
var scenarioDirs = []string{
	filepath.Join("testdata", "scenarios"),
	filepath.Join("testdata", "scenarios", "nomad"),
	filepath.Join("testdata", "scenarios", "controls"),
}

// knownFailingFile lists, one per line, scripts of a directory whose
// expected output is the correct decision but which the engine does not
// reproduce yet: `<file> <reason>`, '#' starts a comment. TestScenarios
// skips them, naming the reason.
const knownFailingFile = "KNOWN_FAILING.txt"

// TestScenarios runs the scenario scripts in testdata/scenarios and its
// nomad corpus: each case drives rollout.Step as a caller would and
// compares what it prints with the expected output. `go test -run
// TestScenarios -rewrite` regenerates the expected outputs; read the diff
// before committing it.
func TestScenarios(t *testing.T) {
	for _, dir := range scenarioDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		known, err := readKnownFailing(filepath.Join(dir, knownFailingFile))
		if err != nil {
			t.Fatal(err)
		}
		var scripts int
		for _, f := range files {
			base := filepath.Base(f)
			if base == knownFailingFile {
				continue
			}
			scripts++
			name, err := filepath.Rel(filepath.Join("testdata", "scenarios"), f)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(filepath.ToSlash(name), func(t *testing.T) {
				if reason, ok := known[base]; ok {
					t.Skipf("%s is listed in %s: %s", f, knownFailingFile, reason)
				}
				scenario.Run(t, f, *rewrite)
			})
		}
		if scripts == 0 {
			t.Fatalf("no scenario scripts in %s", dir)
		}
		for base := range known {
			if !fileExists(filepath.Join(dir, base)) {
				t.Errorf("%s lists %s, which does not exist", filepath.Join(dir, knownFailingFile), base)
			}
		}
	}
}

// readKnownFailing reads a known-failing list; a missing file is an empty
// list.
func readKnownFailing(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, reason, _ := strings.Cut(line, " ")
		known[file] = strings.TrimSpace(reason)
	}
	return known, sc.Err()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
