package rollout

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
)

// Defaults of RunnerConfig.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
)

// ErrRunning is returned by Runner.Run when the Runner already runs.
var ErrRunning = errors.New("runner is already running")

// RunnerConfig configures a Runner. JobID and Driver are required.
type RunnerConfig struct {
	// JobID is the job the Runner rolls out.
	JobID string
	// Driver carries out the decisions and lists the allocations.
	Driver Driver
	// Health delivers health events; nil when there is none (health then
	// comes from timers and SetHealth commands only).
	Health HealthSource
	// Clock is the Runner's only source of time; nil means the real clock.
	// Tests pass a *clock.Mock.
	Clock clock.Clock
	// Store keeps the job's versions and deployments; nil means a new
	// NewMemoryStore().
	Store Store
	// MinBackoff and MaxBackoff bound the wait before retrying a failed
	// Driver, HealthSource or Store call: MinBackoff, doubling with each
	// consecutive failure, at most MaxBackoff. Zero means the defaults (1s
	// and 1m).
	MinBackoff, MaxBackoff time.Duration
	// OnStep, when set, is called from Run after each step's state is saved
	// and its decisions applied.
	OnStep func(StepReport)
	// OnError, when set, is called from Run with each failed call that Run
	// will retry.
	OnError func(error)
	// OnWait, when set, is called from Run each time it is about to wait:
	// until is when it wakes by itself (a timer, a backoff), zero when only
	// an event, a Submit or a Command can wake it. Tests use it to know
	// when to move a mock clock.
	OnWait func(until time.Time)
}

// StepReport tells what one step of a Runner did.
type StepReport struct {
	// Input is what Step was given, Output what it decided.
	Input  Input
	Output Output
	// Attempts is how many Apply calls the decisions took (0 when there was
	// nothing to apply).
	Attempts int
}

// Runner runs the loop of the package manual for one job: it calls Step
// with the job's versions, deployment, allocations, health events and
// commands, saves the deployment and versions in the Store, applies the
// decisions through the Driver, submits reverts, and calls Step again when
// events arrive or at Output.NextStep. It owns the goroutine of Run; Submit
// and Command may be called from any goroutine.
//
// A failed Driver, Store or HealthSource call is retried with backoff on the
// Runner's clock. A step's decisions are applied as they were decided,
// retried unchanged until the Driver accepts them, before any new step:
// no decision is lost or made twice.
type Runner struct {
	cfg   RunnerConfig
	clock clock.Clock
	store Store

	// mu serialises the state's read-modify-write cycles (steps, Submit).
	mu sync.Mutex

	qmu     sync.Mutex
	cmds    []*pendingCommand
	running bool

	wake chan struct{}

	// Owned by the Run goroutine.
	events  []Event        // received, not yet given to Step
	fresh   bool           // events arrived since the last step took them
	source  <-chan []Event // nil when none
	srcErrs int            // consecutive HealthSource failures
}

type pendingCommand struct {
	cmd  Command
	done chan error
}

// NewRunner returns a Runner for the configuration. It fails when JobID or
// Driver is missing.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	var missing []string
	if cfg.JobID == "" {
		missing = append(missing, "JobID")
	}
	if cfg.Driver == nil {
		missing = append(missing, "Driver")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("rollout: runner config: missing %v", missing)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	r := &Runner{cfg: cfg, clock: cfg.Clock, store: cfg.Store, wake: make(chan struct{}, 1)}
	if r.clock == nil {
		r.clock = clock.New()
	}
	if r.store == nil {
		r.store = NewMemoryStore()
	}
	return r, nil
}

// Store returns the Runner's store.
func (r *Runner) Store() Store { return r.store }

// Submit records a new version of the job in the store (see History.Submit:
// an identical resubmission creates no version) and wakes Run to deploy it.
// It returns the job's latest version. The job's ID must be the Runner's.
func (r *Runner) Submit(ctx context.Context, job JobVersion) (JobVersion, error) {
	if job.ID != r.cfg.JobID {
		return JobVersion{}, fmt.Errorf("rollout: submit: job %q to the runner of job %q", job.ID, r.cfg.JobID)
	}
	if err := job.Validate(); err != nil {
		return JobVersion{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.store.Load(ctx, r.cfg.JobID)
	if err != nil {
		return JobVersion{}, fmt.Errorf("rollout: submit: load: %w", err)
	}
	v, created := st.History.Submit(job, r.clock.Now())
	if created {
		if _, err := r.store.Save(ctx, r.cfg.JobID, st); err != nil {
			return JobVersion{}, fmt.Errorf("rollout: submit: save: %w", err)
		}
	}
	r.poke()
	return v, nil
}

// Command hands an operator command to the next step and waits for it. It
// returns nil once the step that applied it has been saved and its
// decisions applied; the *CommandError when Step refused it (nothing
// changed); or an error when ctx ends or Run stops first. A revert the
// step submits (a Revert command, or a failure with auto_revert) is
// deployed by the steps that follow. Run must be running for the command
// to be handled.
func (r *Runner) Command(ctx context.Context, cmd Command) error {
	pc := &pendingCommand{cmd: cmd, done: make(chan error, 1)}
	r.qmu.Lock()
	r.cmds = append(r.cmds, pc)
	r.qmu.Unlock()
	r.poke()
	select {
	case err := <-pc.done:
		return err
	case <-ctx.Done():
		r.dequeue(pc)
		return ctx.Err()
	}
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run loops until ctx ends, then returns nil. It returns an error only when
// Step rejects the input as invalid without any health event in it (a
// broken store or driver: health events Step refuses are dropped and
// reported to OnError instead), or ErrRunning when the Runner already runs.
func (r *Runner) Run(ctx context.Context) error {
	r.qmu.Lock()
	if r.running {
		r.qmu.Unlock()
		return ErrRunning
	}
	r.running = true
	r.qmu.Unlock()
	defer func() {
		r.qmu.Lock()
		r.running = false
		cmds := r.cmds
		r.cmds = nil
		r.qmu.Unlock()
		for _, c := range cmds {
			c.done <- errors.New("rollout: runner stopped before the command was handled")
		}
	}()
	srcCtx, cancelSrc := context.WithCancel(ctx)
	defer cancelSrc()
	r.events, r.source, r.srcErrs = nil, nil, 0
	var retrySource time.Time // when to subscribe again; zero: now

	for {
		if ctx.Err() != nil {
			return nil
		}
		if r.cfg.Health != nil && r.source == nil && !r.clock.Now().Before(retrySource) {
			ch, err := r.cfg.Health.Events(srcCtx, r.cfg.JobID)
			if err != nil || ch == nil {
				if err == nil {
					err = errors.New("nil channel")
				}
				r.srcErrs++
				r.report(fmt.Errorf("rollout: health events of job %q: %w", r.cfg.JobID, err))
				retrySource = r.clock.Now().Add(r.backoff(r.srcErrs))
			} else {
				r.source = ch
			}
		}
		next, again, err := r.step(ctx)
		if err != nil {
			return err
		}
		if again {
			continue
		}
		if r.cfg.Health != nil && r.source == nil && (next.IsZero() || retrySource.Before(next)) {
			next = retrySource
		}
		if !r.idle(ctx, next) {
			return nil
		}
	}
}

// step makes one step: it lists the allocations, steps, saves and applies.
// It returns when to step again at the latest, whether to step again at
// once, and a fatal error.
func (r *Runner) step(ctx context.Context) (next time.Time, again bool, err error) {
	var allocs []Alloc
	if !r.retry(ctx, "list allocations", func() error {
		var err error
		allocs, err = r.cfg.Driver.Allocs(ctx, r.cfg.JobID)
		return err
	}) {
		return time.Time{}, false, nil
	}

	r.mu.Lock()
	locked := true
	defer func() {
		if locked {
			r.mu.Unlock()
		}
	}()
	var st State
	if !r.retry(ctx, "load state", func() error {
		var err error
		st, err = r.store.Load(ctx, r.cfg.JobID)
		return err
	}) {
		return time.Time{}, false, nil
	}
	job, ok := st.History.Latest()
	if !ok {
		r.refuseAll(fmt.Errorf("%w: job %q has no version yet", ErrNoDeployment, r.cfg.JobID))
		return time.Time{}, false, nil // nothing submitted yet
	}
	dep := st.Deployment()
	now := r.clock.Now()
	if dep != nil && now.Before(dep.ModifyTime) {
		now = dep.ModifyTime // never step back in time against the store
	}

	// The events Step can take now: about known allocations, not later
	// than now. Later ones wait; others are dropped.
	known := make(map[string]bool, len(allocs))
	for i := range allocs {
		known[allocs[i].ID] = true
	}
	var events, later []Event
	var wakeAt time.Time
	taken := len(r.events)
	r.fresh = false
	for _, ev := range r.events {
		switch {
		case !known[ev.Alloc] || ev.Time.IsZero():
		case ev.Time.After(now):
			later = append(later, ev)
			if wakeAt.IsZero() || ev.Time.Before(wakeAt) {
				wakeAt = ev.Time
			}
		default:
			events = append(events, ev)
		}
	}

	r.qmu.Lock()
	cmds := append([]*pendingCommand(nil), r.cmds...)
	r.qmu.Unlock()

	var out Output
	var in Input
	for {
		in = Input{Now: now, Job: job, History: st.History.Versions, Deployment: dep, Allocs: allocs, Events: events, Commands: commandsOf(cmds)}
		out, err = Step(in)
		var ce *CommandError
		if err == nil {
			break
		}
		if errors.As(err, &ce) && len(cmds) > 0 {
			// Answer the refused command (the first equal to it; the
			// first in line if none is), and step without it.
			i := 0
			for k, c := range cmds {
				if reflect.DeepEqual(c.cmd, ce.Command) {
					i = k
					break
				}
			}
			r.answer(cmds[i], err)
			cmds = append(cmds[:i:i], cmds[i+1:]...)
			continue
		}
		if len(events) == 0 {
			break
		}
		// A health source sent an event Step refuses: drop the batch
		// rather than stop, and say so.
		r.report(fmt.Errorf("rollout: dropped %d health events of job %q that Step refused: %w", len(events), r.cfg.JobID, err))
		events = nil
	}
	if err != nil {
		err = fmt.Errorf("rollout: step of job %q: %w", r.cfg.JobID, err)
		for _, c := range cmds {
			r.answer(c, err)
		}
		return time.Time{}, false, err
	}

	// Persist first, then apply (see the package manual).
	if out.Cancelled != nil {
		st.RecordDeployment(out.Cancelled)
	}
	if out.Deployment != nil {
		st.RecordDeployment(out.Deployment)
	}
	if out.Job != nil {
		st.History.Record(*out.Job)
	}
	if out.Revert != nil {
		st.History.Record(*out.Revert)
	}
	if !r.retry(ctx, "save state", func() error {
		rev, err := r.store.Save(ctx, r.cfg.JobID, st)
		st.Revision = rev
		return err
	}) {
		return time.Time{}, false, nil
	}
	r.events = append(later, r.events[taken:]...)
	r.mu.Unlock()
	locked = false

	d := DecisionsOf(r.cfg.JobID, &out)
	attempts := 0
	if !d.Empty() {
		if !r.retry(ctx, "apply decisions", func() error {
			attempts++
			return r.cfg.Driver.Apply(ctx, d)
		}) {
			return time.Time{}, false, nil
		}
	}
	for _, c := range cmds {
		r.answer(c, nil)
	}
	if r.cfg.OnStep != nil {
		r.cfg.OnStep(StepReport{Input: in, Output: out, Attempts: attempts})
	}
	next = out.NextStep
	if !wakeAt.IsZero() && (next.IsZero() || wakeAt.Before(next)) {
		next = wakeAt
	}
	return next, out.Revert != nil || r.fresh, nil
}

func commandsOf(cmds []*pendingCommand) []Command {
	if len(cmds) == 0 {
		return nil
	}
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		out[i] = c.cmd
	}
	return out
}

// answer removes a handled command from the queue and replies to it.
func (r *Runner) answer(pc *pendingCommand, err error) {
	r.dequeue(pc)
	pc.done <- err
}

// dequeue removes a command from the queue, if it is still there.
func (r *Runner) dequeue(pc *pendingCommand) {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	for i, c := range r.cmds {
		if c == pc {
			r.cmds = append(r.cmds[:i:i], r.cmds[i+1:]...)
			return
		}
	}
}

// refuseAll refuses the queued commands (the job has no version yet).
func (r *Runner) refuseAll(err error) {
	r.qmu.Lock()
	cmds := r.cmds
	r.cmds = nil
	r.qmu.Unlock()
	for _, c := range cmds {
		c.done <- err
	}
}

// idle waits for a reason to step: until (zero for none), new events, a
// Submit or a Command. It returns false when ctx ended.
func (r *Runner) idle(ctx context.Context, until time.Time) bool {
	var timer *clock.Timer
	var fire <-chan time.Time
	if !until.IsZero() {
		d := until.Sub(r.clock.Now())
		if d <= 0 {
			return true
		}
		timer = r.clock.Timer(d)
		fire = timer.C
		defer timer.Stop()
	}
	if r.cfg.OnWait != nil {
		r.cfg.OnWait(until)
	}
	select {
	case <-ctx.Done():
		return false
	case <-fire:
	case <-r.wake:
	case batch, ok := <-r.source:
		r.receive(batch, ok)
	}
	r.drain()
	return true
}

// receive takes a batch from the health source; a closed channel is
// subscribed to again.
func (r *Runner) receive(batch []Event, ok bool) {
	if !ok {
		r.source = nil
		return
	}
	r.srcErrs = 0
	r.events = append(r.events, batch...)
	r.fresh = r.fresh || len(batch) > 0
}

// drain takes every batch already waiting, without blocking.
func (r *Runner) drain() {
	for r.source != nil {
		select {
		case batch, ok := <-r.source:
			r.receive(batch, ok)
		default:
			return
		}
	}
}

// retry calls fn until it succeeds, waiting with backoff between failures;
// it returns false when ctx ended first. Events that arrive meanwhile are
// kept for the next step.
func (r *Runner) retry(ctx context.Context, what string, fn func() error) bool {
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return false
		}
		err := fn()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.report(fmt.Errorf("rollout: %s of job %q (attempt %d): %w", what, r.cfg.JobID, n, err))
		if !r.sleep(ctx, r.backoff(n)) {
			return false
		}
	}
}

// backoff returns the wait after the n-th consecutive failure.
func (r *Runner) backoff(n int) time.Duration {
	d := r.cfg.MinBackoff
	for i := 1; i < n && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxBackoff)
}

// sleep waits d on the clock, collecting events; false when ctx ended.
func (r *Runner) sleep(ctx context.Context, d time.Duration) bool {
	timer := r.clock.Timer(d)
	defer timer.Stop()
	if r.cfg.OnWait != nil {
		r.cfg.OnWait(r.clock.Now().Add(d))
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case batch, ok := <-r.source:
			r.receive(batch, ok)
		}
	}
}

func (r *Runner) report(err error) {
	if r.cfg.OnError != nil {
		r.cfg.OnError(err)
	}
}

// MemoryStore is a Store in memory, safe for concurrent use. It keeps deep
// copies, so callers cannot change what it holds by accident. Its revisions
// count saves across all its jobs.
type MemoryStore struct {
	mu   sync.Mutex
	rev  uint64
	jobs map[string]State
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{jobs: map[string]State{}} }

var (
	_ Store     = (*MemoryStore)(nil)
	_ JobLister = (*MemoryStore)(nil)
)

// Load returns a copy of the job's state.
func (m *MemoryStore) Load(ctx context.Context, jobID string) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.jobs[jobID]
	return st.Clone(), nil
}

// Save stores a copy of the job's state if its revision is current.
func (m *MemoryStore) Save(ctx context.Context, jobID string, s State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.jobs[jobID].Revision; cur != s.Revision {
		return 0, &ConflictError{JobID: jobID, Expected: s.Revision, Actual: cur}
	}
	m.rev++
	c := s.Clone()
	c.Revision = m.rev
	m.jobs[jobID] = c
	return m.rev, nil
}

// Jobs returns the IDs of the jobs saved, in ascending order.
func (m *MemoryStore) Jobs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.jobs))
	for id := range m.jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
