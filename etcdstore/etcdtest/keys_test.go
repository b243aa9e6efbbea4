package etcdtest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/etcdstore"
	"github.com/rollout-go/rollout/etcdstore/etcdtest"
)

// prefixIDs are job IDs each a prefix of another, or the escape of
// another: their keys must not collide.
var prefixIDs = []string{"a", "a/b", "a/", "a%2Fb", "ab", "ジョブ", "ジョブ/🚀", "🚀", strings.Repeat("x/", rollout.MaxJobIDLength/2)}

// TestElectionsOfPrefixIDs: the leases of jobs whose IDs are prefixes of
// each other ("a" and "a/b") are granted at once, whichever is taken
// first. (Before job IDs were escaped, the election of "a" held the
// candidates of "a/b", and "a" was never granted while "a/b" was held.)
func TestElectionsOfPrefixIDs(t *testing.T) {
	endpoint := etcdtest.Start(t)
	for _, order := range [][]string{prefixIDs, reversed(prefixIDs)} {
		t.Run("first "+short(order[0]), func(t *testing.T) {
			l := etcdstore.NewLeaser(etcdtest.Client(t, endpoint), "/r", 10*time.Second)
			var held []controller.Lease
			for _, id := range order {
				// A lease nobody else holds is granted at once; the
				// deadline is only there to fail instead of hanging.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				lease, err := l.Acquire(ctx, id)
				cancel()
				if err != nil {
					t.Fatalf("Acquire(%s) while holding %d other jobs' leases: %v", short(id), len(held), err)
				}
				held = append(held, lease)
			}
			for i, lease := range held {
				select {
				case <-lease.Done():
					t.Errorf("the lease of %s ended while every lease is held", short(order[i]))
				default:
				}
				if err := lease.Release(context.Background()); err != nil {
					t.Errorf("Release(%s): %v", short(order[i]), err)
				}
			}
		})
	}
}

// TestJobsOfPrefixIDs: Jobs lists exactly the IDs saved, slashes, escapes
// and letters of any script as they were given, and a state key reads as
// its job's ID when the ID is simple.
func TestJobsOfPrefixIDs(t *testing.T) {
	endpoint := etcdtest.Start(t)
	cli := etcdtest.Client(t, endpoint)
	s := etcdstore.New(cli, "/r/")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, id := range prefixIDs {
		if _, err := s.Save(ctx, id, controller.State{History: rollout.History{Keep: len(id)}}); err != nil {
			t.Fatalf("Save(%s): %v", short(id), err)
		}
	}
	got, err := s.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(prefixIDs))
	if !slices.Equal(got, want) {
		t.Errorf("Jobs = %q\nwant %q", got, want)
	}
	for _, id := range prefixIDs {
		st, err := s.Load(ctx, id)
		if err != nil || st.History.Keep != len(id) {
			t.Errorf("Load(%s) = keep %d, %v; want its own state (keep %d)", short(id), st.History.Keep, err, len(id))
		}
	}
	for key, want := range map[string]bool{"/r/jobs/a/state": true, "/r/jobs/a%2Fb/state": true, "/r/jobs/ジョブ/state": true, "/r/jobs/a/b/state": false} {
		resp, err := cli.Get(ctx, key, clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Count == 1; got != want {
			t.Errorf("key %q exists: %v, want %v", key, got, want)
		}
	}
}

// TestJobsRefusesForeignKeys: a key under the jobs prefix that the store
// did not write (here the layout before job IDs were escaped) fails Jobs
// with controller.ErrCorrupt, naming the key, rather than listing a job that
// does not exist.
func TestJobsRefusesForeignKeys(t *testing.T) {
	endpoint := etcdtest.Start(t)
	cli := etcdtest.Client(t, endpoint)
	s := etcdstore.New(cli, "/r")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Save(ctx, "web", controller.State{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "/r/jobs/api", "{}"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Jobs(ctx)
	if !errors.Is(err, controller.ErrCorrupt) || !strings.Contains(err.Error(), `"/r/jobs/api"`) {
		t.Errorf("Jobs with a foreign key: %v; want controller.ErrCorrupt naming the key", err)
	}
}

// TestChangesOfPrefixIDs: a watch of job "a" sees the saves of "a" only,
// none of "a/b", "a/", "a%2Fb" or "ab".
func TestChangesOfPrefixIDs(t *testing.T) {
	endpoint := etcdtest.Start(t)
	s := etcdstore.New(etcdtest.Client(t, endpoint), "/r")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := s.Changes(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a/b", "a/", "a%2Fb", "ab"} {
		if _, err := s.Save(ctx, id, controller.State{}); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := s.Save(ctx, "a", controller.State{})
	if err != nil {
		t.Fatal(err)
	}
	// etcd sends a watch's events in revision order: a save of another
	// job seen by the watch would come first.
	select {
	case got := <-ch:
		if got != rev {
			t.Errorf("the watch of job \"a\" sent revision %d first; want %d, the save of \"a\" (the other jobs' saves are at lower revisions)", got, rev)
		}
	case <-ctx.Done():
		t.Fatal("the save of job \"a\" was not seen")
	}
}

// TestRefusedJobIDs: the leaser and the watch refuse the IDs
// rollout.ValidateJobID refuses, naming an over-long one by its length
// (the store's Load and Save are checked by rollouttest.TestStore).
func TestRefusedJobIDs(t *testing.T) {
	endpoint := etcdtest.Start(t)
	cli := etcdtest.Client(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range []string{"", strings.Repeat("x", 40000), "a\xffb"} {
		_, lerr := etcdstore.NewLeaser(cli, "/r", time.Second).Acquire(ctx, id)
		_, werr := etcdstore.New(cli, "/r").Changes(ctx, id)
		for _, err := range []error{lerr, werr} {
			if !errors.Is(err, rollout.ErrInvalid) || len(err.Error()) > 200 {
				t.Errorf("job ID of %d bytes: %.300v; want a short error wrapping rollout.ErrInvalid", len(id), err)
			}
		}
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// short is an ID for a test message: quoted, or its length when long.
func short(id string) string {
	if len(id) > 40 {
		return fmt.Sprintf("an ID of %d bytes", len(id))
	}
	return fmt.Sprintf("%q", id)
}
