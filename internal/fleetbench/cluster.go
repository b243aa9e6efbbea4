package fleetbench

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rollout-go/rollout"
)

// Cluster is a fake cluster for many jobs, as light as a Driver and a
// HealthSource can be: every placement runs the moment it is applied (its
// client reports running and a task-started event is sent at once), every
// stop completes at once and the stopped allocation is gone from its node.
// It runs in real time; the Runners' health timers (min_healthy_time) are
// what paces a rollout on it.
type Cluster struct {
	now func() time.Time

	mu   sync.Mutex
	jobs map[string]*fakeJob
}

// fakeJob is one job's allocations on the fake nodes and the Runners
// subscribed to its events.
type fakeJob struct {
	allocs map[string]*rollout.Alloc
	subs   []*subscriber
}

// subscriber is one Events call.
type subscriber struct {
	ctx context.Context
	ch  chan []rollout.Event
}

// now is the wall clock as a node reports it through an API: in UTC,
// without a monotonic reading (a time decoded from JSON), so that a
// Runner's merge of an unchanged allocation changes nothing it saves.
func now() time.Time { return time.Now().UTC().Round(0) }

// Task is the one task of the fleet's jobs (see Job).
const Task = "app"

// NewCluster returns an empty fake cluster on the wall clock.
func NewCluster() *Cluster {
	return &Cluster{now: now, jobs: map[string]*fakeJob{}}
}

func (c *Cluster) job(id string) *fakeJob {
	j, ok := c.jobs[id]
	if !ok {
		j = &fakeJob{allocs: map[string]*rollout.Alloc{}}
		c.jobs[id] = j
	}
	return j
}

// Allocs implements controller.Driver: the job's allocations, in ID order.
func (c *Cluster) Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[jobID]
	if !ok {
		return nil, nil
	}
	out := make([]rollout.Alloc, 0, len(j.allocs))
	for _, a := range j.allocs {
		out = append(out, a.Clone())
	}
	slices.SortFunc(out, func(a, b rollout.Alloc) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// Apply implements controller.Driver, idempotently: a placement whose ID
// exists is already made, a stop of an allocation gone does nothing.
func (c *Cluster) Apply(ctx context.Context, d rollout.Decisions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.now()
	c.mu.Lock()
	j := c.job(d.JobID)
	for _, s := range d.Stop {
		delete(j.allocs, s.ID) // stopped and gone at once
	}
	var events []rollout.Event
	for i := range d.Place {
		p := &d.Place[i]
		if _, ok := j.allocs[p.ID]; ok {
			continue
		}
		a := p.Alloc()
		a.Client, a.StatusTime = rollout.ClientRunning, now
		j.allocs[a.ID] = &a
		events = append(events, rollout.Event{Time: now, Alloc: a.ID, Kind: rollout.TaskStarted, Task: Task})
	}
	for _, u := range d.InPlace {
		if a, ok := j.allocs[u.ID]; ok {
			a.JobVersion, a.DeploymentID, a.CreateTime, a.Health, a.Canary = u.JobVersion, u.DeploymentID, u.CreateTime, u.Health, false
		}
	}
	for _, h := range d.Health {
		if a, ok := j.allocs[h.ID]; ok {
			a.Health = h.Health
		}
	}
	subs := slices.Clone(j.subs)
	c.mu.Unlock()
	if len(events) > 0 {
		for _, s := range subs {
			s.send(events)
		}
	}
	return nil
}

// Events implements controller.HealthSource.
func (c *Cluster) Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &subscriber{ctx: ctx, ch: make(chan []rollout.Event, 8)}
	c.mu.Lock()
	j := c.job(jobID)
	j.subs = append(j.subs, s)
	c.mu.Unlock()
	context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		j.subs = slices.DeleteFunc(j.subs, func(o *subscriber) bool { return o == s })
	})
	return s.ch, nil
}

// send delivers a batch without blocking the Runner that applies (which is
// the one that reads): a full channel is sent to from a goroutine.
func (s *subscriber) send(batch []rollout.Event) {
	select {
	case s.ch <- batch:
	default:
		go func() {
			select {
			case s.ch <- batch:
			case <-s.ctx.Done():
			}
		}()
	}
}

// Running returns how many allocations of the job run.
func (c *Cluster) Running(jobID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.jobs[jobID]; ok {
		return len(j.allocs)
	}
	return 0
}
