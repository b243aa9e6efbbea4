// Package fleetbench measures the runtime at fleet scale: a
// controller.Manager rolling N jobs of C allocations each through a first
// deployment and a rolling update on a fake Cluster, on any Store. The
// benchmarks of the store modules (memory, bbolt, etcd) run it, so that one
// scenario measures them all; see BENCHMARKS.md, section Fleet.
package fleetbench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// Config is one fleet run.
type Config struct {
	// Store holds the jobs' desired state; it must start empty.
	Store controller.Store
	// Reopen, when set, closes Store and opens it again (the same data);
	// the Manager start is measured over what it returns, the reopening
	// included. Nil measures the start over Store itself.
	Reopen func() (controller.Store, error)
	// Jobs and Allocs are the fleet: Jobs jobs of one group of Allocs
	// allocations.
	Jobs, Allocs int
	// Replicas, when greater than zero, runs that many Managers sharing the
	// fleet through leases, each on what Replica returns for it (Store is
	// then unused): every replica supervises every job, and each job runs
	// on the one replica that holds its lease. After the update the first
	// replica is killed, and the time until the others run every job is
	// Result.Takeover; the start is measured over the last replica's store,
	// without leases, once every replica stopped.
	Replicas int
	Replica  func(i int) Replica
	// Timeout bounds each phase; zero means ten minutes.
	Timeout time.Duration
}

// Replica is one controller replica's view of the shared store.
type Replica struct {
	Store  controller.Store
	Leases controller.Leaser
	// Kill cuts the replica off as a crash would (its leases are not
	// released but expire); nil for a replica that cannot be killed.
	Kill func()
}

// Phase is what one rollout of the whole fleet took.
type Phase struct {
	// Duration is from the first Submit to the last job's deployment
	// successful.
	Duration time.Duration
	// Steps counts the Runners' steps, Placed the allocations placed (in
	// the rolling update each replaces one).
	Steps, Placed int
	// P50 and P99 are the event-to-decision latencies: from a health
	// event's time to the end of the step that took it (its state saved,
	// its decisions applied and confirmed).
	P50, P99 time.Duration
}

// StepsPerSecond is Steps over Duration.
func (p Phase) StepsPerSecond() float64 { return float64(p.Steps) / p.Duration.Seconds() }

// PlacedPerSecond is Placed over Duration.
func (p Phase) PlacedPerSecond() float64 { return float64(p.Placed) / p.Duration.Seconds() }

// Result is a fleet run's figures.
type Result struct {
	Jobs, Allocs int
	// First is the first deployment, Update the rolling update.
	First, Update Phase
	// HeapPerJob is the live heap after the update, once the fleet is
	// idle, over the jobs (the Manager, its Runners, the Store and the fake
	// cluster's records together), measured from before the Manager
	// started; GoroutinesPerJob likewise for goroutines.
	HeapPerJob       float64
	GoroutinesPerJob float64
	// Takeover is, with replicas, the time from killing one until the
	// others run every job.
	Takeover time.Duration
	// Start is the time from a new Manager's Run (the store's reopening
	// included, with Config.Reopen) until every stored job has stepped.
	Start time.Duration
	// Retried counts the failed calls the Runners retried (OnError), over
	// the whole run; FirstRetried is the first of them.
	Retried      int
	FirstRetried error
	// Store is the store after the run (reopened, with Config.Reopen).
	Store controller.Store
}

// String is the result on a few lines.
func (r Result) String() string {
	return fmt.Sprintf("%d jobs x %d allocations\n"+
		"  first deployment: %v, %d steps (%.0f steps/s), %d placed (%.0f allocations/s), event-to-decision p50 %v p99 %v\n"+
		"  rolling update:   %v, %d steps (%.0f steps/s), %d replaced (%.0f allocations replaced/s), event-to-decision p50 %v p99 %v\n"+
		"  idle: %.0f bytes of heap per job, %.2f goroutines per job; a new Manager stepping every job after %v; %d calls retried%s",
		r.Jobs, r.Allocs,
		r.First.Duration.Round(time.Millisecond), r.First.Steps, r.First.StepsPerSecond(), r.First.Placed, r.First.PlacedPerSecond(), r.First.P50.Round(10*time.Microsecond), r.First.P99.Round(10*time.Microsecond),
		r.Update.Duration.Round(time.Millisecond), r.Update.Steps, r.Update.StepsPerSecond(), r.Update.Placed, r.Update.PlacedPerSecond(), r.Update.P50.Round(10*time.Microsecond), r.Update.P99.Round(10*time.Microsecond),
		r.HeapPerJob, r.GoroutinesPerJob, r.Start.Round(time.Millisecond), r.Retried, r.takeover())
}

func (r Result) takeover() string {
	if r.Takeover == 0 {
		return ""
	}
	return fmt.Sprintf("\n  a replica killed: the others run every job after %v", r.Takeover.Round(time.Millisecond))
}

// JobID is the ID of the fleet's i-th job.
func JobID(i int) string { return fmt.Sprintf("job-%05d", i) }

// Job is the fleet's job i at the given spec: one group of allocs
// allocations, max_parallel 1, min_healthy_time 1ms, task-state health.
func Job(i, allocs int, spec string) rollout.JobVersion {
	mp, mht, hd := 1, time.Millisecond, time.Minute
	hc := rollout.HealthTaskStates
	return rollout.JobVersion{ID: JobID(i), Groups: []rollout.Group{{
		Name: "web", Count: allocs, Spec: spec, Tasks: []string{Task},
		Update: &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthyDeadline: &hd, HealthCheck: &hc},
	}}}
}

// Run rolls the fleet out at spec v1, then updates it to v2, then starts a
// new Manager over the stored jobs, and returns the figures. It fails when
// a phase does not end within the timeout or a job's deployment does not
// succeed.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	res := Result{Jobs: cfg.Jobs, Allocs: cfg.Allocs, Store: cfg.Store}
	cluster := NewCluster()
	rec := &recorder{}
	heap0, routines0 := liveHeap(), runtime.NumGoroutine()
	replicas := []Replica{{Store: cfg.Store}}
	if cfg.Replicas > 0 {
		replicas = replicas[:0]
		for i := range cfg.Replicas {
			replicas = append(replicas, cfg.Replica(i))
		}
	}
	var managers []*controller.Manager
	var stops []func()
	stopAll := func() {
		for _, stop := range stops {
			stop()
		}
	}
	for _, r := range replicas {
		m, stop, err := startManager(ctx, r.Store, r.Leases, cluster, rec)
		if err != nil {
			stopAll()
			return res, err
		}
		managers, stops = append(managers, m), append(stops, stop)
	}
	for k, spec := range []string{"v1", "v2"} {
		p, err := rollOut(ctx, managers, cfg, rec, uint64(k), spec)
		res.Retried, res.FirstRetried = rec.retries, rec.firstRetry
		if err != nil {
			stopAll()
			return res, err
		}
		if k == 0 {
			res.First = p
		} else {
			res.Update = p
		}
	}
	time.Sleep(100 * time.Millisecond) // the last confirming saves
	res.HeapPerJob = float64(int64(liveHeap())-int64(heap0)) / float64(cfg.Jobs)
	res.GoroutinesPerJob = float64(runtime.NumGoroutine()-routines0) / float64(cfg.Jobs)
	if len(replicas) > 1 && replicas[0].Kill != nil {
		start := time.Now()
		replicas[0].Kill()
		stops[0]()
		stops[0] = func() {}
		if err := waitRunning(ctx, managers[1:], cfg.Jobs, cfg.Timeout); err != nil {
			stopAll()
			return res, err
		}
		res.Takeover = time.Since(start)
	}
	stopAll()

	var err error
	start := time.Now()
	store := replicas[len(replicas)-1].Store
	if cfg.Reopen != nil {
		if store, err = cfg.Reopen(); err != nil {
			return res, fmt.Errorf("fleetbench: reopen the store: %w", err)
		}
		res.Store = store
	}
	rec.begin(cfg.Jobs, noTarget)
	_, stop, err := startManager(ctx, store, nil, cluster, rec)
	if err != nil {
		return res, err
	}
	defer stop()
	if err := rec.wait(ctx, cfg.Timeout); err != nil {
		return res, fmt.Errorf("fleetbench: start of a Manager over %d jobs: %w", cfg.Jobs, err)
	}
	res.Start = time.Since(start)
	res.Retried, res.FirstRetried = rec.retries, rec.firstRetry
	return res, nil
}

// startManager runs a Manager over store until stop is called.
func startManager(ctx context.Context, store controller.Store, leases controller.Leaser, cluster *Cluster, rec *recorder) (*controller.Manager, func(), error) {
	m, err := controller.NewManager(controller.ManagerConfig{
		Store: store, Driver: cluster, Health: cluster, Leases: leases,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Second,
		OnStep: rec.onStep, OnError: rec.retried,
	})
	if err != nil {
		return nil, nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(mctx) }()
	return m, func() { cancel(); <-done }, nil
}

// rollOut submits every job at spec (its version-th version) and waits
// until every job's deployment of it is successful.
func rollOut(ctx context.Context, managers []*controller.Manager, cfg Config, rec *recorder, version uint64, spec string) (Phase, error) {
	rec.begin(cfg.Jobs, version)
	start := time.Now()
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				for _, m := range managers { // every replica supervises every job
					if err := m.Start(JobID(i)); err != nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
				if _, err := managers[i%len(managers)].Submit(ctx, Job(i, cfg.Allocs, spec)); err != nil {
					select {
					case errs <- fmt.Errorf("fleetbench: submit %s: %w", JobID(i), err):
					default:
					}
				}
			}
		})
	}
	for i := range cfg.Jobs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return Phase{}, err
	default:
	}
	if err := rec.wait(ctx, cfg.Timeout); err != nil {
		return Phase{}, fmt.Errorf("fleetbench: rollout of %s: %w", spec, err)
	}
	p := rec.phase()
	p.Duration = time.Since(start)
	return p, nil
}

// waitRunning waits until the managers run n jobs together.
func waitRunning(ctx context.Context, managers []*controller.Manager, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		running := 0
		for _, m := range managers {
			for _, j := range m.Jobs() {
				if j.Running {
					running++
				}
			}
		}
		switch {
		case running >= n:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("fleetbench: takeover: %d of %d jobs run after %v", running, n, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noTarget makes a recorder count jobs that stepped at all.
const noTarget = ^uint64(0)

// recorder counts the steps of a phase and tells when every job is done.
type recorder struct {
	mu        sync.Mutex
	target    uint64
	done      map[string]bool
	remaining int
	finished  chan struct{}
	steps     int
	placed    int
	latencies []time.Duration
	err       error

	retries    int
	firstRetry error
}

// begin starts a phase over n jobs: a job is done at its first step (with
// noTarget) or when its deployment of version target is successful.
func (r *recorder) begin(n int, target uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target, r.done, r.remaining, r.finished = target, make(map[string]bool, n), n, make(chan struct{})
	r.steps, r.placed, r.latencies, r.err = 0, 0, r.latencies[:0], nil
}

func (r *recorder) onStep(s controller.StepReport) {
	end := s.Start.Add(s.Duration)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		return
	}
	r.steps++
	r.placed += len(s.Output.Place)
	for _, ev := range s.Input.Events {
		r.latencies = append(r.latencies, end.Sub(ev.Time))
	}
	d := s.Output.Deployment
	ok := r.target == noTarget || d != nil && d.JobVersion == r.target && d.Status == rollout.StatusSuccessful
	if d != nil && d.JobVersion == r.target && d.Status.Terminal() && d.Status != rollout.StatusSuccessful && r.err == nil {
		r.err = fmt.Errorf("job %s: deployment %s", s.JobID, d.Status)
	}
	if ok && !r.done[s.JobID] {
		r.done[s.JobID] = true
		if r.remaining--; r.remaining == 0 {
			close(r.finished)
		}
	}
}

// retried counts a failed call that a Runner retries.
func (r *recorder) retried(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.retries++; r.firstRetry == nil {
		r.firstRetry = err
	}
}

// wait waits for the phase's end, or the first failure.
func (r *recorder) wait(ctx context.Context, timeout time.Duration) error {
	r.mu.Lock()
	finished := r.finished
	r.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			return fmt.Errorf("%d of %d jobs not done after %v", r.remaining, len(r.done)+r.remaining, timeout)
		case <-tick.C:
			r.mu.Lock()
			err := r.err
			r.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
}

// phase returns the counts of the phase so far.
func (r *recorder) phase() Phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := Phase{Steps: r.steps, Placed: r.placed}
	if n := len(r.latencies); n > 0 {
		slices.Sort(r.latencies)
		p.P50, p.P99 = r.latencies[n/2], r.latencies[min(n-1, n*99/100)]
	}
	return p
}

// liveHeap returns the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
