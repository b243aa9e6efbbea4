package healthcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// ErrUnknownAlloc is returned by task callbacks for an allocation that is not
// registered.
var ErrUnknownAlloc = errors.New("healthcheck: allocation not registered")

// Result is the outcome of one check attempt, as passed to Source.OnResult.
type Result struct {
	Job, Alloc, Check string
	// Time is when the result was observed.
	Time time.Time
	// Err is nil when the attempt passed.
	Err error
}

// Source runs the checks of registered allocations and delivers their check
// and task events; it implements controller.HealthSource. Register an
// allocation when it starts and Unregister it when it stops. The zero value
// is not usable; call NewSource. Its methods may be called from any
// goroutine.
type Source struct {
	clk clock.Clock
	// OnResult, when set before the first Register, is called after every
	// check attempt (for logs), from the check's goroutine.
	OnResult func(Result)

	mu     sync.Mutex
	allocs map[string]*target
	subs   map[string]map[*subscriber]struct{}
}

type target struct {
	job    string
	cancel context.CancelFunc
	done   chan struct{}
	// last holds the latest event per task or check, replayed to new
	// subscribers.
	last map[string]rollout.Event
}

// NewSource returns a Source timing its checks with clk (nil means the
// real clock).
func NewSource(clk clock.Clock) *Source {
	if clk == nil {
		clk = clock.New()
	}
	return &Source{clk: clk, allocs: map[string]*target{}, subs: map[string]map[*subscriber]struct{}{}}
}

// Register starts running checks on the allocation allocID of job jobID,
// each on its own goroutine, the first attempt at once. Registering an
// allocation again replaces its checks (keeping its task events).
func (s *Source) Register(jobID, allocID string, checks ...Check) {
	ctx, cancel := context.WithCancel(context.Background())
	t := &target{job: jobID, cancel: cancel, done: make(chan struct{}), last: map[string]rollout.Event{}}
	s.mu.Lock()
	old := s.allocs[allocID]
	if old != nil {
		for k, e := range old.last {
			if e.Task != "" || e.Check == "" {
				t.last[k] = e
			}
		}
	}
	s.allocs[allocID] = t
	s.mu.Unlock()
	if old != nil {
		old.cancel()
		<-old.done
	}
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx, jobID, allocID, c)
		}()
	}
	go func() {
		wg.Wait()
		close(t.done)
	}()
}

// Unregister stops the checks of the allocation and forgets it; it returns
// once its check goroutines have ended.
func (s *Source) Unregister(allocID string) {
	s.mu.Lock()
	t := s.allocs[allocID]
	delete(s.allocs, allocID)
	s.mu.Unlock()
	if t != nil {
		t.cancel()
		<-t.done
	}
}

// Close unregisters every allocation.
func (s *Source) Close() {
	s.mu.Lock()
	ids := make([]string, 0, len(s.allocs))
	for id := range s.allocs {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.Unregister(id)
	}
}

// run runs one check until ctx is done. The timer of the next attempt is
// set before the attempt runs, so attempts start an interval apart.
func (s *Source) run(ctx context.Context, jobID, allocID string, c Check) {
	var passing, failing int
	state := 0 // 0 unknown, 1 passing, -1 failing
	for {
		next := s.clk.Timer(c.interval())
		actx, cancel := s.clk.WithTimeout(ctx, c.timeout())
		err := c.Probe(actx)
		cancel()
		if ctx.Err() != nil {
			next.Stop()
			return
		}
		at := s.clk.Now()
		if err == nil {
			passing, failing = passing+1, 0
			if state != 1 && passing >= atLeastOne(c.SuccessBeforePassing) {
				state = 1
				s.publish(allocID, rollout.Event{Time: at, Alloc: allocID, Kind: rollout.CheckPassing, Check: c.Name})
			}
		} else {
			passing, failing = 0, failing+1
			if state != -1 && failing >= atLeastOne(c.FailuresBeforeCritical) {
				state = -1
				s.publish(allocID, rollout.Event{Time: at, Alloc: allocID, Kind: rollout.CheckFailing, Check: c.Name})
			}
		}
		if s.OnResult != nil {
			s.OnResult(Result{Job: jobID, Alloc: allocID, Check: c.Name, Time: at, Err: err})
		}
		select {
		case <-ctx.Done():
			next.Stop()
			return
		case <-next.C:
		}
	}
}

// TaskStarted reports that the task of the allocation started at at (the
// process start time, not when the report is made).
func (s *Source) TaskStarted(allocID, task string, at time.Time) error {
	return s.task(allocID, task, rollout.TaskStarted, at)
}

// TaskRestarted reports that the task restarted, its new process started at
// at.
func (s *Source) TaskRestarted(allocID, task string, at time.Time) error {
	return s.task(allocID, task, rollout.TaskRestarted, at)
}

// TaskFailed reports that the task failed at at.
func (s *Source) TaskFailed(allocID, task string, at time.Time) error {
	return s.task(allocID, task, rollout.TaskFailed, at)
}

// TaskFinished reports that the task exited at at.
func (s *Source) TaskFinished(allocID, task string, at time.Time) error {
	return s.task(allocID, task, rollout.TaskFinished, at)
}

func (s *Source) task(allocID, task string, kind rollout.EventKind, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("healthcheck: %s of alloc %q task %q: zero time", kind, allocID, task)
	}
	if !s.publish(allocID, rollout.Event{Time: at, Alloc: allocID, Kind: kind, Task: task}) {
		return fmt.Errorf("%w: %q", ErrUnknownAlloc, allocID)
	}
	return nil
}

func eventKey(e rollout.Event) string {
	if e.Check != "" {
		return "check\x00" + e.Check
	}
	return "task\x00" + e.Task
}

// publish records e as the latest of its task or check and queues it for the
// job's subscribers; false when the allocation is not registered.
func (s *Source) publish(allocID string, e rollout.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.allocs[allocID]
	if t == nil {
		return false
	}
	if prev, ok := t.last[eventKey(e)]; !ok || !e.Time.Before(prev.Time) {
		t.last[eventKey(e)] = e
	}
	for sub := range s.subs[t.job] {
		sub.push([]rollout.Event{e})
	}
	return true
}

// Events implements controller.HealthSource: a channel of the job's events,
// starting with the latest event of every task and check of its registered
// allocations (in time order), closed once ctx is done. Events are queued
// without bound, so a busy Runner never holds up the checks.
func (s *Source) Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error) {
	sub := &subscriber{wake: make(chan struct{}, 1)}
	out := make(chan []rollout.Event)
	s.mu.Lock()
	var replay []rollout.Event
	for _, t := range s.allocs {
		if t.job != jobID {
			continue
		}
		for _, e := range t.last {
			replay = append(replay, e)
		}
	}
	if len(replay) > 0 {
		slices.SortFunc(replay, func(a, b rollout.Event) int {
			return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Alloc, b.Alloc), cmp.Compare(eventKey(a), eventKey(b)))
		})
		sub.push(replay)
	}
	if s.subs[jobID] == nil {
		s.subs[jobID] = map[*subscriber]struct{}{}
	}
	s.subs[jobID][sub] = struct{}{}
	s.mu.Unlock()
	go func() {
		defer close(out)
		defer func() {
			s.mu.Lock()
			delete(s.subs[jobID], sub)
			if len(s.subs[jobID]) == 0 {
				delete(s.subs, jobID)
			}
			s.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.wake:
			}
			batch := sub.take()
			if len(batch) == 0 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case out <- batch:
			}
		}
	}()
	return out, nil
}

// subscriber queues events for one Events channel without bound, so a slow
// Runner never blocks the checks.
type subscriber struct {
	mu      sync.Mutex
	pending []rollout.Event
	wake    chan struct{}
}

func (sub *subscriber) push(es []rollout.Event) {
	sub.mu.Lock()
	sub.pending = append(sub.pending, es...)
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

func (sub *subscriber) take() []rollout.Event {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	b := sub.pending
	sub.pending = nil
	return b
}

var _ controller.HealthSource = (*Source)(nil)
