package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// nodes stands in for the machines of a fleet: the allocations they run,
// kept in a JSON file so that they outlive the controller, as real
// processes on real nodes do. Every placed allocation starts running at
// once; its task-started event is reported at its creation time.
type nodes struct {
	path string
	mu   sync.Mutex
}

var (
	_ controller.Driver       = (*nodes)(nil)
	_ controller.HealthSource = (*nodes)(nil)
)

func (n *nodes) read() (map[string][]rollout.Alloc, error) {
	all := map[string][]rollout.Alloc{}
	data, err := os.ReadFile(n.path)
	if errors.Is(err, os.ErrNotExist) {
		return all, nil
	}
	if err != nil {
		return nil, err
	}
	return all, json.Unmarshal(data, &all)
}

// write replaces the file atomically: a kill leaves the old or the new.
func (n *nodes) write(all map[string][]rollout.Alloc) error {
	data, err := json.MarshalIndent(all, "", " ")
	if err != nil {
		return err
	}
	tmp := n.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, n.path)
}

// Allocs reports what the nodes run.
func (n *nodes) Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	all, err := n.read()
	return all[jobID], err
}

// Apply starts and stops allocations, idempotently.
func (n *nodes) Apply(ctx context.Context, d rollout.Decisions) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	all, err := n.read()
	if err != nil {
		return err
	}
	allocs := d.Apply(all[d.JobID])
	for i := range allocs {
		a := &allocs[i]
		switch {
		case a.Desired == rollout.DesiredStop && a.Client != rollout.ClientLost && a.Client != rollout.ClientFailed:
			a.Client = rollout.ClientComplete
		case a.Desired == rollout.DesiredRun && a.Client == rollout.ClientPending:
			a.Client = rollout.ClientRunning
		}
	}
	all[d.JobID] = allocs
	return n.write(all)
}

// Events reports, every 100ms, a task-started event for each running
// allocation at its creation time (delivery is at least once; Step ignores
// repeats).
func (n *nodes) Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error) {
	ch := make(chan []rollout.Event)
	go func() {
		defer close(ch)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			allocs, _ := n.Allocs(ctx, jobID)
			var batch []rollout.Event
			for _, a := range allocs {
				if a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning {
					batch = append(batch, rollout.Event{Time: a.CreateTime, Alloc: a.ID, Kind: rollout.TaskStarted, Task: "app"})
				}
			}
			slices.SortFunc(batch, func(x, y rollout.Event) int { return x.Time.Compare(y.Time) })
			if len(batch) > 0 {
				select {
				case ch <- batch:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}
