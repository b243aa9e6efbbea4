package main

import (
	"slices"
	"testing"
)

// TestPlanDiffLines: how the plan writes a block's changes, as nomad job
// plan does.
func TestPlanDiffLines(t *testing.T) {
	tests := []struct {
		name    string
		a, b    map[string]any
		verbose bool
		want    []string
		reason  string
	}{
		{"set", map[string]any{"tags": []any{"a", "b"}}, map[string]any{"tags": []any{"b", "c"}}, false, []string{
			"+/- Tags {",
			"  - Tags: \"a\"",
			"  + Tags: \"c\"",
			"    }",
		}, "a set shows the values added and removed, not the indexes that moved"},
		{"set reordered", map[string]any{"tags": []any{"a", "b"}}, map[string]any{"tags": []any{"b", "a"}}, false, nil,
			"the same values in another order are the same set"},
		{"list by index", map[string]any{"config": map[string]any{"args": []any{"x", "1"}}}, map[string]any{"config": map[string]any{"args": []any{"x", "2"}}}, false, []string{
			"+/- Config {",
			"  +/- args[1]: \"1\" => \"2\"",
			"    }",
		}, "a list that is not a set is diffed by index"},
		{"map by key, aligned", map[string]any{"meta": map[string]any{"a": "1", "long": "2"}}, map[string]any{"meta": map[string]any{"a": "9", "long": "2"}}, false, []string{
			"+/- Meta[a]:    \"1\" => \"9\"",
		}, "a map is one field per key, aligned over every field of the block, shown or not"},
		{"verbose", map[string]any{"driver": "docker", "user": "a"}, map[string]any{"driver": "docker", "user": "b"}, true, []string{
			"    Driver: \"docker\"",
			"+/- User:   \"a\" => \"b\"",
		}, "-verbose shows the unchanged fields too"},
		{"added block", nil, map[string]any{"restart": map[string]any{"attempts": float64(2)}}, false, []string{
			"+ RestartPolicy {",
			"  + Attempts: \"2\"",
			"  }",
		}, "an added block's fields are all added, and its brace closes under its marker"},
		{"extra", map[string]any{"extra": map[string]any{"kill_signal": "SIGINT"}}, map[string]any{"extra": map[string]any{"kill_signal": "SIGTERM"}}, false, []string{
			"+/- KillSignal: \"SIGINT\" => \"SIGTERM\"",
		}, "the job file's other fields are shown beside the known ones"},
	}
	for _, tt := range tests {
		got := buildObject("x", tt.a, tt.b).lines("", tt.verbose)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got\n%q\nwant\n%q\n(%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}
