package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// TestGroupCommit: Saves made at once, many sharing a transaction, each
// keep their own compare-and-set. Of the writers that save one job from
// the same revision exactly one wins and the others get a ConflictError
// naming the winner's revision; the saves of other jobs made alongside
// succeed; every revision returned is distinct; and after the file is
// opened again each job holds what its winner saved.
func TestGroupCommit(t *testing.T) {
	for _, noCache := range []bool{false, true} {
		t.Run(fmt.Sprintf("nocache=%v", noCache), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rollout.db")
			s, err := boltstore.Open(path, &boltstore.Options{NoCache: noCache})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			const rivals, others = 20, 50
			type result struct {
				job  string
				rev  uint64
				err  error
				keep int
			}
			results := make(chan result, rivals+others)
			var wg sync.WaitGroup
			for i := range rivals {
				wg.Go(func() {
					st := rollouttest.FullState()
					st.History.Keep = i + 1 // tells the writers apart
					rev, err := s.Save(ctx, "shared", st)
					results <- result{"shared", rev, err, i + 1}
				})
			}
			for i := range others {
				wg.Go(func() {
					job := fmt.Sprintf("job-%d", i)
					rev, err := s.Save(ctx, job, rollouttest.FullState())
					results <- result{job, rev, err, 0}
				})
			}
			wg.Wait()
			close(results)
			revs := map[uint64]bool{}
			var winner result
			var conflicts []error
			for r := range results {
				switch {
				case r.err == nil:
					if revs[r.rev] {
						t.Errorf("revision %d returned twice", r.rev)
					}
					revs[r.rev] = true
					if r.job == "shared" {
						if winner.job != "" {
							t.Errorf("two writers won the same compare-and-set: revisions %d and %d", winner.rev, r.rev)
						}
						winner = r
					}
				case r.job == "shared" && errors.Is(r.err, controller.ErrConflict):
					conflicts = append(conflicts, r.err)
				default:
					t.Errorf("save of %s: %v", r.job, r.err)
				}
			}
			if winner.job == "" || len(conflicts) != rivals-1 {
				t.Fatalf("%d conflicts and a winner %v; want one winner and %d conflicts", len(conflicts), winner.job != "", rivals-1)
			}
			for _, err := range conflicts {
				var ce *controller.ConflictError
				if !errors.As(err, &ce) || ce.Expected != 0 || ce.Actual != winner.rev {
					t.Errorf("conflict %v; want one expecting 0 and naming revision %d", err, winner.rev)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = boltstore.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			st, err := s.Load(ctx, "shared")
			if err != nil || st.Revision != winner.rev || st.History.Keep != winner.keep {
				t.Errorf("after reopening: revision %d keep %d (%v); want the winner's, revision %d keep %d", st.Revision, st.History.Keep, err, winner.rev, winner.keep)
			}
			for i := range others {
				if st, err := s.Load(ctx, fmt.Sprintf("job-%d", i)); err != nil || st.Revision == 0 {
					t.Errorf("job-%d after reopening: revision %d, %v", i, st.Revision, err)
				}
			}
		})
	}
}

// TestSaveCanceled: a Save whose context is done fails with the context's
// error and stores nothing.
func TestSaveCanceled(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "rollout.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Save(ctx, "web", rollouttest.FullState()); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a canceled context = %v, want context.Canceled", err)
	}
	if st, err := s.Load(context.Background(), "web"); err != nil || st.Revision != 0 {
		t.Errorf("Load after the canceled Save: revision %d, %v; want nothing stored", st.Revision, err)
	}
}

// TestCachedLoad: a Load served from the state cache is what was saved, and
// the caller's copy: changing it changes neither the store nor the next
// Load; a Load after reopening (decoded) is the same state.
func TestCachedLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollout.db")
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := rollouttest.FullState()
	rev, err := s.Save(ctx, "web", want)
	if err != nil {
		t.Fatal(err)
	}
	want.Revision = rev
	got, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached Load (-saved +loaded):\n%s", diff)
	}
	got.Allocs[0].ID, got.History.Versions[0].Groups[0].Count = "changed", 99
	again, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("Load after the caller changed its copy (-saved +loaded):\n%s", diff)
	}
	s.Close()
	s = open(t, path)
	decoded, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, decoded); diff != "" {
		t.Errorf("decoded Load after reopening (-saved +loaded):\n%s", diff)
	}
}
