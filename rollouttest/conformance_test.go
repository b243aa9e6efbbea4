package rollouttest_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

func TestTestDriverAcceptsTheKit(t *testing.T) {
	for name, d := range map[string]controller.Driver{
		"RecordingDriver": rollouttest.NewRecordingDriver(),
		"Cluster":         rollouttest.NewCluster(rollouttest.Config{}),
	} {
		if err := rollouttest.TestDriver(d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// naive is a driver with one bug chosen by its fields.
type naive struct {
	mu           sync.Mutex
	allocs       map[string][]rollout.Alloc
	duplicate    bool // appends every placement, even a known one
	ignoreCtx    bool // does not look at the context
	panics       bool // panics on a stop of an unknown allocation
	sharesSlice  bool // returns its own slice from Allocs
	forgetsStops bool // does not record stops
}

func (n *naive) Allocs(ctx context.Context, job string) ([]rollout.Alloc, error) {
	if err := ctx.Err(); err != nil && !n.ignoreCtx {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sharesSlice {
		return n.allocs[job], nil
	}
	out := make([]rollout.Alloc, len(n.allocs[job]))
	copy(out, n.allocs[job])
	return out, nil
}

func (n *naive) Apply(ctx context.Context, d rollout.Decisions) error {
	if err := ctx.Err(); err != nil && !n.ignoreCtx {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.allocs == nil {
		n.allocs = map[string][]rollout.Alloc{}
	}
	list := n.allocs[d.JobID]
	find := func(id string) *rollout.Alloc {
		for i := range list {
			if list[i].ID == id {
				return &list[i]
			}
		}
		return nil
	}
	for _, p := range d.Place {
		if find(p.ID) == nil || n.duplicate {
			list = append(list, p.Alloc())
		}
	}
	for _, h := range d.Health {
		if a := find(h.ID); a != nil {
			a.Health = h.Health
		}
	}
	for _, s := range d.Stop {
		a := find(s.ID)
		if a == nil && n.panics {
			panic("unknown allocation " + s.ID)
		}
		if a != nil && !n.forgetsStops {
			a.Desired = rollout.DesiredStop
			if s.Lost {
				a.Client = rollout.ClientLost
			}
		}
	}
	for _, u := range d.InPlace {
		if a := find(u.ID); a != nil {
			a.JobVersion, a.DeploymentID, a.CreateTime, a.Health = u.JobVersion, u.DeploymentID, u.CreateTime, u.Health
		}
	}
	n.allocs[d.JobID] = list
	return nil
}

func TestTestDriverFindsBugs(t *testing.T) {
	tests := []struct {
		name   string
		d      *naive
		want   string
		reason string
	}{
		{"correct", &naive{}, "", "a correct driver passes"},
		{"duplicate", &naive{duplicate: true}, "lists allocation", "placements applied twice are made twice"},
		{"ignores context", &naive{ignoreCtx: true}, "context.Canceled", "a cancelled context must fail the call"},
		{"panics", &naive{panics: true}, "panic: unknown allocation", "a panic is reported, not propagated"},
		{"shares its slice", &naive{sharesSlice: true}, "the caller changed the slice", "the caller owns what Allocs returns"},
		{"forgets stops", &naive{forgetsStops: true}, "Desired is run, want stop", "stops must be recorded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := rollouttest.TestDriver(tc.d)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("TestDriver: %v; want nil (%s)", err, tc.reason)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("TestDriver: %v; want an error containing %q (%s)", err, tc.want, tc.reason)
			}
		})
	}
}

func TestRecordingDriverFailures(t *testing.T) {
	d := rollouttest.NewRecordingDriver()
	boom := errors.New("boom")
	d.Fail(rollouttest.Failure{Method: rollouttest.MethodApply, Times: 2, Err: boom})
	d.Fail(rollouttest.Failure{Method: rollouttest.MethodApply, Err: boom, AfterApply: true})
	dec := rollout.Decisions{JobID: "j", Place: []rollout.Placement{{ID: "a1", JobID: "j", Group: "g", Name: "j.g[0]"}}}
	ctx := context.Background()
	for i, want := range []error{boom, boom, boom, nil} {
		if err := d.Apply(ctx, dec); !errors.Is(err, want) {
			t.Errorf("Apply #%d: %v, want %v", i+1, err, want)
		}
		n := len(d.Allocations("j"))
		if wantN := map[bool]int{true: 1, false: 0}[i >= 2]; n != wantN {
			t.Errorf("after Apply #%d: %d allocations, want %d", i+1, n, wantN)
		}
	}
	calls := d.CallsOf(rollouttest.MethodApply)
	if len(calls) != 4 || calls[0].Decisions.Place[0].ID != "a1" || calls[3].Err != nil {
		t.Errorf("calls %+v", calls)
	}
	if !d.SetClient("a1", rollout.ClientRunning) || d.Allocations("j")[0].Client != rollout.ClientRunning {
		t.Error("SetClient did not set the client status")
	}
}
