package rollouttest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// TestFullStateSetsEveryField keeps TestStore's round trip complete: a
// field added to State or to anything it holds must be set (non-zero
// somewhere) in FullState, or a store that drops it would pass.
func TestFullStateSetsEveryField(t *testing.T) {
	st := rollouttest.FullState()
	st.Revision = 1 // set by the store, not saved
	set := map[string]bool{}
	walkSet(reflect.ValueOf(st), "State", set)
	for path, ok := range set {
		if !ok {
			t.Errorf("FullState leaves %s zero everywhere", path)
		}
	}
	if len(set) < 50 {
		t.Errorf("walked %d fields; the walk misses most of State", len(set))
	}
}

// walkSet records, for every field path under v (slice indexes left out),
// whether it is non-zero anywhere.
func walkSet(v reflect.Value, path string, set map[string]bool) {
	set[path] = set[path] || !v.IsZero()
	if v.IsZero() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		walkSet(v.Elem(), path+"*", set)
	case reflect.Slice:
		for i := range v.Len() {
			walkSet(v.Index(i), path+"[]", set)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				walkSet(v.Field(i), path+"."+f.Name, set)
			}
		}
	}
}

// brokenStores each break one rule of the Store contract; TestStore must
// fail on each, in the check named.
var brokenStores = map[string]struct {
	check string
	store func() controller.Store
}{
	"no compare-and-set": {"Conflict", func() controller.Store { return lastWriterWins{controller.NewMemoryStore()} }},
	"shares memory":      {"NotShared", func() controller.Store { return &sharingStore{m: map[string]controller.State{}} }},
	"drops check health": {"RoundTrip", func() controller.Store { return dropsChecks{controller.NewMemoryStore()} }},
	"ignores contexts":   {"DoneContext", func() controller.Store { return ignoresContext{controller.NewMemoryStore()} }},
	"lists unsorted":     {"Jobs", func() controller.Store { return unsortedJobs{controller.NewMemoryStore()} }},
	"accepts any ID":     {"RefusedIDs", func() controller.Store { return &sharingStore{m: map[string]controller.State{}} }},
	"quotes a long ID":   {"RefusedIDs", func() controller.Store { return quotesID{controller.NewMemoryStore()} }},
}

// TestStoreCatchesBrokenStores runs TestStore on each broken store in a
// child process (TestStore fails the test it is given) and checks that the
// check named fails.
func TestStoreCatchesBrokenStores(t *testing.T) {
	if name := os.Getenv("ROLLOUTTEST_BROKEN_STORE"); name != "" {
		rollouttest.TestStore(t, func(*testing.T) controller.Store { return brokenStores[name].store() })
		return
	}
	for name, b := range brokenStores {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStoreCatchesBrokenStores$", "-test.v")
			cmd.Env = append(os.Environ(), "ROLLOUTTEST_BROKEN_STORE="+name)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "--- FAIL: TestStoreCatchesBrokenStores/"+b.check+" ") {
				t.Errorf("TestStore on a store that %s: exit %v, want its check %s to fail; output:\n%s", name, err, b.check, out)
			}
		})
	}
}

// lastWriterWins saves at whatever revision the job holds.
type lastWriterWins struct{ *controller.MemoryStore }

func (s lastWriterWins) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	cur, err := s.MemoryStore.Load(ctx, job)
	if err != nil {
		return 0, err
	}
	st.Revision = cur.Revision
	return s.MemoryStore.Save(ctx, job, st)
}

// sharingStore keeps and returns the caller's State without copying it.
type sharingStore struct {
	mu  sync.Mutex
	rev uint64
	m   map[string]controller.State
}

func (s *sharingStore) Load(ctx context.Context, job string) (controller.State, error) {
	if err := ctx.Err(); err != nil {
		return controller.State{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[job], nil
}

func (s *sharingStore) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.m[job].Revision; cur != st.Revision {
		return 0, &controller.ConflictError{JobID: job, Expected: st.Revision, Actual: cur}
	}
	s.rev++
	st.Revision = s.rev
	s.m[job] = st
	return s.rev, nil
}

// dropsChecks loses the allocations' check health.
type dropsChecks struct{ *controller.MemoryStore }

func (s dropsChecks) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	st = st.Clone()
	for i := range st.Allocs {
		st.Allocs[i].Health.Checks = nil
	}
	return s.MemoryStore.Save(ctx, job, st)
}

// ignoresContext never looks at its context.
type ignoresContext struct{ *controller.MemoryStore }

func (s ignoresContext) Load(_ context.Context, job string) (controller.State, error) {
	return s.MemoryStore.Load(context.Background(), job)
}

func (s ignoresContext) Save(_ context.Context, job string, st controller.State) (uint64, error) {
	return s.MemoryStore.Save(context.Background(), job, st)
}

func (s ignoresContext) Jobs(context.Context) ([]string, error) {
	return s.MemoryStore.Jobs(context.Background())
}

// unsortedJobs lists its jobs in descending order.
type unsortedJobs struct{ *controller.MemoryStore }

func (s unsortedJobs) Jobs(ctx context.Context) ([]string, error) {
	ids, err := s.MemoryStore.Jobs(ctx)
	slices.Reverse(ids)
	return ids, err
}

// quotesID refuses the IDs MemoryStore refuses, quoting the ID whole.
type quotesID struct{ *controller.MemoryStore }

func (s quotesID) Save(ctx context.Context, job string, st controller.State) (uint64, error) {
	rev, err := s.MemoryStore.Save(ctx, job, st)
	if err != nil {
		return 0, fmt.Errorf("save job %q: %w", job, err)
	}
	return rev, nil
}
