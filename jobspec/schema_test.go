package jobspec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout/jobspec"
)

// TestUnsupportedNames: a name Nomad's job specification does not accept
// in a job, group, task, reschedule, restart or migrate block fails the
// load at its position, as Nomad fails it, instead of being ignored.
func TestUnsupportedNames(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a misspelt group block", "job \"ex\" {\n  grup \"web\" {\n  }\n}\n",
			`u.nomad:2:3: unsupported block "grup" in a job block`},
		{"a misspelt count", "job \"ex\" {\n  group \"web\" {\n    cont = 3\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			`u.nomad:3:5: unsupported argument "cont" in a group block`},
		{"a misspelt driver", "job \"ex\" {\n  group \"web\" {\n    task \"t\" {\n      drver = \"docker\"\n    }\n  }\n}\n",
			`u.nomad:4:7: unsupported argument "drver" in a task block`},
		{"a misspelt reschedule argument", "job \"ex\" {\n  reschedule {\n    atempts = 3\n  }\n  group \"web\" {\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			`u.nomad:3:5: unsupported argument "atempts" in a reschedule block`},
		{"a misspelt restart argument", "job \"ex\" {\n  group \"web\" {\n    restart {\n      mod = \"fail\"\n    }\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			`u.nomad:4:7: unsupported argument "mod" in a restart block`},
		{"a dynamic block of a misspelt type", "job \"ex\" {\n  group \"web\" {\n    dynamic \"tsk\" {\n      for_each = [\"a\"]\n      labels   = [tsk.value]\n      content {\n        driver = \"docker\"\n      }\n    }\n  }\n}\n",
			`unsupported block "tsk" in a group block`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobspec.Load("u.nomad", []byte(tc.src), nil)
			var me *multierror.Error
			if !errors.As(err, &me) || len(me.Errors) != 1 {
				t.Fatalf("Load = %v, want one error", err)
			}
			var je *jobspec.Error
			if !errors.As(me.Errors[0], &je) || !strings.Contains(je.Error(), tc.want) {
				t.Errorf("error %q, want it to hold %q", me.Errors[0], tc.want)
			}
		})
	}
}

// TestSupportedNames: what Nomad accepts loads, whether the loader reads
// it or not: meta as a block or an attribute, a task outside any group,
// arguments and blocks rollout ignores.
func TestSupportedNames(t *testing.T) {
	src := `job "ex" {
  region      = "global"
  namespace   = "default"
  priority    = 60
  all_at_once = false
  node_pool   = "default"
  meta = {
    team = "a"
  }
  ui {
    description = "x"
  }
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  group "web" {
    count                      = 2
    shutdown_delay             = "5s"
    prevent_reschedule_on_lost = false
    meta {
      tier = "front"
    }
    disconnect {
      lost_after = "1h"
    }
    scaling {
      min     = 1
      max     = 4
      enabled = true
      policy {
        cooldown = "1m"
      }
    }
    migrate {
      max_parallel = 2
    }
    restart {
      attempts = 3
      mode     = "delay"
    }
    ephemeral_disk {
      size = 300
    }
    reschedule {
      delay          = "30s"
      delay_function = "exponential"
      max_delay      = "1h"
      unlimited      = true
    }
    task "server" {
      driver       = "docker"
      kill_timeout = "10s"
      kill_signal  = "SIGTERM"
      leader       = true
      env = {
        PORT = "8080"
      }
      identity {
        env = true
      }
      logs {
        max_files = 3
      }
    }
  }
  task "standalone" {
    driver = "exec"
  }
}
`
	j, err := jobspec.Load("ok.nomad", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(j.Groups) != 2 {
		t.Errorf("groups %d, want 2 (a task outside any group is a group of its own)", len(j.Groups))
	}
}
