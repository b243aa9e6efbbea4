package dashboard

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"

	"github.com/rollout-go/rollout"
)

// countingBackend counts the subscriptions its Backend is asked for.
type countingBackend struct {
	Backend
	subs atomic.Int32
}

func (b *countingBackend) Subscribe(ctx context.Context, job string) (<-chan struct{}, error) {
	b.subs.Add(1)
	return b.Backend.Subscribe(ctx, job)
}

// storeBackend answers State as a Store's Load does: the zero State and
// no error for a job never saved.
type storeBackend struct{ *clusterBackend }

func (b storeBackend) State(ctx context.Context, job string) (controller.State, error) {
	st, err := b.clusterBackend.State(ctx, job)
	if errors.Is(err, ErrNotFound) {
		return controller.State{}, nil
	}
	return st, err
}

func status(t *testing.T, c *http.Client, method, u string, form url.Values) (int, http.Header, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestUnknownJobsAreNotSubscribed: a job the Backend does not know is
// answered 404 on every page, and no subscription is opened for it, also
// for a Backend that answers as a Store's Load does.
func TestUnknownJobsAreNotSubscribed(t *testing.T) {
	cb := newClusterBackend()
	cb.addCanaryJob(t, job)
	for _, tc := range []struct {
		name    string
		backend Backend
	}{
		{"ErrNotFound", cb},
		{"zero State", storeBackend{cb}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &countingBackend{Backend: tc.backend}
			srv := httptest.NewServer(mustNew(t, b, Options{}))
			defer srv.Close()
			for _, page := range []string{"/job", "/live", "/events", "/timeline.svg"} {
				code, _, body := status(t, srv.Client(), http.MethodGet, srv.URL+page+"?name=nope", nil)
				if code != http.StatusNotFound || !strings.Contains(body, "no such job") {
					t.Errorf("%s of an unknown job: %d %q, want 404 no such job", page, code, body)
				}
			}
			if n := b.subs.Load(); n != 0 {
				t.Errorf("%d subscriptions opened for an unknown job", n)
			}
		})
	}
}

// TestManagerBackendNotFound: the Manager adapter reports a job its Store
// never saved with ErrNotFound.
func TestManagerBackendNotFound(t *testing.T) {
	m, err := controller.NewManager(controller.ManagerConfig{Driver: rollouttest.NewRecordingDriver(), Store: controller.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ManagerBackend(m).State(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("State of a job never saved: %v, want ErrNotFound", err)
	}
}

// TestJobNamesAreChecked: a name no job can have is refused with 400
// before anything is looked up, on every page and in a command, with a
// short message that does not echo it.
func TestJobNamesAreChecked(t *testing.T) {
	srv, c, token, b := site(t, Options{Authorize: allowAll})
	huge := strings.Repeat("x", 900<<10)
	for _, tc := range []struct {
		name, id, want string
	}{
		{"empty", "", "no job name"},
		{"900 KB", huge, "921600 bytes"},
		{"one byte too long", strings.Repeat("y", rollout.MaxJobIDLength+1), "4097 bytes"},
		{"not UTF-8", "web\xff", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, code int, body string) {
				t.Helper()
				if code != http.StatusBadRequest || !strings.Contains(body, tc.want) || len(body) > 200 {
					t.Errorf("%s: %d %q, want a short 400 naming %q", what, code, clip(body), tc.want)
				}
			}
			for _, page := range []string{"/job", "/live", "/events", "/timeline.svg"} {
				code, _, body := status(t, c, http.MethodGet, srv.URL+page+"?name="+url.QueryEscape(tc.id), nil)
				check(page, code, body)
			}
			if len(tc.id) < maxFormBytes { // (a longer one is refused as a form too large)
				code, _, body := status(t, c, http.MethodPost, srv.URL+"/command", url.Values{"job": {tc.id}, "cmd": {"promote"}, "token": {token}})
				check("POST /command", code, body)
			}
		})
	}
	if promoted(t, b) {
		t.Error("a refused command promoted the deployment")
	}
	// The longest name a job can have is looked up.
	code, _, body := status(t, c, http.MethodGet, srv.URL+"/job?name="+strings.Repeat("z", rollout.MaxJobIDLength), nil)
	if code != http.StatusNotFound || len(body) > 200 {
		t.Errorf("a name of %d bytes: %d %q, want a short 404", rollout.MaxJobIDLength, code, clip(body))
	}
}

// TestCommandFormIsBounded: a command's form past 64 KiB is refused.
func TestCommandFormIsBounded(t *testing.T) {
	srv, c, token, b := site(t, Options{Authorize: allowAll})
	code, _, body := status(t, c, http.MethodPost, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {token}, "pad": {strings.Repeat("p", 1<<20)}})
	if code != http.StatusBadRequest || len(body) > 200 {
		t.Errorf("a 1 MB form: %d %q, want a short 400", code, clip(body))
	}
	if promoted(t, b) {
		t.Error("the refused command promoted the deployment")
	}
}

// openStream opens an event stream and reads its first line; it returns
// the response (to close) and its reader.
func openStream(t *testing.T, c *http.Client, u string) (*http.Response, *bufio.Reader) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream starts with %q", line)
	}
	return resp, r
}

// TestStreamsAreCapped: past MaxStreams open streams, another is refused
// with 503 and a Retry-After; once one closes, a new one opens.
func TestStreamsAreCapped(t *testing.T) {
	srv, c, _, _ := site(t, Options{MaxStreams: 2})
	u := srv.URL + "/events?name=" + job
	first, _ := openStream(t, c, u)
	second, _ := openStream(t, c, u)
	defer second.Body.Close()
	code, hdr, body := status(t, c, http.MethodGet, u, nil)
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(body, "2 event streams") {
		t.Fatalf("a third stream: %d, Retry-After %q, %q; want 503 with Retry-After", code, hdr.Get("Retry-After"), body)
	}
	first.Body.Close()
	// The server sees the close when its read of the connection ends.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // a hang guard
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no stream opens after one of two closed: %s", resp.Status)
		}
	}
}

// TestOptionsRefused: New refuses options it cannot use, naming them.
func TestOptionsRefused(t *testing.T) {
	key := []byte(strings.Repeat("k", MinCSRFKeyLength-1))
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"short CSRF key", Options{CSRFKey: key}, "CSRFKey is 31 bytes"},
		{"origin with a path", Options{AllowedOrigins: []string{"https://ok.example", "https://x.example/rollouts"}}, "AllowedOrigins[1]"},
		{"origin without a scheme", Options{AllowedOrigins: []string{"x.example"}}, "AllowedOrigins[0]"},
		{"negative MaxStreams", Options{MaxStreams: -1}, "MaxStreams is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(newClusterBackend(), tc.opts)
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want ErrOptions naming %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), string(key)) {
				t.Error("the error echoes the key")
			}
		})
	}
}

// TestNewServerTimeouts: NewServer bounds the reading of requests and idle
// connections, and leaves long responses (event streams) unbounded.
func TestNewServerTimeouts(t *testing.T) {
	s := NewServer(":0", http.NotFoundHandler())
	if s.ReadHeaderTimeout != ServerReadHeaderTimeout || s.ReadTimeout != ServerReadTimeout || s.IdleTimeout != ServerIdleTimeout || s.MaxHeaderBytes != ServerMaxHeaderBytes || s.WriteTimeout != 0 {
		t.Errorf("NewServer: header %v, read %v, idle %v, header bytes %d, write %v", s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout, s.MaxHeaderBytes, s.WriteTimeout)
	}
}

// serve runs s on a local port until the test ends.
func serve(t *testing.T, s *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// TestSlowlorisIsClosed: a connection that sends part of its headers and
// then waits is closed by the server after ReadHeaderTimeout.
func TestSlowlorisIsClosed(t *testing.T) {
	s := NewServer("", mustNew(t, newClusterBackend(), Options{}))
	s.ReadHeaderTimeout = 200 * time.Millisecond
	addr := serve(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second)) // generous: 25 times the timeout
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server still holds the slow connection after 5s")
	}
}

// TestStreamOutlivesServerTimeouts: on a server with a short ReadTimeout
// and WriteTimeout, an event stream still delivers changes after both
// have passed.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	b := newClusterBackend()
	b.addCanaryJob(t, job)
	s := NewServer("", mustNew(t, b, Options{}))
	s.ReadTimeout, s.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	addr := serve(t, s)
	resp, r := openStream(t, http.DefaultClient, "http://"+addr+"/events?name="+job)
	defer resp.Body.Close()
	time.Sleep(5 * s.ReadTimeout) // well past both deadlines
	b.notify(job)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended after the server's ReadTimeout: %v", err)
		}
		if line == "event: change\n" {
			return
		}
	}
}
