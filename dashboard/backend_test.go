package dashboard

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// clusterBackend serves jobs simulated by rollouttest clusters, one per
// job: commands go through the cluster's Step, and every step notifies
// the subscribers.
type clusterBackend struct {
	mu       sync.Mutex
	clusters map[string]*rollouttest.Cluster
	subs     map[string][]chan struct{}
}

func newClusterBackend() *clusterBackend {
	return &clusterBackend{clusters: map[string]*rollouttest.Cluster{}, subs: map[string][]chan struct{}{}}
}

// addCanaryJob runs version 0 of a job to success, then submits version 1
// with a canary that turns healthy and waits for promotion.
func (b *clusterBackend) addCanaryJob(t *testing.T, name string) *rollouttest.Cluster {
	t.Helper()
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: time.Second}})
	one, canary, minHealthy := 1, 1, time.Second
	up := &rollout.UpdateBlock{MaxParallel: &one, Canary: &canary, MinHealthyTime: &minHealthy}
	job := func(spec string) rollout.JobVersion {
		return rollout.JobVersion{ID: name, Update: up, Groups: []rollout.Group{{Name: "web", Count: 2, Spec: spec}}}
	}
	for _, spec := range []string{"v0", "v1"} {
		if _, err := c.Submit(job(spec)); err != nil {
			t.Fatal(err)
		}
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
	}
	if d := c.Deployment(); d == nil || d.Status != rollout.StatusRunning || d.Description != rollout.DescRunningNeedsPromotion {
		t.Fatalf("setup: deployment %+v, want one running that needs promotion", d)
	}
	b.mu.Lock()
	b.clusters[name] = c
	b.mu.Unlock()
	c.Observe(func(*rollouttest.Cluster, rollouttest.StepInfo) { b.notify(name) })
	return c
}

// addSystemJob runs a system job of one group to success on the
// cluster's three nodes.
func (b *clusterBackend) addSystemJob(t *testing.T, name string) *rollouttest.Cluster {
	t.Helper()
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: time.Second}})
	one, minHealthy := 1, time.Second
	up := &rollout.UpdateBlock{MaxParallel: &one, MinHealthyTime: &minHealthy}
	if _, err := c.Submit(rollout.JobVersion{ID: name, Type: rollout.JobSystem, Update: up, Groups: []rollout.Group{{Name: "agent", Spec: "v0"}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.clusters[name] = c
	b.mu.Unlock()
	return c
}

func (b *clusterBackend) cluster(job string) (*rollouttest.Cluster, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.clusters[job]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, job)
	}
	return c, nil
}

func (b *clusterBackend) notify(job string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs[job] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (b *clusterBackend) Jobs(context.Context) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for j := range b.clusters {
		out = append(out, j)
	}
	slices.Sort(out)
	return out, nil
}

func (b *clusterBackend) State(_ context.Context, job string) (controller.State, error) {
	c, err := b.cluster(job)
	if err != nil {
		return controller.State{}, err
	}
	return controller.State{History: c.History(), Deployments: c.Deployments(), Allocs: c.Allocations(), Freeze: c.Freeze()}, nil
}

func (b *clusterBackend) Command(_ context.Context, job string, cmd rollout.Command) error {
	c, err := b.cluster(job)
	if err != nil {
		return err
	}
	if err := c.Command(cmd); err != nil {
		return err
	}
	return c.Run()
}

func (b *clusterBackend) Subscribe(ctx context.Context, job string) (<-chan struct{}, error) {
	if _, err := b.cluster(job); err != nil {
		return nil, err
	}
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	b.subs[job] = append(b.subs[job], ch)
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		defer b.mu.Unlock()
		b.subs[job] = slices.DeleteFunc(b.subs[job], func(c chan struct{}) bool { return c == ch })
	}()
	return ch, nil
}
