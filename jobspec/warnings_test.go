package jobspec_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// TestWarnings: Warnings names the settings Nomad warns of, at their
// declarations, and nothing for a job without them; the job stays valid.
func TestWarnings(t *testing.T) {
	type warning struct{ pos, field string }
	for _, tc := range []struct {
		name, src string
		want      []warning
	}{
		{
			name: "max_parallel above the count",
			src: `job "ex" {
  group "web" {
    count = 3
    update {
      max_parallel = 4
    }
    task "t" { driver = "docker" }
  }
}
`,
			want: []warning{{"4:5", `group "web" update.max_parallel`}},
		},
		{
			name: "max_parallel above a count of 1, or equal to the count: no warning",
			src: `job "ex" {
  update {
    max_parallel = 3
  }
  group "one" {
    task "t" { driver = "docker" }
  }
  group "three" {
    count = 3
    task "t" { driver = "docker" }
  }
}
`,
		},
		{
			name: "auto_promote in one group with canaries of two",
			src: `job "ex" {
  update {
    max_parallel = 1
    canary       = 1
  }
  group "web" {
    count = 2
    update {
      auto_promote = true
    }
    task "t" { driver = "docker" }
  }
  group "api" {
    count = 2
    task "t" { driver = "docker" }
  }
  group "batch" {
    count = 2
    update {
      canary = 0
    }
    task "t" { driver = "docker" }
  }
}
`,
			want: []warning{{"13:3", `group "api" update.auto_promote`}},
		},
		{
			name: "a system job's max_parallel is not held to its count",
			src: `job "agent" {
  type = "system"
  group "agent" {
    update {
      max_parallel = 5
    }
    task "t" { driver = "docker" }
  }
}
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := jobspec.Load("w.nomad", []byte(tc.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			var got []warning
			if err := j.Warnings(); err != nil {
				var me *multierror.Error
				if !errors.As(err, &me) {
					t.Fatalf("Warnings = %v, want a *multierror.Error", err)
				}
				for _, e := range me.Errors {
					var je *jobspec.Error
					var fe *rollout.FieldError
					if !errors.As(e, &je) || !errors.As(e, &fe) {
						t.Fatalf("%v: want a *jobspec.Error wrapping a *rollout.FieldError", e)
					}
					got = append(got, warning{je.Pos.String()[len("w.nomad:"):], fe.Field})
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}
