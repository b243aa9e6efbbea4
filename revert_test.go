package rollout_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

func geoJob(image string, update *rollout.UpdateBlock) rollout.JobVersion {
	return rollout.JobVersion{ID: "geo-api-server", Update: update, Groups: []rollout.Group{{Name: "api-server", Count: 6, Spec: "image=" + image}}}
}

func TestHistorySubmit(t *testing.T) {
	var h rollout.History
	v0, created := h.Submit(geoJob("0.1", nil), t0)
	if !created || v0.Version != 0 || v0.Stable {
		t.Fatalf("first submit = v%d created=%v stable=%v, want v0 created, not stable", v0.Version, created, v0.Stable)
	}
	if _, created := h.Submit(geoJob("0.1", nil), t0.Add(time.Minute)); created {
		t.Fatal("resubmitting an identical job must not create a version")
	}
	v1, created := h.Submit(geoJob("0.2", nil), t0.Add(2*time.Minute))
	if !created || v1.Version != 1 || !v1.SubmitTime.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("changed submit = v%d created=%v at %v, want v1 created at +2m", v1.Version, created, v1.SubmitTime)
	}
	if got, ok := h.Get(0); !ok || got.Groups[0].Spec != "image=0.1" {
		t.Fatalf("Get(0) = %+v, %v", got, ok)
	}
	if _, ok := h.Get(7); ok {
		t.Fatal("Get of an unknown version must report false")
	}
}

func TestHistoryRetentionKeepsNewestStable(t *testing.T) {
	h := rollout.History{Keep: 3}
	v, _ := h.Submit(geoJob("0", nil), t0)
	v.Stable = true
	h.Record(v)
	for i := 1; i <= 5; i++ {
		h.Submit(geoJob(string(rune('0'+i)), nil), t0.Add(time.Duration(i)*time.Minute))
	}
	var got []uint64
	for _, v := range h.Versions {
		got = append(got, v.Version)
	}
	if diff := cmp.Diff([]uint64{0, 4, 5}, got); diff != "" {
		t.Errorf("retained versions (-want +got):\n%s\nthe newest Stable version (0) must survive retention", diff)
	}
	if s, ok := h.LatestStable(); !ok || s.Version != 0 {
		t.Errorf("LatestStable = v%d %v, want v0", s.Version, ok)
	}
}

func TestDiffTellsSeed001History(t *testing.T) {
	a, b := geoJob("geo-api-server:0.2", nil), geoJob("geo-api-server:0.33", nil)
	b.Version = 2
	got := rollout.Diff(&a, &b)
	want := []rollout.FieldDiff{{Group: "api-server", Field: "spec", Old: "image=geo-api-server:0.2", New: "image=geo-api-server:0.33"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Diff (-want +got):\n%s", diff)
	}
	if s := got[0].String(); s != `group "api-server" spec: "image=geo-api-server:0.2" => "image=geo-api-server:0.33"` {
		t.Errorf("String() = %s", s)
	}
	c := b
	c.Groups = []rollout.Group{{Name: "api-server", Count: 3, Spec: b.Groups[0].Spec, Update: &rollout.UpdateBlock{MaxParallel: ptr(3)}}}
	if got := rollout.Diff(&b, &c); len(got) != 2 || got[0].Field != "count" || got[1].Field != "update.max_parallel" {
		t.Errorf("count and update changes: %v", got)
	}
}

// failingRevertFixture: v1 Stable (0.2), v2 (0.33) deployed with 2 new
// allocations that turn unhealthy.
func failingRevertFixture(t *testing.T, autoRevert bool, stable bool) (rollout.Input, rollout.Output) {
	t.Helper()
	update := &rollout.UpdateBlock{MaxParallel: ptr(2), ProgressDeadline: ptr(time.Duration(0)), AutoRevert: ptr(autoRevert)}
	v1 := geoJob("0.2", update)
	v1.Version, v1.Stable = 1, stable
	v2 := geoJob("0.33", update)
	v2.Version = 2
	var allocs []rollout.Alloc
	for i := 0; i < 6; i++ {
		allocs = append(allocs, rollout.Alloc{ID: "old" + string(rune('0'+i)), JobID: "geo-api-server", Group: "api-server", Index: i,
			JobVersion: 1, Spec: "image=0.2", Desired: rollout.DesiredRun, Client: rollout.ClientRunning})
	}
	in := rollout.Input{Now: t0, Job: v2, History: []rollout.JobVersion{v1}, Allocs: allocs}
	out, err := rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Place) != 2 {
		t.Fatalf("placed %d, want 2 (max_parallel)", len(out.Place))
	}
	in.Deployment, in.Allocs = out.Deployment, out.Apply(allocs)
	in.Now = t0.Add(20 * time.Second)
	in.Events = []rollout.Event{{Time: in.Now, Alloc: out.Place[0].ID, Kind: rollout.TaskFailed}}
	out, err = rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	return in, out
}

func TestAutoRevertOnFailure(t *testing.T) {
	_, out := failingRevertFixture(t, true, true)
	if out.Deployment.Status != rollout.StatusFailed {
		t.Fatalf("status %v, want failed", out.Deployment.Status)
	}
	if want := "Failed due to unhealthy allocations - rolling back to job version 1"; out.Deployment.Description != want {
		t.Errorf("description %q, want %q", out.Deployment.Description, want)
	}
	if out.Revert == nil {
		t.Fatal("no revert version returned")
	}
	r := out.Revert
	if r.Version != 3 || r.Stable || r.RevertOf == nil || *r.RevertOf != 1 || r.Groups[0].Spec != "image=0.2" || !r.SubmitTime.Equal(t0.Add(20*time.Second)) {
		t.Errorf("revert = v%d stable=%v of=%v spec=%q at %v; want v3, not stable, of v1, image=0.2, submitted now", r.Version, r.Stable, r.RevertOf, r.Groups[0].Spec, r.SubmitTime)
	}
}

func TestAutoRevertSuffixes(t *testing.T) {
	t.Run("no stable version", func(t *testing.T) {
		_, out := failingRevertFixture(t, true, false)
		if want := "Failed due to unhealthy allocations - no stable job version to auto revert to"; out.Deployment.Description != want || out.Revert != nil {
			t.Errorf("description %q revert %v, want %q and no revert", out.Deployment.Description, out.Revert, want)
		}
	})
	t.Run("without auto_revert", func(t *testing.T) {
		_, out := failingRevertFixture(t, false, true)
		if out.Deployment.Description != rollout.DescFailedAllocations || out.Revert != nil {
			t.Errorf("description %q revert %v, want the bare failure and no revert", out.Deployment.Description, out.Revert)
		}
	})
	t.Run("stable target has the same spec", func(t *testing.T) {
		in, _ := failingRevertFixture(t, true, true)
		// The revert version (v3, image 0.2) fails too: its target v1 has
		// its spec, so there is no revert loop.
		v3 := in.History[0]
		v3.Version, v3.Stable = 3, false
		v1 := in.History[0]
		allocs := []rollout.Alloc{{ID: "x", JobID: "geo-api-server", Group: "api-server", Index: 0, JobVersion: 2, Spec: "image=0.33", Desired: rollout.DesiredRun, Client: rollout.ClientRunning}}
		out, err := rollout.Step(rollout.Input{Now: t0, Job: v3, History: []rollout.JobVersion{v1}, Allocs: allocs})
		if err != nil {
			t.Fatal(err)
		}
		out, err = rollout.Step(rollout.Input{Now: t0.Add(time.Second), Job: v3, History: []rollout.JobVersion{v1}, Deployment: out.Deployment, Allocs: out.Apply(allocs), Commands: []rollout.Command{rollout.Fail()}})
		if err != nil {
			t.Fatal(err)
		}
		want := "Deployment marked as failed - not rolling back to stable job version 1 as current job has same specification"
		if out.Deployment.Description != want || out.Revert != nil {
			t.Errorf("description %q revert %v, want %q and no revert", out.Deployment.Description, out.Revert, want)
		}
	})
}

func TestRevertCommand(t *testing.T) {
	in, _ := failingRevertFixture(t, false, true)
	in.Events = nil
	in.Now = in.Now.Add(time.Second)
	for _, tc := range []struct {
		name    string
		version uint64
	}{{"current version", 2}, {"unknown version", 9}} {
		t.Run(tc.name, func(t *testing.T) {
			in := in
			in.Commands = []rollout.Command{rollout.Revert(tc.version)}
			out, err := rollout.Step(in)
			var ce *rollout.CommandError
			if !errors.Is(err, rollout.ErrRevert) || !errors.As(err, &ce) || ce.Command.Version != tc.version {
				t.Fatalf("err = %v, want a CommandError wrapping ErrRevert", err)
			}
			if out.Revert != nil || out.Deployment != nil {
				t.Error("a refused command must decide nothing")
			}
		})
	}
	in.Commands = []rollout.Command{rollout.Revert(1)}
	out, err := rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Revert == nil || out.Revert.Version != 3 || *out.Revert.RevertOf != 1 {
		t.Fatalf("revert = %+v, want v3 of v1", out.Revert)
	}
}

// A revert to a Stable version rolls out at max_parallel and without
// canaries, even when the target's update block has canaries.
func TestRevertSkipsCanariesAndHonoursMaxParallel(t *testing.T) {
	update := &rollout.UpdateBlock{MaxParallel: ptr(2), Canary: ptr(1)}
	v1 := geoJob("0.2", update)
	v1.Version, v1.Stable = 1, true
	v3 := v1.Clone()
	v3.Version, v3.Stable, v3.RevertOf = 3, false, ptr(uint64(1))
	var allocs []rollout.Alloc
	for i := 0; i < 6; i++ {
		allocs = append(allocs, rollout.Alloc{ID: "bad" + string(rune('0'+i)), JobID: "geo-api-server", Group: "api-server", Index: i,
			JobVersion: 2, Spec: "image=0.33", Desired: rollout.DesiredRun, Client: rollout.ClientRunning})
	}
	out, err := rollout.Step(rollout.Input{Now: t0, Job: v3, History: []rollout.JobVersion{v1}, Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Plan[0].String(); got != "2 create/destroy update, 4 ignore" {
		t.Errorf("revert plan %q, want 2 create/destroy update, 4 ignore (no canary, max_parallel 2)", got)
	}
	// The same version reached by a normal submit canaries first.
	v4 := v3.Clone()
	v4.RevertOf = nil
	out, err = rollout.Step(rollout.Input{Now: t0, Job: v4, History: []rollout.JobVersion{v1}, Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Plan[0].String(); got != "1 canary, 6 ignore" {
		t.Errorf("normal plan %q, want 1 canary, 6 ignore", got)
	}
}
