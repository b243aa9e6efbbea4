package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// BugFile is where engine bugs found by the scripts are reported (the
// project's issue tracker); a case marked skip=bug names its bug there.
const BugFile = "the issue tracker"

// Run runs the scenario script at path as subtests of t: one subtest per
// scenario (the cases from one `reset` to the next), one per case inside
// it. A case whose output differs from its expected output fails with
// `mismatch (-want +got)`, naming the file and line. With rewrite, the
// expected outputs are replaced by the actual ones and the file is written
// back instead.
//
// A case marked skip=bug documents an engine bug: its expected output is
// the correct one, written by hand. While the engine disagrees, the case
// and the rest of its scenario are skipped with a message (their state
// follows the buggy output) and rewrite leaves them as they are; once the
// engine agrees they pass and the log says the mark can go.
func Run(t *testing.T, path string, rewrite bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parse(filepath.Base(path), string(data))
	if err != nil {
		t.Fatal(err)
	}
	got := map[*tcase][]string{}
	for _, sc := range split(s.cases) {
		t.Run(sc.name, func(t *testing.T) {
			runScenario(t, s.path, sc.cases, rewrite, got)
		})
	}
	if !rewrite {
		return
	}
	text := s.rewrite(got)
	if text != string(data) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: rewritten", path)
	}
}

type scenarioCases struct {
	name  string
	cases []*tcase
}

// split cuts the cases into scenarios, each starting at a `reset`.
func split(cases []*tcase) []scenarioCases {
	var out []scenarioCases
	for _, c := range cases {
		if c.verb == "reset" || len(out) == 0 {
			name := fmt.Sprintf("L%d", c.line)
			if c.verb == "reset" {
				for _, kv := range c.args {
					if kv.key == "name" {
						name = kv.value
					}
				}
			}
			out = append(out, scenarioCases{name: name})
		}
		out[len(out)-1].cases = append(out[len(out)-1].cases, c)
	}
	return out
}

func runScenario(t *testing.T, file string, cases []*tcase, rewrite bool, got map[*tcase][]string) {
	r := newRunner()
	bugLine, brokenLine := 0, 0
	for _, c := range cases {
		skip, marked := "", false
		for _, kv := range c.args {
			if kv.key == "skip" {
				skip, marked = kv.value, true
			}
		}
		if marked && bugLine == 0 {
			bugLine = c.line
		}
		t.Run(fmt.Sprintf("L%d_%s", c.line, c.verb), func(t *testing.T) {
			if brokenLine != 0 {
				t.Skipf("%s:%d: skipped: the script failed at line %d", file, c.line, brokenLine)
			}
			out, err := r.exec(c)
			if err != nil {
				brokenLine = c.line
				t.Fatalf("%s:%d: %s: script error: %v", file, c.line, c.verb, err)
			}
			switch {
			case slices.Equal(c.expected, out):
				if marked {
					t.Logf("%s:%d: marked skip=%s but the engine now gives the expected output: remove the mark", file, c.line, skip)
				}
			case marked:
				t.Skipf("%s:%d: %s: skipped: known engine bug (skip=%s, reported in %s); the rest of the scenario is skipped too\nmismatch (-want +got):\n%s",
					file, c.line, c.verb, skip, BugFile, cmp.Diff(c.expected, out))
			case bugLine != 0:
				t.Skipf("%s:%d: %s: skipped: follows the known engine bug at line %d", file, c.line, c.verb, bugLine)
			case rewrite:
				got[c] = out
			default:
				t.Errorf("%s:%d: %s: mismatch (-want +got):\n%s", file, c.line, c.verb, cmp.Diff(c.expected, out))
			}
		})
	}
}
