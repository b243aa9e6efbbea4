package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/rollout-go/rollout"
)

// ErrNotRunning is returned by a Manager for a job it does not run: a job
// it was never given, a stopped one, or (with a Leaser) one whose lease
// another replica holds.
var ErrNotRunning = errors.New("job is not run by this manager")

// ManagerConfig configures a Manager. Driver is required; the rest is shared
// by the Runners the Manager starts, one per job (see RunnerConfig).
type ManagerConfig struct {
	// Store keeps every job's desired state; nil means a new
	// NewMemoryStore(). When it implements JobLister, Run starts every job
	// it holds.
	Store Store
	// Driver carries out every job's decisions; Health delivers their
	// health events (nil for none).
	Driver Driver
	Health HealthSource
	// Leases, when set, makes the Manager run a job only while it holds the
	// job's lease, so that several replicas share a fleet: each job runs on
	// one replica at a time, and another takes it over when its holder dies
	// or stops. Nil runs every job here.
	Leases Leaser
	// Clock is the only source of time; nil means the real clock.
	Clock clock.Clock
	// Logger receives the Runners' records and the Manager's own (job
	// started, restarted, lease acquired and lost); nil means none.
	Logger *slog.Logger
	// CallTimeout, MinBackoff, MaxBackoff and KeepStopped are passed to each
	// Runner. MinBackoff and MaxBackoff also bound the wait before a Runner
	// that stopped on an error is restarted.
	CallTimeout            time.Duration
	MinBackoff, MaxBackoff time.Duration
	KeepStopped            int
	// MaxPlacements is passed to each Runner (RunnerConfig.MaxPlacements).
	MaxPlacements int
	// OnStep and OnError, when set, are called from each job's Runner.
	OnStep  func(StepReport)
	OnError func(error)
}

// JobStatus is what a Manager tells of one job it was given.
type JobStatus struct {
	// JobID is the job.
	JobID string
	// Running is true while a Runner of the job runs here (with a Leaser:
	// while this Manager holds the job's lease).
	Running bool
	// Restarts counts the Runners restarted after an error.
	Restarts int
	// Err is the error that stopped the job's last Runner, nil if none did.
	Err error
}

// Manager runs a Runner per job for a fleet of jobs, and supervises them: a
// Runner that stops on an error is restarted with backoff; with a Leaser, a
// job runs only while this replica holds its lease. Submit, Command, Watch
// and WaitDeployment address a job by its ID. All methods may be called
// from any goroutine.
type Manager struct {
	cfg   ManagerConfig
	clock clock.Clock
	log   *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // Run's; nil before Run
	jobs    map[string]*managedJob
	wg      sync.WaitGroup
	running bool
}

// managedJob is one job under supervision.
type managedJob struct {
	id       string
	cancel   context.CancelFunc // ends its supervision; nil until it starts
	done     chan struct{}      // closed when its supervision ended
	runner   *Runner            // the Runner running now; nil between runs
	changed  chan struct{}      // closed and replaced when runner changes
	restarts int
	err      error
}

// NewManager returns a Manager for the configuration. It fails when Driver
// is missing.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if cfg.Driver == nil {
		return nil, errors.New("rollout: manager config: missing [Driver]")
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	m := &Manager{cfg: cfg, clock: cfg.Clock, log: cfg.Logger, jobs: map[string]*managedJob{}}
	if m.clock == nil {
		m.clock = clock.New()
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// Store returns the Manager's store.
func (m *Manager) Store() Store { return m.cfg.Store }

// Run supervises the jobs until ctx ends, then stops them all and returns
// nil once they have stopped. It starts the jobs given with Start before,
// and every job the Store lists (JobLister). It returns ErrRunning when the
// Manager already runs, and an error when the Store cannot list its jobs.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return ErrRunning
	}
	m.running, m.ctx = true, ctx
	for _, j := range m.jobs {
		m.launch(j)
	}
	m.mu.Unlock()
	if l, ok := m.cfg.Store.(JobLister); ok {
		ids, err := l.Jobs(ctx)
		if err != nil && ctx.Err() == nil {
			m.shutdown()
			return fmt.Errorf("rollout: manager: list jobs: %w", err)
		}
		for _, id := range ids {
			m.Start(id)
		}
	}
	<-ctx.Done()
	m.shutdown()
	return nil
}

// shutdown waits for every job's supervision to end.
func (m *Manager) shutdown() {
	m.mu.Lock()
	for _, j := range m.jobs {
		if j.cancel != nil {
			j.cancel()
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	m.mu.Lock()
	m.running, m.ctx = false, nil
	m.mu.Unlock()
}

// Start puts a job under supervision: once Run runs (at once if it does),
// a Runner rolls it out (with a Leaser, once this replica holds its
// lease). Starting a job already supervised does nothing. A job ID that
// rollout.ValidateJobID refuses is refused with its error.
func (m *Manager) Start(jobID string) error {
	if err := rollout.ValidateJobID(jobID); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.jobs[jobID]; ok && !isClosed(j.done) {
		return nil
	}
	j := &managedJob{id: jobID, done: make(chan struct{}), changed: make(chan struct{})}
	m.jobs[jobID] = j
	if m.running {
		m.launch(j)
	}
	return nil
}

// Stop ends the supervision of a job and waits until its Runner has
// stopped (the job's allocations keep running; to stop the job itself,
// submit it with Stop set). It returns ErrNotRunning for a job not
// supervised.
func (m *Manager) Stop(ctx context.Context, jobID string) error {
	m.mu.Lock()
	j, ok := m.jobs[jobID]
	if ok {
		delete(m.jobs, jobID)
		if j.cancel != nil {
			j.cancel()
		} else {
			close(j.done)
		}
	}
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("rollout: job %q: %w", jobID, ErrNotRunning)
	}
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// launch starts a job's supervision; m.mu is held and Run runs.
func (m *Manager) launch(j *managedJob) {
	ctx, cancel := context.WithCancel(m.ctx)
	j.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(j.done)
		m.supervise(ctx, j)
	}()
}

// supervise runs Runners for the job until ctx ends: one after another, a
// new one after an error (with backoff) or a lost lease.
func (m *Manager) supervise(ctx context.Context, j *managedJob) {
	log := m.log.With("job", j.id)
	fails := 0
	for ctx.Err() == nil {
		runCtx, cancel := context.WithCancel(ctx)
		var lease Lease
		if m.cfg.Leases != nil {
			var err error
			lease, err = m.cfg.Leases.Acquire(ctx, j.id)
			if err != nil {
				cancel()
				if ctx.Err() != nil {
					return
				}
				fails++
				log.Warn("lease not acquired", "attempt", fails, "error", oneLineError(err))
				if !m.wait(ctx, backoff(fails, m.cfg.MinBackoff, m.cfg.MaxBackoff)) {
					return
				}
				continue
			}
			log.Info("lease acquired")
			go func() {
				select {
				case <-lease.Done():
					cancel()
				case <-runCtx.Done():
				}
			}()
		}
		r, err := NewRunner(RunnerConfig{
			JobID: j.id, Driver: m.cfg.Driver, Health: m.cfg.Health, Clock: m.clock, Store: m.cfg.Store,
			Logger: m.cfg.Logger, CallTimeout: m.cfg.CallTimeout, MinBackoff: m.cfg.MinBackoff,
			MaxBackoff: m.cfg.MaxBackoff, KeepStopped: m.cfg.KeepStopped, MaxPlacements: m.cfg.MaxPlacements, OnStep: m.cfg.OnStep, OnError: m.cfg.OnError,
		})
		if err == nil {
			m.setRunner(j, r)
			err = r.Run(runCtx)
			m.setRunner(j, nil)
		}
		lost := lease != nil && isClosed(lease.Done())
		cancel()
		if lease != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), max(m.cfg.CallTimeout, time.Second))
			if rerr := lease.Release(rctx); rerr != nil {
				log.Warn("lease not released", "error", oneLineError(rerr))
			}
			rcancel()
		}
		m.mu.Lock()
		j.err = err
		if err != nil {
			j.restarts++
		}
		m.mu.Unlock()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fails++
			log.Error("runner stopped; restarting", "attempt", fails, "error", oneLineError(err))
			if !m.wait(ctx, backoff(fails, m.cfg.MinBackoff, m.cfg.MaxBackoff)) {
				return
			}
		case lost:
			fails = 0
			log.Warn("lease lost")
		}
	}
}

// wait waits d on the clock; false when ctx ended first.
func (m *Manager) wait(ctx context.Context, d time.Duration) bool {
	t := m.clock.Timer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (m *Manager) setRunner(j *managedJob, r *Runner) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j.runner = r
	close(j.changed)
	j.changed = make(chan struct{})
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Jobs returns the status of every supervised job, in ID order.
func (m *Manager) Jobs() []JobStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]JobStatus, 0, len(m.jobs))
	for _, j := range m.jobs {
		out = append(out, JobStatus{JobID: j.id, Running: j.runner != nil, Restarts: j.restarts, Err: j.err})
	}
	slices.SortFunc(out, func(a, b JobStatus) int { return cmp.Compare(a.JobID, b.JobID) })
	return out
}

// Done returns a channel closed when the job's supervision ends (Stop, or
// Run's context), and ErrNotRunning for a job not supervised.
func (m *Manager) Done(jobID string) (<-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[jobID]
	if !ok {
		return nil, fmt.Errorf("rollout: job %q: %w", jobID, ErrNotRunning)
	}
	return j.done, nil
}

// Err returns the error that stopped the job's last Runner (nil if none
// did), and ErrNotRunning for a job not supervised.
func (m *Manager) Err(jobID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[jobID]
	if !ok {
		return fmt.Errorf("rollout: job %q: %w", jobID, ErrNotRunning)
	}
	return j.err
}

// runner returns the job's Runner, waiting up to ctx for one to run.
func (m *Manager) runner(ctx context.Context, jobID string) (*Runner, error) {
	for {
		m.mu.Lock()
		j, ok := m.jobs[jobID]
		var r *Runner
		var changed chan struct{}
		if ok {
			r, changed = j.runner, j.changed
		}
		m.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("rollout: job %q: %w", jobID, ErrNotRunning)
		}
		if r != nil && !isClosed(r.Done()) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("rollout: job %q: %w: %w", jobID, ErrNotRunning, ctx.Err())
		case <-changed:
		case <-j.done:
			return nil, fmt.Errorf("rollout: job %q: %w", jobID, ErrNotRunning)
		}
	}
}

// Submit starts supervising the job if needed and submits the version (see
// Runner.Submit and the SubmitOptions). When this Manager runs the job it
// submits through the job's Runner; otherwise (another replica holds the
// job's lease) it records the version in the Store, where the holder finds
// it, and WaitForDeployment polls the Store every MinBackoff.
func (m *Manager) Submit(ctx context.Context, job rollout.JobVersion, opts ...SubmitOption) (rollout.JobVersion, error) {
	if err := job.Validate(); err != nil {
		return rollout.JobVersion{}, err
	}
	if err := m.Start(job.ID); err != nil {
		return rollout.JobVersion{}, err
	}
	for {
		if r := m.current(job.ID); r != nil {
			v, err := r.Submit(ctx, job, opts...)
			if errors.Is(err, ErrStopped) && ctx.Err() == nil {
				continue // restarted meanwhile: submit to the new Runner
			}
			return v, err
		}
		if m.cfg.Leases == nil {
			// No lease to wait for: the Runner starts in a moment.
			if _, err := m.runner(ctx, job.ID); err != nil {
				return rollout.JobVersion{}, err
			}
			continue
		}
		var o submitOptions
		for _, opt := range opts {
			opt(&o)
		}
		v, _, _, err := submitToStore(ctx, m.cfg.Store, job, m.clock.Now(), &o)
		if err != nil || !o.wait {
			return v, err
		}
		for {
			st, err := m.cfg.Store.Load(ctx, job.ID)
			if err != nil {
				return v, err
			}
			if d, done, err := stepOf(&st, job.ID, v.Version); done {
				if err == nil && o.dst != nil {
					*o.dst = *d
				}
				return v, err
			}
			if !m.wait(ctx, m.cfg.MinBackoff) {
				return v, ctx.Err()
			}
		}
	}
}

// current returns the job's running Runner, or nil.
func (m *Manager) current(jobID string) *Runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j, ok := m.jobs[jobID]; ok && j.runner != nil && !isClosed(j.runner.Done()) {
		return j.runner
	}
	return nil
}

// Command hands an operator command to the job's Runner and waits for it
// (see Runner.Command). It returns ErrNotRunning at once for a job not
// supervised, and waits up to ctx for a Runner of a supervised job.
func (m *Manager) Command(ctx context.Context, jobID string, cmd rollout.Command) error {
	r, err := m.runner(ctx, jobID)
	if err != nil {
		return err
	}
	return r.Command(ctx, cmd)
}

// WaitDeployment waits until the job's deployment with the given ID ends
// (an empty id: its latest deployment), across restarts of its Runner, and
// returns it in its final state.
func (m *Manager) WaitDeployment(ctx context.Context, jobID, id string) (rollout.Deployment, error) {
	for {
		r, err := m.runner(ctx, jobID)
		if err != nil {
			return rollout.Deployment{}, err
		}
		d, err := r.WaitDeployment(ctx, id)
		if errors.Is(err, ErrStopped) && ctx.Err() == nil {
			continue
		}
		return d, err
	}
}

// Watch subscribes to the job's deployment across restarts of its Runner
// (see Runner.Watch). The channel closes when ctx ends or the job's
// supervision ends.
func (m *Manager) Watch(ctx context.Context, jobID string) <-chan rollout.Deployment {
	out := make(chan rollout.Deployment, 1)
	go func() {
		defer close(out)
		for {
			r, err := m.runner(ctx, jobID)
			if err != nil {
				return
			}
			for d := range r.Watch(ctx) {
				select {
				case <-out:
				default:
				}
				out <- d
			}
		}
	}()
	return out
}
