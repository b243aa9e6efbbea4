package rollout_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// historyOf returns a History holding versions 0..n-1 of geoJob.
func historyOf(n int) rollout.History {
	var h rollout.History
	for i := 0; i < n; i++ {
		h.Submit(geoJob(string(rune('a'+i)), nil), t0)
	}
	return h
}

func TestSubmitCheckedExpectVersion(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions int
		check    rollout.SubmitCheck
		conflict bool
		why      string
	}{
		{"no check", 3, rollout.SubmitCheck{}, false, "the zero SubmitCheck behaves as Submit"},
		{"planned against latest", 3, rollout.SubmitCheck{Expect: ptr(uint64(2))}, false, "nothing changed since the plan"},
		{"planned against older", 3, rollout.SubmitCheck{Expect: ptr(uint64(1))}, true, "version 2 was submitted after the plan"},
		{"planned against newer", 3, rollout.SubmitCheck{Expect: ptr(uint64(5))}, true, "the planned version never existed"},
		{"expects a version of a new job", 0, rollout.SubmitCheck{Expect: ptr(uint64(0))}, true, "the job has no version at all"},
		{"create only, new job", 0, rollout.SubmitCheck{ExpectNoJob: true}, false, "the job does not exist yet"},
		{"create only, job exists", 1, rollout.SubmitCheck{ExpectNoJob: true}, true, "someone created the job since the plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := historyOf(tc.versions)
			before := len(h.Versions)
			v, created, err := h.SubmitChecked(geoJob("new", nil), t0.Add(time.Minute), tc.check)
			var ce *rollout.VersionConflictError
			if tc.conflict {
				if !errors.Is(err, rollout.ErrVersionConflict) || !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a *VersionConflictError (%s)", err, tc.why)
				}
				if created || len(h.Versions) != before {
					t.Errorf("a refused submit must change nothing: created=%v, %d versions, had %d", created, len(h.Versions), before)
				}
				return
			}
			if err != nil || !created || v.Version != uint64(tc.versions) {
				t.Fatalf("= v%d created=%v err=%v, want v%d created (%s)", v.Version, created, err, tc.versions, tc.why)
			}
		})
	}
}

func TestVersionConflictErrorMessage(t *testing.T) {
	h := historyOf(4)
	_, _, err := h.SubmitChecked(geoJob("x", nil), t0, rollout.SubmitCheck{Expect: ptr(uint64(2))})
	if want := "job changed since it was planned: planned against version 2, latest is version 3"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	h = historyOf(0)
	_, _, err = h.SubmitChecked(geoJob("x", nil), t0, rollout.SubmitCheck{Expect: ptr(uint64(0))})
	if want := "job changed since it was planned: planned against version 0, latest is no job"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// failedHistory runs failingRevertFixture with auto_revert and records the
// step: v1 Stable (0.2), v2 (0.33) failed, v3 reverts to 0.2.
func failedHistory(t *testing.T) (rollout.History, rollout.JobVersion) {
	t.Helper()
	in, out := failingRevertFixture(t, true, true)
	h := rollout.History{Versions: append([]rollout.JobVersion{}, in.History...)}
	h.Record(in.Job)
	h.RecordStep(&in.Job, &out)
	if latest, _ := h.Latest(); latest.Version != 3 || latest.Groups[0].Spec != "image=0.2" {
		t.Fatalf("latest = v%d %q, want the revert v3 (image=0.2)", latest.Version, latest.Groups[0].Spec)
	}
	if len(h.FailedSpecs) != 1 || h.FailedSpecs[0].Version != 2 {
		t.Fatalf("FailedSpecs = %+v, want v2 remembered", h.FailedSpecs)
	}
	return h, in.Job
}

func TestFailedSpecMemory(t *testing.T) {
	update := func() *rollout.UpdateBlock {
		return &rollout.UpdateBlock{MaxParallel: ptr(2), ProgressDeadline: ptr(time.Duration(0)), AutoRevert: ptr(true)}
	}
	for _, tc := range []struct {
		name    string
		job     rollout.JobVersion
		check   rollout.SubmitCheck
		refused bool
		why     string
	}{
		{"off by default", geoJob("0.33", update()), rollout.SubmitCheck{}, false, "Nomad re-deploys a failed specification"},
		{"same spec refused", geoJob("0.33", update()), rollout.SubmitCheck{RefuseFailedSpecs: true}, true, "v2 with this spec failed and was reverted"},
		{"forced", geoJob("0.33", update()), rollout.SubmitCheck{RefuseFailedSpecs: true, Force: true}, false, "Force skips the refusal"},
		{"another spec", geoJob("0.34", update()), rollout.SubmitCheck{RefuseFailedSpecs: true}, false, "only the failed specification is refused"},
		{"same image, other update block", geoJob("0.33", &rollout.UpdateBlock{MaxParallel: ptr(1), AutoRevert: ptr(true)}), rollout.SubmitCheck{RefuseFailedSpecs: true}, false, "the update block is part of the specification"},
		{"identical to latest", geoJob("0.2", update()), rollout.SubmitCheck{RefuseFailedSpecs: true}, false, "re-submitting the running version creates nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := failedHistory(t)
			before := len(h.Versions)
			_, created, err := h.SubmitChecked(tc.job, t0.Add(time.Hour), tc.check)
			if tc.refused {
				var fe *rollout.FailedSpecError
				if !errors.Is(err, rollout.ErrFailedSpec) || !errors.As(err, &fe) || fe.Version != 2 {
					t.Fatalf("err = %v, want a *FailedSpecError naming v2 (%s)", err, tc.why)
				}
				if len(h.Versions) != before {
					t.Error("a refused submit must change nothing")
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v (%s)", err, tc.why)
			}
			if tc.name != "identical to latest" && !created {
				t.Errorf("no version created (%s)", tc.why)
			}
		})
	}
}

// The conflict check runs before the failed-spec check: a stale plan is
// reported as stale whatever it submits.
func TestSubmitCheckedConflictFirst(t *testing.T) {
	h, failed := failedHistory(t)
	_, _, err := h.SubmitChecked(failed, t0, rollout.SubmitCheck{Expect: ptr(uint64(2)), RefuseFailedSpecs: true})
	if !errors.Is(err, rollout.ErrVersionConflict) {
		t.Fatalf("err = %v, want ErrVersionConflict", err)
	}
}

func TestRecordStepRemembersOnlyAutoReverts(t *testing.T) {
	// A Revert command is the operator's choice, not a failure.
	in, _ := failingRevertFixture(t, false, true)
	in.Events, in.Now = nil, in.Now.Add(time.Second)
	in.Commands = []rollout.Command{rollout.Revert(1)}
	out, err := rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	var h rollout.History
	h.Record(in.History[0])
	h.Record(in.Job)
	h.RecordStep(&in.Job, &out)
	if len(h.FailedSpecs) != 0 {
		t.Errorf("a Revert command remembered %+v as failed", h.FailedSpecs)
	}
	// A failure without auto_revert leaves the job on the failed version.
	in, out = failingRevertFixture(t, false, true)
	h = rollout.History{}
	h.Record(in.Job)
	h.RecordStep(&in.Job, &out)
	if out.Deployment == nil || out.Deployment.Status != rollout.StatusFailed || len(h.FailedSpecs) != 0 {
		t.Errorf("failure without auto_revert: FailedSpecs = %+v, want none", h.FailedSpecs)
	}
}

// A failed specification that is forced and then succeeds is forgotten.
func TestRecordStepForgetsSpecThatSucceeds(t *testing.T) {
	h, failed := failedHistory(t)
	v, _, err := h.SubmitChecked(failed, t0.Add(time.Hour), rollout.SubmitCheck{RefuseFailedSpecs: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	v.Stable = true
	h.RecordStep(&v, &rollout.Output{Job: &v})
	if len(h.FailedSpecs) != 0 {
		t.Fatalf("FailedSpecs = %+v after the spec succeeded, want none", h.FailedSpecs)
	}
	h.Submit(geoJob("0.5", nil), t0.Add(2*time.Hour))
	if _, _, err := h.SubmitChecked(failed, t0.Add(3*time.Hour), rollout.SubmitCheck{RefuseFailedSpecs: true}); err != nil {
		t.Errorf("a specification that succeeded is refused: %v", err)
	}
}

func TestFailedSpecsBoundedByKeep(t *testing.T) {
	h, _ := failedHistory(t)
	h.Keep = 2
	for i := 0; i < 4; i++ {
		job := geoJob(string(rune('p'+i)), nil)
		job.Version = uint64(10 + i)
		revert := geoJob("0.2", nil)
		revert.Version = uint64(20 + i)
		h.RecordStep(&job, &rollout.Output{Revert: &revert, Transitions: []rollout.Transition{{Kind: rollout.TransitionFailed}, {Kind: rollout.TransitionReverted}}})
	}
	if len(h.FailedSpecs) != 2 || h.FailedSpecs[0].Version != 12 || h.FailedSpecs[1].Version != 13 {
		t.Errorf("FailedSpecs = %d entries, want the newest 2 (v12, v13)", len(h.FailedSpecs))
	}
}

// The memory survives the store's encoding and State.Clone.
func TestFailedSpecsStored(t *testing.T) {
	h, _ := failedHistory(t)
	st := controller.State{History: h}
	data, err := controller.EncodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := controller.DecodeState(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History.FailedSpecs) != 1 || got.History.FailedSpecs[0].Groups[0].Spec != "image=0.33" {
		t.Errorf("decoded FailedSpecs = %+v", got.History.FailedSpecs)
	}
	c := st.Clone()
	c.History.FailedSpecs[0].Groups[0].Spec = "changed"
	if st.History.FailedSpecs[0].Groups[0].Spec != "image=0.33" {
		t.Error("State.Clone shares FailedSpecs with the original")
	}
}
