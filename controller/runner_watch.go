package controller

import (
	"context"
	"fmt"
	"sync"

	"github.com/rollout-go/rollout"
)

// watchers are the subscribers to a Runner's saved states. The Run
// goroutine publishes; a slow subscriber sees only the latest state.
type watchers struct {
	mu     sync.Mutex
	subs   map[*watcher]struct{}
	closed bool
}

type watcher struct{ ch chan *State }

// add subscribes; false when the Runner has stopped.
func (ws *watchers) add() (*watcher, bool) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return nil, false
	}
	if ws.subs == nil {
		ws.subs = map[*watcher]struct{}{}
	}
	w := &watcher{ch: make(chan *State, 1)}
	ws.subs[w] = struct{}{}
	return w, true
}

func (ws *watchers) remove(w *watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	delete(ws.subs, w)
}

// publish hands st to every subscriber, replacing a state not yet read.
func (ws *watchers) publish(st *State) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.subs {
		select {
		case <-w.ch:
		default:
		}
		w.ch <- st
	}
}

// close ends every subscription: their channels close.
func (ws *watchers) close() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.closed = true
	for w := range ws.subs {
		close(w.ch)
	}
	ws.subs = nil
}

// Watch subscribes to the job's deployment: the returned channel receives
// a copy of the job's latest deployment each time a step changes it (its
// status, description or counts), and is closed when ctx ends or Run
// returns. A reader that falls behind receives only the latest change.
func (r *Runner) Watch(ctx context.Context) <-chan rollout.Deployment {
	out := make(chan rollout.Deployment, 1)
	w, ok := r.watch.add()
	if !ok {
		close(out)
		return out
	}
	go func() {
		defer close(out)
		defer r.watch.remove(w)
		var last *rollout.Deployment
		for {
			select {
			case <-ctx.Done():
				return
			case st, ok := <-w.ch:
				if !ok {
					return
				}
				d := st.Deployment()
				if d == nil || (last != nil && sameDeploymentView(last, d)) {
					continue
				}
				last = d
				select {
				case <-out:
				default:
				}
				out <- *d.Clone()
			}
		}
	}()
	return out
}

// sameDeploymentView reports whether a watcher would see no change.
func sameDeploymentView(a, b *rollout.Deployment) bool {
	if a.ID != b.ID || a.Status != b.Status || a.Description != b.Description || len(a.Groups) != len(b.Groups) {
		return false
	}
	for i := range a.Groups {
		x, y := &a.Groups[i], &b.Groups[i]
		if x.Placed != y.Placed || x.Healthy != y.Healthy || x.Unhealthy != y.Unhealthy || x.Promoted != y.Promoted || len(x.PlacedCanaries) != len(y.PlacedCanaries) || !x.RequireProgressBy.Equal(y.RequireProgressBy) {
			return false
		}
	}
	return true
}

// WaitDeployment waits until the deployment with the given ID ends
// (successful, failed or cancelled) and returns it in its final state. An
// empty id means the job's latest deployment at the time of the call. It
// fails when there is no such deployment, when ctx ends, or when Run
// returns first (ErrStopped).
func (r *Runner) WaitDeployment(ctx context.Context, id string) (rollout.Deployment, error) {
	w, ok := r.watch.add()
	if ok {
		defer r.watch.remove(w)
	}
	st, err := r.store.Load(ctx, r.cfg.JobID)
	if err != nil {
		return rollout.Deployment{}, fmt.Errorf("rollout: wait for deployment: %w", err)
	}
	for {
		if id == "" {
			d := st.Deployment()
			if d == nil {
				return rollout.Deployment{}, fmt.Errorf("rollout: job %q: %w", r.cfg.JobID, rollout.ErrNoDeployment)
			}
			id = d.ID
		}
		found := false
		for i := range st.Deployments {
			if d := &st.Deployments[i]; d.ID == id {
				found = true
				if d.Status.Terminal() {
					return *d.Clone(), nil
				}
			}
		}
		if !found {
			return rollout.Deployment{}, fmt.Errorf("rollout: job %q has no deployment %q: %w", r.cfg.JobID, id, rollout.ErrNoDeployment)
		}
		if !ok {
			return rollout.Deployment{}, ErrStopped
		}
		select {
		case <-ctx.Done():
			return rollout.Deployment{}, ctx.Err()
		case next, open := <-w.ch:
			if !open {
				return rollout.Deployment{}, fmt.Errorf("rollout: job %q: %w before deployment %q ended", r.cfg.JobID, ErrStopped, id)
			}
			st = *next
		}
	}
}
