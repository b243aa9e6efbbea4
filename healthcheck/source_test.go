package healthcheck_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/healthcheck"
)

// next returns the next event of ch, failing the test if ch closes or
// nothing arrives for a long while (a hang, not a timing assertion).
func next(t *testing.T, ch <-chan []rollout.Event) []rollout.Event {
	t.Helper()
	select {
	case b, ok := <-ch:
		if !ok {
			t.Fatal("events channel closed")
		}
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return nil
}

func subscribe(t *testing.T, s *healthcheck.Source, job string) <-chan []rollout.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Events(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// firstEvent runs one check once (the first attempt starts at once) and
// returns its event.
func firstEvent(t *testing.T, c healthcheck.Check) rollout.Event {
	t.Helper()
	s := healthcheck.NewSource(nil)
	t.Cleanup(s.Close)
	ch := subscribe(t, s, "web")
	s.Register("web", "a1", c)
	b := next(t, ch)
	if len(b) != 1 || b[0].Alloc != "a1" || b[0].Check != c.Name {
		t.Fatalf("events %+v, want one of check %q on a1", b, c.Name)
	}
	return b[0]
}

func TestChecksAgainstRealListeners(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ready"}`)) }))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer broken.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		reason string
		check  healthcheck.Check
		want   rollout.EventKind
	}{
		{"a 200 passes", healthcheck.HTTP("http", ok.URL), rollout.CheckPassing},
		{"a 503 fails", healthcheck.HTTP("http", broken.URL), rollout.CheckFailing},
		{"a 503 passes when the range admits it", healthcheck.Check{Name: "http", Probe: healthcheck.HTTPCheck{URL: broken.URL, MinStatus: 200, MaxStatus: 503}.Probe()}, rollout.CheckPassing},
		{"the body holds the substring", healthcheck.Check{Name: "http", Probe: healthcheck.HTTPCheck{URL: ok.URL, Body: "ready"}.Probe()}, rollout.CheckPassing},
		{"the body lacks the substring", healthcheck.Check{Name: "http", Probe: healthcheck.HTTPCheck{URL: ok.URL, Body: "degraded"}.Probe()}, rollout.CheckFailing},
		{"the body matches the regexp", healthcheck.Check{Name: "http", Probe: healthcheck.HTTPCheck{URL: ok.URL, BodyRegexp: regexp.MustCompile(`"status":\s*"ready"`)}.Probe()}, rollout.CheckPassing},
		{"the body does not match the regexp", healthcheck.Check{Name: "http", Probe: healthcheck.HTTPCheck{URL: ok.URL, BodyRegexp: regexp.MustCompile(`^ok$`)}.Probe()}, rollout.CheckFailing},
		{"a listening port passes", healthcheck.TCP("tcp", ln.Addr().String()), rollout.CheckPassing},
		{"a closed port fails", healthcheck.TCP("tcp", closedAddr), rollout.CheckFailing},
		{"exit 0 passes", healthcheck.Exec("script", "sh", "-c", "exit 0"), rollout.CheckPassing},
		{"exit 1 fails", healthcheck.Exec("script", "sh", "-c", "exit 1"), rollout.CheckFailing},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			before := time.Now()
			e := firstEvent(t, tt.check)
			if e.Kind != tt.want {
				t.Errorf("kind %s, want %s", e.Kind, tt.want)
			}
			if e.Time.Before(before) {
				t.Errorf("event time %v before the check ran (%v)", e.Time, before)
			}
		})
	}
}

func TestTimeoutFailsAHangingCheck(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := healthcheck.HTTP("http", srv.URL)
	c.Timeout = 20 * time.Millisecond
	var got error
	s := healthcheck.NewSource(nil)
	results := make(chan healthcheck.Result, 1)
	s.OnResult = func(r healthcheck.Result) {
		select {
		case results <- r:
		default:
		}
	}
	defer s.Close()
	ch := subscribe(t, s, "web")
	s.Register("web", "a1", c)
	if b := next(t, ch); b[0].Kind != rollout.CheckFailing {
		t.Fatalf("hanging check: %+v, want failing", b)
	}
	got = (<-results).Err
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping context.DeadlineExceeded", got)
	}
}

// TestFlappingCheckIsAbsorbed: with thresholds of 2, one failure among
// successes changes nothing; two in a row make the check failing, stamped
// with the time of the second failure.
func TestFlappingCheckIsAbsorbed(t *testing.T) {
	script := []int{200, 500, 200, 200, 500, 200, 500, 500}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(script[int(n.Add(1)-1)%len(script)])
	}))
	defer srv.Close()

	clk := clock.NewMock()
	start := clk.Now()
	s := healthcheck.NewSource(clk)
	results := make(chan healthcheck.Result)
	s.OnResult = func(r healthcheck.Result) { results <- r }
	defer s.Close()
	ch := subscribe(t, s, "web")
	c := healthcheck.HTTP("api", srv.URL)
	c.Interval = 10 * time.Second
	c.SuccessBeforePassing, c.FailuresBeforeCritical = 2, 2
	s.Register("web", "a1", c)

	var events []rollout.Event
	for i := range script {
		<-results
		// The event of an attempt is queued before its result is reported.
		for {
			select {
			case b := <-ch:
				events = append(events, b...)
				continue
			default:
			}
			break
		}
		if i < len(script)-1 {
			clk.Add(c.Interval)
		}
	}
	// Let a last queued batch through.
	if len(events) < 2 {
		events = append(events, next(t, ch)...)
	}
	want := []rollout.Event{
		{Time: start.Add(30 * time.Second), Alloc: "a1", Kind: rollout.CheckPassing, Check: "api"},
		{Time: start.Add(70 * time.Second), Alloc: "a1", Kind: rollout.CheckFailing, Check: "api"},
	}
	if len(events) != len(want) {
		t.Fatalf("events %+v, want %+v", events, want)
	}
	for i := range want {
		if !events[i].Time.Equal(want[i].Time) || events[i].Kind != want[i].Kind || events[i].Check != want[i].Check || events[i].Alloc != want[i].Alloc {
			t.Errorf("event %d = %+v, want %+v", i, events[i], want[i])
		}
	}
}

func TestTaskEventsCarryTheCallersTime(t *testing.T) {
	s := healthcheck.NewSource(clock.NewMock())
	defer s.Close()
	if err := s.TaskStarted("nope", "app", time.Unix(5, 0)); !errors.Is(err, healthcheck.ErrUnknownAlloc) {
		t.Errorf("unknown alloc: %v, want ErrUnknownAlloc", err)
	}
	ch := subscribe(t, s, "web")
	s.Register("web", "a1")
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	calls := []struct {
		f    func(string, string, time.Time) error
		at   time.Time
		kind rollout.EventKind
	}{
		{s.TaskStarted, started, rollout.TaskStarted},
		{s.TaskRestarted, started.Add(time.Minute), rollout.TaskRestarted},
		{s.TaskFailed, started.Add(2 * time.Minute), rollout.TaskFailed},
		{s.TaskFinished, started.Add(3 * time.Minute), rollout.TaskFinished},
	}
	for _, c := range calls {
		if err := c.f("a1", "app", c.at); err != nil {
			t.Fatal(err)
		}
		b := next(t, ch)
		want := rollout.Event{Time: c.at, Alloc: "a1", Kind: c.kind, Task: "app"}
		if len(b) != 1 || b[0] != want {
			t.Errorf("events %+v, want %+v", b, want)
		}
	}
	if err := s.TaskStarted("a1", "app", time.Time{}); err == nil {
		t.Error("a zero start time was accepted")
	}
}

// TestHealthSourceContract: a new subscription first receives the latest
// event of every task and check of the job's allocations (a restarted
// Runner loses nothing), never another job's, and its channel closes once
// its context is done.
func TestHealthSourceContract(t *testing.T) {
	s := healthcheck.NewSource(clock.NewMock())
	defer s.Close()
	s.Register("web", "a1")
	s.Register("db", "d1")
	t0 := time.Unix(100, 0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.TaskStarted("a1", "app", t0))
	must(s.TaskRestarted("a1", "app", t0.Add(time.Second)))
	must(s.TaskStarted("d1", "db", t0))

	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Events(ctx, "web")
	must(err)
	b := next(t, ch)
	want := rollout.Event{Time: t0.Add(time.Second), Alloc: "a1", Kind: rollout.TaskRestarted, Task: "app"}
	if len(b) != 1 || b[0] != want {
		t.Errorf("replay %+v, want only %+v", b, want)
	}
	s.Unregister("a1")
	if err := s.TaskFailed("a1", "app", t0.Add(2*time.Second)); !errors.Is(err, healthcheck.ErrUnknownAlloc) {
		t.Errorf("after Unregister: %v, want ErrUnknownAlloc", err)
	}
	cancel()
	for range ch {
	}
}

// TestRegisterAgainReplacesChecks: registering an allocation again stops its
// old checks and runs the new ones, keeping its task events for replay;
// Unregister stops its checks.
func TestRegisterAgainReplacesChecks(t *testing.T) {
	clk := clock.NewMock()
	s := healthcheck.NewSource(clk)
	defer s.Close()
	var oldRuns, newRuns atomic.Int32
	probe := func(n *atomic.Int32) healthcheck.Probe {
		return func(context.Context) error { n.Add(1); return nil }
	}
	ch := subscribe(t, s, "web")
	s.Register("web", "a1", healthcheck.Check{Name: "old", Probe: probe(&oldRuns)})
	if b := next(t, ch); b[0].Check != "old" {
		t.Fatalf("events %+v, want the old check's", b)
	}
	started := clk.Now().Add(-time.Minute) // the process started before it was registered
	if err := s.TaskStarted("a1", "app", started); err != nil {
		t.Fatal(err)
	}
	next(t, ch)
	s.Register("web", "a1", healthcheck.Check{Name: "new", Probe: probe(&newRuns)})
	if b := next(t, ch); b[0].Check != "new" {
		t.Fatalf("events %+v, want the new check's", b)
	}
	if oldRuns.Load() != 1 {
		t.Errorf("old check ran %d times, want once (stopped when replaced)", oldRuns.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	again, err := s.Events(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	b := next(t, again)
	if len(b) != 2 || b[0].Kind != rollout.TaskStarted || !b[0].Time.Equal(started) || b[1].Check != "new" {
		t.Errorf("replay %+v, want the task start then the new check", b)
	}
	s.Unregister("a1")
	runs := newRuns.Load()
	if runs != 1 {
		t.Errorf("new check ran %d times before any interval passed, want once", runs)
	}
}
