package rollouttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// TestStore checks that a controller.Store keeps the contract documented on
// controller.Store, the way testing/fstest.TestFS checks a file system. Each
// check runs as a subtest with a store of its own from newStore, which
// must return an empty store (a fresh file, a fresh key prefix) that
// lives until the subtest ends (use t.Cleanup to close it). It checks that:
//
//   - Load of a job never saved returns the zero State and no error;
//   - a saved State comes back field for field, every field of versions
//     (update blocks, groups, specs), deployments (every per-group field),
//     allocations (with their health tracker's tasks and checks) and
//     pending decisions of every kind, and a later Save replaces it as a
//     whole; what Load returns and what Save was given are not shared
//     with the store;
//   - every Save returns a revision greater than the job's earlier ones,
//     and Load returns the revision of the last Save;
//   - a Save at a stale revision (or at revision 0 once the job exists, or
//     at a revision the job never had) fails with an error wrapping a
//     *controller.ConflictError (errors.Is controller.ErrConflict) naming the job
//     and the expected revision, and stores nothing;
//   - of concurrent writers saving at one revision exactly one wins, and
//     writers that reload and retry after a conflict lose no update;
//   - jobs are independent: saving one changes neither the state nor the
//     revision of another, and job IDs with slashes, spaces, dots, percent
//     signs or non-ASCII letters, IDs that are prefixes of others, and an
//     ID of rollout.MaxJobIDLength bytes are kept apart;
//   - Load and Save refuse the job IDs rollout.ValidateJobID refuses
//     (empty, over MaxJobIDLength bytes, not UTF-8) with an error holding
//     its message, errors.Is rollout.ErrInvalid, that names an over-long
//     ID by its length, and store nothing;
//   - Load, Save (and Jobs) return an error wrapping context.Canceled, or
//     context.DeadlineExceeded, for a context already done;
//   - a store that implements controller.JobLister lists exactly the jobs
//     saved, in ascending order, none for an empty store.
func TestStore(t *testing.T, newStore func(t *testing.T) controller.Store) {
	t.Helper()
	checks := []struct {
		name string
		fn   func(t *testing.T, s controller.Store)
	}{
		{"UnknownJob", storeUnknownJob},
		{"RoundTrip", storeRoundTrip},
		{"NotShared", storeNotShared},
		{"Revisions", storeRevisions},
		{"Conflict", storeConflict},
		{"ConcurrentWriters", storeConcurrentWriters},
		{"NoLostUpdates", storeNoLostUpdates},
		{"IndependentJobs", storeIndependentJobs},
		{"RefusedIDs", storeRefusedIDs},
		{"DoneContext", storeDoneContext},
		{"Jobs", storeJobs},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			c.fn(t, s)
		})
	}
}

// storeJob is the job most checks save.
const storeJob = "rollouttest-store"

// storeCmp compares states: a nil slice and an empty one are the same.
var storeCmp = cmpopts.EquateEmpty()

func storeUnknownJob(t *testing.T, s controller.Store) {
	st, err := s.Load(context.Background(), "rollouttest-never-saved")
	if err != nil {
		t.Fatalf("Load of a job never saved: %v; want the zero State and no error", err)
	}
	if diff := cmp.Diff(controller.State{}, st, storeCmp); diff != "" {
		t.Errorf("Load of a job never saved is not the zero State (-want +got):\n%s", diff)
	}
}

// save saves st and fails the test on an error.
func save(t *testing.T, s controller.Store, job string, st controller.State) uint64 {
	t.Helper()
	rev, err := s.Save(context.Background(), job, st)
	if err != nil {
		t.Fatalf("Save(%q) at revision %d: %v", job, st.Revision, err)
	}
	if rev == 0 {
		t.Fatalf("Save(%q) returned revision 0; a saved job's revision is above 0", job)
	}
	return rev
}

// load loads a job and fails the test on an error.
func load(t *testing.T, s controller.Store, job string) controller.State {
	t.Helper()
	st, err := s.Load(context.Background(), job)
	if err != nil {
		t.Fatalf("Load(%q): %v", job, err)
	}
	return st
}

// expect checks that the job holds want (Revision included).
func expect(t *testing.T, s controller.Store, job string, want controller.State, what string) {
	t.Helper()
	got := load(t, s, job)
	if diff := cmp.Diff(want, got, storeCmp); diff != "" {
		t.Errorf("%s: Load(%q) differs from what was saved (-want +got):\n%s", what, job, diff)
	}
}

func storeRoundTrip(t *testing.T, s controller.Store) {
	full := fullState(storeJob)
	rev := save(t, s, storeJob, full)
	want := full.Clone()
	want.Revision = rev
	expect(t, s, storeJob, want, "every field")

	// A later save replaces the state as a whole: fewer allocations,
	// no pending decisions, a deployment ended.
	next := load(t, s, storeJob)
	next.Allocs = next.Allocs[:1]
	next.Pending = nil
	next.Deployments[len(next.Deployments)-1].Status = rollout.StatusSuccessful
	rev = save(t, s, storeJob, next)
	want = next.Clone()
	want.Revision = rev
	expect(t, s, storeJob, want, "a second save")
}

func storeNotShared(t *testing.T, s controller.Store) {
	st := fullState(storeJob)
	rev := save(t, s, storeJob, st)
	want := fullState(storeJob)
	want.Revision = rev

	// Change what was given to Save, and what Load returned.
	scribble(&st)
	got := load(t, s, storeJob)
	scribble(&got)
	expect(t, s, storeJob, want, "after the caller changed what it saved and what it loaded")
}

// scribble changes st in place, through every kind of shared memory.
func scribble(st *controller.State) {
	st.History.Versions[0].Groups[0].Tasks[0] = "scribbled"
	st.History.FailedSpecs[0].Groups[0].Spec = "scribbled"
	*st.History.Versions[0].Update.MaxParallel = 99
	st.Deployments[0].Groups[0].PlacedCanaries[0] = "scribbled"
	st.Allocs[0].Health.Tasks[0].Name = "scribbled"
	st.Allocs[0].Health.Checks[0].Name = "scribbled"
	st.Pending.Place[0].ID = "scribbled"
	st.Pending.InPlace[0].Health.Tasks[0].Name = "scribbled"
	st.Pending.Health[0].Health.Checks[0].Name = "scribbled"
}

func storeRevisions(t *testing.T, s controller.Store) {
	st := fullState(storeJob)
	var last uint64
	for i := range 5 {
		st.History.Keep = i + 1
		rev := save(t, s, storeJob, st)
		if rev <= last {
			t.Fatalf("save %d returned revision %d, not above the job's previous revision %d", i+1, rev, last)
		}
		last = rev
		st = load(t, s, storeJob)
		if st.Revision != rev || st.History.Keep != i+1 {
			t.Fatalf("after save %d at revision %d, Load returned revision %d holding save %d", i+1, rev, st.Revision, st.History.Keep)
		}
	}
}

// wantConflict checks that err is a conflict for job at revision expected,
// and that the job still holds held.
func wantConflict(t *testing.T, s controller.Store, err error, job string, expected uint64, held controller.State, what string) {
	t.Helper()
	var ce *controller.ConflictError
	switch {
	case err == nil:
		t.Errorf("%s: Save succeeded; want a conflict", what)
	case !errors.Is(err, controller.ErrConflict) || !errors.As(err, &ce):
		t.Errorf("%s: Save returned %v; want an error wrapping a *controller.ConflictError", what, err)
	default:
		if ce.JobID != job || ce.Expected != expected {
			t.Errorf("%s: conflict names job %q at revision %d; want job %q at revision %d", what, ce.JobID, ce.Expected, job, expected)
		}
		if ce.Actual != 0 && ce.Actual != held.Revision {
			t.Errorf("%s: conflict says the store holds revision %d; it holds %d", what, ce.Actual, held.Revision)
		}
	}
	expect(t, s, job, held, what+": the conflicting save stored something")
}

func storeConflict(t *testing.T, s controller.Store) {
	first := fullState(storeJob)
	rev1 := save(t, s, storeJob, first)
	stale := load(t, s, storeJob)
	stale.History.Keep = 2
	rev2 := save(t, s, storeJob, stale)
	held := load(t, s, storeJob)
	if held.Revision != rev2 {
		t.Fatalf("Load returned revision %d after a save at %d", held.Revision, rev2)
	}

	lost := held.Clone()
	lost.Deployments = nil
	lost.Pending = nil

	lost.Revision = rev1
	_, err := s.Save(context.Background(), storeJob, lost)
	wantConflict(t, s, err, storeJob, rev1, held, "a save at a stale revision")

	lost.Revision = 0
	_, err = s.Save(context.Background(), storeJob, lost)
	wantConflict(t, s, err, storeJob, 0, held, "a save at revision 0 of a job that exists")

	lost.Revision = rev2 + 1000
	_, err = s.Save(context.Background(), storeJob, lost)
	wantConflict(t, s, err, storeJob, rev2+1000, held, "a save at a revision the job never had")

	const other = "rollouttest-store-unsaved"
	lost.Revision = rev2
	_, err = s.Save(context.Background(), other, lost)
	wantConflict(t, s, err, other, rev2, controller.State{}, "a save at a revision of a job never saved")
}

// storeWriters is how many goroutines write one job at once.
const storeWriters = 8

func storeConcurrentWriters(t *testing.T, s controller.Store) {
	base := fullState(storeJob)
	save(t, s, storeJob, base)
	for round := range 5 {
		st := load(t, s, storeJob)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []int
			revs    []uint64
			errs    []error
		)
		start := make(chan struct{})
		for w := range storeWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := st.Clone()
				mine.History.Keep = 100*round + w + 1
				<-start
				rev, err := s.Save(context.Background(), storeJob, mine)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, mine.History.Keep)
					revs = append(revs, rev)
				case !errors.Is(err, controller.ErrConflict):
					errs = append(errs, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			t.Errorf("round %d: a losing writer got %v; want a conflict", round, err)
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d of %d writers at revision %d won (%v); want exactly one", round, len(winners), storeWriters, st.Revision, winners)
		}
		got := load(t, s, storeJob)
		if got.Revision != revs[0] || got.History.Keep != winners[0] {
			t.Fatalf("round %d: the store holds writer %d at revision %d; the winner was writer %d at revision %d",
				round, got.History.Keep, got.Revision, winners[0], revs[0])
		}
	}
}

func storeNoLostUpdates(t *testing.T, s controller.Store) {
	const each = 5
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range storeWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for done := 0; done < each; {
				st, err := s.Load(ctx, storeJob)
				if err == nil {
					// History.Keep counts the increments.
					st.History.Keep++
					_, err = s.Save(ctx, storeJob, st)
				}
				switch {
				case err == nil:
					done++
				case !errors.Is(err, controller.ErrConflict):
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("a writer retrying after conflicts got %v; want only conflicts", err)
	}
	if got := load(t, s, storeJob).History.Keep; got != storeWriters*each && len(errs) == 0 {
		t.Errorf("%d writers made %d increments each with reload-and-retry; the store counts %d (updates lost)", storeWriters, each, got)
	}
}

// storeJobIDs are job IDs a store must keep apart, in ascending order:
// each a prefix of another, with the characters a store might use to
// build or escape its keys, non-ASCII letters, and the longest ID allowed.
var storeJobIDs = []string{"a", "a b", "a%2Fb", "a.b", "a/", "a/b", "ab", "b", "jöb-ü",
	strings.Repeat("x", rollout.MaxJobIDLength), "ジョブ", "🚀"}

// storeRefusedJobIDs are job IDs rollout.ValidateJobID refuses, and every
// store with it.
var storeRefusedJobIDs = []struct{ name, id string }{
	{"empty", ""},
	{"one byte over MaxJobIDLength", strings.Repeat("x", rollout.MaxJobIDLength+1)},
	{"40000 bytes", strings.Repeat("ジ", 40000/3) + "x"},
	{"not UTF-8", "a\xffb"},
}

// storeRefusedIDs: Load and Save refuse the IDs ValidateJobID refuses
// with its error (errors.Is rollout.ErrInvalid), which never quotes an
// over-long ID, and store nothing.
func storeRefusedIDs(t *testing.T, s controller.Store) {
	ctx := context.Background()
	for _, c := range storeRefusedJobIDs {
		want := rollout.ValidateJobID(c.id)
		if want == nil {
			t.Fatalf("ValidateJobID accepts the %s ID", c.name)
		}
		_, lerr := s.Load(ctx, c.id)
		_, serr := s.Save(ctx, c.id, fullState("web"))
		for _, e := range []struct {
			op  string
			err error
		}{{"Load", lerr}, {"Save", serr}} {
			switch {
			case !errors.Is(e.err, rollout.ErrInvalid):
				t.Errorf("%s of the %s job ID: %v; want an error wrapping rollout.ErrInvalid", e.op, c.name, e.err)
			case !strings.Contains(e.err.Error(), want.Error()):
				t.Errorf("%s of the %s job ID: %q; want it to hold ValidateJobID's %q", e.op, c.name, e.err, want)
			case len(c.id) > rollout.MaxJobIDLength && len(e.err.Error()) > 1000:
				t.Errorf("%s of the %s job ID: an error of %d bytes; want the ID named by its length, not quoted", e.op, c.name, len(e.err.Error()))
			}
		}
	}
	if l, ok := s.(controller.JobLister); ok {
		if ids, err := l.Jobs(ctx); err != nil || len(ids) != 0 {
			t.Errorf("Jobs after refused saves: %d IDs, %v; want none", len(ids), err)
		}
	}
}

func storeIndependentJobs(t *testing.T, s controller.Store) {
	want := map[string]controller.State{}
	for i, id := range storeJobIDs {
		st := fullState(id)
		st.History.Keep = i + 1
		st.Revision = save(t, s, id, st)
		want[id] = st
	}
	// Save the first job again: the others keep their state and revision,
	// so saves at their revisions still succeed.
	first := storeJobIDs[0]
	st := load(t, s, first)
	st.History.Keep = 100
	st.Revision = save(t, s, first, st)
	want[first] = st
	for _, id := range storeJobIDs {
		expect(t, s, id, want[id], fmt.Sprintf("job %q after saving job %q", id, first))
	}
	for _, id := range storeJobIDs[1:] {
		st := want[id]
		st = st.Clone()
		st.History.Keep += 1000
		save(t, s, id, st)
	}
}

func storeDoneContext(t *testing.T, s controller.Store) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		if _, err := s.Load(c.ctx, storeJob); !errors.Is(err, c.want) {
			t.Errorf("Load with a context done (%v) returned %v; want an error wrapping it", c.want, err)
		}
		if _, err := s.Save(c.ctx, storeJob, fullState(storeJob)); !errors.Is(err, c.want) {
			t.Errorf("Save with a context done (%v) returned %v; want an error wrapping it", c.want, err)
		}
		if l, ok := s.(controller.JobLister); ok {
			if _, err := l.Jobs(c.ctx); !errors.Is(err, c.want) {
				t.Errorf("Jobs with a context done (%v) returned %v; want an error wrapping it", c.want, err)
			}
		}
	}
	// The store still works with a live context.
	save(t, s, storeJob, fullState(storeJob))
}

func storeJobs(t *testing.T, s controller.Store) {
	l, ok := s.(controller.JobLister)
	if !ok {
		t.Skipf("%T does not implement controller.JobLister", s)
	}
	ctx := context.Background()
	ids, err := l.Jobs(ctx)
	if err != nil || len(ids) != 0 {
		t.Fatalf("Jobs of an empty store: %q, %v; want none", ids, err)
	}
	// Save in reverse order; a failed save lists nothing.
	for i := len(storeJobIDs) - 1; i >= 0; i-- {
		save(t, s, storeJobIDs[i], fullState(storeJobIDs[i]))
	}
	if _, err := s.Save(ctx, "rollouttest-conflicted", controller.State{Revision: 7}); !errors.Is(err, controller.ErrConflict) {
		t.Errorf("Save of a job never saved at revision 7: %v; want a conflict", err)
	}
	ids, err = l.Jobs(ctx)
	if err != nil {
		t.Fatalf("Jobs: %v", err)
	}
	if diff := cmp.Diff(storeJobIDs, ids); diff != "" {
		t.Errorf("Jobs lists other jobs than those saved, in ascending order (-want +got):\n%s", diff)
	}
}

// FullState returns a State of job "web" with every field set (each field
// of every nested value is non-zero in at least one place): versions with
// update blocks, groups, specs and a revert; deployments with every
// per-group field; allocations with health tracker tasks and checks;
// pending decisions of every kind. TestStore saves it to check a round
// trip; tests of encodings and stores use it to check that nothing is
// lost.
func FullState() controller.State { return fullState("web") }

// fullState is FullState for the given job.
func fullState(job string) controller.State {
	t0 := time.Date(2020, 2, 5, 16, 57, 24, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	intp := func(v int) *int { return &v }
	durp := func(d time.Duration) *time.Duration { return &d }
	boolp := func(b bool) *bool { return &b }
	hcp := func(h rollout.HealthCheck) *rollout.HealthCheck { return &h }
	u64p := func(v uint64) *uint64 { return &v }
	block := func(n int) *rollout.UpdateBlock {
		return &rollout.UpdateBlock{
			MaxParallel:      intp(n),
			HealthCheck:      hcp(rollout.HealthChecks),
			MinHealthyTime:   durp(10 * time.Second),
			HealthyDeadline:  durp(5 * time.Minute),
			ProgressDeadline: durp(10 * time.Minute),
			AutoRevert:       boolp(true),
			AutoPromote:      boolp(n > 1),
			Canary:           intp(n),
			Stagger:          durp(30 * time.Second),
			MaxSurge:         ptr(rollout.Count(1)),
			MaxUnavailable:   ptr(rollout.Percent(25)),
			PauseAfter:       ptr(rollout.NewCheckpoints(rollout.Count(1), rollout.Percent(50))),
			GateTimeout:      durp(time.Hour),
			OnGateTimeout:    ptr(rollout.GatePromote),
			Analysis: &rollout.Analysis{
				Checks: []rollout.AnalysisCheck{{
					Name: "errors", Provider: "prometheus", Query: `sum(rate(errors_total{version="{{.Version}}"}[1m]))`,
					Threshold: "< 0.01", Baseline: true,
				}},
				Interval: 30 * time.Second, Measurements: 3, FailureLimit: 1, OnInconclusive: rollout.InconclusiveRetry,
			},
		}
	}
	group := func(spec string) rollout.Group {
		replace := true
		restart := &rollout.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 15 * time.Second, Mode: "fail", RenderTemplates: true}
		services := []rollout.Service{{Name: "api", Provider: "consul", PortLabel: "http", Tags: []string{spec}, CanaryTags: []string{"canary"},
			Meta: map[string]string{"v": spec}, Task: "server", Extra: map[string]any{"address_mode": "host"}, Checks: []rollout.ServiceCheck{
				{Name: "http", Type: rollout.CheckHTTP, Path: "/health", Method: "GET", Protocol: "https", Headers: map[string][]string{"X": {"1"}},
					PortLabel: "http", Interval: 10 * time.Second, Timeout: 2 * time.Second, OnUpdate: "require_healthy",
					SuccessBeforePassing: 2, FailuresBeforeCritical: 3, Extra: map[string]any{"tls_skip_verify": true},
					CheckRestart: &rollout.CheckRestart{Limit: 3, Grace: time.Second, IgnoreWarnings: true}},
				{Name: "tcp", Type: rollout.CheckScript, Command: "/bin/check", Args: []string{"-q"}, Task: "server", Interval: 5 * time.Second},
			}}}
		resched := rollout.ReschedulePolicy{Delay: 5 * time.Second, MaxDelay: time.Minute, Attempts: 3, DelayFunction: rollout.DelayFibonacci, Interval: time.Hour}
		return rollout.Group{
			Name:       "api",
			Count:      3,
			Update:     block(2),
			Spec:       spec,
			Tasks:      []string{"server", "sidecar"},
			Checks:     []string{"http", "tcp"},
			Reschedule: resched,
			Disconnect: &rollout.Disconnect{LostAfter: time.Hour, Replace: &replace, Reconcile: rollout.ReconcileKeepOriginal},
			Definition: &rollout.GroupDefinition{
				Tasks: []rollout.TaskDefinition{{
					Name: "server", Driver: "exec", User: "nobody",
					Config: map[string]any{"command": "/bin/api", "args": []any{"-port", float64(8080)}, "mount": []any{map[string]any{"type": "bind"}}},
					Env:    map[string]string{"IMAGE": spec}, Meta: map[string]string{"owner": "api"},
					Resources: &rollout.Resources{CPU: 100, Cores: 1, MemoryMB: 64, MemoryMaxMB: 128, Extra: map[string]any{"device": []any{map[string]any{"name": "nvidia/gpu"}}}},
					Artifacts: []rollout.Artifact{{Source: "https://example.com/api.tgz", Destination: "local/", Mode: "any",
						Options: map[string]string{"checksum": "sha256:00"}, Headers: map[string]string{"Auth": "x"}, Extra: map[string]any{"chown": true}}},
					Templates: []rollout.Template{{Data: "a={{ key \"a\" }}", Source: "in.tpl", Destination: "local/a.env", ChangeMode: "signal",
						ChangeSignal: "SIGHUP", Perms: "0644", Env: true, Extra: map[string]any{"splay": "5s"}}},
					Services:    services,
					Restart:     restart,
					KillTimeout: 5 * time.Second, KillSignal: "SIGINT", ShutdownDelay: time.Second, Leader: true,
					Extra: map[string]any{"lifecycle": []any{map[string]any{"hook": "prestart", "sidecar": true}}},
				}, {Name: "sidecar", Driver: "docker"}},
				Services:      services,
				Networks:      []rollout.Network{{Mode: "bridge", Ports: []rollout.Port{{Label: "http", Static: 8080, To: 80, HostNetwork: "public"}}, Extra: map[string]any{"hostname": "api"}}},
				Restart:       restart,
				ShutdownDelay: 3 * time.Second,
				Meta:          map[string]string{"team": "api"},
				Extra:         map[string]any{"ephemeral_disk": []any{map[string]any{"size": float64(300)}}},
			},
		}
	}
	version := func(v uint64, spec string, stable bool) rollout.JobVersion {
		return rollout.JobVersion{
			ID: job, Type: rollout.JobSystem, Version: v, Stable: stable, Stop: true, SubmitTime: at(int(v)),
			Update: block(2), Groups: []rollout.Group{group(spec), {
				Name: "worker", Count: 1, Spec: spec, Reschedule: rollout.ReschedulePolicy{Disabled: true},
				Disconnect: &rollout.Disconnect{StopOnClientAfter: 10 * time.Minute},
			}}, RevertOf: u64p(v + 7),
			Definition: &rollout.JobDefinition{Type: "system", Datacenters: []string{"dc1", "dc2"}, NodePool: "default", Region: "global",
				Namespace: "prod", Priority: 70, AllAtOnce: true, Meta: map[string]string{"owner": "api"}, Extra: map[string]any{"constraint": []any{map[string]any{"attribute": "${attr.kernel.name}", "value": "linux"}}}},
		}
	}
	health := func(s int) rollout.AllocHealth {
		return rollout.AllocHealth{
			Status: rollout.Healthy, Time: at(s + 10), Reason: "task and checks healthy",
			Tasks: []rollout.TaskHealth{
				{Name: "server", State: rollout.TaskStateRunning, Since: at(s), Restarts: 1},
				{Name: "sidecar", State: rollout.TaskStateFailed, Since: at(s + 1), Restarts: 2},
			},
			Checks: []rollout.CheckHealth{
				{Name: "http", Passing: true, Since: at(s + 2)},
				{Name: "tcp", Passing: true, Since: at(s + 3)},
			},
			LastEvent: at(s + 4),
		}
	}
	dep := func(id string, v uint64, status rollout.DeploymentStatus) rollout.Deployment {
		return rollout.Deployment{
			ID: id, JobID: job, JobVersion: v, Status: status, Description: "Deployment is running",
			Groups: []rollout.DeploymentGroup{{
				Name: "api", AutoRevert: true, AutoPromote: true, ProgressDeadline: 10 * time.Minute,
				DesiredTotal: 3, DesiredCanaries: 1, PlacedCanaries: []string{id + "-canary"},
				Placed: 2, Healthy: 1, Unhealthy: 1, Promoted: true, RequireProgressBy: at(600),
				PauseAfter: []int{1, 2}, CheckpointsReached: 1, GateTimeout: time.Hour,
				OnGateTimeout: rollout.GateResume, GateOpenedAt: at(650),
				Analysis: []rollout.AnalysisRun{{
					Gate: rollout.GateCanaries, Status: rollout.AnalysisPassed, Reason: "3 measurements of 1 checks",
					StartedAt: at(610), EndedAt: at(640), Version: v + 1, BaselineVersion: v, HasBaseline: true,
					Measurements: []rollout.AnalysisResult{{Time: at(620), Group: "api", Check: "errors", Verdict: rollout.VerdictPass, Value: 0.001, Reason: "0.001 < 0.01"}},
				}},
			}},
			CreateTime: at(int(v) * 100), ModifyTime: at(int(v)*100 + 50),
		}
	}
	alloc := func(id string, index int, client rollout.ClientStatus) rollout.Alloc {
		return rollout.Alloc{
			ID: id, JobID: job, Group: "api", Index: index, NodeID: "node-" + id, JobVersion: 1, Spec: "image:v2",
			Desired: rollout.DesiredRun, Client: client, Canary: true, Migrate: true, DeploymentID: "dep-2",
			CreateTime: at(200 + index), StatusTime: at(205 + index), Attempts: index + 1, Health: health(200 + index),
			StandsInFor: "alloc-0",
		}
	}
	name := func(i int) string { return rollout.AllocName(job, "api", i) }
	return controller.State{
		History: rollout.History{
			Versions:    []rollout.JobVersion{version(0, "image:v1", false), version(1, "image:v2", true)},
			Keep:        4,
			FailedSpecs: []rollout.JobVersion{version(2, "image:broken", true)},
		},
		Deployments: []rollout.Deployment{dep("dep-1", 0, rollout.StatusSuccessful), dep("dep-2", 1, rollout.StatusRunning)},
		Freeze:      &rollout.FreezeState{Reason: "release freeze", Since: at(700), Until: at(800)},
		Allocs: []rollout.Alloc{
			alloc("alloc-0", 0, rollout.ClientRunning),
			alloc("alloc-1", 1, rollout.ClientFailed),
		},
		Pending: &rollout.Decisions{
			JobID: job,
			Stop: []rollout.StopDecision{{
				ID: "alloc-1", Group: "api", Index: 1, Name: name(1), Lost: true,
				Kind: rollout.KindLost, Reason: rollout.ReasonLost,
			}},
			Place: []rollout.Placement{{
				ID: "alloc-2", JobID: job, Group: "api", Index: 1, Name: name(1), NodeID: "node-2", JobVersion: 1, Spec: "image:v2",
				Canary: true, DeploymentID: "dep-2", Replaces: "alloc-1", StandsInFor: "alloc-0", Attempts: 2, CreateTime: at(300),
				Kind: rollout.KindReschedule, Reason: rollout.ReasonPlaceReschedule,
			}},
			InPlace: []rollout.InPlaceUpdate{{
				ID: "alloc-0", Group: "api", Name: name(0), JobVersion: 1, DeploymentID: "dep-2",
				Health: health(300), CreateTime: at(300), Kind: rollout.KindInPlace, Reason: rollout.ReasonInPlace,
			}},
			Health:   []rollout.HealthUpdate{{ID: "alloc-0", Group: "api", Name: name(0), Health: health(310)}},
			Versions: []rollout.JobVersion{version(1, "image:v2", true)},
		},
		Retained: []rollout.JobVersion{version(3, "image:v0", true)},
	}
}

func ptr[T any](v T) *T { return &v }
