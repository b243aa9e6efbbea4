package controller_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

var runnerT0 = time.Date(2017, 7, 26, 18, 0, 0, 0, time.UTC)

// runnerHarness runs a Runner on a mock clock in the background. Each Set
// of the mock clock sleeps a real millisecond, so the tests move it a few
// dozen times at most.
type runnerHarness struct {
	t      *testing.T
	mock   *clock.Mock
	r      *controller.Runner
	waits  chan time.Time
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	reports []controller.StepReport
	errs    []error
}

func newRunnerHarness(t *testing.T, cfg controller.RunnerConfig) *runnerHarness {
	t.Helper()
	h := &runnerHarness{t: t, mock: clock.NewMock(), waits: make(chan time.Time, 1000), done: make(chan error, 1)}
	h.mock.Set(runnerT0)
	cfg.Clock = h.mock
	cfg.OnWait = func(until time.Time) { h.waits <- until }
	cfg.OnStep = func(r controller.StepReport) {
		h.mu.Lock()
		h.reports = append(h.reports, r)
		h.mu.Unlock()
	}
	cfg.OnError = func(err error) {
		h.mu.Lock()
		h.errs = append(h.errs, err)
		h.mu.Unlock()
	}
	r, err := controller.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	if until := h.wait(); !until.IsZero() {
		t.Fatalf("with no job the runner waits until %v, want until news", until)
	}
	return h
}

// stepped waits until the runner has made a step that deploys version v.
func (h *runnerHarness) stepped(v uint64) {
	h.t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		h.mu.Lock()
		n := len(h.reports)
		ok := n > 0 && h.reports[n-1].Input.Job.Version == v
		h.mu.Unlock()
		if ok {
			return
		}
	}
	h.t.Fatalf("the runner never stepped version %d", v)
}

// wait returns the next time the runner said it would wake at (zero: only
// an event, a Submit or a Command wakes it), once it waits.
func (h *runnerHarness) wait() time.Time {
	h.t.Helper()
	select {
	case u := <-h.waits:
		return u
	case err := <-h.done:
		h.t.Fatalf("Run returned early: %v", err)
	case <-time.After(5 * time.Second):
		h.t.Fatal("the runner never waited")
	}
	return time.Time{}
}

func (h *runnerHarness) state() controller.State {
	h.t.Helper()
	st, err := h.r.Store().Load(context.Background(), "geo-api-server")
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *runnerHarness) submit(j rollout.JobVersion) rollout.JobVersion {
	h.t.Helper()
	v, err := h.r.Submit(context.Background(), j)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

func geo(count int, spec string, up *rollout.UpdateBlock) rollout.JobVersion {
	return rollout.JobVersion{ID: "geo-api-server", Update: up, Groups: []rollout.Group{{Name: "api-server", Count: count, Spec: spec}}}
}

func iptr(n int) *int                                 { return &n }
func dptr(d time.Duration) *time.Duration             { return &d }
func bptr(b bool) *bool                               { return &b }
func hptr(h rollout.HealthCheck) *rollout.HealthCheck { return &h }

// TestRunnerRollsOutOnASimulatedCluster drives a Runner against a
// rollouttest.Cluster (its Driver and HealthSource) on a mock clock: the
// cluster's events and the runner's timers take turns, and two rolling
// updates complete.
func TestRunnerRollsOutOnASimulatedCluster(t *testing.T) {
	cluster := rollouttest.NewCluster(rollouttest.Config{Start: runnerT0, Default: rollouttest.Behavior{StartAfter: 2 * time.Second}})
	h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: cluster, Health: cluster})
	up := &rollout.UpdateBlock{MaxParallel: iptr(2), MinHealthyTime: dptr(10 * time.Second)}

	moves := 0
	var until time.Time
	deploy := func(version uint64) {
		t.Helper()
		for moves < 60 {
			st := h.state()
			if d := st.Deployment(); d != nil && d.JobVersion == version && d.Status.Terminal() {
				if d.Status != rollout.StatusSuccessful {
					t.Fatalf("deployment of version %d %s: %s", version, d.Status, d.Description)
				}
				return
			}
			ev, ok := cluster.NextEvent()
			target := until
			if ok && (target.IsZero() || ev.Before(target)) {
				target = ev
			}
			if target.IsZero() {
				t.Fatalf("nothing will happen, but version %d is not deployed: %+v", version, st.Deployment())
			}
			if ok && !ev.After(target) && cluster.Advance(target) > 0 {
				until = h.wait() // the runner holds the events until its clock reaches them
			}
			h.mock.Set(target)
			moves++
			if !until.IsZero() && !until.After(target) {
				until = h.wait()
			}
		}
		t.Fatalf("version %d not deployed after %d clock moves", version, moves)
	}
	h.submit(geo(6, "geo-api-server:0.1", up))
	until = h.wait()
	deploy(0)
	h.submit(geo(6, "geo-api-server:0.2", up))
	until = h.wait()
	deploy(1)

	st := h.state()
	if len(st.History.Versions) != 2 || !st.History.Versions[0].Stable || !st.History.Versions[1].Stable {
		t.Errorf("versions %+v, want 0 and 1, both stable", st.History.Versions)
	}
	running, healthy := 0, 0
	allocs, _ := cluster.Allocs(context.Background(), "geo-api-server")
	for _, a := range allocs {
		if a.Desired == "run" && a.JobVersion == 1 {
			running++
			if a.Health.Status == "healthy" {
				healthy++
			}
		}
	}
	if running != 6 || healthy != 6 {
		t.Errorf("version 1 has %d running, %d healthy allocations; want 6 and 6", running, healthy)
	}
	if got, want := h.mock.Now().Sub(runnerT0), 12*time.Second+3*12*time.Second; got != want {
		t.Errorf("took %v of clock time, want %v (one 12s batch, then three of max_parallel 2)", got, want)
	}
	t.Logf("%d clock moves, %d steps", moves, len(h.reports))
}

// TestRunnerRetriesApplyWithBackoff: a failing Apply is retried with the
// very same decisions, after 1s, 2s, 4s, and the allocations exist once.
func TestRunnerRetriesApplyWithBackoff(t *testing.T) {
	for _, after := range []bool{false, true} {
		name := map[bool]string{false: "fails before applying", true: "applies, then its answer is lost"}[after]
		t.Run(name, func(t *testing.T) {
			d := rollouttest.NewRecordingDriver()
			boom := errors.New("connection reset")
			d.Fail(rollouttest.Failure{Method: rollouttest.MethodApply, Times: 3, Err: boom, AfterApply: after})
			h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: d})
			h.submit(geo(2, "geo-api-server:0.1", nil))
			for i, backoff := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
				until := h.wait()
				if got := until.Sub(h.mock.Now()); got != backoff {
					t.Errorf("wait #%d: %v, want a backoff of %v", i+1, got, backoff)
				}
				h.mock.Set(until)
			}
			if until := h.wait(); !until.IsZero() {
				t.Errorf("after the rollout the runner wakes at %v, want only on news", until)
			}
			calls := d.CallsOf(rollouttest.MethodApply)
			if len(calls) != 4 {
				t.Fatalf("%d Apply calls, want 4", len(calls))
			}
			for i := 1; i < len(calls); i++ {
				if !reflect.DeepEqual(calls[i].Decisions, calls[0].Decisions) {
					t.Errorf("Apply #%d was given other decisions than Apply #1", i+1)
				}
			}
			if n := len(d.Allocations("geo-api-server")); n != 2 {
				t.Errorf("%d allocations, want 2: each placement exactly once", n)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.errs) != 3 || !errors.Is(h.errs[0], boom) {
				t.Errorf("OnError got %v, want the 3 failures", h.errs)
			}
			// Steps that decide nothing (a wake-up after the rollout) may
			// follow; the one that decided took 4 attempts.
			var deciding []controller.StepReport
			for _, rep := range h.reports {
				if d := rollout.DecisionsOf(rep.JobID, &rep.Output); !d.Empty() {
					deciding = append(deciding, rep)
				}
			}
			if len(deciding) != 1 || deciding[0].Attempts != 4 {
				t.Errorf("deciding steps %+v, want one that took 4 attempts", deciding)
			}
		})
	}
}

// TestRunnerCommandsAndRevert: with manual health, commands drive a
// blue/green rollout, a refused command is answered with its error, and
// a failed deployment's auto-revert is submitted and deployed.
func TestRunnerCommandsAndRevert(t *testing.T) {
	d := rollouttest.NewRecordingDriver()
	h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: d})
	ctx := context.Background()
	// progress_deadline 0: an unhealthy verdict fails the deployment at once.
	noDeadline := time.Duration(0)
	up := &rollout.UpdateBlock{MaxParallel: iptr(2), HealthCheck: hptr(rollout.HealthManual), Canary: iptr(2), AutoRevert: bptr(true), ProgressDeadline: &noDeadline}
	ids := func(version uint64) []string {
		var out []string
		for _, a := range d.Allocations("geo-api-server") {
			if a.JobVersion == version && a.Desired == "run" {
				out = append(out, a.ID)
			}
		}
		return out
	}
	h.submit(geo(2, "blue", up))
	h.stepped(0)
	if err := h.r.Command(ctx, rollout.SetHealth(true, ids(0)...)); err != nil {
		t.Fatal(err)
	}
	h.submit(geo(2, "green", up))
	h.stepped(1)
	err := h.r.Command(ctx, rollout.Promote())
	var ce *rollout.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, rollout.ErrPromotion) {
		t.Fatalf("promotion before the canaries are healthy: %v, want a *CommandError wrapping ErrPromotion", err)
	}
	if err := h.r.Command(ctx, rollout.SetHealth(true, ids(1)...)); err != nil {
		t.Fatal(err)
	}
	if err := h.r.Command(ctx, rollout.Promote()); err != nil {
		t.Fatal(err)
	}
	st := h.state()
	if dep := st.Deployment(); dep.JobVersion != 1 || dep.Status != rollout.StatusSuccessful {
		h.mu.Lock()
		for _, r := range h.reports {
			t.Logf("v%d %v: %d placed, %d stopped, %v", r.Input.Job.Version, r.Input.Commands, len(r.Output.Place), len(r.Output.Stop), r.Output.Transitions)
		}
		h.mu.Unlock()
		t.Fatalf("after promotion: deployment of version %d %s, want version 1 successful", dep.JobVersion, dep.Status)
	}
	if n := len(ids(0)); n != 0 {
		t.Errorf("%d allocations of version 0 still run after promotion, want 0", n)
	}

	// A bad version: its canaries are unhealthy, the deployment fails and
	// the runner submits and deploys the revert to version 1.
	h.submit(geo(2, "purple", up))
	h.stepped(2)
	if err := h.r.Command(ctx, rollout.SetHealth(false, ids(2)...)); err != nil {
		t.Fatal(err)
	}
	h.stepped(3) // the runner submits the revert, and deploys it at once
	st = h.state()
	latest, _ := st.History.Latest()
	if latest.Version != 3 || latest.RevertOf == nil || *latest.RevertOf != 1 || latest.Groups[0].Spec != "green" {
		t.Fatalf("latest version %+v, want version 3 reverting to version 1", latest)
	}
	var got []string
	for _, dep := range st.Deployments {
		got = append(got, string(dep.Status)+": "+dep.Description)
	}
	want := []string{
		"successful: Deployment completed successfully",
		"successful: Deployment completed successfully",
		"failed: Failed due to unhealthy allocations - rolling back to job version 1",
		"running: Deployment is running",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deployments %q, want %q (version 3 updates version 1's allocations in place)", got, want)
	}
	if n := len(ids(2)); n != 0 {
		t.Errorf("%d canaries of the failed version still run, want 0", n)
	}
}

// TestRunnerStopsCleanly: Run returns nil soon after its context ends, even
// while it backs off, and answers a waiting command.
func TestRunnerStopsCleanly(t *testing.T) {
	d := rollouttest.NewRecordingDriver()
	d.Fail(rollouttest.Failure{Method: rollouttest.MethodAllocs, Times: 1000, Err: errors.New("driver down")})
	mock := clock.NewMock()
	waits := make(chan time.Time, 100)
	r, err := controller.NewRunner(controller.RunnerConfig{JobID: "geo-api-server", Driver: d, Clock: mock, OnWait: func(u time.Time) { waits <- u }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	<-waits // backing off
	if err := r.Run(ctx); !errors.Is(err, controller.ErrRunning) {
		t.Errorf("a second Run: %v, want ErrRunning", err)
	}
	cmd := make(chan error, 1)
	go func() { cmd <- r.Command(context.Background(), rollout.Pause()) }()
	time.Sleep(10 * time.Millisecond) // let the command queue
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case err := <-cmd:
		if err == nil {
			t.Error("the waiting command was answered nil, want an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting command was never answered")
	}
}

func TestRunnerConfig(t *testing.T) {
	if _, err := controller.NewRunner(controller.RunnerConfig{}); err == nil {
		t.Error("NewRunner without JobID and Driver succeeded")
	}
	r, err := controller.NewRunner(controller.RunnerConfig{JobID: "a", Driver: rollouttest.NewRecordingDriver()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(context.Background(), rollout.JobVersion{ID: "b"}); err == nil {
		t.Error("Submit of another job succeeded")
	}
	if _, err := r.Submit(context.Background(), rollout.JobVersion{ID: "a", Groups: []rollout.Group{{Name: "g", Count: -1}}}); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("Submit of an invalid job: %v, want ErrInvalid", err)
	}
	v1, _ := r.Submit(context.Background(), rollout.JobVersion{ID: "a", Groups: []rollout.Group{{Name: "g", Count: 1}}})
	v2, _ := r.Submit(context.Background(), rollout.JobVersion{ID: "a", Groups: []rollout.Group{{Name: "g", Count: 1}}})
	if v1.Version != 0 || v2.Version != 0 {
		t.Errorf("an identical resubmission made version %d, want none (0)", v2.Version)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	m := controller.NewMemoryStore()
	st, err := m.Load(ctx, "j")
	if err != nil || len(st.History.Versions) != 0 || st.Deployment() != nil {
		t.Fatalf("Load of an unknown job: %+v, %v; want the zero State", st, err)
	}
	st.History.Submit(rollout.JobVersion{ID: "j", Groups: []rollout.Group{{Name: "g", Count: 1, Tasks: []string{"t"}}}}, runnerT0)
	st.RecordDeployment(&rollout.Deployment{ID: "d1", JobID: "j", Status: rollout.StatusRunning})
	if _, err := m.Save(ctx, "j", st); err != nil {
		t.Fatal(err)
	}
	st.History.Versions[0].Groups[0].Tasks[0] = "changed"
	st.Deployments[0].Status = rollout.StatusFailed
	got, _ := m.Load(ctx, "j")
	if got.History.Versions[0].Groups[0].Tasks[0] != "t" || got.Deployment().Status != rollout.StatusRunning {
		t.Errorf("the store shares memory with what was saved: %+v", got)
	}
	got.RecordDeployment(&rollout.Deployment{ID: "d1", Status: rollout.StatusSuccessful})
	got.RecordDeployment(&rollout.Deployment{ID: "d2", Status: rollout.StatusRunning})
	if len(got.Deployments) != 2 || got.Deployments[0].Status != rollout.StatusSuccessful || got.Deployment().ID != "d2" {
		t.Errorf("RecordDeployment: %+v", got.Deployments)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Load(cctx, "j"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context: %v", err)
	}
}

// badSource sends one batch holding an event Step refuses.
type badSource struct{}

func (badSource) Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error) {
	ch := make(chan []rollout.Event, 1)
	ch <- []rollout.Event{{Time: runnerT0, Alloc: "whatever", Kind: "exploded"}}
	return ch, nil
}

// TestRunnerDropsRefusedEvents: an event Step refuses does not stop Run.
func TestRunnerDropsRefusedEvents(t *testing.T) {
	d := rollouttest.NewRecordingDriver(rollout.Alloc{
		ID: "whatever", JobID: "geo-api-server", Group: "api-server", Desired: "run", Client: "running", CreateTime: runnerT0,
	})
	h := newRunnerHarness(t, controller.RunnerConfig{JobID: "geo-api-server", Driver: d, Health: badSource{}})
	h.submit(geo(2, "v1", nil))
	h.stepped(0)
	h.mu.Lock()
	defer h.mu.Unlock()
	found := false
	for _, err := range h.errs {
		found = found || strings.Contains(err.Error(), "dropped 1 health events")
	}
	if !found {
		t.Errorf("OnError got %v, want the dropped event reported", h.errs)
	}
}

// A Runner rolls a job out through a Driver; here the health is manual and
// comes from a command.
func ExampleRunner() {
	driver := rollouttest.NewRecordingDriver()
	steps := make(chan controller.StepReport, 16)
	r, err := controller.NewRunner(controller.RunnerConfig{
		JobID:  "web",
		Driver: driver,
		Clock:  clock.NewMock(), // a real program leaves it nil
		OnStep: func(s controller.StepReport) { steps <- s },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()

	manual := rollout.HealthManual
	job := rollout.JobVersion{ID: "web", Update: &rollout.UpdateBlock{HealthCheck: &manual},
		Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "web:1"}}}
	if _, err := r.Submit(ctx, job); err != nil {
		fmt.Println(err)
	}
	first := <-steps
	var ids []string
	for _, p := range first.Output.Place {
		ids = append(ids, p.ID)
	}
	fmt.Println("placed:", len(ids))
	if err := r.Command(ctx, rollout.SetHealth(true, ids...)); err != nil {
		fmt.Println(err)
	}
	st, _ := r.Store().Load(ctx, "web")
	latest, _ := st.History.Latest()
	fmt.Printf("deployment: %s; version %d stable: %t\n", st.Deployment().Description, latest.Version, latest.Stable)
	cancel()
	fmt.Println("Run returned:", <-done)
	// Output:
	// placed: 2
	// deployment: Deployment completed successfully; version 0 stable: true
	// Run returned: <nil>
}

// TestMemoryStoreConformance: MemoryStore keeps the Store contract.
func TestMemoryStoreConformance(t *testing.T) {
	rollouttest.TestStore(t, func(*testing.T) controller.Store { return controller.NewMemoryStore() })
}
