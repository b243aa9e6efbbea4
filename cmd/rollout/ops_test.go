package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// fakeAPI serves the dashboard's JSON API over one job's records, as the
// dashboard package documents it: the reads, the submit with its
// expected version, and the commands, which it records. Requests without
// the operator's bearer token are refused as the dashboard's Authorize
// would.
type fakeAPI struct {
	mu       sync.Mutex
	versions []rollout.JobVersion
	deps     []rollout.Deployment
	allocs   []rollout.Alloc
	commands []string // "<name> <body>"
}

func newFakeAPI() *fakeAPI {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v0 := rollout.JobVersion{ID: "web", Version: 0, Stable: true, SubmitTime: t0, Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:1"}}}
	v1 := rollout.JobVersion{ID: "web", Version: 1, SubmitTime: t0.Add(time.Minute), Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:2"}}}
	dep := func(id string, v uint64, s rollout.DeploymentStatus, desc string) rollout.Deployment {
		return rollout.Deployment{ID: id, JobID: "web", JobVersion: v, Status: s, Description: desc,
			Groups: []rollout.DeploymentGroup{{Name: "api", DesiredTotal: 2, DesiredCanaries: 1, Placed: 1, Healthy: 1}}}
	}
	return &fakeAPI{
		versions: []rollout.JobVersion{v0, v1},
		deps:     []rollout.Deployment{dep("0b23b149aaaa", 0, rollout.StatusSuccessful, rollout.DescSuccessful), dep("7c1d2e3fbbbb", 1, rollout.StatusRunning, rollout.DescRunningNeedsPromotion)},
		allocs: []rollout.Alloc{
			{ID: "a1b2c3d4eeee", JobID: "web", Group: "api", JobVersion: 1, Desired: rollout.DesiredRun, Client: rollout.ClientRunning, Canary: true, DeploymentID: "7c1d2e3fbbbb", CreateTime: t0.Add(time.Minute)},
			{ID: "f5e6d7c8ffff", JobID: "web", Group: "api", Index: 1, JobVersion: 0, Desired: rollout.DesiredRun, Client: rollout.ClientRunning, DeploymentID: "0b23b149aaaa", CreateTime: t0},
		},
	}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(status int, kind, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg, "kind": kind})
	}
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		fail(403, "forbidden", "not authorised: no token")
		return
	}
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	path := strings.TrimPrefix(r.URL.Path, "/ops/v1/")
	latest := f.versions[len(f.versions)-1]
	switch {
	case r.Method == "GET" && path == "jobs":
		answer([]map[string]any{{"id": "web", "version": latest.Version, "stable": latest.Stable, "deployment": f.deps[len(f.deps)-1]}})
	case r.Method == "GET" && path == "jobs/web":
		answer(map[string]any{"job": latest, "deployment": f.deps[len(f.deps)-1]})
	case r.Method == "GET" && path == "jobs/web/versions":
		answer(f.versions)
	case r.Method == "GET" && path == "jobs/web/deployments":
		answer(f.deps)
	case r.Method == "GET" && path == "jobs/web/allocations":
		answer(f.allocs)
	case r.Method == "GET" && strings.HasPrefix(path, "jobs/"):
		fail(404, "not_found", "job not found")
	case r.Method == "POST" && r.Header.Get("Content-Type") != "application/json":
		fail(415, "unsupported_media_type", "want JSON")
	case r.Method == "POST" && strings.Count(path, "/") == 1:
		var req struct {
			Job           rollout.JobVersion `json:"job"`
			ExpectVersion *uint64            `json:"expect_version"`
			ExpectNoJob   bool               `json:"expect_no_job"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			fail(400, "bad_json", err.Error())
			return
		}
		if req.ExpectVersion != nil && *req.ExpectVersion != latest.Version || req.ExpectNoJob {
			fail(409, "version_conflict", "job changed since it was planned")
			return
		}
		req.Job.Version = latest.Version + 1
		f.versions = append(f.versions, req.Job)
		answer(map[string]uint64{"version": req.Job.Version})
	case r.Method == "POST" && strings.HasPrefix(path, "jobs/web/"):
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		name := strings.TrimPrefix(path, "jobs/web/")
		if name == "fail" {
			fail(409, "terminal", "fail: deployment is terminal")
			return
		}
		f.commands = append(f.commands, name+" "+body.String())
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(404, "not_found", "no endpoint")
	}
}

// TestOperatorCommands runs each operator command against a test server
// of the API, mounted under a path prefix, with the address and token
// from the environment.
func TestOperatorCommands(t *testing.T) {
	api := newFakeAPI()
	srv := httptest.NewServer(http.StripPrefix("", api))
	defer srv.Close()
	t.Setenv(envAddr, srv.URL+"/ops")
	t.Setenv(envToken, "s3cret")
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stdout  []string
		stderr  string
		command string // what the server must have received
	}{
		{"list", []string{"status"}, 0, []string{"ID   Version  Status   Deployment  Description", "web  1        running  running     Deployment is running but requires manual promotion"}, "", ""},
		{"status", []string{"status", "web"}, 0, []string{"ID          = web", "Version     = 1", "Latest Deployment", "ID          = 7c1d2e3f", "Allocations", "a1b2c3d4"}, "", ""},
		{"deployments", []string{"deployments", "web"}, 0, []string{"ID        Job ID  Job Version  Status      Description", "7c1d2e3f  web     1            running", "0b23b149  web     0            successful"}, "", ""},
		{"history", []string{"history", "web"}, 0, []string{"Version     = 1", "+/- Task Group: \"api\"", "  +/- spec: \"img:1\" => \"img:2\"", "Version     = 0"}, "", ""},
		{"promote", []string{"promote", "-group", "api", "web"}, 0, []string{`==> promote of job "web" applied`, "Deployment"}, "", `promote {"groups":["api"]}`},
		{"pause", []string{"pause", "web"}, 0, []string{`==> pause of job "web" applied`}, "", "pause {}"},
		{"resume", []string{"resume", "web"}, 0, nil, "", "resume {}"},
		{"revert", []string{"revert", "web", "v0"}, 0, nil, "", `revert {"version":0}`},
		{"freeze", []string{"freeze", "-reason", "holidays", "-for", "48h", "web"}, 0, nil, "", `freeze {"reason":"holidays","for":"48h"}`},
		{"unfreeze", []string{"unfreeze", "web"}, 0, nil, "", "unfreeze {}"},
		{"a refused command names its kind", []string{"fail", "web"}, 1, nil, "Error: rollout fail: fail: deployment is terminal (terminal)", ""},
		{"an unknown job", []string{"status", "nope"}, 1, nil, "job not found (not_found)", ""},
		{"run", []string{"run", "-check-index", "1", jobs + "geo-api-server-v0.nomad"}, 0, []string{`==> Job "geo-api-server" version 2 submitted`}, "", ""},
		{"run with a stale index", []string{"run", "-check-index", "0", jobs + "geo-api-server-v0.nomad"}, 1, nil, "job changed since it was planned (version_conflict)", ""},
		{"run a file with problems", []string{"run", "testdata/problems.nomad"}, 1, nil, "", ""},
		{"revert without a version", []string{"revert", "web"}, 2, nil, "want a job and a version", ""},
		{"a bad address", []string{"status", "-address", "ftp://x", "web"}, 2, nil, "want http://host:port", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api.mu.Lock()
			api.commands = nil
			api.mu.Unlock()
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			api.mu.Lock()
			defer api.mu.Unlock()
			if tc.command != "" && (len(api.commands) != 1 || api.commands[0] != tc.command) {
				t.Errorf("server received %q, want %q", api.commands, tc.command)
			}
		})
	}
}

// TestOperatorCommandsWithoutToken: without ROLLOUT_TOKEN the server's
// refusal is reported with its kind.
func TestOperatorCommandsWithoutToken(t *testing.T) {
	srv := httptest.NewServer(newFakeAPI())
	defer srv.Close()
	t.Setenv(envToken, "")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"status", "-address", srv.URL + "/ops/", "web"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "(forbidden)") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
