package rollout_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/internal/invariant"
)

// This file checks the controls beyond Nomad (max_surge, max_unavailable,
// pause_after, gate timeouts, freezes) through random histories of a
// one-group job whose every version keeps one drawn strategy: the general
// invariants at every step, and the controls' own promises.

// ctlWorld is the simulated cluster of the controls' properties.
type ctlWorld struct {
	now    time.Time
	hist   rollout.History
	job    rollout.JobVersion
	block  *rollout.UpdateBlock
	dep    *rollout.Deployment
	allocs []rollout.Alloc
	freeze *rollout.FreezeState
	cmds   []rollout.Command
	chk    *invariant.Checker
	steps  int
}

// ctlBlock draws a valid update block with the controls.
func ctlBlock(t *rapid.T) *rollout.UpdateBlock {
	b := &rollout.UpdateBlock{
		MaxParallel:      propPtr(rapid.IntRange(1, 3).Draw(t, "max_parallel")),
		HealthCheck:      propPtr(rollout.HealthManual),
		MinHealthyTime:   propPtr(time.Duration(0)),
		HealthyDeadline:  propPtr(5 * time.Minute),
		ProgressDeadline: propPtr(rapid.SampledFrom([]time.Duration{0, 10 * time.Minute}).Draw(t, "progress_deadline")),
		AutoRevert:       propPtr(rapid.Bool().Draw(t, "auto_revert")),
		Canary:           propPtr(rapid.IntRange(0, 1).Draw(t, "canary")),
	}
	if s := rapid.SampledFrom([]rollout.Amount{"", "0", "1", "2", "50%"}).Draw(t, "max_surge"); s != "" {
		b.MaxSurge = &s
	}
	if u := rapid.SampledFrom([]rollout.Amount{"", "0", "1", "25%"}).Draw(t, "max_unavailable"); u != "" {
		b.MaxUnavailable = &u
	}
	if p := rapid.SampledFrom([]rollout.Checkpoints{"", "1", "1,50%", "2"}).Draw(t, "pause_after"); p != "" {
		b.PauseAfter = &p
	}
	manual := *b.Canary > 0
	if (manual || b.PauseAfter != nil) && rapid.Bool().Draw(t, "gate") {
		b.GateTimeout = propPtr(rapid.SampledFrom([]time.Duration{time.Minute, 10 * time.Minute}).Draw(t, "gate_timeout"))
		actions := []rollout.GateAction{rollout.GateFail}
		if manual {
			actions = append(actions, rollout.GatePromote)
		}
		if b.PauseAfter != nil {
			actions = append(actions, rollout.GateResume)
		}
		b.OnGateTimeout = propPtr(rapid.SampledFrom(actions).Draw(t, "on_gate_timeout"))
	}
	if st, _ := rollout.Merge(b, nil); st.Validate() != nil {
		b.MaxSurge, b.MaxUnavailable = propPtr(rollout.Count(1)), nil // both 0: the one contradiction drawn
	}
	return b
}

// submit records the next version: a new spec, a new count, or both.
func (w *ctlWorld) submit(t *rapid.T) {
	j := rollout.JobVersion{ID: propJob, Update: w.block, Groups: []rollout.Group{{
		Name: "web", Count: rapid.IntRange(1, 5).Draw(t, "count"),
		Spec: rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "spec"),
	}}}
	if v, changed := w.hist.Submit(j, w.now); changed {
		w.job = v
	}
}

// step steps the world through the checker, checks the controls'
// promises, and applies the output.
func (w *ctlWorld) step(t *rapid.T) {
	in := rollout.Input{Now: w.now, Job: w.job, History: w.hist.Versions, Deployment: w.dep, Allocs: w.allocs, Commands: w.cmds, Freeze: w.freeze}
	out, err, viol := w.chk.Step(in)
	if viol != nil {
		t.Fatalf("invariants broken at step %d: %v\ninput: %s", w.steps, viol, propDescribe(in))
	}
	w.cmds = nil
	if err != nil {
		if !propExpectedRefusal(err) {
			t.Fatalf("refused with an untyped reason: %v", err)
		}
		return
	}
	after := out.Apply(w.allocs)
	if os.Getenv("ROLLOUT_CTL_TRACE") != "" {
		t.Logf("step %d at %v:\n%s", w.steps, w.now.Sub(propT0), propDescribeOut(out))
	}
	ctlCheck(t, in, out, after)
	w.steps++
	w.allocs, w.dep, w.freeze = after, out.Deployment, out.Freeze
	if out.Job != nil {
		w.hist.Record(*out.Job)
		w.job = *out.Job
	}
	if out.Revert != nil {
		w.hist.Record(*out.Revert)
		w.job = out.Revert.Clone()
	}
}

// ctlCheck checks the controls' promises on one step.
func ctlCheck(t *rapid.T, in rollout.Input, out rollout.Output, after []rollout.Alloc) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("input: %s", propDescribe(in))
		}
	}()
	st, _ := in.Job.Strategy("web")
	g, _ := in.Job.Group("web")
	var dg *rollout.DeploymentGroup
	if out.Deployment != nil && out.Deployment.JobVersion == in.Job.Version {
		dg, _ = out.Deployment.Group("web")
	}
	// A canary beside the count: not promoted in its deployment (one of
	// an older deployment survived it only by being promoted).
	awaiting := func(a *rollout.Alloc) bool {
		if !a.Canary {
			return false
		}
		for _, d := range []*rollout.Deployment{out.Deployment, in.Deployment} {
			if d != nil && d.ID == a.DeploymentID {
				g, ok := d.Group(a.Group)
				return !ok || !g.Promoted
			}
		}
		return false
	}
	live := func(a *rollout.Alloc) bool {
		return a.Group == "web" && a.Desired == rollout.DesiredRun && !ctlTerminal(a.Client)
	}

	// Surge: at most count + max_surge live, canaries awaiting promotion
	// aside; the bound holds after every step that places.
	if st.Surges() && len(out.Place) > 0 {
		surge := st.MaxSurge.Of(g.Count, true)
		n := 0
		for i := range after {
			if live(&after[i]) && !awaiting(&after[i]) {
				n++
			}
		}
		if n > g.Count+surge {
			t.Fatalf("%d live allocations after the step, more than count %d + max_surge %d\n%s", n, g.Count, surge, propDescribeOut(out))
		}
	}

	// max_unavailable: the step's stops never leave more of count not
	// available than max_unavailable, or than were before it. Available:
	// healthy, or outside the deployment and not judged unhealthy.
	if st.Surges() && out.Deployment != nil {
		depID := out.Deployment.ID
		// An in-place update restarts tracking, not the allocation: it
		// serves as it did before the step (Nomad does them all at once).
		was := map[string]rollout.Alloc{}
		for _, u := range out.InPlace {
			if i := slices.IndexFunc(in.Allocs, func(a rollout.Alloc) bool { return a.ID == u.ID }); i >= 0 {
				was[u.ID] = in.Allocs[i]
			}
		}
		unavailable := func(allocs []rollout.Alloc) int {
			up := make([]bool, g.Count)
			n := 0
			for i := range allocs {
				a := &allocs[i]
				if w, ok := was[a.ID]; ok {
					a = &w
				}
				if !live(a) || a.Index >= g.Count || up[a.Index] || awaiting(a) {
					continue
				}
				h := a.Health.Status
				if h == rollout.Healthy || (a.DeploymentID != depID && h != rollout.Unhealthy) {
					up[a.Index] = true
					n++
				}
			}
			return g.Count - n
		}
		_, maxUnavailable := ctlLimits(st, g.Count)
		// A node drain takes its allocations down whatever the budget:
		// its pace is its drainer's.
		drained := 0
		for _, st := range out.Stop {
			if st.Kind == rollout.KindMigrate {
				drained++
			}
		}
		before, now := unavailable(in.Allocs), unavailable(after)
		if now > max(before, maxUnavailable)+drained {
			t.Fatalf("%d of count %d unavailable after the step (before: %d, max_unavailable %d, %d moved by a drain)\n%s", now, g.Count, before, maxUnavailable, drained, propDescribeOut(out))
		}
	}

	// Checkpoints: a step places new allocations (not replacements of lost
	// or failed ones, which are always placed) into the deployment only up
	// to its next checkpoint. In-place updates, made all at once, count
	// from the next step on.
	if dg != nil && len(dg.PauseAfter) > 0 && dg.CheckpointsReached < len(dg.PauseAfter) && (dg.DesiredCanaries == 0 || dg.Promoted) {
		next := dg.PauseAfter[dg.CheckpointsReached]
		fresh := 0
		for _, p := range out.Place {
			if p.DeploymentID == out.Deployment.ID && (p.Kind == rollout.KindCreate || p.Kind == rollout.KindUpdate || p.Kind == rollout.KindSurge) {
				fresh++
			}
		}
		n := 0
		for i := range after {
			inPlace := slices.ContainsFunc(out.InPlace, func(u rollout.InPlaceUpdate) bool { return u.ID == after[i].ID })
			if live(&after[i]) && !inPlace && after[i].DeploymentID == out.Deployment.ID && after[i].Health.Status != rollout.Unhealthy {
				n++
			}
		}
		if fresh > 0 && n > next {
			t.Fatalf("%d allocations of the deployment after %d new placements, past its next checkpoint %d\n%s", n, fresh, next, propDescribeOut(out))
		}
	}

	// Gates: NextStep wakes by the time an open gate times out.
	if d := out.Deployment; d != nil && d.Status.Active() && out.Freeze == nil {
		for _, dg := range d.Groups {
			if dg.GateTimeout == 0 || dg.GateOpenedAt.IsZero() {
				continue
			}
			checkpoint := !(dg.DesiredCanaries > 0 && !dg.Promoted)
			if checkpoint != (d.Status == rollout.StatusPaused) {
				continue
			}
			due := dg.GateOpenedAt.Add(dg.GateTimeout)
			if due.After(in.Now) && (out.NextStep.IsZero() || out.NextStep.After(due)) {
				t.Fatalf("gate of %s times out at %v, NextStep is %v", dg.Name, due, out.NextStep)
			}
		}
	}

	// Freeze: nothing new placed while it stands; a replacement keeps the
	// replaced allocation's version; NextStep wakes by its expiry.
	if in.Freeze != nil && out.Freeze != nil {
		if len(out.InPlace) > 0 {
			t.Fatalf("in-place updates while frozen\n%s", propDescribeOut(out))
		}
		for _, p := range out.Place {
			replacement := p.Kind == rollout.KindReschedule || p.Kind == rollout.KindLost || p.Kind == rollout.KindMigrate || (p.Kind == rollout.KindCanary && p.Replaces != "")
			if !replacement {
				t.Fatalf("placement %s (%s) while frozen", p.Name, p.Kind)
			}
			if i := slices.IndexFunc(in.Allocs, func(a rollout.Alloc) bool { return a.ID == p.Replaces }); i >= 0 &&
				!(in.Allocs[i].Canary && p.Canary) && in.Allocs[i].JobVersion != p.JobVersion {
				t.Fatalf("placement %s while frozen is of version %d, the allocation it replaces of %d", p.Name, p.JobVersion, in.Allocs[i].JobVersion)
			}
		}
		if u := out.Freeze.Until; !u.IsZero() && (out.NextStep.IsZero() || out.NextStep.After(u)) {
			t.Fatalf("freeze expires at %v, NextStep is %v", u, out.NextStep)
		}
	}
}

// ctlLimits resolves max_surge and max_unavailable as the engine does.
func ctlLimits(st rollout.UpdateStrategy, count int) (surge, unavailable int) {
	surge, unavailable = st.MaxSurge.Of(count, true), st.MaxUnavailable.Of(count, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// TestPropertyControls drives one-group jobs with the controls through
// random histories.
func TestPropertyControls(t *testing.T) {
	var histories, steps int
	rapid.Check(t, func(t *rapid.T) {
		steps += ctlHistory(t)
		histories++
	})
	t.Logf("%d histories, %d steps", histories, steps)
}

// FuzzControls reuses the controls' state machine as a fuzz target: the
// fuzzer's bytes drive its choices.
//
//	go test -run='^$' -fuzz=FuzzControls -fuzztime=60s .
func FuzzControls(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("surge, checkpoints, gates and freezes"))
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) { ctlHistory(t) }))
}

// ctlHistory runs one random history of the controls' world and returns
// how many steps it took.
func ctlHistory(t *rapid.T) int {

	w := &ctlWorld{now: propT0, chk: invariant.New(), block: ctlBlock(t)}
	w.hist.Keep = 10
	w.submit(t)
	pick := func(t *rapid.T, ok func(a *rollout.Alloc) bool) int {
		var ps []int
		for i := range w.allocs {
			if ok(&w.allocs[i]) {
				ps = append(ps, i)
			}
		}
		if len(ps) == 0 {
			return -1
		}
		return ps[rapid.IntRange(0, len(ps)-1).Draw(t, "alloc")]
	}
	liveNow := func(a *rollout.Alloc) bool { return a.Desired == rollout.DesiredRun && !ctlTerminal(a.Client) }
	t.Repeat(map[string]func(*rapid.T){
		"": func(t *rapid.T) { w.step(t) },
		"submit": func(t *rapid.T) {
			w.submit(t)
			w.step(t)
		},
		"verdict": func(t *rapid.T) {
			i := pick(t, func(a *rollout.Alloc) bool {
				return liveNow(a) && a.Health.Status == "" && w.dep != nil && a.DeploymentID == w.dep.ID
			})
			if i >= 0 {
				w.cmds = append(w.cmds, rollout.SetHealth(rapid.IntRange(0, 4).Draw(t, "healthy") > 0, w.allocs[i].ID))
			}
			w.step(t)
		},
		"client": func(t *rapid.T) {
			if i := pick(t, liveNow); i >= 0 {
				w.allocs[i].Client = rapid.SampledFrom([]rollout.ClientStatus{rollout.ClientFailed, rollout.ClientLost}).Draw(t, "status")
				w.allocs[i].StatusTime = w.now
			}
			w.step(t)
		},
		"drain": func(t *rapid.T) {
			// A node drain marks an allocation; whatever the controls
			// hold back, the next step stops it.
			i := pick(t, func(a *rollout.Alloc) bool { return liveNow(a) && !a.Migrate })
			if i < 0 {
				return
			}
			w.allocs[i].Migrate = true
			id, before := w.allocs[i].ID, w.steps
			w.step(t)
			if w.steps == before {
				return // refused: nothing was decided
			}
			for _, a := range w.allocs {
				if a.ID == id && a.Desired == rollout.DesiredRun {
					t.Fatalf("allocation %s marked to migrate still runs after the step", id)
				}
			}
		},
		"wait": func(t *rapid.T) {
			w.now = w.now.Add(rapid.SampledFrom([]time.Duration{time.Second, 30 * time.Second, 2 * time.Minute, 11 * time.Minute, time.Hour}).Draw(t, "wait"))
			w.step(t)
		},
		"command": func(t *rapid.T) {
			c := rapid.SampledFrom([]rollout.Command{rollout.Promote(), rollout.Pause(), rollout.Resume(), rollout.Unfreeze(),
				rollout.Freeze("change freeze", time.Time{}), rollout.Freeze("window", w.now.Add(20*time.Minute))}).Draw(t, "command")
			w.cmds = append(w.cmds, c)
			w.step(t)
		},
	})
	return w.steps
}

// ctlTerminal reports whether a client status is final.
func ctlTerminal(c rollout.ClientStatus) bool {
	return c == rollout.ClientComplete || c == rollout.ClientFailed || c == rollout.ClientLost
}
