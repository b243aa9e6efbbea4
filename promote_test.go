package rollout_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// canaryRun drives a job through Step, starting every placed allocation at
// once (task-started at its placement) so that it is healthy after
// min_healthy_time.
type canaryRun struct {
	t    *testing.T
	in   rollout.Input
	last rollout.Output
	// broken: placed allocations never start.
	broken bool
}

func (r *canaryRun) step(cmds ...rollout.Command) (rollout.Output, error) {
	r.t.Helper()
	r.in.Commands = cmds
	out, err := rollout.Step(r.in)
	if err != nil {
		return out, err
	}
	r.in.Events = nil
	r.in.Deployment = out.Deployment
	if out.Job != nil {
		r.in.Job = *out.Job
	}
	r.in.Allocs = out.Apply(r.in.Allocs)
	for _, p := range out.Place {
		if r.broken {
			break
		}
		r.in.Events = append(r.in.Events, rollout.Event{Time: r.in.Now, Alloc: p.ID, Kind: rollout.TaskStarted})
	}
	r.last = out
	return out, nil
}

func (r *canaryRun) must(cmds ...rollout.Command) rollout.Output {
	r.t.Helper()
	out, err := r.step(cmds...)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

func (r *canaryRun) advance(d time.Duration) rollout.Output {
	r.t.Helper()
	r.in.Now = r.in.Now.Add(d)
	return r.must()
}

func twoGroupCanaryJob(autoPromoteA, autoPromoteB bool, canaryB int) rollout.JobVersion {
	block := func(canary int, auto bool) *rollout.UpdateBlock {
		b := &rollout.UpdateBlock{Canary: ptr(canary), HealthCheck: ptr(rollout.HealthTaskStates), MinHealthyTime: ptr(30 * time.Second),
			HealthyDeadline: ptr(time.Minute), ProgressDeadline: ptr(2 * time.Minute)}
		if auto {
			b.AutoPromote = ptr(true)
		}
		return b
	}
	return rollout.JobVersion{ID: "shop", Version: 1, Groups: []rollout.Group{
		{Name: "a", Count: 2, Spec: "a2", Update: block(1, autoPromoteA)},
		{Name: "b", Count: 2, Spec: "b2", Update: block(canaryB, autoPromoteB)},
	}}
}

func newCanaryRun(t *testing.T, job rollout.JobVersion) *canaryRun {
	var allocs []rollout.Alloc
	for _, g := range []string{"a", "b"} {
		for i := 0; i < 2; i++ {
			allocs = append(allocs, rollout.Alloc{ID: g + string(rune('0'+i)), JobID: "shop", Group: g, Index: i, JobVersion: 0,
				Spec: g + "1", Desired: rollout.DesiredRun, Client: rollout.ClientRunning})
		}
	}
	return &canaryRun{t: t, in: rollout.Input{Now: t0, Job: job, Allocs: allocs}}
}

func TestLatePromotionAfterProgressDeadline(t *testing.T) {
	r := newCanaryRun(t, twoGroupCanaryJob(false, false, 1))
	out := r.must()
	if d := out.Deployment.Description; d != rollout.DescRunningNeedsPromotion {
		t.Fatalf("description %q, want %q", d, rollout.DescRunningNeedsPromotion)
	}
	r.advance(30 * time.Second) // canaries healthy: deadline → +30s+2m
	out = r.advance(10 * time.Minute)
	if out.Deployment.Status != rollout.StatusRunning {
		t.Fatalf("healthy canaries awaiting promotion failed at the deadline: %v %q", out.Deployment.Status, out.Deployment.Description)
	}
	if !out.NextStep.IsZero() {
		t.Errorf("NextStep = %v: nothing is timed while healthy canaries await promotion", out.NextStep)
	}
	out = r.must(rollout.Promote())
	if out.Deployment.Status != rollout.StatusRunning || out.Deployment.Description != rollout.DescRunning {
		t.Fatalf("after a late promotion: %v %q", out.Deployment.Status, out.Deployment.Description)
	}
	for _, g := range out.Deployment.Groups {
		if want := r.in.Now.Add(2 * time.Minute); !g.RequireProgressBy.Equal(want) {
			t.Errorf("group %s progress deadline %v, want promotion + 2m", g.Name, g.RequireProgressBy.Sub(t0))
		}
	}
	for i := 0; i < 10 && r.last.Deployment.Status == rollout.StatusRunning; i++ {
		r.advance(30 * time.Second)
	}
	if s := r.last.Deployment.Status; s != rollout.StatusSuccessful {
		t.Fatalf("deployment ended %v %q, want successful", s, r.last.Deployment.Description)
	}
}

func TestPromotionRefused(t *testing.T) {
	r := newCanaryRun(t, twoGroupCanaryJob(false, false, 1))
	r.must()
	r.in.Now = r.in.Now.Add(10 * time.Second)
	_, err := r.step(rollout.Promote())
	var ce *rollout.CommandError
	if !errors.Is(err, rollout.ErrPromotion) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a CommandError wrapping ErrPromotion", err)
	}
	for _, want := range []string{`group "a" has 0/1 healthy allocations`, `group "b" has 0/1 healthy allocations`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := r.step(rollout.Promote("c")); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("promoting an unknown group: err = %v, want ErrInvalid", err)
	}
}

func TestAutoPromote(t *testing.T) {
	t.Run("every canary group auto-promotes", func(t *testing.T) {
		r := newCanaryRun(t, twoGroupCanaryJob(true, true, 1))
		out := r.must()
		if d := out.Deployment.Description; d != rollout.DescRunningAutoPromotion {
			t.Fatalf("description %q, want %q", d, rollout.DescRunningAutoPromotion)
		}
		out = r.advance(30 * time.Second)
		if !out.Deployment.Groups[0].Promoted || !out.Deployment.Groups[1].Promoted {
			t.Fatalf("not promoted once every canary is healthy: %+v", out.Deployment.Groups)
		}
		if len(out.Transitions) == 0 || out.Transitions[0].Kind != rollout.TransitionPromoted {
			t.Errorf("transitions %+v, want a promotion", out.Transitions)
		}
	})
	t.Run("a group without canaries does not block it", func(t *testing.T) {
		r := newCanaryRun(t, twoGroupCanaryJob(true, false, 0))
		r.must()
		out := r.advance(30 * time.Second)
		if g, _ := out.Deployment.Group("a"); !g.Promoted {
			t.Fatalf("group a not auto-promoted; description %q", out.Deployment.Description)
		}
	})
	t.Run("one group without auto_promote requires manual promotion", func(t *testing.T) {
		r := newCanaryRun(t, twoGroupCanaryJob(true, false, 1))
		out := r.must()
		if d := out.Deployment.Description; d != rollout.DescRunningNeedsPromotion {
			t.Fatalf("description %q, want %q", d, rollout.DescRunningNeedsPromotion)
		}
		out = r.advance(30 * time.Second)
		if g, _ := out.Deployment.Group("a"); g.Promoted {
			t.Fatal("auto-promoted although group b needs manual promotion")
		}
	})
	t.Run("a paused deployment never auto-promotes", func(t *testing.T) {
		r := newCanaryRun(t, twoGroupCanaryJob(true, true, 1))
		r.must()
		r.in.Now = r.in.Now.Add(time.Second)
		r.must(rollout.Pause())
		out := r.advance(5 * time.Minute)
		if out.Deployment.Groups[0].Promoted || out.Deployment.Status != rollout.StatusPaused {
			t.Fatalf("paused deployment: %v promoted=%v", out.Deployment.Status, out.Deployment.Groups[0].Promoted)
		}
		r.in.Now = r.in.Now.Add(time.Second)
		out = r.must(rollout.Resume())
		if !out.Deployment.Groups[0].Promoted {
			t.Fatal("resumed deployment with healthy canaries did not auto-promote")
		}
	})
}

func TestPauseIgnoresDeadlineAndResumeResetsIt(t *testing.T) {
	r := newCanaryRun(t, twoGroupCanaryJob(false, false, 1))
	r.broken = true // the canaries never start
	r.must()
	r.in.Now = r.in.Now.Add(10 * time.Second)
	out := r.must(rollout.Pause())
	if out.Deployment.Description != rollout.DescPaused {
		t.Fatalf("description %q", out.Deployment.Description)
	}
	out = r.advance(time.Hour)
	if out.Deployment.Status != rollout.StatusPaused {
		t.Fatalf("a paused deployment failed: %q", out.Deployment.Description)
	}
	r.in.Now = r.in.Now.Add(time.Second)
	out = r.must(rollout.Resume())
	for _, g := range out.Deployment.Groups {
		if want := r.in.Now.Add(2 * time.Minute); !g.RequireProgressBy.Equal(want) {
			t.Errorf("group %s progress deadline +%v, want resume + 2m", g.Name, g.RequireProgressBy.Sub(t0))
		}
	}
	if got, deadline := out.NextStep, r.in.Now.Add(2*time.Minute); got.IsZero() || got.After(deadline) {
		t.Errorf("NextStep +%v, want no later than the reset deadline +%v", got.Sub(t0), deadline.Sub(t0))
	}
	out = r.advance(2 * time.Minute)
	if out.Deployment.Status != rollout.StatusFailed || out.Deployment.Description != rollout.DescProgressDeadline {
		t.Fatalf("at the reset deadline: %v %q, want failed by progress deadline", out.Deployment.Status, out.Deployment.Description)
	}
}

func TestCommandsOnTerminalDeployment(t *testing.T) {
	r := newCanaryRun(t, twoGroupCanaryJob(false, false, 1))
	r.must()
	r.in.Now = r.in.Now.Add(time.Second)
	r.must(rollout.Fail())
	for _, c := range []rollout.Command{rollout.Promote(), rollout.Pause(), rollout.Resume(), rollout.Fail(), rollout.SetHealth(true, "a0")} {
		r.in.Now = r.in.Now.Add(time.Second)
		out, err := r.step(c)
		if !errors.Is(err, rollout.ErrTerminal) {
			t.Errorf("%s on a failed deployment: err = %v, want ErrTerminal", c.Kind, err)
		}
		if out.Deployment != nil {
			t.Errorf("%s: a refused command must decide nothing", c.Kind)
		}
	}
}

// TestFailedPromotedScaleDownStopsCanaryNamesakes: a deployment that failed
// after its canaries were promoted, before the old allocations they replace
// stopped, has one allocation too many per canary. The excess taken is the
// old allocation whose name a promoted canary holds, as in a running
// deployment, never a higher index, which would leave two allocations of
// one name.
func TestFailedPromotedScaleDownStopsCanaryNamesakes(t *testing.T) {
	one, two := 1, 2
	up := &rollout.UpdateBlock{MaxParallel: &one, Canary: &two}
	job := rollout.JobVersion{ID: "j", Version: 1, Update: up, Groups: []rollout.Group{{Name: "web", Count: 4, Spec: "b"}}}
	hist := []rollout.JobVersion{{ID: "j", Version: 0, Stable: true, Update: up, Groups: []rollout.Group{{Name: "web", Count: 4, Spec: "a"}}}}
	dep := &rollout.Deployment{ID: "d1", JobID: "j", JobVersion: 1, Status: rollout.StatusFailed, Description: "Deployment marked as failed",
		CreateTime: migT0, ModifyTime: migT0,
		Groups: []rollout.DeploymentGroup{{Name: "web", DesiredTotal: 4, DesiredCanaries: 2, Placed: 2, Healthy: 2, Promoted: true, PlacedCanaries: []string{"c0", "c1"}}}}
	var allocs []rollout.Alloc
	for i := range 4 {
		allocs = append(allocs, migAlloc(fmt.Sprintf("o%d", i), i, 0, "a"))
	}
	for i := range 2 {
		c := migAlloc(fmt.Sprintf("c%d", i), i, 1, "b")
		c.Canary, c.DeploymentID = true, "d1"
		allocs = append(allocs, c)
	}
	out, err := rollout.Step(rollout.Input{Now: migT0, Job: job, History: hist, Deployment: dep, Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.Stop {
		got = append(got, s.ID+":"+string(s.Kind))
	}
	if g, want := strings.Join(got, " "), "o0:scale-down o1:scale-down"; g != want || len(out.Place) != 0 {
		t.Errorf("stops %q and %d placements, want %q and none", g, len(out.Place), want)
	}
}
