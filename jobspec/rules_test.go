package jobspec_test

import (
	"strings"
	"testing"

	"github.com/rollout-go/rollout/jobspec"
)

// base is a job using every field the rules name; each rule edits one.
const base = `
job "rules" {
  datacenters = ["dc1"]
  priority    = 50
  meta { owner = "a" }
  update { max_parallel = 1 }
  group "g" {
    count = 2
    meta { tier = "a" }
    update { canary = 0 }
    restart {
      attempts         = 2
      render_templates = false
    }
    vault { policies = ["g"] }
    reschedule { delay = "30s" }
    migrate { max_parallel = 1 }
    constraint {
      attribute = "${attr.kernel.name}"
      value     = "linux"
    }
    ephemeral_disk { size = 300 }
    network {
      port "http" { to = 80 }
    }
    volume "data" {
      type   = "host"
      source = "data"
    }
    affinity {
      attribute = "${node.datacenter}"
      value     = "dc1"
    }
    spread { attribute = "${node.datacenter}" }
    service {
      name = "mesh"
      port = "9001"
      tags = ["m"]
      connect {
        sidecar_service {
          tags = ["s"]
          proxy {
            upstreams {
              destination_name = "db"
              local_bind_port  = 5432
            }
          }
        }
      }
    }
    service {
      name = "svc"
      tags = ["a"]
      check {
        type     = "http"
        path     = "/"
        interval = "10s"
        timeout  = "2s"
      }
    }
    task "t" {
      driver = "docker"
      user   = "nobody"
      config { image = "img:1" }
      env { A = "1" }
      meta { m = "1" }
      resources {
        cpu    = 100
        memory = 64
        disk   = 150
      }
      artifact { source = "https://example.com/a.tgz" }
      template {
        data        = "x"
        destination = "local/x"
      }
      vault { policies = ["p"] }
      identity {}
      logs {
        max_files = 10
        disabled  = false
      }
      lifecycle { hook = "prestart" }
      volume_mount {
        volume      = "data"
        destination = "/data"
      }
      dispatch_payload { file = "in" }
      kind           = "connect-proxy:x"
      kill_timeout   = "5s"
      kill_signal    = "SIGTERM"
      shutdown_delay = "1s"
      leader         = false
      service {
        name = "tsvc"
        port = "http"
      }
      restart { attempts = 3 }
      constraint {
        attribute = "${attr.os.name}"
        value     = "ubuntu"
      }
    }
  }
}
`

// TestDestructiveAndInPlaceFields edits one field at a time and checks the
// group's Spec changes exactly when Nomad replaces the allocations.
func TestDestructiveAndInPlaceFields(t *testing.T) {
	rules := []struct {
		field, old, new string
		destructive     bool
	}{
		// Destructive: the allocations are replaced.
		{"task driver", `driver = "docker"`, `driver = "podman"`, true},
		{"task user", `user   = "nobody"`, `user   = "root"`, true},
		{"task config", `image = "img:1"`, `image = "img:2"`, true},
		{"task env", `A = "1"`, `A = "2"`, true},
		{"task meta", `m = "1"`, `m = "2"`, true},
		{"task resources cpu", `cpu    = 100`, `cpu    = 200`, true},
		{"task resources memory", `memory = 64`, `memory = 128`, true},
		{"task artifact", `a.tgz`, `b.tgz`, true},
		{"task template", `data        = "x"`, `data        = "y"`, true},
		{"task vault", `policies = ["p"]`, `policies = ["q"]`, true},
		{"task logs disabled", `disabled  = false`, `disabled  = true`, true},
		{"task volume_mount", `destination = "/data"`, `destination = "/d"`, true},
		{"task added", `task "t" {`, "task \"u\" {\n driver = \"exec\"\n }\n task \"t\" {", true},
		{"task renamed", `task "t" {`, `task "t2" {`, true},
		{"job meta", `owner = "a"`, `owner = "b"`, true},
		{"group meta", `tier = "a"`, `tier = "b"`, true},
		{"group ephemeral_disk", `size = 300`, `size = 500`, true},
		{"group network", `to = 80`, `to = 8080`, true},
		{"group volume", `source = "data"`, `source = "data2"`, true},
		{"group restart render_templates", `render_templates = false`, `render_templates = true`, true},
		{"connect service port", `port = "9001"`, `port = "9002"`, true},
		{"connect service name (its sidecar task's)", `name = "mesh"`, `name = "mesh2"`, true},
		{"group vault (given to the tasks)", `policies = ["g"]`, `policies = ["h"]`, true},
		{"connect sidecar_service removed", `sidecar_service {`, `sidecar_task { driver = "docker" }
        sidecar_service {`, true},

		// In place: the allocations are kept and updated.
		{"group count", `count = 2`, `count = 5`, false},
		{"job update", `update { max_parallel = 1 }`, `update { max_parallel = 3 }`, false},
		{"group update", `update { canary = 0 }`, `update { canary = 1 }`, false},
		{"group restart", `attempts         = 2`, `attempts         = 5`, false},
		{"group reschedule", `delay = "30s"`, `delay = "1m"`, false},
		{"group migrate", `migrate { max_parallel = 1 }`, `migrate { max_parallel = 2 }`, false},
		{"group constraint", `value     = "linux"`, `value     = "darwin"`, false},
		{"job priority", `priority    = 50`, `priority    = 70`, false},
		{"job datacenters", `datacenters = ["dc1"]`, `datacenters = ["dc1", "dc2"]`, false},
		{"group service tags", `tags = ["a"]`, `tags = ["b"]`, false},
		{"group service check", `interval = "10s"`, `interval = "20s"`, false},
		{"task service", `name = "tsvc"`, `name = "tsvc2"`, false},
		{"task kill_timeout", `kill_timeout   = "5s"`, `kill_timeout   = "9s"`, false},
		{"task kill_signal", `kill_signal    = "SIGTERM"`, `kill_signal    = "SIGINT"`, false},
		{"task shutdown_delay", `shutdown_delay = "1s"`, `shutdown_delay = "2s"`, false},
		{"task leader", `leader         = false`, `leader         = true`, false},
		{"task restart", `restart { attempts = 3 }`, `restart { attempts = 4 }`, false},
		{"task constraint", `value     = "ubuntu"`, `value     = "debian"`, false},
		// Nomad 1.10 and later.
		{"group affinity", `value     = "dc1"`, `value     = "dc2"`, false},
		{"group spread", `spread { attribute = "${node.datacenter}" }`, `spread { attribute = "${node.rack}" }`, false},
		{"task lifecycle", `hook = "prestart"`, `hook = "poststart"`, false},
		{"task logs max_files", `max_files = 10`, `max_files = 5`, false},
		{"task resources disk", `disk   = 150`, `disk   = 300`, false},
		{"task dispatch_payload", `file = "in"`, `file = "input"`, false},
		{"task empty identity (the default)", "      identity {}\n", "", false},
		{"task kind", `kind           = "connect-proxy:x"`, `kind           = "connect-proxy:y"`, false},
		{"connect service tags", `tags = ["m"]`, `tags = ["n"]`, false},
		{"connect sidecar tags", `tags = ["s"]`, `tags = ["t"]`, false},
		{"connect upstream", `destination_name = "db"`, `destination_name = "cache"`, false},
		{"connect upstream port", `local_bind_port  = 5432`, `local_bind_port  = 6432`, false},
	}
	before := load(t, base)
	for _, r := range rules {
		t.Run(r.field, func(t *testing.T) {
			if strings.Count(base, r.old) != 1 {
				t.Fatalf("the base job must contain %q exactly once", r.old)
			}
			after := load(t, strings.Replace(base, r.old, r.new, 1))
			changed := before.Version.Groups[0].Spec != after.Version.Groups[0].Spec
			if changed != r.destructive {
				t.Errorf("%s: Spec changed = %v, want %v (destructive = %v)", r.field, changed, r.destructive, r.destructive)
			}
		})
	}
}

func load(t *testing.T, src string) *jobspec.Job {
	t.Helper()
	j, err := jobspec.Load("rules.nomad", []byte(src), nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return j
}
