package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// bearer is the token the API tests' Authorize accepts for writes; reads
// need any token.
const bearer = "Bearer operator-token"

// tokenAuth allows reads with any bearer token and writes with the
// operator's only.
func tokenAuth(r *http.Request, a Action) error {
	h := r.Header.Get("Authorization")
	switch {
	case h == "":
		return errors.New("no token")
	case a.Write && h != bearer:
		return errors.New("operators only")
	}
	return nil
}

// syncBuffer is a log sink safe for the handler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// apiSite serves the API over a cluster backend holding job "web" (a
// canary waiting for promotion), with the token Authorize, a Redact hook
// that hides the groups' specs, and a log in a buffer.
func apiSite(t *testing.T, opts Options) (*httptest.Server, *clusterBackend, *syncBuffer) {
	t.Helper()
	b := newClusterBackend()
	b.addCanaryJob(t, job)
	logs := &syncBuffer{}
	if opts.Authorize == nil {
		opts.Authorize = tokenAuth
	}
	opts.Redact = func(v rollout.JobVersion) rollout.JobVersion {
		for i := range v.Groups {
			v.Groups[i].Spec = "(redacted)"
		}
		return v
	}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	opts.Identify = func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }
	srv := httptest.NewServer(mustNew(t, b, opts))
	t.Cleanup(srv.Close)
	return srv, b, logs
}

// call sends a request with the operator's token and JSON content type
// (unless header says otherwise) and returns the status and body.
func call(t *testing.T, method, u, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAPIReads reads every endpoint and checks what each must hold.
func TestAPIReads(t *testing.T) {
	srv, _, _ := apiSite(t, Options{})
	for _, tc := range []struct {
		path   string
		status int
		want   []string
		reason string
	}{
		{"/v1/jobs", 200, []string{`"id": "web"`, `"version": 1`, `"Description": "Deployment is running but requires manual promotion"`}, "the list gives each job's version and latest deployment"},
		{"/v1/jobs/web", 200, []string{`"version": 1`, `"spec": "(redacted)"`, `"Group": "web"`}, "the status is redacted and summarises the groups"},
		{"/v1/jobs/web/versions", 200, []string{`"version": 0`, `"version": 1`, `"spec": "(redacted)"`}, "every version, redacted"},
		{"/v1/jobs/web/deployments", 200, []string{`"JobVersion": 0`, `"JobVersion": 1`}, "both deployments"},
		{"/v1/jobs/web/allocations", 200, []string{`"Canary": true`}, "the allocations, the canary among them"},
		{"/v1/jobs/web/diff?from=0&to=1", 200, []string{`"from": 0`, `"to": 1`, `"diffs": []`, `From = v0`}, "the specs differ only in what Redact hid, so the served diff shows none"},
		{"/v1/jobs/web/diff?from=0&to=9", 404, []string{`"kind": "not_found"`, "no version 9"}, "a version the history lacks"},
		{"/v1/jobs/web/diff?from=x&to=1", 400, []string{`"kind": "bad_request"`}, "a version that is not a number"},
		{"/v1/jobs/nope", 404, []string{`"kind": "not_found"`}, "a job the backend lacks"},
		{"/v1/jobs/nope/versions", 404, []string{`"kind": "not_found"`}, "a job the backend lacks"},
		{"/v1/nothing", 404, []string{`"kind": "not_found"`}, "an endpoint that does not exist answers JSON too"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, body := call(t, http.MethodGet, srv.URL+tc.path, "", nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d (%s): %s", status, tc.status, tc.reason, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %s (%s):\n%s", w, tc.reason, body)
				}
			}
			if strings.Contains(body, `"spec": "v1"`) {
				t.Error("a spec was served unredacted")
			}
		})
	}
}

// TestAPICommands sends each command and checks its effect on the state.
func TestAPICommands(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
		check            func(st controller.State) bool
	}{
		{"promote", "promote", "", func(st controller.State) bool { return st.Deployment().Groups[0].Promoted }},
		{"promote a group", "promote", `{"groups": ["web"]}`, func(st controller.State) bool { return st.Deployment().Groups[0].Promoted }},
		{"pause", "pause", "{}", func(st controller.State) bool { return st.Deployment().Status == rollout.StatusPaused }},
		{"fail", "fail", "", func(st controller.State) bool { return st.Deployments[1].Status == rollout.StatusFailed }},
		{"revert", "revert", `{"version": 0}`, func(st controller.State) bool {
			v, _ := st.History.Latest()
			return v.RevertOf != nil && *v.RevertOf == 0
		}},
		{"freeze", "freeze", `{"reason": "holidays"}`, func(st controller.State) bool { return st.Freeze != nil && st.Freeze.Reason == "holidays" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, b, logs := apiSite(t, Options{})
			status, body := call(t, http.MethodPost, srv.URL+"/v1/jobs/web/"+tc.path, tc.body, nil)
			if status != http.StatusNoContent {
				t.Fatalf("status %d: %s", status, body)
			}
			st, _ := b.State(context.Background(), job)
			if !tc.check(st) {
				t.Errorf("the %s did not take effect: %+v", tc.name, st.Deployment())
			}
			if l := logs.String(); !strings.Contains(l, "command="+strings.Fields(tc.name)[0]) || !strings.Contains(l, "by=operator-token") {
				t.Errorf("log lacks the command and who asked:\n%s", l)
			}
		})
	}
	// Resume and unfreeze undo pause and freeze; health marks an allocation.
	srv, b, _ := apiSite(t, Options{})
	for _, step := range []struct{ path, body string }{{"pause", ""}, {"resume", ""}, {"freeze", `{"reason": "x"}`}, {"unfreeze", ""}} {
		if status, body := call(t, http.MethodPost, srv.URL+"/v1/jobs/web/"+step.path, step.body, nil); status != http.StatusNoContent {
			t.Fatalf("%s: %d %s", step.path, status, body)
		}
	}
	st, _ := b.State(context.Background(), job)
	if st.Deployment().Status != rollout.StatusRunning || st.Freeze != nil {
		t.Errorf("after resume and unfreeze: %s, freeze %+v", st.Deployment().Status, st.Freeze)
	}
}

// TestAPIHealth marks the allocations of a job under manual health
// healthy: its deployment succeeds.
func TestAPIHealth(t *testing.T) {
	b := newClusterBackend()
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: time.Second}})
	manual := rollout.HealthManual
	if _, err := c.Submit(rollout.JobVersion{ID: job, Update: &rollout.UpdateBlock{HealthCheck: &manual}, Groups: []rollout.Group{{Name: "web", Count: 2, Spec: "v0"}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RunFor(5 * time.Second); err != nil { // placed and running, waiting for a verdict
		t.Fatal(err)
	}
	b.clusters[job] = c
	srv := httptest.NewServer(mustNew(t, b, Options{Authorize: tokenAuth}))
	defer srv.Close()
	var ids []string
	for _, a := range c.Allocations() {
		ids = append(ids, `"`+a.ID+`"`)
	}
	if status, body := call(t, http.MethodPost, srv.URL+"/v1/jobs/web/health", `{"healthy": true, "allocs": [`+strings.Join(ids, ",")+`]}`, nil); status != http.StatusNoContent {
		t.Fatalf("health: %d %s", status, body)
	}
	if d := c.Deployment(); d.Status != rollout.StatusSuccessful {
		t.Errorf("deployment %s after marking every allocation healthy", d.Status)
	}
}

// TestAPIFreezeFor: a freeze "for" a duration ends that long after the
// handler's clock.
func TestAPIFreezeFor(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cmd, err := apiCommand("freeze", &CommandRequest{Reason: "r", For: "2h"}, now)
	if err != nil || !cmd.Until.Equal(now.Add(2*time.Hour)) || cmd.Reason != "r" {
		t.Errorf("freeze for 2h: %+v, %v", cmd, err)
	}
}

// TestAPIRefusals: each refused request answers its status and kind, and
// changes nothing.
func TestAPIRefusals(t *testing.T) {
	big := `{"reason": "` + strings.Repeat("x", 2048) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		header                   http.Header
		opts                     Options
		status                   int
		kind                     string
	}{
		{"no token, a read", "GET", "/v1/jobs", "", http.Header{"Authorization": {""}}, Options{}, 403, "forbidden"},
		{"no token, a job", "GET", "/v1/jobs/web/allocations", "", http.Header{"Authorization": {""}}, Options{}, 403, "forbidden"},
		{"no token, events", "GET", "/v1/jobs/web/events", "", http.Header{"Authorization": {""}}, Options{}, 403, "forbidden"},
		{"a reader's token, a command", "POST", "/v1/jobs/web/promote", "", http.Header{"Authorization": {"Bearer reader"}}, Options{}, 403, "forbidden"},
		{"a reader's token, a submit", "POST", "/v1/jobs/web", `{"job": {"id": "web", "groups": [{"name": "web", "count": 1}]}}`, http.Header{"Authorization": {"Bearer reader"}}, Options{}, 403, "forbidden"},
		{"bad JSON", "POST", "/v1/jobs/web/revert", `{"version": `, nil, Options{}, 400, "bad_json"},
		{"an unknown field", "POST", "/v1/jobs/web/revert", `{"version": 0, "force": true}`, nil, Options{}, 400, "bad_json"},
		{"two values", "POST", "/v1/jobs/web/pause", `{} {}`, nil, Options{}, 400, "bad_json"},
		{"a wrong type", "POST", "/v1/jobs/web/revert", `{"version": "zero"}`, nil, Options{}, 400, "bad_json"},
		{"an oversized body", "POST", "/v1/jobs/web/freeze", big, nil, Options{MaxBodyBytes: 1024}, 413, "too_large"},
		{"a form, not JSON", "POST", "/v1/jobs/web/promote", "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Options{}, 415, "unsupported_media_type"},
		{"a cross-site request", "POST", "/v1/jobs/web/promote", "", http.Header{"Sec-Fetch-Site": {"cross-site"}}, Options{}, 403, "forbidden"},
		{"an unknown command", "POST", "/v1/jobs/web/explode", "", nil, Options{}, 404, "not_found"},
		{"a revert without a version", "POST", "/v1/jobs/web/revert", "{}", nil, Options{}, 422, "invalid"},
		{"a freeze of no duration", "POST", "/v1/jobs/web/freeze", `{"for": "soon"}`, nil, Options{}, 422, "invalid"},
		{"a health command without allocations", "POST", "/v1/jobs/web/health", `{"healthy": true}`, nil, Options{}, 422, "invalid"},
		{"a revert to the current version", "POST", "/v1/jobs/web/revert", `{"version": 1}`, nil, Options{}, 409, "revert_refused"},
		{"a command to a job the backend lacks", "POST", "/v1/jobs/nope/pause", "", nil, Options{}, 404, "not_found"},
		{"a job name that is not UTF-8", "GET", "/v1/jobs/a%ffb", "", nil, Options{}, 400, "bad_request"},
		{"a job name longer than a job ID may be", "GET", "/v1/jobs/" + strings.Repeat("x", rollout.MaxJobIDLength+1), "", nil, Options{}, 400, "bad_request"},
		{"a job name with a space, which a job may have", "GET", "/v1/jobs/a%20b", "", nil, Options{}, 404, "not_found"},
		{"a submit the backend cannot do", "POST", "/v1/jobs/web", `{"job": {"id": "web", "groups": [{"name": "web", "count": 1}]}}`, nil, Options{}, 501, "unsupported"},
		{"a submit of another job", "POST", "/v1/jobs/web", `{"job": {"id": "db", "groups": [{"name": "db", "count": 1}]}}`, nil, Options{}, 422, "invalid"},
		{"a submit of an invalid version", "POST", "/v1/jobs/web", `{"job": {"id": "web", "groups": [{"name": "web", "count": -1}]}}`, nil, Options{}, 422, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, b, _ := apiSite(t, tc.opts)
			before, _ := b.State(context.Background(), job)
			status, body := call(t, tc.method, srv.URL+tc.path, tc.body, tc.header)
			var e APIError
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("status %d, not a JSON error: %s", status, body)
			}
			if status != tc.status || e.Kind != tc.kind {
				t.Errorf("status %d kind %q, want %d %q: %s", status, e.Kind, tc.status, tc.kind, e.Error)
			}
			if strings.Contains(e.Error, strings.Repeat("x", 40)) {
				t.Error("the error echoes the body")
			}
			after, _ := b.State(context.Background(), job)
			if len(after.Deployments) != len(before.Deployments) || after.Deployment().Status != before.Deployment().Status || after.Freeze != nil || after.Deployment().Groups[0].Promoted {
				t.Errorf("a refused request changed the state: %+v", after.Deployment())
			}
		})
	}
}

// TestAPIReadOnly: without Authorize, reads are served and every write
// is refused with kind "read_only".
func TestAPIReadOnly(t *testing.T) {
	b := newClusterBackend()
	b.addCanaryJob(t, job)
	srv := httptest.NewServer(mustNew(t, b, Options{}))
	defer srv.Close()
	if status, body := call(t, "GET", srv.URL+"/v1/jobs/web", "", nil); status != 200 {
		t.Errorf("read: %d %s", status, body)
	}
	status, body := call(t, "POST", srv.URL+"/v1/jobs/web/promote", "", nil)
	if status != 403 || !strings.Contains(body, `"kind": "read_only"`) {
		t.Errorf("write: %d %s", status, body)
	}
}

// TestAPISubmit submits through a Manager: a new job, a stale expected
// version refused with kind "version_conflict", then the right one.
func TestAPISubmit(t *testing.T) {
	m, err := controller.NewManager(controller.ManagerConfig{Driver: rollouttest.NewRecordingDriver(), Store: controller.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	logs := &syncBuffer{}
	srv := httptest.NewServer(mustNew(t, ManagerBackend(m), Options{Authorize: tokenAuth, Logger: slog.New(slog.NewTextHandler(logs, nil))}))
	defer srv.Close()

	submit := func(spec, expect string) (int, string) {
		return call(t, "POST", srv.URL+"/v1/jobs/api", `{"job": {"id": "api", "groups": [{"name": "api", "count": 2, "spec": "`+spec+`"}]}`+expect+`}`, nil)
	}
	if status, body := submit("img:1", `, "expect_no_job": true`); status != 200 || !strings.Contains(body, `"version": 0`) {
		t.Fatalf("first submit: %d %s", status, body)
	}
	status, body := submit("img:2", `, "expect_version": 7`)
	if status != 409 || !strings.Contains(body, `"kind": "version_conflict"`) {
		t.Errorf("stale submit: %d %s", status, body)
	}
	if status, body := submit("img:2", `, "expect_version": 0`); status != 200 || !strings.Contains(body, `"version": 1`) {
		t.Errorf("current submit: %d %s", status, body)
	}
	if l := logs.String(); !strings.Contains(l, "version submitted") || !strings.Contains(l, "submit refused") {
		t.Errorf("log lacks the submits:\n%s", l)
	}
}

// TestAPIEvents: a client of the event stream of one job, and one of every
// job, hear of a change the API's command makes.
func TestAPIEvents(t *testing.T) {
	srv, _, _ := apiSite(t, Options{})
	for _, path := range []string{"/v1/jobs/web/events", "/v1/events"} {
		t.Run(path, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a hang guard
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer reader")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Fatalf("content type %q", ct)
			}
			r := bufio.NewReader(resp.Body)
			if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
				t.Fatalf("first line %q", line)
			}
			pause, _ := http.NewRequest("POST", srv.URL+"/v1/jobs/web/pause", nil)
			pause.Header.Set("Authorization", bearer)
			pause.Header.Set("Content-Type", "application/json")
			go func() {
				if resp, err := http.DefaultClient.Do(pause); err == nil {
					resp.Body.Close()
				}
			}()
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("no change event: %v", err)
				}
				if strings.HasPrefix(line, "data: ") {
					if got := strings.TrimSpace(line); got != `data: {"job":"web"}` {
						t.Errorf("event data %q", got)
					}
					return
				}
			}
		})
	}
}
