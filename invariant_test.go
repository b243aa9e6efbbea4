package rollout_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/internal/invariant"
)

// These tests check the checker: a clean history passes it, and each
// invariant catches a doctored output that breaks it. Then TestKnownBugs
// replays every open engine bug the property tests found.

var invT0 = time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)

// invRolling is the first step of a rolling update: group "api" of 4 from
// s1 to s2, max_parallel 2 (canary, when > 0, places canaries instead).
func invRolling(t *testing.T, canary int) (rollout.Input, rollout.Output) {
	t.Helper()
	mp := 2
	v1 := rollout.JobVersion{ID: "web", Version: 1, Stable: true, Groups: []rollout.Group{{Name: "api", Count: 4, Spec: "s1"}}}
	v2 := rollout.JobVersion{ID: "web", Version: 2, Update: &rollout.UpdateBlock{MaxParallel: &mp, Canary: &canary},
		Groups: []rollout.Group{{Name: "api", Count: 4, Spec: "s2"}}}
	in := rollout.Input{Now: invT0, Job: v2, History: []rollout.JobVersion{v1}}
	for i := 0; i < 4; i++ {
		in.Allocs = append(in.Allocs, rollout.Alloc{ID: "old" + string(rune('0'+i)), JobID: "web", Group: "api", Index: i, JobVersion: 1,
			Spec: "s1", Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: invT0.Add(-time.Hour)})
	}
	out, err, viol := invariant.New().Step(in)
	if err != nil || viol != nil {
		t.Fatalf("err %v, violations %v", err, viol)
	}
	return in, out
}

// invNext steps once more from (in, out) after time d, with events.
func invNext(t *testing.T, in rollout.Input, out rollout.Output, d time.Duration, events func([]rollout.Alloc) []rollout.Event) (rollout.Input, rollout.Output) {
	t.Helper()
	next := rollout.Input{Now: in.Now.Add(d), Job: in.Job, History: in.History, Deployment: out.Deployment, Allocs: out.Apply(in.Allocs)}
	if events != nil {
		next.Events = events(next.Allocs)
	}
	o, err, viol := invariant.New().Step(next)
	if err != nil || viol != nil {
		t.Fatalf("err %v, violations %v", err, viol)
	}
	return next, o
}

func TestCheckerCleanHistory(t *testing.T) {
	// A whole rolling update, every step checked, by one checker.
	w := newPropWorld()
	w.noDiff = false
	mp, mht := 2, time.Duration(0)
	w.submit(rollout.JobVersion{Groups: []rollout.Group{{Name: "api", Count: 4, Spec: "s1"}}, Update: &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht}})
	for round := 0; round < 2; round++ {
		for i := 0; i < 12; i++ {
			w.step(t, true)
			for _, j := range w.liveAllocs() {
				if w.allocs[j].Health.Status == "" {
					w.startAll(j)
				}
			}
			w.now = w.now.Add(time.Second)
		}
		if w.dep == nil || w.dep.Status != rollout.StatusSuccessful {
			t.Fatalf("round %d: deployment %+v, want successful", round, w.dep)
		}
		j := w.job.Clone()
		j.Groups[0].Spec = "s2"
		w.submit(j)
	}
	if w.chk.Steps() < 20 {
		t.Errorf("checked %d steps", w.chk.Steps())
	}
}

func TestCheckerCleanCanaryHistories(t *testing.T) {
	// Canaries, then promotion: one canary (the rest roll), and blue/green
	// (every old allocation stops at promotion). The checker must let the
	// stops that promotion makes pass (availability, canary-hold).
	for _, canary := range []int{1, 3} {
		w := newPropWorld()
		mp, mht := 1, time.Duration(0)
		up := &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, Canary: &canary}
		w.submit(rollout.JobVersion{Update: up, Groups: []rollout.Group{{Name: "api", Count: 3, Spec: "s1"}}})
		settle := func(n int) {
			for i := 0; i < n; i++ {
				w.step(t, true)
				for _, j := range w.liveAllocs() {
					if w.allocs[j].Health.Status == "" {
						w.startAll(j)
					}
				}
				w.now = w.now.Add(time.Second)
			}
		}
		settle(4)
		j := w.job.Clone()
		j.Groups[0].Spec = "s2"
		w.submit(j)
		settle(3)
		if !w.dep.RequiresPromotion() {
			t.Fatalf("canary %d: deployment %s %q does not await promotion", canary, w.dep.Status, w.dep.Description)
		}
		w.cmds = []rollout.Command{rollout.Promote()}
		settle(10)
		if w.dep.Status != rollout.StatusSuccessful {
			t.Errorf("canary %d: deployment %s %q, want successful", canary, w.dep.Status, w.dep.Description)
		}
	}
}

func TestCheckerCatches(t *testing.T) {
	rollIn, rollOut := invRolling(t, 0)
	canIn, canOut := invRolling(t, 1)
	if rollOut.Plan[0].Destructive != 2 || canOut.Plan[0].Canary != 1 {
		t.Fatalf("unexpected base plans: %v, %v", rollOut.Plan, canOut.Plan)
	}
	// A second rolling step, after both replacements turned healthy.
	healthyIn, healthyOut := invNext(t, rollIn, rollOut, time.Minute, func(as []rollout.Alloc) []rollout.Event {
		var evs []rollout.Event
		for _, a := range as {
			if a.JobVersion == 2 {
				evs = append(evs, rollout.Event{Time: invT0.Add(time.Second), Alloc: a.ID, Kind: rollout.TaskStarted})
			}
		}
		return evs
	})
	for i := range healthyIn.Allocs {
		healthyIn.Allocs[i].Client = rollout.ClientRunning
	}

	tests := []struct {
		name   string
		in     rollout.Input
		out    rollout.Output
		doctor func(*rollout.Input, *rollout.Output)
		want   invariant.Name
	}{
		{"a third destructive update", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			o.Stop = append(o.Stop, rollout.StopDecision{ID: "old2", Group: "api", Index: 2, Name: "web.api[2]", Kind: rollout.KindUpdate, Reason: rollout.ReasonUpdating})
			p := o.Place[0]
			p.ID, p.Index, p.Name, p.Replaces = "new2", 2, "web.api[2]", "old2"
			o.Place = append(o.Place, p)
			o.Plan[0].Destructive++
		}, invariant.MaxParallel},
		{"an old allocation stopped before promotion", canIn, canOut, func(in *rollout.Input, o *rollout.Output) {
			o.Stop = append(o.Stop, rollout.StopDecision{ID: "old3", Group: "api", Index: 3, Name: "web.api[3]", Kind: rollout.KindUpdate, Reason: rollout.ReasonUpdating})
			o.Plan[0].Destroy++
		}, invariant.CanaryHold},
		{"a second canary", canIn, canOut, func(in *rollout.Input, o *rollout.Output) {
			p := o.Place[0]
			p.ID, p.Index, p.Name = "canary2", 1, "web.api[1]"
			o.Place = append(o.Place, p)
			o.Plan[0].Canary++
		}, invariant.CanaryCount},
		{"a canary without canaries", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			o.Place[0].Canary = true
		}, invariant.CanaryCount},
		{"every allocation stopped at once", healthyIn, healthyOut, func(in *rollout.Input, o *rollout.Output) {
			o.Stop = nil
			for _, a := range in.Allocs {
				if a.Desired == rollout.DesiredRun {
					o.Stop = append(o.Stop, rollout.StopDecision{ID: a.ID, Group: "api", Index: a.Index, Name: a.Name(), Kind: rollout.KindUpdate, Reason: rollout.ReasonUpdating})
				}
			}
			o.Place, o.Plan[0] = nil, rollout.GroupPlan{Group: "api", Destroy: len(o.Stop)}
		}, invariant.Availability},
		{"a failed deployment running again", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			d := *o.Deployment
			d.Status = rollout.StatusFailed
			in.Deployment = &d
			in.Now = in.Now.Add(time.Second)
			for i := range o.Place {
				o.Place[i].CreateTime = in.Now
			}
		}, invariant.Terminal},
		{"the deployment lost", healthyIn, healthyOut, func(in *rollout.Input, o *rollout.Output) { o.Deployment = nil }, invariant.Lifecycle},
		{"an auto-revert to an unstable version", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			d := *o.Deployment
			d.Status, d.Description = rollout.StatusFailed, rollout.DescFailedByUser
			d.Groups = slices.Clone(d.Groups)
			d.Groups[0].AutoRevert = true
			o.Deployment = &d
			in.History[0].Stable = false
			r := in.History[0].Clone()
			r.Version, r.RevertOf = 3, new(uint64)
			*r.RevertOf = 1
			o.Revert = &r
			o.Transitions = append(o.Transitions, rollout.Transition{Kind: rollout.TransitionFailed, DeploymentID: d.ID, Groups: []string{"api"}, Reason: d.Description})
		}, invariant.Revert},
		{"placements out of order", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			o.Place[0], o.Place[1] = o.Place[1], o.Place[0]
		}, invariant.Order},
		{"a decision without a reason", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.Stop[0].Reason = "" }, invariant.KindReason},
		{"a decision of unknown kind", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.Place[0].Kind = "teleport" }, invariant.KindReason},
		{"a placement ID that exists", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.Place[1].ID = "old3" }, invariant.PlacementIDs},
		{"two placements with one ID", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.Place[1].ID = o.Place[0].ID }, invariant.PlacementIDs},
		{"a stop of an unknown allocation", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.Stop[0].ID = "ghost" }, invariant.References},
		{"a replacement whose old allocation keeps running", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			o.Stop = o.Stop[1:]
		}, invariant.References},
		{"a final verdict changed", healthyIn, healthyOut, func(in *rollout.Input, o *rollout.Output) {
			for i := range in.Allocs {
				if in.Allocs[i].JobVersion == 2 {
					in.Allocs[i].Health = rollout.AllocHealth{Status: rollout.Unhealthy, Time: invT0}
					o.Health = append(o.Health[:0:0], rollout.HealthUpdate{ID: in.Allocs[i].ID, Group: "api", Health: rollout.AllocHealth{Status: rollout.Healthy, Time: invT0}})
					return
				}
			}
		}, invariant.HealthFinal},
		{"a counter off by one", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			d := *o.Deployment
			d.Groups = slices.Clone(d.Groups)
			d.Groups[0].Placed++
			o.Deployment = &d
		}, invariant.Counters},
		{"a plan that does not add up", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.Plan[0].Destructive = 1 }, invariant.Plan},
		{"NextStep now", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) { o.NextStep = in.Now }, invariant.NextStep},
		{"success without the Stable job", rollIn, rollOut, func(in *rollout.Input, o *rollout.Output) {
			d := *o.Deployment
			d.Status = rollout.StatusSuccessful
			o.Deployment = &d
		}, invariant.Success},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, out := invariant.DeepCopy(tt.in), invariant.DeepCopy(tt.out)
			if err := invariant.Check(in, out); err != nil {
				t.Fatalf("the undoctored step is not clean: %v", err)
			}
			tt.doctor(&in, &out)
			err := invariant.Check(in, out)
			if !invariant.Broken(err, tt.want) {
				t.Errorf("the checker did not report %s; it said: %v", tt.want, err)
			}
		})
	}
}

func TestCheckerStep(t *testing.T) {
	// The Step wrapper: an error comes back with no violations, and the
	// deep copy it compares against is a real copy.
	in := badInput()
	in.Job.Groups[0].Count = -1
	_, err, viol := invariant.New().Step(in)
	if err == nil || viol != nil {
		t.Fatalf("err %v, violations %v", err, viol)
	}
	c := invariant.DeepCopy(in)
	c.Allocs[0].Health.Tasks = append(c.Allocs[0].Health.Tasks, rollout.TaskHealth{Name: "x"})
	c.Job.Groups[0].Count = 7
	if len(in.Allocs[0].Health.Tasks) != 0 || in.Job.Groups[0].Count != -1 {
		t.Errorf("DeepCopy shares memory with its source")
	}
	if d := invariant.Diff(in, invariant.DeepCopy(in)); d != "" {
		t.Errorf("a copy differs from its source: %s", d)
	}
}

func TestCheckerRevertOncePerFailure(t *testing.T) {
	// The checker remembers failures that reverted: the same failure
	// reverting in a later step is reported.
	in, out := invRolling(t, 0)
	d := *out.Deployment
	d.Status, d.Description = rollout.StatusFailed, rollout.DescRollingBack(rollout.DescFailedByUser, 1)
	d.Groups = slices.Clone(d.Groups)
	d.Groups[0].AutoRevert = true
	out.Deployment = &d
	r := in.History[0].Clone()
	r.Version, r.Stable, r.RevertOf = 3, false, new(uint64)
	*r.RevertOf = 1
	out.Revert = &r
	out.Transitions = append(out.Transitions, rollout.Transition{Kind: rollout.TransitionFailed, DeploymentID: d.ID, Groups: []string{"api"}, Reason: d.Description})
	c := invariant.New()
	if err := c.Check(in, out); invariant.Broken(err, invariant.Revert) {
		t.Fatalf("first revert: %v", err)
	}
	in2 := invariant.DeepCopy(in)
	in2.Now = in.Now.Add(time.Second)
	in2.Deployment = &rollout.Deployment{ID: d.ID, JobID: d.JobID, JobVersion: d.JobVersion, Status: rollout.StatusRunning, Groups: d.Groups, CreateTime: d.CreateTime, ModifyTime: d.ModifyTime}
	out2 := invariant.DeepCopy(out)
	for i := range out2.Place {
		out2.Place[i].CreateTime = in2.Now
	}
	if err := c.Check(in2, out2); !invariant.Broken(err, invariant.Revert) {
		t.Errorf("a second revert of the same failure was not reported: %v", err)
	}
}

// --- the open bugs ---

// invBug marks a test of an open engine bug: it passes when the engine
// behaves as documented, and is skipped (visible, with the bug's name)
// while the bug reproduces.
func invBug(t *testing.T, id string, reproduces bool, got string) {
	t.Helper()
	if reproduces {
		t.Skipf("bug: %s still reproduces: %s", id, got)
	}
}

func TestKnownBugs(t *testing.T) {
	t.Run("BUG-INV-1 event for a task of an older version", func(t *testing.T) {
		job := rollout.JobVersion{ID: "shop", Version: 1, Update: &rollout.UpdateBlock{},
			Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "img:2", Tasks: []string{"main"}}}}
		allocs := []rollout.Alloc{{ID: "a0", JobID: "shop", Group: "web", JobVersion: 0, Spec: "img:1",
			Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: invT0}}
		_, err := rollout.Step(rollout.Input{Now: invT0.Add(time.Minute), Job: job, Allocs: allocs,
			Events: []rollout.Event{{Time: invT0.Add(time.Minute), Alloc: "a0", Kind: rollout.TaskRestarted}}})
		invBug(t, "BUG-INV-1", err != nil, errString(err))
	})

	t.Run("BUG-INV-2b deadline set on a failed deployment", func(t *testing.T) {
		job := rollout.JobVersion{ID: "shop", Version: 2, Update: &rollout.UpdateBlock{},
			Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "img:1"}}}
		dep := &rollout.Deployment{ID: "d2", JobID: "shop", JobVersion: 2, Status: rollout.StatusFailed,
			Description: rollout.DescFailedByUser, CreateTime: invT0, ModifyTime: invT0,
			Groups: []rollout.DeploymentGroup{{Name: "web", ProgressDeadline: 10 * time.Minute, DesiredTotal: 1}}}
		allocs := []rollout.Alloc{{ID: "a1", JobID: "shop", Group: "web", JobVersion: 1, Spec: "img:1",
			Desired: rollout.DesiredRun, Client: rollout.ClientFailed, DeploymentID: "d1", CreateTime: invT0,
			Health: rollout.AllocHealth{Status: rollout.Unhealthy, Time: invT0}}}
		out, err := rollout.Step(rollout.Input{Now: invT0.Add(30 * time.Second), Job: job, Deployment: dep, Allocs: allocs})
		if err != nil {
			t.Fatal(err)
		}
		by := out.Deployment.Groups[0].RequireProgressBy
		invBug(t, "BUG-INV-2b", !by.IsZero(), "RequireProgressBy = "+by.String())
	})

	t.Run("BUG-INV-3 promoted canary stopped as cancelled canary", func(t *testing.T) {
		w := newPropWorld()
		w.chk = invariant.New()
		w.noDiff = true
		one, zero, mht := 1, 0, time.Duration(0)
		submit := func(spec string, canary *int) {
			w.submit(rollout.JobVersion{Update: &rollout.UpdateBlock{Canary: canary, MinHealthyTime: &mht},
				Groups: []rollout.Group{{Name: "web", Count: 2, Spec: spec}}})
		}
		run := func(n int, cmds ...rollout.Command) (last rollout.Output) {
			for i := 0; i < n; i++ {
				for _, j := range w.liveAllocs() {
					if w.allocs[j].Client == rollout.ClientPending {
						w.startAll(j)
					}
				}
				if i == 0 {
					w.cmds = cmds
				}
				in := w.input()
				out, err := rollout.Step(in)
				if err != nil {
					t.Fatal(err)
				}
				w.events, w.cmds, w.dep, w.allocs = nil, nil, out.Deployment, out.Apply(w.allocs)
				if out.Job != nil {
					w.hist.Record(*out.Job)
					w.job = *out.Job
				}
				w.now = w.now.Add(time.Minute)
				last = out
			}
			return last
		}
		submit("A", &one)
		run(3)
		submit("B", &one)
		run(2)
		run(5, rollout.Promote())
		submit("B", &zero)
		run(3)
		submit("C", &one)
		out := run(1)
		var cancelled []string
		for _, s := range out.Stop {
			if s.Kind == rollout.KindCanaryCancelled {
				cancelled = append(cancelled, s.Name)
			}
		}
		invBug(t, "BUG-INV-3", len(cancelled) > 0, "healthy allocations stopped as cancelled canaries: "+joinNames(cancelled))
	})

	t.Run("BUG-INV-4 endless deployment", func(t *testing.T) {
		hd, mht, pd := 20*time.Second, time.Duration(0), 2*time.Minute
		job := rollout.JobVersion{ID: "shop", Update: &rollout.UpdateBlock{HealthyDeadline: &hd, MinHealthyTime: &mht, ProgressDeadline: &pd},
			Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "img:1"}, {Name: "slow", Count: 1, Spec: "img:1"}}}
		now := invT0
		out, _ := rollout.Step(rollout.Input{Now: now, Job: job})
		allocs, dep := out.Apply(nil), out.Deployment
		allocs[0].Client = rollout.ClientRunning
		out, _ = rollout.Step(rollout.Input{Now: now, Job: job, Deployment: dep, Allocs: allocs,
			Events: []rollout.Event{{Time: now, Alloc: allocs[0].ID, Kind: rollout.TaskStarted}}})
		allocs, dep = out.Apply(allocs), out.Deployment
		now = now.Add(10 * time.Second)
		allocs[0].Client, allocs[1].Client = rollout.ClientFailed, rollout.ClientRunning
		out, _ = rollout.Step(rollout.Input{Now: now, Job: job, Deployment: dep, Allocs: allocs,
			Events: []rollout.Event{{Time: now, Alloc: allocs[1].ID, Kind: rollout.TaskStarted}}})
		allocs, dep = out.Apply(allocs), out.Deployment
		for i := 0; i < 200 && dep.Status.Active(); i++ {
			out, err := rollout.Step(rollout.Input{Now: now, Job: job, Deployment: dep, Allocs: allocs})
			if err != nil {
				t.Fatal(err)
			}
			allocs, dep = out.Apply(allocs), out.Deployment
			if out.NextStep.IsZero() {
				break
			}
			now = out.NextStep
		}
		invBug(t, "BUG-INV-4", dep.Status.Active(), "still "+string(dep.Status)+" after "+now.Sub(invT0).String())
	})

	t.Run("BUG-INV-5 deployment ID reused", func(t *testing.T) {
		d0 := time.Duration(0)
		job := rollout.JobVersion{ID: "shop", Version: 1, Update: &rollout.UpdateBlock{MinHealthyTime: &d0},
			Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "img:1"}}}
		var dep *rollout.Deployment
		var allocs []rollout.Alloc
		seen := map[string]bool{}
		reused := ""
		for round := 0; round < 3; round++ {
			out, err := rollout.Step(rollout.Input{Now: invT0, Job: job, Deployment: dep, Allocs: allocs})
			if err != nil {
				t.Fatal(err)
			}
			allocs, dep = out.Apply(allocs), out.Deployment
			if dep == nil {
				break
			}
			for _, tr := range out.Transitions {
				if tr.Kind == rollout.TransitionCreated && seen[tr.DeploymentID] {
					reused = tr.DeploymentID
				}
			}
			seen[dep.ID] = true
			p := len(allocs) - 1
			allocs[p].Client = rollout.ClientRunning
			out, err = rollout.Step(rollout.Input{Now: invT0, Job: job, Deployment: dep, Allocs: allocs,
				Events: []rollout.Event{{Time: invT0, Alloc: allocs[p].ID, Kind: rollout.TaskStarted}}})
			if err != nil {
				t.Fatal(err)
			}
			allocs, dep = out.Apply(allocs), out.Deployment
			allocs[p].Client = rollout.ClientLost
		}
		invBug(t, "BUG-INV-5", reused != "", "deployment ID "+reused+" given twice")
	})

	t.Run("BUG-INV-6 history entry posing as the job", func(t *testing.T) {
		yes := true
		up := &rollout.UpdateBlock{AutoRevert: &yes}
		job := rollout.JobVersion{ID: "j", Version: 0, Update: up, Groups: []rollout.Group{
			{Name: "a", Count: 1, Spec: "s1"}, {Name: "b", Count: 1, Spec: "s1"}}}
		hist := []rollout.JobVersion{{ID: "j", Version: 0, Stable: true, Update: up, Groups: job.Groups[:1]}}
		dep := &rollout.Deployment{ID: "d1", JobID: "j", JobVersion: 0, Status: rollout.StatusRunning, CreateTime: invT0, ModifyTime: invT0,
			Groups: []rollout.DeploymentGroup{{Name: "a", AutoRevert: true, DesiredTotal: 1}, {Name: "b", AutoRevert: true, DesiredTotal: 1}}}
		out, err := rollout.Step(rollout.Input{Now: invT0, Job: job, History: hist, Deployment: dep, Commands: []rollout.Command{rollout.Fail()}})
		invBug(t, "BUG-INV-6", err == nil && out.Revert != nil, "reverted to a version 0 that is not the job's version 0")
		if err != nil && !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("want ErrInvalid naming history[0].version, got %v", err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
