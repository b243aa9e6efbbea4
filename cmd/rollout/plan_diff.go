package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rollout-go/rollout"
)

// The field diffs of a plan, from the groups' definitions: as `nomad job
// plan` prints them, a plain field as `+/- KillTimeout: "5s" => "10s"`, a
// block's fields inside `+/- Config { ... }`, lists by index (`args[0]`)
// and maps by key.

// sectionNames are the plan's names of the definitions' blocks.
var sectionNames = map[string]string{
	"config": "Config", "env": "Env", "meta": "Meta", "resources": "Resources", "restart": "RestartPolicy",
	"services": "Service", "templates": "Template", "artifacts": "Artifact", "networks": "Network",
}

// opaqueSections hold the user's own keys, shown as written.
var opaqueSections = map[string]bool{"config": true, "env": true, "meta": true}

// camelKeys writes each segment of the flattened keys in the plan's
// spelling: checks[0].interval is Checks[0].Interval.
func camelKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		parts := strings.Split(k, ".")
		for i, p := range parts {
			name, index, _ := strings.Cut(p, "[")
			parts[i] = camel(name)
			if index != "" {
				parts[i] += "[" + index
			}
		}
		out[strings.Join(parts, ".")] = v
	}
	return out
}

// camel writes a job-file name as the plan's: kill_timeout is KillTimeout.
func camel(name string) string {
	if s, ok := sectionNames[name]; ok {
		return s
	}
	parts := strings.Split(name, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// asTree is the JSON of a definition as generic values; nil for none.
func asTree(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// flat flattens a JSON value into dotted keys: maps by key, lists by index.
func flat(prefix string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flat(key, v[k], out)
		}
	case []any:
		for i, e := range v {
			flat(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	case string:
		out[prefix] = v
	case nil:
	default:
		out[prefix] = fmt.Sprint(v)
	}
}

// fieldLines are the changed keys of two flattened values, in key order
// (every key when verbose, unchanged ones unmarked).
func fieldLines(indent string, a, b map[string]string, verbose bool) []string {
	keys := slices.Sorted(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		o, hadO := a[k]
		n, hasN := b[k]
		switch {
		case !hadO:
			out = append(out, fmt.Sprintf("%s+ %s: %q", indent, k, n))
		case !hasN:
			out = append(out, fmt.Sprintf("%s- %s: %q", indent, k, o))
		case o != n:
			out = append(out, fmt.Sprintf("%s+/- %s: %q => %q", indent, k, o, n))
		case verbose:
			out = append(out, fmt.Sprintf("%s    %s: %q", indent, k, o))
		}
	}
	return out
}

// objectDiff lists what changed between two definition objects (a task, or
// a group without its tasks): plain fields first, then each block.
func objectDiff(indent string, a, b map[string]any, verbose bool) []string {
	keys := slices.Sorted(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var plain, blocks []string
	for _, k := range keys {
		if k == "name" || k == "tasks" {
			continue
		}
		av, bv := a[k], b[k]
		if isScalar(av) && isScalar(bv) {
			fa, fb := map[string]string{}, map[string]string{}
			flat(camel(k), av, fa)
			flat(camel(k), bv, fb)
			plain = append(plain, fieldLines(indent, fa, fb, verbose)...)
			continue
		}
		if k == "extra" {
			ea, _ := av.(map[string]any)
			eb, _ := bv.(map[string]any)
			blocks = append(blocks, objectDiff(indent, ea, eb, verbose)...)
			continue
		}
		la, lb := elements(av), elements(bv)
		for i := range max(len(la), len(lb)) {
			fa, fb := map[string]string{}, map[string]string{}
			if i < len(la) {
				flat("", la[i], fa)
			}
			if i < len(lb) {
				flat("", lb[i], fb)
			}
			if !opaqueSections[k] {
				fa, fb = camelKeys(fa), camelKeys(fb)
			}
			lines := fieldLines(indent+"  ", fa, fb, verbose)
			if len(lines) == 0 {
				continue
			}
			mark := "+/-"
			switch {
			case i >= len(la):
				mark = "+"
			case i >= len(lb):
				mark = "-"
			}
			blocks = append(blocks, fmt.Sprintf("%s%s %s {", indent, mark, camel(k)))
			blocks = append(blocks, lines...)
			blocks = append(blocks, indent+"    }")
		}
	}
	return append(plain, blocks...)
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// elements are a block's values: the objects of a list, or the one object.
func elements(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	}
	return []any{v}
}

// tasksOf returns a definition's tasks by name, and their names in order.
func tasksOf(d *rollout.GroupDefinition) (map[string]map[string]any, []string) {
	out := map[string]map[string]any{}
	var names []string
	if d == nil {
		return out, nil
	}
	for i := range d.Tasks {
		out[d.Tasks[i].Name] = asTree(d.Tasks[i])
		names = append(names, d.Tasks[i].Name)
	}
	return out, names
}

// updateLines lists a group's resolved update strategy when it changes:
// the changed fields (every field when verbose), as Nomad's API holds them
// (durations in nanoseconds).
func updateLines(from, to *rollout.JobVersion, group string, verbose bool) []string {
	a, okA := from.Strategy(group)
	b, okB := to.Strategy(group)
	if okA == okB && a == b {
		return nil
	}
	fields := func(s rollout.UpdateStrategy) []string {
		return []string{
			strconv.FormatBool(s.AutoPromote), strconv.FormatBool(s.AutoRevert), strconv.Itoa(s.Canary),
			string(s.HealthCheck), strconv.FormatInt(int64(s.HealthyDeadline), 10), strconv.Itoa(s.MaxParallel),
			strconv.FormatInt(int64(s.MinHealthyTime), 10), strconv.FormatInt(int64(s.ProgressDeadline), 10),
		}
	}
	names := []string{"AutoPromote", "AutoRevert", "Canary", "HealthCheck", "HealthyDeadline", "MaxParallel", "MinHealthyTime", "ProgressDeadline"}
	fa, fb := fields(a), fields(b)
	out := []string{"  +/- Update {"}
	for i, n := range names {
		label := fmt.Sprintf("%-17s", n+":")
		switch {
		case fa[i] != fb[i]:
			out = append(out, fmt.Sprintf("    +/- %s %q => %q", label, fa[i], fb[i]))
		case verbose:
			out = append(out, fmt.Sprintf("        %s %q", label, fa[i]))
		}
	}
	return append(out, "      }")
}
