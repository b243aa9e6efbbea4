package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// These tests run Runners and Managers on the real clock with tiny backoffs
// and manual health, so that nothing waits on a timer: every wait ends on
// an event the test makes.

func fastRunner(t *testing.T, cfg controller.RunnerConfig) (*controller.Runner, func()) {
	t.Helper()
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 5*time.Millisecond
	r, err := controller.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return r, stop
}

func manualJob(id string, count int, spec string) rollout.JobVersion {
	up := &rollout.UpdateBlock{MaxParallel: iptr(2), HealthCheck: hptr(rollout.HealthManual)}
	return rollout.JobVersion{ID: id, Update: up, Groups: []rollout.Group{{Name: "web", Count: count, Spec: spec}}}
}

// eventually polls cond for up to 5 seconds of real time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func liveByName(allocs []rollout.Alloc) map[string]int {
	live := map[string]int{}
	for _, a := range allocs {
		if a.Desired == rollout.DesiredRun && a.Client != rollout.ClientFailed && a.Client != rollout.ClientLost && a.Client != rollout.ClientComplete {
			live[a.Name()]++
		}
	}
	return live
}

// TestRunnerAppliesPendingDecisionsAfterACrash: a Runner saves a step's
// decisions as pending, then dies before the Driver accepts them; the next
// Runner applies those very decisions first, confirms them, and places
// nothing twice.
func TestRunnerAppliesPendingDecisionsAfterACrash(t *testing.T) {
	store := controller.NewMemoryStore()
	broken := rollouttest.NewRecordingDriver()
	broken.Fail(rollouttest.Failure{Method: rollouttest.MethodApply, Times: 1 << 30, Err: errors.New("node unreachable")})
	r1, crash := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: broken, Store: store})
	if _, err := r1.Submit(context.Background(), manualJob("web", 3, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pending decisions saved", func() bool {
		st, _ := store.Load(context.Background(), "web")
		return st.Pending != nil && len(broken.CallsOf(rollouttest.MethodApply)) > 1
	})
	crash()
	st, _ := store.Load(context.Background(), "web")
	want := *st.Pending
	if len(want.Place) != 3 || len(st.Allocs) != 3 {
		t.Fatalf("saved %d placements pending and %d records, want 3 and 3", len(want.Place), len(st.Allocs))
	}

	d := rollouttest.NewRecordingDriver()
	fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store})
	eventually(t, "pending decisions confirmed", func() bool {
		st, _ := store.Load(context.Background(), "web")
		return st.Pending == nil && len(d.CallsOf(rollouttest.MethodApply)) > 0
	})
	first := d.CallsOf(rollouttest.MethodApply)[0].Decisions
	if len(first.Place) != 3 || first.Place[0].ID != want.Place[0].ID {
		t.Errorf("the new Runner first applied %+v, want the pending decisions %+v", first.Place, want.Place)
	}
	if n := len(d.Allocations("web")); n != 3 {
		t.Errorf("the driver holds %d allocations, want 3: each placement once", n)
	}
}

// conflictingStore makes another writer win the first Save of a step: it
// submits a newer version just before it.
type conflictingStore struct {
	*controller.MemoryStore
	once  sync.Once
	newer rollout.JobVersion
	hits  atomic.Int32
}

func (s *conflictingStore) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	if st.Deployment() != nil {
		s.once.Do(func() {
			other, _ := s.MemoryStore.Load(ctx, job)
			other.History.Submit(s.newer, time.Now())
			if _, err := s.MemoryStore.Save(ctx, job, other); err != nil {
				panic(err)
			}
			s.hits.Add(1)
		})
	}
	return s.MemoryStore.Save(ctx, job, st)
}

// TestRunnerStepsAgainAfterAConflict: when another writer saves the job
// between the Runner's load and save, the Runner's save fails, nothing of
// its step is applied, and it steps again on the newer state.
func TestRunnerStepsAgainAfterAConflict(t *testing.T) {
	store := &conflictingStore{MemoryStore: controller.NewMemoryStore(), newer: manualJob("web", 2, "v2")}
	d := rollouttest.NewRecordingDriver()
	var errs []error
	var mu sync.Mutex
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store, OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	if _, err := r.Submit(context.Background(), manualJob("web", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a deployment of version 1", func() bool {
		st, _ := store.Load(context.Background(), "web")
		dep := st.Deployment()
		return dep != nil && dep.JobVersion == 1 && st.Pending == nil
	})
	if store.hits.Load() != 1 {
		t.Fatal("the competing write never happened")
	}
	for _, call := range d.CallsOf(rollouttest.MethodApply) {
		for _, p := range call.Decisions.Place {
			if p.JobVersion != 1 {
				t.Errorf("applied a placement of version %d, decided on the state the other writer replaced", p.JobVersion)
			}
		}
	}
	if n := len(d.Allocations("web")); n != 2 {
		t.Errorf("%d allocations, want 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 0 {
		t.Errorf("a conflict is not a failure to retry with backoff: OnError got %v", errs)
	}
}

// observingDriver checks after every Apply that no allocation name has two
// live allocations.
type observingDriver struct {
	*rollouttest.RecordingDriver
	t   *testing.T
	job string
	bad atomic.Int32
}

func (d *observingDriver) Apply(ctx context.Context, dec rollout.Decisions) error {
	err := d.RecordingDriver.Apply(ctx, dec)
	for name, n := range liveByName(d.Allocations(d.job)) {
		if n > 1 {
			d.bad.Add(1)
			d.t.Errorf("slot %s has %d live allocations", name, n)
		}
	}
	return err
}

// TestRunnersRacingOnOneJob: two Runners of one job share a Store and a
// Driver (two controller replicas without a lease); compare-and-set keeps
// every slot to one live allocation through a rolling update.
func TestRunnersRacingOnOneJob(t *testing.T) {
	store := controller.NewMemoryStore()
	d := &observingDriver{RecordingDriver: rollouttest.NewRecordingDriver(), t: t, job: "web"}
	a, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store})
	b, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store})
	ctx := context.Background()
	healAll := func(version uint64) bool {
		st, _ := store.Load(ctx, "web")
		var ids []string
		for _, al := range st.Allocs {
			if al.Desired == rollout.DesiredRun && al.JobVersion == version && al.Health.Status == "" {
				ids = append(ids, al.ID)
				d.SetClient(al.ID, rollout.ClientRunning)
			}
		}
		if len(ids) > 0 {
			r := a
			if len(ids)%2 == 0 {
				r = b
			}
			_ = r.Command(ctx, rollout.SetHealth(true, ids...))
		}
		dep := st.Deployment()
		return dep != nil && dep.JobVersion == version && dep.Status == rollout.StatusSuccessful
	}
	if _, err := a.Submit(ctx, manualJob("web", 6, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 0 deployed", func() bool { return healAll(0) })
	if _, err := b.Submit(ctx, manualJob("web", 6, "v2")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 1 deployed", func() bool { return healAll(1) })
	if live := liveByName(d.Allocations("web")); len(live) != 6 {
		t.Errorf("live slots %v, want 6", live)
	}
}

// hangingDriver's first Apply ignores its context and never returns.
type hangingDriver struct {
	*rollouttest.RecordingDriver
	hung atomic.Bool
}

func (d *hangingDriver) Apply(ctx context.Context, dec rollout.Decisions) error {
	if d.hung.CompareAndSwap(false, true) {
		select {} // a driver that ignores its context
	}
	return d.RecordingDriver.Apply(ctx, dec)
}

// TestRunnerAbandonsAHangingCall: with CallTimeout, an Apply that ignores
// its context is abandoned and retried, and the rollout goes on.
func TestRunnerAbandonsAHangingCall(t *testing.T) {
	d := &hangingDriver{RecordingDriver: rollouttest.NewRecordingDriver()}
	var timeouts atomic.Int32
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, CallTimeout: 20 * time.Millisecond, OnError: func(err error) {
		if errors.Is(err, context.DeadlineExceeded) {
			timeouts.Add(1)
		}
	}})
	if _, err := r.Submit(context.Background(), manualJob("web", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "allocations placed", func() bool { return len(d.Allocations("web")) == 2 })
	if timeouts.Load() == 0 {
		t.Error("OnError never reported the timed-out call")
	}
}

// corruptStore cannot read its state.
type corruptStore struct{ controller.MemoryStore }

func (*corruptStore) Load(context.Context, string) (controller.State, error) {
	_, err := controller.DecodeState([]byte(`{"schema": 99, "state": {}}`))
	return controller.State{}, err
}

// TestStoppedRunnerRefusesWork: a Runner whose store holds a state of an
// unknown schema stops with that error; Done closes, and Submit and Command
// fail at once with ErrStopped.
func TestStoppedRunnerRefusesWork(t *testing.T) {
	r, err := controller.NewRunner(controller.RunnerConfig{JobID: "web", Driver: rollouttest.NewRecordingDriver(), Store: &corruptStore{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); !errors.Is(err, controller.ErrSchema) {
		t.Fatalf("Run = %v, want an error wrapping ErrSchema", err)
	}
	select {
	case <-r.Done():
	default:
		t.Fatal("Done is not closed after Run returned")
	}
	if !errors.Is(r.Err(), controller.ErrSchema) {
		t.Errorf("Err = %v", r.Err())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.Submit(ctx, manualJob("web", 1, "v1")); !errors.Is(err, controller.ErrStopped) {
		t.Errorf("Submit = %v, want ErrStopped", err)
	}
	if err := r.Command(ctx, rollout.Pause()); !errors.Is(err, controller.ErrStopped) || ctx.Err() != nil {
		t.Errorf("Command = %v, want ErrStopped at once", err)
	}
	if err := r.Run(ctx); !errors.Is(err, controller.ErrRunning) {
		t.Errorf("a second Run = %v, want ErrRunning: a Runner runs once", err)
	}
}

// TestSubmitWaitsForTheDeployment: with WaitForDeployment, Submit returns
// once the deployment exists, so a command right after finds it; a version
// that needs no deployment says so.
func TestSubmitWaitsForTheDeployment(t *testing.T) {
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: rollouttest.NewRecordingDriver()})
	ctx := context.Background()
	var dep rollout.Deployment
	v, err := r.Submit(ctx, manualJob("web", 2, "v1"), controller.WaitForDeployment(&dep))
	if err != nil {
		t.Fatal(err)
	}
	if dep.ID == "" || dep.JobVersion != v.Version || dep.Status != rollout.StatusRunning {
		t.Fatalf("deployment %+v, want the running deployment of version %d", dep, v.Version)
	}
	if err := r.Command(ctx, rollout.Pause()); err != nil {
		t.Errorf("Pause right after Submit: %v", err)
	}
	scale := manualJob("web", 2, "v1")
	scale.Update = nil
	scale.Groups[0].Spec = "v2"
	if _, err := r.Submit(ctx, scale, controller.WaitForDeployment(nil)); !errors.Is(err, rollout.ErrNoDeployment) {
		t.Errorf("Submit of a job with no update block = %v, want ErrNoDeployment", err)
	}
	if _, err := r.Submit(ctx, manualJob("web", 3, "v3"), controller.ExpectVersion(0)); !errors.Is(err, rollout.ErrVersionConflict) {
		t.Errorf("Submit planned against version 0 = %v, want ErrVersionConflict", err)
	}
	var vc *rollout.VersionConflictError
	_, err = r.Submit(ctx, manualJob("web", 3, "v3"), controller.ExpectVersion(0))
	if !errors.As(err, &vc) || vc.Latest == nil || *vc.Latest != 1 {
		t.Errorf("error %v, want a *VersionConflictError naming version 1", err)
	}
	if _, err := r.Submit(ctx, manualJob("web", 3, "v3"), controller.ExpectVersion(1)); err != nil {
		t.Errorf("Submit planned against the latest version: %v", err)
	}
}

// TestWatchAndWaitDeployment: a watcher sees the deployment change, and
// WaitDeployment returns it once it ends.
func TestWatchAndWaitDeployment(t *testing.T) {
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: rollouttest.NewRecordingDriver()})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	updates := r.Watch(ctx)
	var dep rollout.Deployment
	if _, err := r.Submit(ctx, manualJob("web", 2, "v1"), controller.WaitForDeployment(&dep)); err != nil {
		t.Fatal(err)
	}
	if got := <-updates; got.ID != dep.ID {
		t.Errorf("watched %s, want %s", got.ID, dep.ID)
	}
	ended := make(chan rollout.Deployment, 1)
	go func() {
		d, err := r.WaitDeployment(ctx, dep.ID)
		if err != nil {
			t.Error(err)
		}
		ended <- d
	}()
	if err := r.Command(ctx, rollout.Fail()); err != nil {
		t.Fatal(err)
	}
	if d := <-ended; d.Status != rollout.StatusFailed || d.Description != "Deployment marked as failed" {
		t.Errorf("WaitDeployment returned %s %q", d.Status, d.Description)
	}
	for got := range updates {
		if got.Status == rollout.StatusFailed {
			return
		}
	}
	t.Error("the watcher never saw the failure")
}

// TestRunnerCollectsStoppedRecords: records of stopped allocations beyond
// KeepStopped are dropped once their deployment has ended.
func TestRunnerCollectsStoppedRecords(t *testing.T) {
	store := controller.NewMemoryStore()
	d := rollouttest.NewRecordingDriver()
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store, KeepStopped: 1})
	ctx := context.Background()
	for i := range 3 {
		job := manualJob("web", 2, fmt.Sprint("v", i))
		job.Update = nil // replaced all at once, no deployment
		if _, err := r.Submit(ctx, job); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the version replaced", func() bool {
			st, _ := store.Load(ctx, "web")
			n := 0
			for _, a := range st.Allocs {
				if a.Desired == rollout.DesiredRun && a.JobVersion == uint64(i) {
					n++
				}
			}
			return n == 2 && st.Pending == nil
		})
	}
	// One more step: the stops of the last step are terminal now.
	if _, err := r.Submit(ctx, manualJob("web", 2, "v9")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "records collected", func() bool {
		st, _ := store.Load(ctx, "web")
		stopped := 0
		for _, a := range st.Allocs {
			if a.Desired == rollout.DesiredStop {
				stopped++
			}
		}
		return stopped <= 1+2 && len(st.Allocs) <= 1+2+4
	})
}

// TestRunnerLogs: one structured record per decision, with the job, the
// allocation, its kind and reason; errors on one line.
func TestRunnerLogs(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	d := rollouttest.NewRecordingDriver()
	d.Fail(rollouttest.Failure{Method: rollouttest.MethodApply, Err: errors.New("first\nsecond")})
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Logger: log})
	if _, err := r.Submit(context.Background(), manualJob("web", 2, "v1"), controller.WaitForDeployment(nil)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "placements logged", func() bool { return strings.Count(buf.String(), `"msg":"place"`) == 2 })
	var places, retries int
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not one JSON record per line: %q", line)
		}
		switch rec["msg"] {
		case "place":
			places++
			if rec["job"] != "web" || rec["kind"] != "create" || rec["reason"] == "" || rec["alloc"] == "" || rec["deployment"] == "" {
				t.Errorf("place record %v lacks job, alloc, deployment, kind or reason", rec)
			}
		case "retrying":
			retries++
			if msg, _ := rec["error"].(string); strings.Contains(msg, "\n") || !strings.Contains(msg, "first second") {
				t.Errorf("error %q is not on one line", msg)
			}
		}
	}
	if places != 2 || retries != 1 {
		t.Errorf("%d place and %d retry records, want 2 and 1:\n%s", places, retries, buf.String())
	}
}

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

// flakySaves fails the first Saves with a temporary error.
type flakySaves struct {
	*controller.MemoryStore
	fails atomic.Int32
}

func (s *flakySaves) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	if st.Pending != nil && s.fails.Add(-1) >= 0 {
		return 0, errors.New("disk busy")
	}
	return s.MemoryStore.Save(ctx, job, st)
}

// TestRunnerRetriesTemporaryStoreErrors: a Save that fails mid-step (before
// the decisions are applied) is retried with backoff; nothing is applied
// before the state with its pending decisions is saved, and nothing twice.
func TestRunnerRetriesTemporaryStoreErrors(t *testing.T) {
	store := &flakySaves{MemoryStore: controller.NewMemoryStore()}
	store.fails.Store(3)
	d := rollouttest.NewRecordingDriver()
	var errs atomic.Int32
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store, OnError: func(error) { errs.Add(1) }})
	if _, err := r.Submit(context.Background(), manualJob("web", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "allocations placed", func() bool { return len(d.Allocations("web")) == 2 })
	if n := len(d.CallsOf(rollouttest.MethodApply)); n != 1 {
		t.Errorf("%d Apply calls, want 1: the decisions are applied once, after they are saved", n)
	}
	if errs.Load() != 3 {
		t.Errorf("OnError saw %d failures, want the 3 failed saves", errs.Load())
	}
	st, _ := store.Load(context.Background(), "web")
	if st.Pending != nil || len(st.Allocs) != 2 {
		t.Errorf("stored state: pending %v, %d records; want confirmed decisions and 2 records", st.Pending != nil, len(st.Allocs))
	}
}

// TestRunnerCapsPlacements: with MaxPlacements, a first deployment of 10
// is placed in steps of 3, one right after the other.
func TestRunnerCapsPlacements(t *testing.T) {
	d := rollouttest.NewRecordingDriver()
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, MaxPlacements: 3})
	if _, err := r.Submit(context.Background(), manualJob("web", 10, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "all placed", func() bool { return len(d.Allocations("web")) == 10 })
	for _, c := range d.CallsOf(rollouttest.MethodApply) {
		if n := len(c.Decisions.Place); n > 3 {
			t.Errorf("a step placed %d, want at most 3", n)
		}
	}
}

// TestSubmitRefusesFailedSpecs: with RefuseFailedSpecs, a version whose
// deployment failed and was auto-reverted is not deployed again when the
// same job is submitted again, unless forced.
func TestSubmitRefusesFailedSpecs(t *testing.T) {
	store := controller.NewMemoryStore()
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: rollouttest.NewRecordingDriver(), Store: store})
	ctx := context.Background()
	job := func(spec string) rollout.JobVersion {
		j := manualJob("web", 1, spec)
		pd, revert := time.Duration(0), true
		j.Update.ProgressDeadline, j.Update.AutoRevert = &pd, &revert
		return j
	}
	var dep rollout.Deployment
	if _, err := r.Submit(ctx, job("good"), controller.WaitForDeployment(&dep)); err != nil {
		t.Fatal(err)
	}
	healAll := func() {
		st, _ := store.Load(ctx, "web")
		for _, a := range st.Allocs {
			if a.Desired == rollout.DesiredRun && a.Health.Status == "" {
				_ = r.Command(ctx, rollout.SetHealth(true, a.ID))
			}
		}
	}
	healAll()
	if d, err := r.WaitDeployment(ctx, dep.ID); err != nil || d.Status != rollout.StatusSuccessful {
		t.Fatalf("first deployment: %v %v", d.Status, err)
	}
	if _, err := r.Submit(ctx, job("bad"), controller.WaitForDeployment(&dep)); err != nil {
		t.Fatal(err)
	}
	st, _ := store.Load(ctx, "web")
	for _, a := range st.Allocs {
		if a.Desired == rollout.DesiredRun && a.Health.Status == "" {
			if err := r.Command(ctx, rollout.SetHealth(false, a.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d, err := r.WaitDeployment(ctx, dep.ID); err != nil || d.Status != rollout.StatusFailed {
		t.Fatalf("bad deployment: %v %v", d.Status, err)
	}
	eventually(t, "the failed spec remembered", func() bool {
		st, _ := store.Load(ctx, "web")
		return len(st.History.FailedSpecs) == 1
	})
	_, err := r.Submit(ctx, job("bad"), controller.RefuseFailedSpecs())
	var fe *rollout.FailedSpecError
	if !errors.As(err, &fe) || !errors.Is(err, rollout.ErrFailedSpec) || fe.Version != 1 {
		t.Errorf("resubmitting the failed spec = %v, want a *FailedSpecError naming version 1", err)
	}
	if _, err := r.Submit(ctx, job("bad")); err != nil {
		t.Errorf("without RefuseFailedSpecs (Nomad's behaviour) = %v, want accepted", err)
	}
	if _, err := r.Submit(ctx, job("bad2"), controller.RefuseFailedSpecs(), controller.Force()); err != nil {
		t.Errorf("forced = %v", err)
	}
}

// TestRunnerFreeze: a Freeze command is kept with the job's state, holds
// the next version's deployment, and Unfreeze lets it start.
func TestRunnerFreeze(t *testing.T) {
	store := controller.NewMemoryStore()
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Store: store, Driver: rollouttest.NewRecordingDriver()})
	ctx := context.Background()
	if _, err := r.Submit(ctx, manualJob("web", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	if err := r.Command(ctx, rollout.Freeze("release freeze", time.Time{})); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	st, err := store.Load(ctx, "web")
	if err != nil || st.Freeze == nil || st.Freeze.Reason != "release freeze" {
		t.Fatalf("stored freeze %+v, %v; want the freeze kept with the job's state", st.Freeze, err)
	}
	v, err := r.Submit(ctx, manualJob("web", 2, "v2"), controller.WaitForDeployment(nil))
	if !errors.Is(err, rollout.ErrFrozen) || !errors.Is(err, rollout.ErrNoDeployment) || !strings.Contains(err.Error(), "release freeze") {
		t.Fatalf("Submit while frozen = %v; want ErrFrozen and ErrNoDeployment, naming the freeze", err)
	}
	latest := func() *rollout.Deployment {
		st, err := store.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		return st.Deployment()
	}
	time.Sleep(20 * time.Millisecond) // steps that could start it, if the freeze did not hold
	if d := latest(); d != nil && d.JobVersion == v.Version {
		t.Fatalf("deployment %s of version %d started while frozen", d.ID, v.Version)
	}
	if err := r.Command(ctx, rollout.Unfreeze()); err != nil {
		t.Fatalf("Unfreeze: %v", err)
	}
	eventually(t, "the deployment of the new version", func() bool {
		d := latest()
		return d != nil && d.JobVersion == v.Version
	})
	if st, _ := store.Load(ctx, "web"); st.Freeze != nil {
		t.Errorf("freeze %+v still stored after Unfreeze", st.Freeze)
	}
}

// TestRunnerMigratesWhatTheDriverMarks: the migrate mark is the driver's
// to report (its node drains), like the client status; the Runner passes
// it to Step, which moves the allocation under its name.
func TestRunnerMigratesWhatTheDriverMarks(t *testing.T) {
	store := controller.NewMemoryStore()
	d := rollouttest.NewRecordingDriver()
	var mu sync.Mutex
	var migrated []rollout.Placement
	r, _ := fastRunner(t, controller.RunnerConfig{JobID: "web", Driver: d, Store: store, OnStep: func(rep controller.StepReport) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range rep.Output.Place {
			if p.Kind == rollout.KindMigrate {
				migrated = append(migrated, p)
			}
		}
	}})
	ctx := context.Background()
	if _, err := r.Submit(ctx, manualJob("web", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	var target rollout.Alloc
	eventually(t, "two allocations placed", func() bool {
		allocs := d.Allocations("web")
		if len(allocs) != 2 {
			return false
		}
		target = allocs[0]
		return true
	})
	target.Migrate = true
	d.Put(target)
	if _, err := r.Submit(ctx, manualJob("web", 2, "v2")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the marked allocation migrated", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(migrated) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(migrated) != 1 || migrated[0].Replaces != target.ID || migrated[0].Name != target.Name() {
		t.Errorf("migrations %+v, want one replacing %s (%s)", migrated, target.ID, target.Name())
	}
}
