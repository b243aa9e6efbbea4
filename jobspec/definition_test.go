package jobspec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

const definitionHCL = `
job "web" {
  datacenters = ["dc1"]
  priority    = 70
  group "web" {
    count = 2
    shutdown_delay = "3s"
    network {
      port "http" { to = 8080 }
    }
    constraint {
      attribute = "${attr.kernel.name}"
      value     = "linux"
    }
    service {
      name = "web"
      port = "http"
      tags = ["TAG"]
      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        method   = "GET"
        interval = "10s"
        timeout  = "2s"
        on_update = "require_healthy"
        success_before_passing   = 2
        failures_before_critical = 3
        header {
          X-Probe = ["1"]
        }
        check_restart {
          limit = 3
          grace = "5s"
        }
      }
    }
    task "server" {
      driver = "exec"
      config {
        command = "/bin/http"
        args    = ["-version", "v1", "-port", "${NOMAD_PORT_http}"]
        workers = 4
      }
      env {
        MODE = "prod"
      }
      resources {
        cpu    = 100
        memory = 64
      }
      template {
        data        = "x=1"
        destination = "local/x.env"
        env         = true
      }
      artifact {
        source = "https://example.com/app.tgz"
      }
      restart {
        attempts = 2
        delay    = "15s"
      }
      kill_timeout = "5s"
      lifecycle {
        hook = "prestart"
      }
    }
  }
}
`

func loadDefinition(t *testing.T, src string) *jobspec.Job {
	t.Helper()
	j, err := jobspec.Load("web.nomad", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestDefinitionFromHCL(t *testing.T) {
	j := loadDefinition(t, strings.ReplaceAll(definitionHCL, "TAG", "v1"))
	d := j.Version.Groups[0].Definition
	want := &rollout.GroupDefinition{
		Tasks: []rollout.TaskDefinition{{
			Name: "server", Driver: "exec",
			Config:      map[string]any{"command": "/bin/http", "args": []any{"-version", "v1", "-port", "${NOMAD_PORT_http}"}, "workers": float64(4)},
			Env:         map[string]string{"MODE": "prod"},
			Resources:   &rollout.Resources{CPU: 100, MemoryMB: 64},
			Templates:   []rollout.Template{{Data: "x=1", Destination: "local/x.env", Env: true}},
			Artifacts:   []rollout.Artifact{{Source: "https://example.com/app.tgz"}},
			Restart:     &rollout.RestartPolicy{Attempts: 2, Delay: 15 * time.Second},
			KillTimeout: 5 * time.Second,
			Extra:       map[string]any{"lifecycle": []any{map[string]any{"hook": "prestart"}}},
		}},
		Services: []rollout.Service{{Name: "web", PortLabel: "http", Tags: []string{"v1"}, Checks: []rollout.ServiceCheck{{
			Name: "alive", Type: "http", Path: "/health", Method: "GET", Interval: 10 * time.Second, Timeout: 2 * time.Second,
			OnUpdate: "require_healthy", SuccessBeforePassing: 2, FailuresBeforeCritical: 3,
			Headers:      map[string][]string{"X-Probe": {"1"}},
			CheckRestart: &rollout.CheckRestart{Limit: 3, Grace: 5 * time.Second},
		}}}},
		Networks:      []rollout.Network{{Ports: []rollout.Port{{Label: "http", To: 8080}}}},
		ShutdownDelay: 3 * time.Second,
		Extra:         map[string]any{"constraint": []any{map[string]any{"attribute": "${attr.kernel.name}", "value": "linux"}}},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("definition (-want +got):\n%s", diff)
	}
	jd := j.Version.Definition
	if jd == nil || jd.Type != "service" || jd.Priority != 70 || len(jd.Datacenters) != 1 {
		t.Errorf("job definition %+v", jd)
	}
	if err := j.Version.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestDefinitionChangesInPlace: a tag change keeps the Spec and changes
// the definition, so that History.Submit makes a version that Step updates
// in place; the same file twice is the same version.
func TestDefinitionChangesInPlace(t *testing.T) {
	v1 := loadDefinition(t, strings.ReplaceAll(definitionHCL, "TAG", "v1")).Version
	again := loadDefinition(t, strings.ReplaceAll(definitionHCL, "TAG", "v1")).Version
	v2 := loadDefinition(t, strings.ReplaceAll(definitionHCL, "TAG", "v2")).Version
	if !v1.Same(&again) {
		t.Error("the same file loads as another version")
	}
	if !v1.SameSpec(&v2) || v1.Groups[0].Spec != v2.Groups[0].Spec {
		t.Error("a tag change changed the Spec (it is an in-place change)")
	}
	if v1.Same(&v2) {
		t.Error("a tag change left the definition the same")
	}
}

func TestDefinitionFromAPIJSON(t *testing.T) {
	j, err := jobspec.LoadFile("testdata/inspect.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := j.Version.Groups[0].Definition
	task, ok := d.Task(j.Version.Groups[0].Tasks[0])
	if !ok || task.Driver == "" || task.Config["image"] != "geo-api-server:0.2" {
		t.Errorf("task definition %+v", task)
	}
	src := `{"ID":"web","TaskGroups":[{"Name":"web","Count":1,"Tasks":[{"Name":"t","Driver":"exec",
	 "Config":{"command":"/bin/x","args":["a",1]},"KillTimeout":5000000000,
	 "Services":[{"Name":"web","PortLabel":"http","Tags":["v1"],"Checks":[{"Type":"http","Path":"/h","Interval":10000000000,"CheckRestart":{"Limit":2}}]}],
	 "Resources":{"CPU":100,"MemoryMB":64}}]}]}`
	j, err = jobspec.Load("web.json", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := j.Version.Groups[0].Definition.Tasks[0]
	want := rollout.TaskDefinition{Name: "t", Driver: "exec", Config: map[string]any{"command": "/bin/x", "args": []any{"a", float64(1)}},
		KillTimeout: 0 /* 5s is Nomad's default, what the API prints for an unset kill_timeout */, Resources: &rollout.Resources{CPU: 100, MemoryMB: 64},
		Services: []rollout.Service{{Name: "web", PortLabel: "http", Tags: []string{"v1"}, Checks: []rollout.ServiceCheck{
			{Type: "http", Path: "/h", Interval: 10 * time.Second, CheckRestart: &rollout.CheckRestart{Limit: 2}}}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task definition from the API's JSON (-want +got):\n%s", diff)
	}
}

func TestDefinitionWrongTypes(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"kill_timeout", "job \"w\" {\ngroup \"g\" {\ntask \"t\" {\ndriver = \"exec\"\nkill_timeout = \"soon\"\n}\n}\n}\n", `kill_timeout must be a duration`},
		{"tags", "job \"w\" {\ngroup \"g\" {\nservice {\ntags = \"a\"\n}\n}\n}\n", `tags must be a list of strings, not a string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobspec.Load("w.nomad", []byte(tc.src), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestUndeclaredVarRefused(t *testing.T) {
	src := "variable \"image\" {\n  default = \"a\"\n}\njob \"w\" {\ngroup \"g\" {\ntask \"t\" {\ndriver = \"exec\"\n}\n}\n}\n"
	if _, err := jobspec.Load("w.nomad", []byte(src), &jobspec.Options{Vars: map[string]string{"image": "b"}}); err != nil {
		t.Fatalf("a declared -var: %v", err)
	}
	_, err := jobspec.Load("w.nomad", []byte(src), &jobspec.Options{Vars: map[string]string{"nosuch": "1"}})
	if err == nil || !strings.Contains(err.Error(), `declares no variable "nosuch"`) {
		t.Errorf("an undeclared -var: %v, want it refused by name", err)
	}
}
