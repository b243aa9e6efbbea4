package rollouttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-go/rollout"
)

// TestStore checks that a rollout.Store keeps its contract, as fstest.TestFS
// does for a file system: a job never saved loads as the zero State; a
// saved State loads back with every field intact; Save is a
// compare-and-set whose revisions grow, and a stale revision fails with
// rollout.ErrConflict and stores nothing; of several concurrent writers of
// one revision exactly one wins; jobs are independent; a cancelled context
// is honoured; and a store that is a rollout.JobLister lists what was
// saved. newStore returns an empty store for each check.
func TestStore(t *testing.T, newStore func(t *testing.T) rollout.Store) {
	t.Helper()
	ctx := context.Background()
	t.Run("unknown job", func(t *testing.T) {
		st, err := newStore(t).Load(ctx, "nope")
		if err != nil || st.Revision != 0 || len(st.History.Versions) != 0 || len(st.Deployments) != 0 || len(st.Allocs) != 0 || st.Pending != nil {
			t.Errorf("Load of a job never saved = %+v, %v; want the zero State", st, err)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		want := FullState()
		rev, err := s.Save(ctx, "web", want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if got.Revision != rev || rev == 0 {
			t.Errorf("loaded revision %d, Save returned %d (want equal, not 0)", got.Revision, rev)
		}
		want.Revision = rev
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("what Load returns differs from what was saved (-saved +loaded):\n%s", diff)
		}
	})
	t.Run("compare and set", func(t *testing.T) {
		s := newStore(t)
		st := FullState()
		r1, err := s.Save(ctx, "web", st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Save(ctx, "web", st); !errors.Is(err, rollout.ErrConflict) {
			t.Fatalf("Save at revision 0 of a saved job = %v, want ErrConflict", err)
		}
		var ce *rollout.ConflictError
		_, err = s.Save(ctx, "web", st)
		if !errors.As(err, &ce) || ce.JobID != "web" || ce.Expected != 0 {
			t.Errorf("conflict error %v, want a *ConflictError for job web expecting revision 0", err)
		}
		st.Revision = r1
		st.History.Keep = 3
		r2, err := s.Save(ctx, "web", st)
		if err != nil {
			t.Fatal(err)
		}
		if r2 <= r1 {
			t.Errorf("revisions %d then %d: they must grow", r1, r2)
		}
		stale := st
		stale.Revision = r1
		stale.History.Keep = 9
		if _, err := s.Save(ctx, "web", stale); !errors.Is(err, rollout.ErrConflict) {
			t.Errorf("Save at the stale revision %d = %v, want ErrConflict", r1, err)
		}
		got, _ := s.Load(ctx, "web")
		if got.Revision != r2 || got.History.Keep != 3 {
			t.Errorf("after a refused save the store holds revision %d keep %d, want %d and 3", got.Revision, got.History.Keep, r2)
		}
	})
	t.Run("concurrent writers", func(t *testing.T) {
		s := newStore(t)
		rev, err := s.Save(ctx, "web", rollout.State{})
		if err != nil {
			t.Fatal(err)
		}
		const writers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := rollout.State{Revision: rev, History: rollout.History{Keep: i + 1}}
				_, err := s.Save(ctx, "web", st)
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case !errors.Is(err, rollout.ErrConflict):
					t.Errorf("writer %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d writers of revision %d won, want exactly 1", wins, rev)
		}
	})
	t.Run("jobs are independent", func(t *testing.T) {
		s := newStore(t)
		a := rollout.State{History: rollout.History{Keep: 1}}
		b := rollout.State{History: rollout.History{Keep: 2}}
		if _, err := s.Save(ctx, "a", a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Save(ctx, "b", b); err != nil {
			t.Fatalf("saving job b at revision 0 after job a: %v", err)
		}
		ga, _ := s.Load(ctx, "a")
		gb, _ := s.Load(ctx, "b")
		if ga.History.Keep != 1 || gb.History.Keep != 2 {
			t.Errorf("jobs mixed up: a keeps %d, b keeps %d", ga.History.Keep, gb.History.Keep)
		}
		if l, ok := s.(rollout.JobLister); ok {
			ids, err := l.Jobs(ctx)
			if err != nil || !cmp.Equal(ids, []string{"a", "b"}) {
				t.Errorf("Jobs() = %v, %v; want [a b]", ids, err)
			}
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Load(cctx, "web"); !errors.Is(err, context.Canceled) {
			t.Errorf("Load with a cancelled context = %v, want context.Canceled", err)
		}
		if _, err := s.Save(cctx, "web", rollout.State{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Save with a cancelled context = %v, want context.Canceled", err)
		}
	})
}

// FullState returns a State with every field set: versions with groups and
// update blocks, deployments with every group counter, allocations with
// health tracker state, and pending decisions of every kind. Stores use it
// to check that nothing is lost.
func FullState() rollout.State {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	i, d, b := 2, 30*time.Second, true
	hc := rollout.HealthChecks
	up := &rollout.UpdateBlock{MaxParallel: &i, MinHealthyTime: &d, HealthyDeadline: &d, AutoRevert: &b, Canary: &i, HealthCheck: &hc}
	job := func(v uint64, spec string) rollout.JobVersion {
		return rollout.JobVersion{ID: "web", Version: v, Stable: v == 0, SubmitTime: t0.Add(time.Duration(v) * time.Minute), Update: up,
			Groups: []rollout.Group{{Name: "api", Count: 3, Update: up, Spec: spec, Tasks: []string{"main", "sidecar"}, Checks: []string{"http"},
				Reschedule: rollout.ReschedulePolicy{Delay: time.Second, MaxDelay: time.Minute, Attempts: 3}}}}
	}
	reverted := uint64(0)
	v2 := job(2, "a")
	v2.RevertOf = &reverted
	dep := rollout.Deployment{ID: "d1", JobID: "web", JobVersion: 1, Status: rollout.StatusRunning, Description: rollout.DescRunning,
		CreateTime: t0, ModifyTime: t0.Add(time.Minute),
		Groups: []rollout.DeploymentGroup{{Name: "api", AutoRevert: true, AutoPromote: true, ProgressDeadline: 10 * time.Minute,
			DesiredTotal: 3, DesiredCanaries: 2, PlacedCanaries: []string{"a1", "a2"}, Placed: 2, Healthy: 1, Unhealthy: 1, Promoted: true,
			RequireProgressBy: t0.Add(10 * time.Minute)}}}
	health := rollout.AllocHealth{Status: rollout.Healthy, Time: t0, Reason: "ok", LastEvent: t0,
		Tasks:  []rollout.TaskHealth{{Name: "main", State: rollout.TaskStateRunning, Since: t0, Restarts: 1}},
		Checks: []rollout.CheckHealth{{Name: "http", Passing: true, Since: t0}}}
	alloc := func(id string, idx int) rollout.Alloc {
		return rollout.Alloc{ID: id, JobID: "web", Group: "api", Index: idx, JobVersion: 1, Spec: "b", Desired: rollout.DesiredRun,
			Client: rollout.ClientRunning, Canary: true, DeploymentID: "d1", CreateTime: t0, StatusTime: t0, Attempts: 1, Health: health}
	}
	return rollout.State{
		History:     rollout.History{Versions: []rollout.JobVersion{job(0, "a"), job(1, "b"), v2}, Keep: 5},
		Deployments: []rollout.Deployment{dep},
		Allocs:      []rollout.Alloc{alloc("a1", 0), alloc("a2", 1)},
		Pending: &rollout.Decisions{JobID: "web",
			Stop:    []rollout.StopDecision{{ID: "a0", Group: "api", Index: 0, Name: "web.api[0]", Lost: true, Kind: rollout.KindLost, Reason: rollout.ReasonLost}},
			Place:   []rollout.Placement{{ID: "a3", JobID: "web", Group: "api", Index: 2, Name: "web.api[2]", JobVersion: 1, Spec: "b", Canary: true, DeploymentID: "d1", Replaces: "a0", Attempts: 1, CreateTime: t0, Kind: rollout.KindLost, Reason: rollout.ReasonPlaceLost}},
			InPlace: []rollout.InPlaceUpdate{{ID: "a1", Group: "api", Name: "web.api[0]", JobVersion: 1, DeploymentID: "d1", Health: health, CreateTime: t0, Kind: rollout.KindInPlace, Reason: rollout.ReasonInPlace}},
			Health:  []rollout.HealthUpdate{{ID: "a2", Group: "api", Name: "web.api[1]", Health: health}},
		},
	}
}
