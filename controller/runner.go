package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/rollout-go/rollout"
)

// Defaults of RunnerConfig.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
	// DefaultKeepStopped is how many stopped allocation records a Runner
	// keeps besides those of the active deployment (RunnerConfig.KeepStopped).
	DefaultKeepStopped = 50
)

// Runner errors.
var (
	// ErrRunning is returned by Runner.Run when the Runner already runs.
	ErrRunning = errors.New("runner is already running")

	// ErrStopped is returned by Submit and Command of a Runner whose Run has
	// returned: nothing will deploy what they ask for. Err tells why it
	// stopped.
	ErrStopped = errors.New("runner is stopped")
)

// RunnerConfig configures a Runner. JobID and Driver are required.
type RunnerConfig struct {
	// JobID is the job the Runner rolls out.
	JobID string
	// Driver carries out the decisions and reports what the nodes observe.
	Driver Driver
	// Health delivers health events; nil when there is none (health then
	// comes from timers and SetHealth commands only).
	Health HealthSource
	// Clock is the Runner's only source of time; nil means the real clock.
	// Tests pass a *clock.Mock.
	Clock clock.Clock
	// Store keeps the job's desired state; nil means a new NewMemoryStore().
	Store Store
	// Logger receives one structured record per decision, per deployment
	// transition and per retried error; nil means no logging.
	Logger *slog.Logger
	// CallTimeout bounds each call of the Driver, the Store and the
	// HealthSource: a call still running then counts as failed (with an
	// error wrapping context.DeadlineExceeded) and is retried. A call that
	// ignores its context is abandoned, not waited for. Zero means no bound.
	CallTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before retrying a failed
	// Driver, HealthSource or Store call: MinBackoff, doubling with each
	// consecutive failure, at most MaxBackoff. Zero means the defaults (1s
	// and 1m).
	MinBackoff, MaxBackoff time.Duration
	// KeepStopped is how many allocation records of stopped allocations
	// (stopped by a decision and terminal on their node) the Store keeps
	// besides those of the job's active deployment, the newest first; older
	// ones are dropped as steps save the state, and stay dropped although
	// the Driver may go on reporting them (see Driver). Zero means
	// DefaultKeepStopped; negative keeps every record.
	KeepStopped int
	// MaxPlacements caps the placements of one step (Input.MaxPlacements);
	// a capped step is followed at once by the next. Zero means no cap.
	MaxPlacements int
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
	// JobID is the job stepped.
	JobID string
	// Input is what Step was given, Output what it decided.
	Input  rollout.Input
	Output rollout.Output
	// Start is when the step began on the Runner's clock, and Duration how
	// long it took on that clock, from loading the state to confirming the
	// decisions applied.
	Start    time.Time
	Duration time.Duration
	// Attempts is how many Apply calls the decisions took (0 when there was
	// nothing to apply).
	Attempts int
	// Revision is the store revision of the state the step saved.
	Revision uint64
}

// Runner runs the loop of the package manual for one job: it loads the
// job's desired state from the Store, merges what the Driver observes on
// the nodes, calls Step with the health events and commands that arrived,
// saves the new desired state with the step's decisions marked pending
// (a compare-and-set), applies the decisions through the Driver, and saves
// again to confirm them. It calls Step again when events arrive or at
// Output.NextStep. It owns the goroutine of Run; Submit, Command, Watch and
// WaitDeployment may be called from any goroutine.
//
// A failed Driver, Store or HealthSource call is retried with backoff on the
// Runner's clock. A step's decisions are applied as they were decided,
// retried unchanged until the Driver accepts them, before any new step; a
// Runner that starts finds unconfirmed decisions in the Store and applies
// them first: no decision is lost or made twice. When another writer saved
// the job first (ErrConflict), the Runner reloads and steps again.
type Runner struct {
	cfg   RunnerConfig
	clock clock.Clock
	store Store
	log   *slog.Logger

	qmu     sync.Mutex
	cmds    []*pendingCommand
	running bool
	stopped bool  // Run returned
	err     error // why Run returned
	done    chan struct{}

	// wake carries the store revision a Submit saved (0 for a Command, or
	// a Submit that saved nothing): a step that already loaded that
	// revision has answered it.
	wake  chan uint64
	watch watchers

	// Owned by the Run goroutine.
	events  []rollout.Event        // received, not yet given to Step
	fresh   bool                   // events arrived since the last step took them
	source  <-chan []rollout.Event // nil when none
	srcErrs int                    // consecutive HealthSource failures
	saves   <-chan uint64          // the Store's Notifier, nil when none
	allocCh <-chan struct{}        // the Driver's DriverNotifier, nil when none
	known   uint64                 // the latest revision this Runner loaded or saved
}

type pendingCommand struct {
	cmd  rollout.Command
	done chan error
}

// NewRunner returns a Runner for the configuration. It fails when JobID or
// Driver is missing, or when rollout.ValidateJobID refuses JobID.
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
	if err := rollout.ValidateJobID(cfg.JobID); err != nil {
		return nil, fmt.Errorf("rollout: runner config: %w", err)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.KeepStopped == 0 {
		cfg.KeepStopped = DefaultKeepStopped
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	r := &Runner{cfg: cfg, clock: cfg.Clock, store: cfg.Store, log: cfg.Logger, wake: make(chan uint64, 1), done: make(chan struct{})}
	if r.clock == nil {
		r.clock = clock.New()
	}
	if r.store == nil {
		r.store = NewMemoryStore()
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("job", cfg.JobID)
	return r, nil
}

// Store returns the Runner's store.
func (r *Runner) Store() Store { return r.store }

// JobID returns the job the Runner rolls out.
func (r *Runner) JobID() string { return r.cfg.JobID }

// Done is closed when Run has returned; Err then tells why.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Err returns nil while Run runs or has not started, and once Run has
// returned: nil when its context ended, otherwise the error that stopped it.
func (r *Runner) Err() error {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	return r.err
}

// Command hands an operator command to the next step and waits for it. It
// returns nil once the step that applied it has been saved and its
// decisions applied; the *CommandError when Step refused it (nothing
// changed); ErrStopped at once when Run has returned; or an error when ctx
// ends or Run stops first. A revert the step submits (a Revert command, or
// a failure with auto_revert) is deployed by the steps that follow. Run
// must be running for the command to be handled.
func (r *Runner) Command(ctx context.Context, cmd rollout.Command) error {
	pc := &pendingCommand{cmd: cmd, done: make(chan error, 1)}
	r.qmu.Lock()
	if r.stopped {
		r.qmu.Unlock()
		return r.stoppedErr()
	}
	r.cmds = append(r.cmds, pc)
	r.qmu.Unlock()
	r.poke(0)
	select {
	case err := <-pc.done:
		return err
	case <-ctx.Done():
		r.dequeue(pc)
		return ctx.Err()
	}
}

// stoppedErr is ErrStopped with the reason Run stopped; qmu is held.
func (r *Runner) stoppedErr() error {
	if r.err != nil {
		return fmt.Errorf("rollout: job %q: %w: %s", r.cfg.JobID, ErrStopped, oneLineError(r.err))
	}
	return fmt.Errorf("rollout: job %q: %w", r.cfg.JobID, ErrStopped)
}

// poke wakes Run for news saved at store revision rev (0: whatever the
// revision). A wake already pending serves: the step it makes loads the
// latest state and reads the command queue.
func (r *Runner) poke(rev uint64) {
	select {
	case r.wake <- rev:
	default:
	}
}

// hasCommands reports whether commands wait in the queue.
func (r *Runner) hasCommands() bool {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	return len(r.cmds) > 0
}

// Run loops until ctx ends, then returns nil. It returns an error when the
// Store holds state it cannot read (ErrCorrupt, ErrSchema), or when Step
// rejects the input as invalid without any health event in it (a broken
// store or driver: health events Step refuses are dropped and reported to
// OnError instead); ErrRunning when the Runner already runs. Once Run has
// returned, Done is closed and Submit and Command fail with ErrStopped: a
// Runner runs once.
func (r *Runner) Run(ctx context.Context) (err error) {
	r.qmu.Lock()
	if r.running || r.stopped {
		r.qmu.Unlock()
		return ErrRunning
	}
	r.running = true
	r.qmu.Unlock()
	defer func() {
		r.qmu.Lock()
		r.running, r.stopped, r.err = false, true, err
		cmds := r.cmds
		r.cmds = nil
		stopErr := r.stoppedErr()
		r.qmu.Unlock()
		for _, c := range cmds {
			c.done <- stopErr
		}
		if err != nil {
			r.log.Error("runner stopped", "error", oneLineError(err))
		}
		r.watch.close()
		close(r.done)
	}()
	srcCtx, cancelSrc := context.WithCancel(ctx)
	defer cancelSrc()
	r.events, r.source, r.srcErrs = nil, nil, 0
	if n, ok := r.store.(Notifier); ok {
		if ch, err := call(r, srcCtx, func(context.Context) (<-chan uint64, error) { return n.Changes(srcCtx, r.cfg.JobID) }); err == nil {
			r.saves = ch
		} else {
			r.report("subscribe to store changes", 1, err)
		}
	}
	r.allocCh = nil
	if n, ok := r.cfg.Driver.(DriverNotifier); ok {
		if ch, err := call(r, srcCtx, func(context.Context) (<-chan struct{}, error) { return n.AllocChanges(srcCtx, r.cfg.JobID) }); err == nil {
			r.allocCh = ch
		} else {
			r.report("subscribe to allocation changes", 1, err)
		}
	}
	var retrySource time.Time // when to subscribe again; zero: now

	for {
		if ctx.Err() != nil {
			return nil
		}
		if r.cfg.Health != nil && r.source == nil && !r.clock.Now().Before(retrySource) {
			ch, err := r.subscribe(srcCtx)
			if err != nil {
				r.srcErrs++
				r.report("subscribe to health events", r.srcErrs, err)
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

// subscribe asks the health source for events, within the call timeout.
func (r *Runner) subscribe(ctx context.Context) (<-chan []rollout.Event, error) {
	ch, err := call(r, ctx, func(context.Context) (<-chan []rollout.Event, error) {
		return r.cfg.Health.Events(ctx, r.cfg.JobID) // the subscription lives as long as Run
	})
	if err == nil && ch == nil {
		err = errors.New("nil channel")
	}
	return ch, err
}

func commandsOf(cmds []*pendingCommand) []rollout.Command {
	if len(cmds) == 0 {
		return nil
	}
	out := make([]rollout.Command, len(cmds))
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
	for woken := false; !woken; {
		select {
		case <-ctx.Done():
			return false
		case <-fire:
			woken = true
		case rev := <-r.wake:
			// Not news when a step already loaded what a Submit saved
			// (its save's notice may have woken the Runner first),
			// unless a Command's wake was dropped for this pending one.
			woken = rev == 0 || rev > r.known || r.hasCommands()
		case batch, ok := <-r.source:
			r.receive(batch, ok)
			woken = true
		case rev, ok := <-r.saves:
			if !ok {
				r.saves = nil
			}
			woken = ok && rev > r.known // not this Runner's own save
		case _, ok := <-r.allocCh:
			if !ok {
				r.allocCh = nil
			}
			woken = ok
		}
	}
	// The step that follows loads the latest state and reads the command
	// queue: it answers every wake-up and save notice already sent.
	for pending := true; pending; {
		select {
		case <-r.wake:
		case _, ok := <-r.saves:
			if !ok {
				r.saves = nil
			}
		default:
			pending = false
		}
	}
	r.drain()
	return true
}

// receive takes a batch from the health source; a closed channel is
// subscribed to again.
func (r *Runner) receive(batch []rollout.Event, ok bool) {
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
