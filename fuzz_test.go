package rollout_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/internal/invariant"
)

// fzReader reads a fuzz input as a stream of small choices; past the end
// every choice is 0, so every byte string decodes to some Input.
type fzReader struct {
	b []byte
	i int
	// hostile inputs may break any rule of valid input (see Validate); the others keep
	// every rule, so that most inputs reach the engine.
	hostile bool
}

// ok picks the valid choice, or in a hostile input now and then the bad one.
func fzOK[T any](r *fzReader, valid, bad T) T {
	if r.hostile && r.n(6) == 0 {
		return bad
	}
	return valid
}

func (r *fzReader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *fzReader) n(n int) int { return int(r.byte()) % n }

func (r *fzReader) bool() bool { return r.byte()&1 == 1 }

func fzPick[T any](r *fzReader, xs ...T) T { return xs[r.n(len(xs))] }

// fzDur picks a duration, mostly sensible, sometimes zero or negative.
func (r *fzReader) dur() time.Duration {
	return fzOK(r, fzPick(r, 0, time.Second, 10*time.Second, 30*time.Second, time.Minute, 5*time.Minute, 10*time.Minute), -time.Second)
}

func (r *fzReader) block() *rollout.UpdateBlock {
	if r.n(3) == 0 {
		return nil
	}
	b := &rollout.UpdateBlock{}
	if r.bool() {
		b.MaxParallel = propPtr(fzOK(r, fzPick(r, 0, 1, 2, 3), -1))
	}
	if r.bool() {
		b.HealthCheck = propPtr(fzOK(r, fzPick(r, rollout.HealthChecks, rollout.HealthTaskStates, rollout.HealthManual), "bogus"))
	}
	if r.bool() {
		b.MinHealthyTime = propPtr(r.dur())
	}
	if r.bool() {
		b.HealthyDeadline = propPtr(r.dur())
	}
	if r.bool() {
		b.ProgressDeadline = propPtr(r.dur())
	}
	if r.bool() {
		b.AutoRevert = propPtr(r.bool())
	}
	if r.bool() {
		b.AutoPromote = propPtr(r.bool())
	}
	if r.bool() {
		b.Canary = propPtr(fzOK(r, fzPick(r, 0, 1, 2, 3), -1))
	}
	if r.bool() {
		b.Stagger = propPtr(r.dur())
	}
	return b
}

var fzGroups = []string{"a", "b", "c", ""}

func (r *fzReader) job(version uint64) rollout.JobVersion {
	j := rollout.JobVersion{ID: fzOK(r, "j", fzPick(r, "other", "")), Version: version, Stop: r.n(8) == 0, Update: r.block()}
	for i, n := 0, 1+r.n(3); i < n; i++ {
		g := rollout.Group{
			Name:  fzOK(r, fzGroups[i], fzPick(r, fzGroups...)),
			Count: fzOK(r, fzPick(r, 0, 1, 2, 3, 4), fzPick(r, -1, rollout.MaxCount+1)),
			Spec:  fzPick(r, "s1", "s2"), Update: r.block(),
		}
		if r.bool() {
			g.Tasks = []string{"main", "side"}
		}
		if r.bool() {
			g.Checks = []string{"http"}
		}
		if r.n(4) == 0 {
			g.Reschedule = rollout.ReschedulePolicy{Delay: r.dur(), MaxDelay: r.dur(), Attempts: fzOK(r, fzPick(r, 0, 1, 2), -1)}
		}
		j.Groups = append(j.Groups, g)
	}
	if !r.hostile {
		propRepair(&j)
	}
	if r.n(4) == 0 {
		v := uint64(r.n(4))
		j.RevertOf = &v
	}
	return j
}

// at picks a time around base: before it, or in a hostile input perhaps
// after it or zero.
func (r *fzReader) at(base time.Time) time.Time {
	if r.hostile && r.n(16) == 0 {
		return time.Time{}
	}
	d := time.Duration(r.byte()) * 10 * time.Second
	if r.hostile && r.n(6) == 0 {
		return base.Add(d)
	}
	return base.Add(-d)
}

// fzInput decodes a small Input from the fuzzer's bytes: one to three
// groups, a few versions, allocations, events and commands, mostly valid
// and sometimes not in every way the input rules allow.
func fzInput(data []byte) (in rollout.Input, hostile bool) {
	r := &fzReader{b: data}
	r.hostile = r.n(4) == 0
	now := propT0.Add(time.Duration(r.byte()) * time.Hour)
	if r.hostile && r.n(8) == 0 {
		now = time.Time{}
	}
	version := uint64(r.n(4))
	// older picks a version no newer than the job's (or, hostile, any).
	older := func() uint64 { return fzOK(r, uint64(r.n(int(version)+1)), uint64(r.n(6))) }
	in = rollout.Input{Now: now, Job: r.job(version)}
	in.Job.Stable = r.bool()
	used := map[uint64]bool{}
	for i, n := 0, r.n(3); i < n; i++ {
		v := older()
		if used[v] && !r.hostile {
			continue
		}
		used[v] = true
		h := r.job(v)
		if v == version && !r.hostile {
			h = in.Job.Clone() // History may include the job itself
		}
		h.ID = fzOK(r, in.Job.ID, "other")
		h.Stable = r.bool()
		in.History = append(in.History, h)
	}
	if r.n(3) != 0 {
		d := &rollout.Deployment{
			ID: fzPick(r, "d1", "d2"), JobID: fzOK(r, in.Job.ID, "other"), JobVersion: older(),
			Status: fzOK(r, fzPick(r, rollout.StatusRunning, rollout.StatusPaused, rollout.StatusFailed, rollout.StatusSuccessful, rollout.StatusCancelled),
				"bogus"),
			CreateTime: r.at(now),
		}
		d.ModifyTime = d.CreateTime
		if r.hostile {
			d.ModifyTime = d.CreateTime.Add(time.Duration(r.n(4)) * time.Hour)
		}
		for _, g := range in.Job.Groups {
			if !r.bool() {
				continue
			}
			if s, ok := rollout.Merge(in.Job.Update, g.Update); !r.hostile && (!ok || s.MaxParallel == 0) {
				continue // only groups that deploy join a deployment
			}
			ds := rollout.DeploymentGroup{
				Name: g.Name, AutoRevert: r.bool(), AutoPromote: r.bool(), ProgressDeadline: r.dur(),
				DesiredTotal: r.n(5), DesiredCanaries: r.n(3), Promoted: r.bool(), RequireProgressBy: r.at(now),
			}
			if s, ok := rollout.Merge(in.Job.Update, g.Update); ok && !r.hostile {
				// What Step would have written at creation.
				ds.AutoRevert, ds.AutoPromote, ds.ProgressDeadline = s.AutoRevert, s.AutoPromote, s.ProgressDeadline
				ds.DesiredCanaries = fzPick(r, 0, s.Canary)
				if d.Status == rollout.StatusSuccessful {
					ds.Promoted = ds.DesiredCanaries > 0 // success needs promotion
				}
				ds.DesiredTotal = r.n(g.Count + 1)
				if g.Count == 0 {
					continue // a group with nothing to run does not join
				}
				if s.ProgressDeadline == 0 {
					ds.RequireProgressBy = time.Time{}
				}
			}
			d.Groups = append(d.Groups, ds)
		}
		in.Deployment = d
	}
	ids := []string{"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", ""}
	groups := []string{"z"} // a removed group
	for _, g := range in.Job.Groups {
		groups = append(groups, g.Name, g.Name)
	}
	canaries := map[string]int{}
	for i, n := 0, r.n(9); i < n; i++ {
		a := rollout.Alloc{
			ID: ids[i], JobID: fzOK(r, in.Job.ID, "other"), Group: fzOK(r, fzPick(r, groups...), ""),
			Index: fzOK(r, r.n(5), -1), JobVersion: older(), Spec: fzPick(r, "s1", "s2"),
			Desired: fzOK(r, fzPick(r, rollout.DesiredRun, rollout.DesiredRun, rollout.DesiredStop), ""),
			Client: fzOK(r, fzPick(r, rollout.ClientPending, rollout.ClientRunning, rollout.ClientRunning, rollout.ClientComplete, rollout.ClientFailed, rollout.ClientLost),
				"bogus"),
			Canary:   r.n(4) == 0,
			Attempts: fzOK(r, r.n(3), -1), CreateTime: r.at(now),
		}
		if r.hostile && r.n(8) == 0 {
			a.ID = ids[r.n(len(ids))] // perhaps a duplicate, or empty
		}
		if in.Deployment != nil && r.bool() {
			a.DeploymentID = in.Deployment.ID
			if !r.hostile {
				a.JobVersion = in.Deployment.JobVersion // placed by that deployment
			}
		} else if r.n(3) == 0 {
			a.DeploymentID = "old"
		}
		if !r.hostile && a.Canary {
			// A canary belongs to a deployment group that wants canaries.
			ds, ok := (*rollout.DeploymentGroup)(nil), false
			if in.Deployment != nil && a.DeploymentID == in.Deployment.ID {
				ds, ok = in.Deployment.Group(a.Group)
			}
			a.Canary = ok && ds.DesiredCanaries > canaries[a.Group]
			if a.Canary {
				canaries[a.Group]++ // no more canaries than the group asked for
			}
		}
		switch r.n(4) {
		case 1:
			a.Health = rollout.AllocHealth{Status: rollout.Healthy, Time: r.at(now)}
		case 2:
			a.Health = rollout.AllocHealth{Status: rollout.Unhealthy, Time: r.at(now), Reason: "fuzz"}
		case 3:
			a.Health = rollout.AllocHealth{Tasks: []rollout.TaskHealth{{Name: fzPick(r, "", "main"), State: rollout.TaskStateRunning, Since: r.at(now)}},
				Checks: []rollout.CheckHealth{{Name: "http", Passing: r.bool(), Since: r.at(now)}}, LastEvent: r.at(now)}
		}
		in.Allocs = append(in.Allocs, a)
	}
	kinds := []rollout.EventKind{rollout.TaskStarted, rollout.TaskRestarted, rollout.TaskFailed, rollout.TaskFinished, rollout.CheckPassing, rollout.CheckFailing}
	for i, n := 0, r.n(7); i < n && len(in.Allocs) > 0; i++ {
		a := in.Allocs[r.n(len(in.Allocs))]
		task := ""
		if g, ok := in.Job.Group(a.Group); ok && len(g.Tasks) > 0 {
			task = fzPick(r, g.Tasks...)
		}
		in.Events = append(in.Events, rollout.Event{
			Time: r.at(now), Alloc: fzOK(r, a.ID, "nope"), Kind: fzOK(r, fzPick(r, kinds...), "bogus"),
			Task: fzOK(r, task, "nope"), Check: fzOK(r, fzPick(r, "http", "other"), ""),
		})
	}
	for i, n := 0, r.n(4); i < n; i++ {
		c := rollout.Command{Kind: fzOK(r, fzPick(r, rollout.CmdPromote, rollout.CmdPause, rollout.CmdResume, rollout.CmdFail, rollout.CmdSetHealth, rollout.CmdRevert),
			"bogus")}
		switch c.Kind {
		case rollout.CmdPromote:
			if r.bool() {
				c.Groups = []string{fzPick(r, fzGroups...)}
			}
		case rollout.CmdSetHealth:
			c.Allocs, c.Healthy = []string{ids[r.n(len(ids))]}, r.bool()
			if len(in.Allocs) > 0 {
				c.Allocs[0] = in.Allocs[r.n(len(in.Allocs))].ID
			}
		case rollout.CmdRevert:
			c.Version = uint64(r.n(5))
		}
		in.Commands = append(in.Commands, c)
	}
	// Node drains last, so that the inputs drawn before they existed keep
	// their meaning where their bytes ran out before this one (a byte past
	// the end reads 0: no drain).
	if mask := r.byte(); mask != 0 {
		for i := range in.Allocs {
			in.Allocs[i].Migrate = mask>>(i%8)&1 == 1
		}
	}
	return in, r.hostile
}

// fzSeeds are hand-made seeds: the decoder reads them as ordinary inputs.
var fzSeeds = [][]byte{
	{},
	{10, 1, 0, 2, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0},
	[]byte("rolling update of two groups with a deployment and events"),
	[]byte("\x05\x02\x01\x00\x01\x01\x02\x00\x03\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x05\x01"),
	[]byte("canaries: promote, pause, resume, fail, set-health, revert..."),
	{255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
}

// FuzzStep decodes the fuzzer's bytes into a small Input (valid or not)
// and calls Step through the invariant checker: Step must not panic, and
// must return either a typed error with a zero Output, or an Output that
// passes every invariant.
//
//	go test -run='^$' -fuzz=FuzzStep -fuzztime=60s .
func FuzzStep(f *testing.F) {
	for _, s := range fzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, hostile := fzInput(data)
		chk := propChecker()
		if hostile {
			// The deployment may be one no history makes (validation does
			// not judge a deployment's insides): only the invariants that
			// hold for any accepted input apply.
			chk.Ignore(invariant.Counters, invariant.Success, invariant.CanaryCount, invariant.CanaryHold,
				invariant.MaxParallel, invariant.Availability)
		}
		out, err, viol := chk.Step(in)
		if viol != nil {
			t.Fatalf("%v\ninput: %s\noutput: %s", viol, fzDescribe(in), propDescribeOut(out))
		}
		if err != nil && !fzTyped(err) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		// One Stepper for every input the fuzzer runs: its Output is
		// Step's, whatever it built before.
		got, gotErr := fzStepper.Step(in)
		if fmt.Sprint(gotErr) != fmt.Sprint(err) || !cmp.Equal(got, out) {
			t.Fatalf("Stepper.Step differs from Step: %v / %v\n%s", gotErr, err, cmp.Diff(out, got))
		}
	})
}

// fzStepper is FuzzStep's: the fuzzer runs its inputs one at a time in
// each process.
var fzStepper rollout.Stepper

// fzTyped reports whether err wraps one of the package's sentinels and,
// for invalid input, names at least one field.
func fzTyped(err error) bool {
	if errors.Is(err, rollout.ErrInvalid) {
		var fe *rollout.FieldError
		return errors.As(err, &fe) && fe.Field != ""
	}
	for _, s := range []error{rollout.ErrTerminal, rollout.ErrNoDeployment, rollout.ErrPromotion, rollout.ErrRevert} {
		if errors.Is(err, s) {
			var ce *rollout.CommandError
			return errors.As(err, &ce)
		}
	}
	return false
}

func fzDescribe(in rollout.Input) string {
	return propDescribe(in)
}

// FuzzStateMachine reuses the rapid state machine as a fuzz target: the
// fuzzer's bytes drive the choices of TestPropertyStateMachine.
//
//	go test -run='^$' -fuzz=FuzzStateMachine -fuzztime=60s .
func FuzzStateMachine(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("a history of rolling updates, canaries and failures"))
	f.Fuzz(rapid.MakeFuzz(func(t *rapid.T) {
		w := newPropWorld()
		w.submit(propNewJob(t))
		propRepeat(t, w, nil)
	}))
}

// TestFuzzInputMix keeps the fuzz decoder honest: random bytes must give a
// mix of valid inputs (which exercise the invariants) and invalid ones
// (which exercise validation), not almost all of one kind.
func TestFuzzInputMix(t *testing.T) {
	rng := rapidBytes(t)
	valid := 0
	const n = 2000
	for _, data := range rng(n) {
		if in, _ := fzInput(data); func() bool { _, err := rollout.Step(in); return err == nil }() {
			valid++
		}
	}
	t.Logf("%d of %d random inputs are valid", valid, n)
	if valid < n/10 || valid > n*9/10 {
		t.Errorf("%d of %d random inputs are valid: rebalance fzInput", valid, n)
	}
}

// rapidBytes returns a source of n reproducible random byte strings.
func rapidBytes(t *testing.T) func(n int) [][]byte {
	return func(n int) [][]byte {
		out := make([][]byte, n)
		state := uint64(0x9e3779b97f4a7c15)
		for i := range out {
			b := make([]byte, 64)
			for j := range b {
				state ^= state << 13
				state ^= state >> 7
				state ^= state << 17
				b[j] = byte(state)
			}
			out[i] = b
		}
		return out
	}
}
