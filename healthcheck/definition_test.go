package healthcheck_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/healthcheck"
)

func TestFromDefinition(t *testing.T) {
	var gotMethod, gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotMethod, gotHeader = r.Method, r.Header.Get("X-Probe")
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	def := &rollout.GroupDefinition{
		Tasks: []rollout.TaskDefinition{{Name: "server", Services: []rollout.Service{{PortLabel: "http", Checks: []rollout.ServiceCheck{
			{Type: rollout.CheckHTTP, Path: "/health", Method: "HEAD", Headers: map[string][]string{"x-probe": {"1"}}, Interval: time.Second, Timeout: 500 * time.Millisecond, SuccessBeforePassing: 2},
			{Type: rollout.CheckTCP},
			{Name: "ignored", Type: rollout.CheckHTTP, OnUpdate: "ignore"},
		}}}}},
		Services: []rollout.Service{{Name: "web", Checks: []rollout.ServiceCheck{{Name: "script", Type: rollout.CheckScript, Command: "true", FailuresBeforeCritical: 3}}}},
	}
	var asked []string
	checks, err := healthcheck.FromDefinition("shop", "web", def, func(task, label string) (string, error) {
		asked = append(asked, task+"/"+label)
		return addr, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
		if err := c.Probe(context.Background()); err != nil {
			t.Errorf("check %q: %v", c.Name, err)
		}
	}
	want := []string{`service: "shop-web-server" check`, `service: "shop-web-server" check (2)`, "script"}
	if !slices.Equal(names, want) {
		t.Errorf("check names %q, want %q (as jobspec names them)", names, want)
	}
	if gotMethod != "HEAD" || gotHeader != "1" {
		t.Errorf("the http check sent %s with X-Probe %q, want HEAD and 1", gotMethod, gotHeader)
	}
	if !slices.Equal(asked, []string{"server/http", "server/http"}) {
		t.Errorf("ports resolved %q", asked)
	}
	if c := checks[0]; c.Interval != time.Second || c.Timeout != 500*time.Millisecond || c.SuccessBeforePassing != 2 || checks[2].FailuresBeforeCritical != 3 {
		t.Errorf("check settings not carried: %+v", c)
	}
}

func TestFromDefinitionRefuses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	def := &rollout.GroupDefinition{Services: []rollout.Service{{Name: "web", PortLabel: "grpc", Checks: []rollout.ServiceCheck{
		{Name: "g", Type: rollout.CheckGRPC},
		{Name: "noport", Type: rollout.CheckTCP, PortLabel: "missing"},
	}}}}
	_, err = healthcheck.FromDefinition("shop", "web", def, func(task, label string) (string, error) {
		if label == "missing" {
			return "", errors.New("no such port")
		}
		return ln.Addr().String(), nil
	})
	if !errors.Is(err, healthcheck.ErrUnsupportedCheck) || !strings.Contains(err.Error(), `"noport"`) {
		t.Errorf("FromDefinition: %v, want the grpc check unsupported and the port of noport unresolved", err)
	}
}
