package rollout_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rollout-go/rollout"
)

// webDefinition is a group definition with every kind of field.
func webDefinition() *rollout.GroupDefinition {
	return &rollout.GroupDefinition{
		Tasks: []rollout.TaskDefinition{{
			Name: "server", Driver: "exec", User: "nobody",
			Config:    map[string]any{"command": "/bin/http", "args": []any{"-version", "v1"}, "port": float64(8080), "mount": []any{map[string]any{"type": "bind"}}},
			Env:       map[string]string{"MODE": "prod"},
			Resources: &rollout.Resources{CPU: 100, MemoryMB: 64},
			Artifacts: []rollout.Artifact{{Source: "https://example.com/app.tgz", Options: map[string]string{"checksum": "sha256:00"}}},
			Templates: []rollout.Template{{Data: "x={{ key \"x\" }}", Destination: "local/x.env", Env: true}},
			Services: []rollout.Service{{Name: "web", PortLabel: "http", Tags: []string{"v1"}, Checks: []rollout.ServiceCheck{{
				Type: rollout.CheckHTTP, Path: "/health", PortLabel: "http", Method: "GET",
				Headers:  map[string][]string{"X-Probe": {"1"}},
				Interval: 10 * time.Second, Timeout: 2 * time.Second,
				CheckRestart: &rollout.CheckRestart{Limit: 3, Grace: time.Second}, OnUpdate: "require_healthy",
				SuccessBeforePassing: 2, FailuresBeforeCritical: 3,
			}}}},
			Restart:     &rollout.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			KillTimeout: 5 * time.Second,
			Extra:       map[string]any{"lifecycle": []any{map[string]any{"hook": "prestart"}}},
		}},
		Networks:      []rollout.Network{{Mode: "bridge", Ports: []rollout.Port{{Label: "http", To: 8080}}}},
		ShutdownDelay: 3 * time.Second,
		Meta:          map[string]string{"team": "a"},
	}
}

func TestGroupDefinitionJSONRoundTrip(t *testing.T) {
	d := webDefinition()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"interval":"10s"`, `"args":["-version","v1"]`, `"port":8080`, `"kill_timeout":"5s"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("encoding %s lacks %s", raw, want)
		}
	}
	var back rollout.GroupDefinition
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !d.Equal(&back) {
		t.Error("Equal is false after a round trip")
	}
}

func TestGroupDefinitionAPISpelling(t *testing.T) {
	var d rollout.GroupDefinition
	err := json.Unmarshal([]byte(`{"Tasks":[{"Name":"a","Driver":"docker","KillTimeout":5000000000,"Config":{"image":"redis"}}]}`), &d)
	if err != nil {
		t.Fatal(err)
	}
	if d.Tasks[0].KillTimeout != 5*time.Second || d.Tasks[0].Config["image"] != "redis" {
		t.Errorf("got %+v", d.Tasks[0])
	}
}

func TestGroupDefinitionStrict(t *testing.T) {
	for _, tc := range []struct{ name, doc, field string }{
		{"unknown key", `{"tasks":[{"name":"a","drivr":"exec"}]}`, "tasks[0].drivr"},
		{"wrong type", `{"tasks":[{"name":"a","config":"[1]"}]}`, "tasks[0].config"},
		{"bad duration", `{"shutdown_delay":"soon"}`, "shutdown_delay"},
		{"check field", `{"services":[{"checks":[{"type":"http","intervl":"1s"}]}]}`, "services[0].checks[0].intervl"},
		{"header values", `{"services":[{"checks":[{"header":{"X":"1"}}]}]}`, "services[0].checks[0].header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d rollout.GroupDefinition
			err := json.Unmarshal([]byte(tc.doc), &d)
			var fe *rollout.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, tc.field) || !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("error %v, want a FieldError naming %s", err, tc.field)
			}
		})
	}
}

func TestJobVersionCarriesDefinition(t *testing.T) {
	j := rollout.JobVersion{ID: "web", Definition: &rollout.JobDefinition{Datacenters: []string{"dc1"}},
		Groups: []rollout.Group{{Name: "web", Count: 2, Tasks: []string{"server"}, Definition: webDefinition()}}}
	raw, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var back rollout.JobVersion
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Same(&j) {
		t.Errorf("version read back differs: %s", raw)
	}
	c := j.Clone()
	c.Groups[0].Definition.Tasks[0].Config["args"].([]any)[1] = "v2"
	if j.Groups[0].Definition.Tasks[0].Config["args"].([]any)[1] != "v1" {
		t.Error("Clone shares the task config")
	}
	if c.Same(&j) || !c.SameSpec(&j) {
		t.Error("a config change is a definition change with the same spec")
	}
}

func TestSubmitDefinitionChange(t *testing.T) {
	now := time.Unix(0, 0)
	base := rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "web", Count: 2, Spec: "s1", Definition: webDefinition()}}}
	tagged := base.Clone()
	tagged.Groups[0].Definition.Tasks[0].Services[0].Tags = []string{"v2"}
	dcs := base.Clone()
	dcs.Definition = &rollout.JobDefinition{Datacenters: []string{"dc2"}}
	for _, tc := range []struct {
		name string
		next rollout.JobVersion
		want bool
	}{
		{"identical", base.Clone(), false},
		{"tag change", tagged, true},
		{"datacenters", dcs, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h rollout.History
			h.Submit(base, now)
			v, created := h.Submit(tc.next, now)
			if created != tc.want {
				t.Fatalf("created = %v, want %v", created, tc.want)
			}
			if created && (v.Version != 1 || !v.Same(&tc.next)) {
				t.Errorf("version %d does not hold the submitted definition", v.Version)
			}
		})
	}
}

func TestValidateDefinition(t *testing.T) {
	d := webDefinition()
	d.Tasks[0].Services[0].Checks[0].Type = "icmp"
	d.Tasks = append(d.Tasks, rollout.TaskDefinition{Name: "server"})
	j := rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "web", Count: 1, Definition: d}}}
	err := j.Validate()
	for _, want := range []string{"groups[0].definition.tasks[0].services[0].checks[0].type", "groups[0].definition.tasks[1].name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want a problem at %s", err, want)
		}
	}
	if err := (&rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "web", Definition: webDefinition()}}}).Validate(); err != nil {
		t.Errorf("Validate of a good definition: %v", err)
	}
}

func FuzzGroupDefinitionJSON(f *testing.F) {
	raw, _ := json.Marshal(webDefinition())
	f.Add(raw)
	f.Add([]byte(`{"Tasks":[{"Name":"a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d rollout.GroupDefinition
		if json.Unmarshal(data, &d) != nil {
			return
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("decoded definition does not encode: %v", err)
		}
		var back rollout.GroupDefinition
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("re-read %s: %v", again, err)
		}
		if !d.Equal(&back) {
			t.Fatalf("round trip changed %s", again)
		}
	})
}
