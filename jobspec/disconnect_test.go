package jobspec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// disconnectHCL is a service job whose group web holds body.
func disconnectHCL(jobType, body string) string {
	return fmt.Sprintf(`job "j" {
  type = %q
  group "web" {
%s
    task "t" {
      driver = "docker"
    }
  }
}
`, jobType, body)
}

// disconnectJSON is the API's JSON of a service job whose group web holds
// the fields of body.
func disconnectJSON(body string) string {
	if body != "" {
		body += ","
	}
	return `{"Job": {"ID": "j", "Type": "service", "TaskGroups": [{"Name": "web", "Count": 1, ` + body +
		` "Tasks": [{"Name": "t", "Driver": "docker"}]}]}}`
}

func TestDisconnectLoads(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name, hcl, json string
		want            *rollout.Disconnect
	}{
		{"none", ``, ``, nil},
		{"block",
			`    disconnect {
      lost_after = "1h"
      replace    = false
      reconcile  = "keep_original"
    }`,
			`"Disconnect": {"LostAfter": 3600000000000, "Replace": false, "Reconcile": "keep_original", "StopOnClientAfter": null}`,
			&rollout.Disconnect{LostAfter: time.Hour, Replace: &no, Reconcile: rollout.ReconcileKeepOriginal}},
		{"stop on client after",
			`    disconnect {
      stop_on_client_after = "10m"
      replace              = true
    }`,
			`"Disconnect": {"StopOnClientAfter": 600000000000, "Replace": true}`,
			&rollout.Disconnect{StopOnClientAfter: 10 * time.Minute, Replace: &yes}},
		{"max_client_disconnect alone",
			`    max_client_disconnect = "30m"`,
			`"MaxClientDisconnect": 1800000000000, "PreventRescheduleOnLost": false, "Disconnect": null`,
			&rollout.Disconnect{LostAfter: 30 * time.Minute}},
		{"prevent_reschedule_on_lost with max_client_disconnect",
			`    max_client_disconnect      = "30m"
    prevent_reschedule_on_lost = true`,
			`"MaxClientDisconnect": 1800000000000, "PreventRescheduleOnLost": true`,
			&rollout.Disconnect{LostAfter: 30 * time.Minute, Replace: &no}},
		{"stop_after_client_disconnect alone",
			`    stop_after_client_disconnect = "5m"`,
			`"StopAfterClientDisconnect": 300000000000`,
			&rollout.Disconnect{StopOnClientAfter: 5 * time.Minute}},
		{"older arguments fill the block",
			`    max_client_disconnect = "30m"
    disconnect {
      reconcile = "longest_running"
    }`,
			`"MaxClientDisconnect": 1800000000000, "Disconnect": {"Reconcile": "longest_running"}`,
			&rollout.Disconnect{LostAfter: 30 * time.Minute, Reconcile: rollout.ReconcileLongestRunning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range []struct{ file, text string }{
				{"j.nomad", disconnectHCL("service", tt.hcl)},
				{"j.json", disconnectJSON(tt.json)},
			} {
				j, err := jobspec.Load(src.file, []byte(src.text), nil)
				if err != nil {
					t.Fatalf("%s: %v", src.file, err)
				}
				if err := j.Validate(); err != nil {
					t.Fatalf("%s: Validate: %v", src.file, err)
				}
				if diff := cmp.Diff(tt.want, j.Version.Groups[0].Disconnect); diff != "" {
					t.Errorf("%s: Disconnect (-want +got):\n%s", src.file, diff)
				}
			}
		})
	}
}

// TestDisconnectIsInPlace: a change to the disconnect settings keeps the
// group's Spec, as Nomad updates them in place.
func TestDisconnectIsInPlace(t *testing.T) {
	a, err := jobspec.Load("a.nomad", []byte(disconnectHCL("service", `    max_client_disconnect = "5m"`)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jobspec.Load("b.nomad", []byte(disconnectHCL("service", "    disconnect {\n      lost_after = \"1h\"\n    }")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version.Groups[0].Spec != b.Version.Groups[0].Spec {
		t.Errorf("Spec changed with the disconnect settings: %q, then %q", a.Version.Groups[0].Spec, b.Version.Groups[0].Spec)
	}
}

func TestDisconnectValidation(t *testing.T) {
	tests := []struct {
		name, jobType, body string
		field, problem      string
	}{
		{"lost_after with max_client_disconnect", "service",
			"    max_client_disconnect = \"5m\"\n    disconnect {\n      lost_after = \"1h\"\n    }",
			`group "web" max_client_disconnect`, "cannot be set with disconnect.lost_after"},
		{"stop_on_client_after with stop_after_client_disconnect", "service",
			"    stop_after_client_disconnect = \"5m\"\n    disconnect {\n      stop_on_client_after = \"1h\"\n    }",
			`group "web" stop_after_client_disconnect`, "cannot be set with disconnect.stop_on_client_after"},
		{"replace with prevent_reschedule_on_lost", "service",
			"    prevent_reschedule_on_lost = true\n    disconnect {\n      replace = true\n    }",
			`group "web" prevent_reschedule_on_lost`, "cannot be set with disconnect.replace"},
		{"max_client_disconnect with stop_after_client_disconnect", "service",
			"    max_client_disconnect = \"5m\"\n    stop_after_client_disconnect = \"5m\"",
			`group "web" stop_after_client_disconnect`, "cannot be set with max_client_disconnect"},
		{"negative max_client_disconnect", "service",
			`    max_client_disconnect = "-5m"`,
			`group "web" max_client_disconnect`, "must not be negative"},
		{"lost_after with stop_on_client_after", "service",
			"    disconnect {\n      lost_after = \"1h\"\n      stop_on_client_after = \"1h\"\n    }",
			`group "web" disconnect.stop_on_client_after`, "cannot be set with lost_after"},
		{"unknown strategy", "service",
			"    disconnect {\n      reconcile = \"newest\"\n    }",
			`group "web" disconnect.reconcile`, "must be one of"},
		{"stop_on_client_after in a system job", "system",
			"    disconnect {\n      stop_on_client_after = \"1h\"\n    }",
			`group "web" disconnect.stop_on_client_after`, "service and batch jobs only"},
		{"prevent_reschedule_on_lost with attempts", "service",
			"    max_client_disconnect = \"5m\"\n    prevent_reschedule_on_lost = true\n    reschedule {\n      attempts = 2\n      interval = \"1h\"\n      unlimited = false\n    }",
			`group "web" prevent_reschedule_on_lost`, "reschedule.attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := jobspec.Load("j.nomad", []byte(disconnectHCL(tt.jobType, tt.body)), nil)
			if err != nil {
				t.Fatal(err)
			}
			err = j.Validate()
			var me *multierror.Error
			if !errors.As(err, &me) {
				t.Fatalf("Validate = %v, want a refusal of %s", err, tt.field)
			}
			for _, e := range me.Errors {
				var fe *rollout.FieldError
				if errors.As(e, &fe) && fe.Field == tt.field && strings.Contains(fe.Problem, tt.problem) {
					return
				}
			}
			t.Errorf("Validate = %v, want %s refused: %s", err, tt.field, tt.problem)
		})
	}
}

func TestDisconnectWrongTypes(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"lost_after not a duration", "    disconnect {\n      lost_after = \"soon\"\n    }", `disconnect.lost_after = "soon"`},
		{"replace not a bool", "    disconnect {\n      replace = \"maybe\"\n    }", "disconnect.replace must be true or false"},
		{"max_client_disconnect not a duration", `    max_client_disconnect = "later"`, `max_client_disconnect = "later"`},
		{"unknown argument", "    disconnect {\n      lost = \"1h\"\n    }", "lost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jobspec.Load("j.nomad", []byte(disconnectHCL("service", tt.body)), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
