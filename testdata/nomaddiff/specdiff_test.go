package nomaddiff

// TestSpecDiff checks jobspec's fingerprint against Nomad's own test of a
// destructive change: it takes job files, changes one argument's value at
// a time (a string gets a letter more, a number one more, a boolean
// flips), loads both versions with rollout's jobspec and with Nomad's
// parser, and compares "the group's Spec changed" with what Nomad's
// scheduler answers for the group (tasksUpdated, through the export file
// zz_specdiff_export.go.txt), after the server's admission hook that adds
// Connect sidecar and gateway tasks (zz_specdiff_nomad_export.go.txt). It lists the disagreements by the block path
// and argument changed. See README.md.

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/command/agent"
	"github.com/hashicorp/nomad/jobspec2"
	"github.com/hashicorp/nomad/nomad"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/scheduler"
	"github.com/rollout-go/rollout/jobspec"
)

var (
	specFiles = flag.String("spec-files", "", "a directory of job files (.nomad, .hcl) for TestSpecDiff")
	specMuts  = flag.Int("spec-mutations", 20, "changed arguments tried per file")
	specShow  = flag.Int("spec-show", 2, "examples shown per disagreement")
	specJSON  = flag.Bool("spec-json", false, "give rollout the job as the API's JSON (from Nomad's parser) instead of the file")
	specDrop  = flag.Bool("spec-drop", false, "remove whole blocks (below a group) instead of changing arguments")
	specAdd   = flag.Bool("spec-add", false, "add a block to a group or task instead of changing arguments")
)

// argLine is an argument assignment on one line: indentation, name, value.
var argLine = regexp.MustCompile(`^(\s*)([a-z_][a-z0-9_]*)(\s*=\s*)(.+?)\s*$`)

// blockLine opens a block: its type, and its labels if any.
var blockLine = regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)((?:\s+"[^"]*")*)\s*\{\s*$`)

// mutable lists the lines of src holding a literal argument value that
// can be changed, each with the path of blocks it sits in.
func mutable(src string) (lines []int, paths []string) {
	var stack []string
	heredoc := ""
	for i, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if heredoc != "" {
			if t == heredoc {
				heredoc = ""
			}
			continue
		}
		if k := strings.Index(l, "<<"); k >= 0 {
			heredoc = strings.TrimLeft(strings.TrimSpace(l[k+2:]), "-")
			continue
		}
		if m := blockLine.FindStringSubmatch(l); m != nil {
			stack = append(stack, m[1])
			continue
		}
		if t == "}" || strings.HasPrefix(t, "}") && !strings.Contains(t, "{") {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "//") {
			continue
		}
		m := argLine.FindStringSubmatch(l)
		if m == nil || len(stack) == 0 || stack[0] != "job" {
			continue
		}
		if _, ok := change(m[4]); ok {
			lines = append(lines, i)
			paths = append(paths, strings.Join(stack[1:], ".")+"."+m[2])
		}
	}
	return lines, paths
}

// droppable lists the blocks below a group that can be removed whole,
// each as its first and last line, with its path.
func droppable(src string) (first, last []int, paths []string) {
	lines := strings.Split(src, "\n")
	var stack []string
	for i, l := range lines {
		m := blockLine.FindStringSubmatch(l)
		if m == nil {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "}") && len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		stack = append(stack, m[1])
		if len(stack) < 3 || stack[0] != "job" {
			continue
		}
		depth := 0
		for j := i; j < len(lines); j++ {
			depth += strings.Count(lines[j], "{") - strings.Count(lines[j], "}")
			if depth == 0 {
				first, last, paths = append(first, i), append(last, j), append(paths, strings.Join(stack[1:], ".")+" (removed)")
				break
			}
		}
	}
	return first, last, paths
}

// additions are the blocks -spec-add inserts, after the first line of a
// group or of a task.
var additions = map[string][]string{
	"group": {
		`affinity {
  attribute = "${node.class}"
  value     = "large"
}`,
		`spread {
  attribute = "${node.datacenter}"
}`,
		`vault {
  policies = ["extra"]
}`,
		`ephemeral_disk {
  size = 555
}`,
		`meta {
  added = "yes"
}`,
	},
	"task": {
		`logs {
  max_files = 3
}`,
		`logs {
  disabled = true
}`,
		`affinity {
  attribute = "${node.class}"
  value     = "large"
}`,
		`identity {
  env = true
}`,
		`template {
  data        = "added"
  destination = "local/added"
}`,
		`meta {
  added = "yes"
}`,
		`kill_signal = "SIGUSR2"`,
	},
}

// insertable lists the lines that open a group or a task, with the kind.
func insertable(src string) (lines []int, kinds []string) {
	var stack []string
	for i, l := range strings.Split(src, "\n") {
		m := blockLine.FindStringSubmatch(l)
		if m == nil {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "}") && len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		stack = append(stack, m[1])
		if len(stack) >= 2 && stack[0] == "job" && (m[1] == "group" || m[1] == "task") && strings.TrimSpace(m[2]) != "" {
			lines, kinds = append(lines, i), append(kinds, m[1])
		}
	}
	return lines, kinds
}

// change returns a changed literal value: a quoted string with a letter
// more, a number plus one, a boolean flipped.
func change(v string) (string, bool) {
	switch {
	case v == "true":
		return "false", true
	case v == "false":
		return "true", true
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !strings.Contains(v[1:len(v)-1], `"`) && !strings.Contains(v, "${"):
		inner := v[1 : len(v)-1]
		if strings.HasSuffix(inner, "s") || strings.HasSuffix(inner, "m") || strings.HasSuffix(inner, "h") {
			// A duration stays one: "30s" becomes "31s".
			if n, err := strconv.Atoi(strings.TrimRight(inner, "smh")); err == nil {
				return fmt.Sprintf(`"%d%s"`, n+1, inner[len(strings.TrimRight(inner, "smh")):]), true
			}
		}
		return `"` + inner + `z"`, true
	}
	if n, err := strconv.Atoi(v); err == nil {
		return strconv.Itoa(n + 1), true
	}
	return "", false
}

// parsedJob parses a job file with Nomad's parser, as nomad job run does,
// and returns it as the scheduler sees it and as the API's JSON.
func parsedJob(name string, src []byte) (*structs.Job, []byte, error) {
	aj, err := jobspec2.ParseWithConfig(&jobspec2.ParseConfig{Path: name, Body: src, Strict: true})
	if err != nil {
		return nil, nil, err
	}
	aj.Canonicalize()
	doc, err := json.Marshal(map[string]any{"Job": aj})
	if err != nil {
		return nil, nil, err
	}
	j := agent.ApiJobToStructJob(aj)
	j.Canonicalize()
	// As the server does at submission: add the tasks of Connect sidecars
	// and gateways, named after their services.
	if j, err = nomad.ConnectMutateForDiff(j); err != nil {
		return nil, nil, err
	}
	return j, doc, nil
}

// ours loads a job file, or with -spec-json its JSON, with rollout's jobspec.
func ours(name string, src, doc []byte) (*jobspec.Job, error) {
	if *specJSON {
		return jobspec.LoadJSON(name, doc, nil)
	}
	return jobspec.Load(name, src, nil)
}

func TestSpecDiff(t *testing.T) {
	if *specFiles == "" {
		t.Skip("no -spec-files")
	}
	files, _ := filepath.Glob(filepath.Join(*specFiles, "*"))
	sort.Strings(files)
	type example struct{ file, group, line, nomad string }
	disagree := map[string][]example{}
	agree, tried := 0, 0
	for fi, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		base, doc, err := parsedJob(f, src)
		if err != nil {
			continue
		}
		before, err := ours(f, src, doc)
		if err != nil {
			continue
		}
		lines, paths := mutable(string(src))
		var lasts []int
		var kinds []string
		switch {
		case *specDrop:
			lines, lasts, paths = droppable(string(src))
		case *specAdd:
			lines, kinds = insertable(string(src))
			paths = kinds
		}
		r := rand.New(rand.NewSource(int64(fi)))
		all := strings.Split(string(src), "\n")
		for range min(*specMuts, len(lines)) {
			k := r.Intn(len(lines))
			var changed []string
			what, label := "", paths[k]
			switch {
			case *specDrop:
				changed = append(append([]string(nil), all[:lines[k]]...), all[lasts[k]+1:]...)
				what = strings.TrimSpace(all[lines[k]]) + " ... removed"
			case *specAdd:
				choices := additions[kinds[k]]
				block := choices[r.Intn(len(choices))]
				changed = append(append(append([]string(nil), all[:lines[k]+1]...), block), all[lines[k]+1:]...)
				what = strings.TrimSpace(all[lines[k]]) + " + " + strings.SplitN(block, "\n", 2)[0]
				label = kinds[k] + " + " + strings.Fields(block)[0]
			default:
				m := argLine.FindStringSubmatch(all[lines[k]])
				v, _ := change(m[4])
				changed = slicesReplace(all, lines[k], m[1]+m[2]+m[3]+v)
				what = strings.TrimSpace(all[lines[k]]) + " => " + v
			}
			csrc := []byte(strings.Join(changed, "\n"))
			next, cdoc, err := parsedJob(f, csrc)
			if err != nil {
				continue
			}
			after, err := ours(f, csrc, cdoc)
			if err != nil {
				continue
			}
			tried++
			for i, g := range before.Version.Groups {
				if i >= len(after.Version.Groups) || base.LookupTaskGroup(g.Name) == nil || next.LookupTaskGroup(g.Name) == nil {
					continue
				}
				nomadSays, why := scheduler.TasksUpdatedForDiff(base, next, g.Name)
				weSay := g.Spec != after.Version.Groups[i].Spec
				if nomadSays == weSay {
					agree++
					continue
				}
				key := fmt.Sprintf("%s: nomad destructive=%v, rollout %v", label, nomadSays, weSay)
				disagree[key] = append(disagree[key], example{filepath.Base(f), g.Name, what, why})
			}
		}
	}
	t.Logf("%d changes tried, %d group verdicts agree, %d kinds of disagreement", tried, agree, len(disagree))
	var keys []string
	for k := range disagree {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(disagree[keys[i]]) > len(disagree[keys[j]]) })
	for _, k := range keys {
		t.Logf("%4d %s", len(disagree[k]), k)
		for _, e := range disagree[k][:min(*specShow, len(disagree[k]))] {
			t.Logf("       %s group %s: %s (nomad: %s)", e.file, e.group, e.line, e.nomad)
		}
	}
}

func slicesReplace(lines []string, i int, s string) []string {
	out := append([]string(nil), lines...)
	out[i] = s
	return out
}
