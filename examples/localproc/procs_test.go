package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestCommandFromDefinition: the process of a task is its config's command
// and args alone, ports interpolated; a config that cannot be run is
// refused by name.
func TestCommandFromDefinition(t *testing.T) {
	ports := map[string]int{"http": 4242}
	for _, tc := range []struct {
		name string
		task rollout.TaskDefinition
		args []string
		err  string
	}{
		{"args", rollout.TaskDefinition{Name: "app", Driver: "raw_exec", Config: map[string]any{"command": "/bin/app", "args": []any{"-port", "${NOMAD_PORT_http}"}}},
			[]string{"/bin/app", "-port", "4242"}, ""},
		{"no args", rollout.TaskDefinition{Name: "app", Driver: "raw_exec", Config: map[string]any{"command": "/bin/app"}}, []string{"/bin/app"}, ""},
		{"other driver", rollout.TaskDefinition{Name: "app", Driver: "docker"}, nil, `driver "docker"`},
		{"no command", rollout.TaskDefinition{Name: "app", Driver: "raw_exec"}, nil, "config.command"},
		{"args as text", rollout.TaskDefinition{Name: "app", Driver: "raw_exec", Config: map[string]any{"command": "/bin/app", "args": `["-v"]`}}, nil, "config.args must be a list"},
		{"number arg", rollout.TaskDefinition{Name: "app", Driver: "raw_exec", Config: map[string]any{"command": "/bin/app", "args": []any{float64(1)}}}, nil, "config.args[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := command(&tc.task, ports)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("command: %v, want an error naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cmd.Args, tc.args) {
				t.Errorf("args %q, want %q", cmd.Args, tc.args)
			}
		})
	}
}
