package dashboard

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

const job = "web"

// site serves a dashboard of one job waiting for promotion, and returns
// a client whose cookie jar holds the dashboard's CSRF cookie and the
// token of the job's page.
func site(t *testing.T, opts Options) (*httptest.Server, *http.Client, string, *clusterBackend) {
	t.Helper()
	b := newClusterBackend()
	b.addCanaryJob(t, job)
	srv := httptest.NewServer(mustNew(t, b, opts))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	body := get(t, client, srv.URL+"/job?name="+job)
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	token := ""
	if m != nil {
		token = m[1]
	}
	return srv, client, token, b
}

func mustNew(t *testing.T, b Backend, opts Options) *Handler {
	t.Helper()
	h, err := New(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, b)
	}
	return string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func allowAll(*http.Request, Action) error { return nil }

func promoted(t *testing.T, b *clusterBackend) bool {
	t.Helper()
	st, err := b.State(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	return st.Deployment().Groups[0].Promoted
}

func TestPromoteByPOST(t *testing.T) {
	srv, c, token, b := site(t, Options{Authorize: allowAll})
	if token == "" {
		t.Fatal("the job page has no CSRF token")
	}
	code, body := post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {token}}, http.Header{"Origin": {srv.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if code != http.StatusSeeOther {
		t.Fatalf("promote: %d %s", code, body)
	}
	if !promoted(t, b) {
		t.Error("the deployment is not promoted")
	}
	// A command the engine refuses returns its error: promoting again.
	// The simulated cluster ran the promoted deployment to its end.
	code, body = post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {token}}, http.Header{"X-Dashboard": {"1"}})
	if code != http.StatusConflict || !strings.Contains(body, "promote") {
		t.Errorf("refused command: %d %q, want 409 with the error", code, body)
	}
}

// TestRefusedRequests sends forged, cross-origin and unauthorised
// commands: each is refused and the deployment stays unpromoted.
func TestRefusedRequests(t *testing.T) {
	deny := func(_ *http.Request, a Action) error {
		if a.Write {
			return errors.New("operators only")
		}
		return nil
	}
	for _, tc := range []struct {
		name   string
		opts   Options
		token  func(good string) string
		header http.Header
		want   string
	}{
		{"no token", Options{Authorize: allowAll}, func(string) string { return "" }, nil, "CSRF"},
		{"wrong token", Options{Authorize: allowAll}, func(g string) string { return strings.Repeat("0", len(g)) }, nil, "CSRF"},
		{"cross-site fetch", Options{Authorize: allowAll}, func(g string) string { return g }, http.Header{"Sec-Fetch-Site": {"cross-site"}}, "cross-origin"},
		{"foreign origin", Options{Authorize: allowAll}, func(g string) string { return g }, http.Header{"Origin": {"https://evil.example"}}, "Origin"},
		{"unauthorised", Options{Authorize: deny}, func(g string) string { return g }, nil, "operators only"},
		{"read-only dashboard", Options{}, func(g string) string { return g }, nil, "read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, token, b := site(t, tc.opts)
			if tc.opts.Authorize == nil {
				// A read-only page carries no form; take a token from a
				// dashboard that has one, as an attacker might.
				token = mustNew(t, b, Options{}).mac("x")
			}
			code, body := post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {tc.token(token)}}, tc.header)
			if code != http.StatusForbidden || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %q, want 403 naming %q", code, body, tc.want)
			}
			if promoted(t, b) {
				t.Error("the refused command promoted the deployment")
			}
		})
	}
	// GET never runs a command.
	srv, c, _, b := site(t, Options{Authorize: allowAll})
	resp, err := c.Get(srv.URL + "/command?job=" + job + "&cmd=promote")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || promoted(t, b) {
		t.Errorf("GET /command: %s, promoted %v", resp.Status, promoted(t, b))
	}
}

func TestReadOnlyHasNoButtons(t *testing.T) {
	srv, c, _, _ := site(t, Options{})
	if body := get(t, c, srv.URL+"/job?name="+job); strings.Contains(body, "btn-promote") || strings.Contains(body, `name="token"`) {
		t.Error("a read-only dashboard shows command buttons")
	}
}

func TestJobPageShowsTheDeployment(t *testing.T) {
	srv, c, _, _ := site(t, Options{Authorize: allowAll})
	body := get(t, c, srv.URL+"/job?name="+job)
	for _, want := range []string{rollout.DescRunningNeedsPromotion, "btn-promote", `<td class="promoted">false</td>`, "1 of 1", "timeline.svg?name=web"} {
		if !strings.Contains(body, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if svg := get(t, c, srv.URL+"/timeline.svg?name="+job); !strings.Contains(svg, "<svg") {
		t.Error("no SVG timeline")
	}
	if idx := get(t, c, srv.URL+"/"); !strings.Contains(idx, `href="job?name=web"`) {
		t.Errorf("index lacks the job link:\n%s", idx)
	}
}

// TestSystemJobShowsNodes: a system job's page says what kind of job it
// is and which node runs each allocation; a service job's page shows no
// node column.
func TestSystemJobShowsNodes(t *testing.T) {
	srv, c, _, b := site(t, Options{})
	b.addSystemJob(t, "agents")
	body := get(t, c, srv.URL+"/job?name=agents")
	for _, want := range []string{`id="job-type"`, "<th>Node</th>", `<td class="node">node-1</td>`, `<td class="node">node-2</td>`, `<td class="node">node-3</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("system job page lacks %q:\n%s", want, body)
		}
	}
	if body := get(t, c, srv.URL+"/job?name="+job); strings.Contains(body, "<th>Node</th>") || strings.Contains(body, `id="job-type"`) {
		t.Error("a service job's page shows the node column or the system job line")
	}
}

// TestDrainShowsMigrating: an allocation its node's drain moves says so
// until the step that moves it.
func TestDrainShowsMigrating(t *testing.T) {
	srv, c, _, b := site(t, Options{})
	if body := get(t, c, srv.URL+"/job?name="+job); strings.Contains(body, `class="migrating"`) {
		t.Fatal("an allocation is migrating before any drain")
	}
	b.mu.Lock()
	cl := b.clusters[job]
	b.mu.Unlock()
	var node string
	for _, a := range cl.Allocations() {
		if a.Desired == rollout.DesiredRun {
			node = cl.Node(a.ID)
			break
		}
	}
	if err := cl.DrainNode(node); err != nil {
		t.Fatal(err)
	}
	if body := get(t, c, srv.URL+"/job?name="+job); !strings.Contains(body, `<span class="migrating">migrating</span>`) {
		t.Errorf("job page shows no migrating allocation after draining %s:\n%s", node, body)
	}
}

func TestJobNamesAreEscaped(t *testing.T) {
	b := newClusterBackend()
	evil := `<script>alert("x")</script>`
	b.addCanaryJob(t, evil)
	srv := httptest.NewServer(mustNew(t, b, Options{Authorize: allowAll}))
	defer srv.Close()
	for _, page := range []string{"/", "/job?name=" + url.QueryEscape(evil), "/live?name=" + url.QueryEscape(evil)} {
		body := get(t, srv.Client(), srv.URL+page)
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: the job name is not escaped:\n%s", page, body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert") && !strings.Contains(body, "%3cscript%3e") {
			t.Errorf("%s: the escaped job name is missing", page)
		}
	}
}

// TestEventsOnChange reads the event stream while a command changes the
// job: an event "change" arrives.
func TestEventsOnChange(t *testing.T) {
	srv, c, token, _ := site(t, Options{Authorize: allowAll})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events?name="+job, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream starts with %q", line)
	}
	if code, body := post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {token}}, nil); code != http.StatusSeeOther {
		t.Fatalf("promote: %d %s", code, body)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		if line == "event: change\n" {
			return
		}
	}
}

// TestFreezeByPOST: a freeze with a reason and a duration is kept with the
// job's state and shown on its page; Unfreeze lifts it; a bad duration is
// refused.
func TestFreezeByPOST(t *testing.T) {
	srv, c, token, b := site(t, Options{Authorize: allowAll, Now: func() time.Time {
		return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // later than the simulated cluster's clock
	}})
	hdr := http.Header{"X-Dashboard": {"1"}}
	// The test backend runs its simulated cluster until nothing is left to
	// do, which would reach any expiry: this freeze has none.
	code, body := post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"freeze"}, "reason": {"release freeze"}, "token": {token}}, hdr)
	if code != http.StatusNoContent {
		t.Fatalf("freeze: %d %s", code, body)
	}
	st, err := b.State(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if f := st.Freeze; f == nil || f.Reason != "release freeze" || !f.Until.IsZero() {
		t.Fatalf("stored freeze %+v, want release freeze with no expiry", st.Freeze)
	}
	if page := get(t, c, srv.URL+"/job?name="+job); !strings.Contains(page, `id="freeze"`) || !strings.Contains(page, "release freeze") {
		t.Error("the job page does not show the freeze")
	}
	code, body = post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"freeze"}, "reason": {"x"}, "for": {"soon"}, "token": {token}}, hdr)
	if code != http.StatusBadRequest || !strings.Contains(body, "soon") {
		t.Errorf("freeze for soon: %d %q, want 400 naming the value", code, body)
	}
	code, body = post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"freeze"}, "token": {token}}, hdr)
	if code != http.StatusConflict || !strings.Contains(body, "reason") {
		t.Errorf("freeze without a reason: %d %q, want 409 with the engine's error", code, body)
	}
	if code, body = post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"unfreeze"}, "token": {token}}, hdr); code != http.StatusNoContent {
		t.Fatalf("unfreeze: %d %s", code, body)
	}
	if st, _ := b.State(context.Background(), job); st.Freeze != nil {
		t.Errorf("freeze %+v still stored after Unfreeze", st.Freeze)
	}
}

// TestParseFreeze: "for" is a duration from the dashboard's clock.
func TestParseFreeze(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cmd, err := parseCommand(url.Values{"cmd": {"freeze"}, "reason": {"r"}, "for": {"2h"}}, now)
	if err != nil || cmd.Kind != rollout.CmdFreeze || cmd.Reason != "r" || !cmd.Until.Equal(now.Add(2*time.Hour)) {
		t.Errorf("parseCommand = %+v, %v; want a freeze for r until %v", cmd, err, now.Add(2*time.Hour))
	}
	if _, err := parseCommand(url.Values{"cmd": {"freeze"}, "reason": {"r"}, "for": {"-1h"}}, now); err == nil {
		t.Error("a negative duration was accepted")
	}
}
