package etcdtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rollout-go/rollout/etcdstore"
	"github.com/rollout-go/rollout/etcdstore/etcdtest"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

func TestConformance(t *testing.T) {
	endpoint := etcdtest.Start(t)
	cli := etcdtest.Client(t, endpoint)
	n := 0
	rollouttest.TestStore(t, func(t *testing.T) controller.Store {
		n++
		return etcdstore.New(cli, fmt.Sprintf("/test-%d", n))
	})
}

// TestChanges: a save by another client is seen through Changes.
func TestChanges(t *testing.T) {
	endpoint := etcdtest.Start(t)
	a := etcdstore.New(etcdtest.Client(t, endpoint), "/r")
	b := etcdstore.New(etcdtest.Client(t, endpoint), "/r")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := a.Changes(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	rev, err := b.Save(ctx, "web", controller.State{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if got != rev {
			t.Errorf("Changes sent revision %d, want %d", got, rev)
		}
	case <-ctx.Done():
		t.Fatal("no change seen")
	}
}

// TestLeaseTakeover: of two leasers (two replicas), one holds a job's
// lease; when its client dies, the other acquires it within the TTL.
func TestLeaseTakeover(t *testing.T) {
	endpoint := etcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dying := etcdtest.Client(t, endpoint)
	a := etcdstore.NewLeaser(dying, "/r", time.Second)
	b := etcdstore.NewLeaser(etcdtest.Client(t, endpoint), "/r", time.Second)
	la, err := a.Acquire(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan time.Time, 1)
	go func() {
		if _, err := b.Acquire(ctx, "web"); err == nil {
			got <- time.Now()
		}
	}()
	select {
	case <-got:
		t.Fatal("b acquired the lease while a holds it")
	case <-time.After(1500 * time.Millisecond):
	}
	died := time.Now()
	dying.Close() // the replica dies: no more heartbeats
	select {
	case at := <-got:
		t.Logf("takeover %v after the holder died (TTL 1s)", at.Sub(died).Round(10*time.Millisecond))
	case <-ctx.Done():
		t.Fatal("b never acquired the lease")
	}
	_ = la
}
