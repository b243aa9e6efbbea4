package controller_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

func runManager(t *testing.T, cfg controller.ManagerConfig) (*controller.Manager, context.CancelFunc) {
	t.Helper()
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 5*time.Millisecond
	m, err := controller.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Manager.Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Manager.Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return m, stop
}

// TestManagerRunsAFleet: a Manager rolls out many jobs at once, each with
// its own Runner, and answers for each by its ID.
func TestManagerRunsAFleet(t *testing.T) {
	d := rollouttest.NewRecordingDriver()
	m, _ := runManager(t, controller.ManagerConfig{Driver: d})
	ctx := context.Background()
	const jobs = 20
	for i := range jobs {
		id := fmt.Sprintf("job-%02d", i)
		var dep rollout.Deployment
		if _, err := m.Submit(ctx, manualJob(id, 2, "v1"), controller.WaitForDeployment(&dep)); err != nil {
			t.Fatal(err)
		}
		if dep.JobID != id {
			t.Fatalf("deployment %+v for job %s", dep, id)
		}
		if err := m.Command(ctx, id, rollout.Pause()); err != nil {
			t.Errorf("pause %s: %v", id, err)
		}
	}
	st := m.Jobs()
	if len(st) != jobs || st[0].JobID != "job-00" || !st[0].Running {
		t.Errorf("Jobs() = %+v", st)
	}
	for i := range jobs {
		if n := len(d.Allocations(fmt.Sprintf("job-%02d", i))); n != 2 {
			t.Errorf("job %d has %d allocations, want 2", i, n)
		}
	}
	if err := m.Command(ctx, "nope", rollout.Pause()); !errors.Is(err, controller.ErrNotRunning) {
		t.Errorf("command to an unknown job: %v, want ErrNotRunning", err)
	}
	if err := m.Stop(ctx, "job-00"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Done("job-00"); !errors.Is(err, controller.ErrNotRunning) {
		t.Errorf("Done of a stopped job: %v", err)
	}
}

// flakyStore refuses the second and third Save as if its file were corrupt.
type flakyStore struct {
	*controller.MemoryStore
	saves atomic.Int32
}

func (s *flakyStore) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	if n := s.saves.Add(1); n == 2 || n == 3 {
		return 0, fmt.Errorf("disk said: %w", controller.ErrCorrupt)
	}
	return s.MemoryStore.Save(ctx, job, st)
}

// TestManagerRestartsAFailedRunner: a Runner that stops on an error is
// restarted with backoff, and the job goes on.
func TestManagerRestartsAFailedRunner(t *testing.T) {
	store := &flakyStore{MemoryStore: controller.NewMemoryStore()}
	d := rollouttest.NewRecordingDriver()
	m, _ := runManager(t, controller.ManagerConfig{Driver: d, Store: store})
	if err := m.Start("web"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the job running", func() bool { return len(m.Jobs()) == 1 && m.Jobs()[0].Running })
	if _, err := m.Submit(context.Background(), manualJob("web", 2, "v1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "allocations placed after restarts", func() bool { return len(d.Allocations("web")) == 2 })
	js := m.Jobs()[0]
	if js.Restarts < 1 || !errors.Is(js.Err, controller.ErrCorrupt) {
		t.Errorf("status %+v, want restarts after an ErrCorrupt", js)
	}
}

// TestManagersShareJobsThroughLeases: two Managers (two controller
// replicas) with one Store, Driver and Leaser run each job on one of them;
// when one stops, the other takes its jobs over.
func TestManagersShareJobsThroughLeases(t *testing.T) {
	store := controller.NewMemoryStore()
	d := &observingDriver{RecordingDriver: rollouttest.NewRecordingDriver(), t: t}
	leases := &rollouttest.Leaser{}
	a, stopA := runManager(t, controller.ManagerConfig{Driver: d, Store: store, Leases: leases})
	b, _ := runManager(t, controller.ManagerConfig{Driver: d, Store: store, Leases: leases})
	ctx := context.Background()
	for i := range 6 {
		id := fmt.Sprint("job-", i)
		mgr := a
		if i%2 == 1 {
			mgr = b
		}
		if err := a.Start(id); err != nil {
			t.Fatal(err)
		}
		if err := b.Start(id); err != nil {
			t.Fatal(err)
		}
		sub, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := mgr.Submit(sub, manualJob(id, 2, "v1"))
		cancel()
		if err != nil && !errors.Is(err, controller.ErrNotRunning) {
			t.Fatal(err)
		}
	}
	running := func(m *controller.Manager) int {
		n := 0
		for _, js := range m.Jobs() {
			if js.Running {
				n++
			}
		}
		return n
	}
	eventually(t, "every job run on exactly one replica", func() bool { return running(a)+running(b) == 6 })
	if leases.Revoke("job-0") {
		eventually(t, "job-0 taken again after its lease expired", func() bool { return running(a)+running(b) == 6 })
	}
	stopA()
	eventually(t, "b runs every job after a stopped", func() bool { return running(b) == 6 })
	for i := range 6 {
		id := fmt.Sprint("job-", i)
		if _, err := b.Submit(ctx, manualJob(id, 2, "v1")); err != nil {
			t.Fatal(err)
		}
		eventually(t, "allocations of "+id, func() bool { return len(d.Allocations(id)) == 2 })
	}
}
