package rollout_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/internal/invariant"
)

// The bad-input catalogue, one test per case: Step
// returns a typed error naming the field and the value, decides nothing
// (the Output is zero: the checker's zero-on-error rule) and does not
// panic. Then the commands that do not apply (§9), and hostile sizes.

var badT0 = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)

// badInput is a valid input: job "web" v2, group "api" of 3 rolling from
// spec s1 to s2 in a running deployment d2 (one allocation replaced and
// healthy), a v1 Stable version in History.
func badInput() rollout.Input {
	up := &rollout.UpdateBlock{}
	v1 := rollout.JobVersion{ID: "web", Version: 1, Stable: true, Update: up, Groups: []rollout.Group{{Name: "api", Count: 3, Spec: "s1"}}}
	v2 := rollout.JobVersion{ID: "web", Version: 2, Update: up, Groups: []rollout.Group{{Name: "api", Count: 3, Spec: "s2"}}}
	dep := &rollout.Deployment{ID: "d2", JobID: "web", JobVersion: 2, Status: rollout.StatusRunning, Description: rollout.DescRunning,
		CreateTime: badT0, ModifyTime: badT0.Add(time.Minute),
		Groups: []rollout.DeploymentGroup{{Name: "api", ProgressDeadline: rollout.DefaultProgressDeadline, DesiredTotal: 3, Placed: 1, Healthy: 1,
			RequireProgressBy: badT0.Add(11 * time.Minute)}}}
	alloc := func(id string, idx int, v uint64, spec, dep string) rollout.Alloc {
		a := rollout.Alloc{ID: id, JobID: "web", Group: "api", Index: idx, JobVersion: v, Spec: spec, Desired: rollout.DesiredRun,
			Client: rollout.ClientRunning, DeploymentID: dep, CreateTime: badT0}
		if dep != "" {
			a.Health = rollout.AllocHealth{Status: rollout.Healthy, Time: badT0.Add(time.Minute)}
		}
		return a
	}
	return rollout.Input{
		Now: badT0.Add(2 * time.Minute), Job: v2, History: []rollout.JobVersion{v1}, Deployment: dep,
		Allocs: []rollout.Alloc{alloc("a0", 0, 2, "s2", "d2"), alloc("a1", 1, 1, "s1", ""), alloc("a2", 2, 1, "s1", "")},
	}
}

// badStep runs Step through the checker and returns its error, which must
// not be nil.
func badStep(t *testing.T, in rollout.Input) error {
	t.Helper()
	_, err, viol := invariant.New().Step(in)
	if viol != nil {
		t.Fatalf("invariants broken: %v", viol)
	}
	if err == nil {
		t.Fatalf("Step accepted the input")
	}
	return err
}

// badFieldErrors returns every *FieldError inside err (multierror lists,
// command errors), in order.
func badFieldErrors(err error) []*rollout.FieldError {
	var out []*rollout.FieldError
	var walk func(error)
	walk = func(e error) {
		var merr *multierror.Error
		var fe *rollout.FieldError
		switch {
		case errors.As(e, &merr) && len(merr.Errors) > 0 && e == error(merr):
			for _, x := range merr.Errors {
				walk(x)
			}
		case errors.As(e, &fe) && e == error(fe):
			out = append(out, fe)
		default:
			if u := errors.Unwrap(e); u != nil {
				walk(u)
			}
		}
	}
	walk(err)
	return out
}

// badField checks that err is invalid input naming field with value (nil:
// any value), and returns that problem.
func badField(t *testing.T, err error, field string, value any) *rollout.FieldError {
	t.Helper()
	if !errors.Is(err, rollout.ErrInvalid) {
		t.Fatalf("errors.Is(err, ErrInvalid) = false: %v", err)
	}
	var fe *rollout.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(err, *FieldError) = false: %v", err)
	}
	all := badFieldErrors(err)
	for _, fe := range all {
		if fe.Field == field && (value == nil || reflect.DeepEqual(fe.Value, value)) {
			if !strings.Contains(fe.Error(), field) {
				t.Errorf("message %q does not name the field %q", fe.Error(), field)
			}
			return fe
		}
	}
	t.Fatalf("no problem names field %q with value %#v; got %d:\n%v", field, value, len(all), err)
	return nil
}

// badCommand checks that err refuses a command of the kind, for the reason.
func badCommand(t *testing.T, err error, kind rollout.CommandKind, reason error) {
	t.Helper()
	var ce *rollout.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("errors.As(err, *CommandError) = false: %T %v", err, err)
	}
	if ce.Command.Kind != kind {
		t.Errorf("refused command is %q, want %q", ce.Command.Kind, kind)
	}
	if !errors.Is(err, reason) {
		t.Errorf("errors.Is(err, %v) = false: %v", reason, err)
	}
}

func TestBadInputValidBase(t *testing.T) {
	// The base of the catalogue is valid: each case breaks one thing.
	if _, err, viol := invariant.New().Step(badInput()); err != nil || viol != nil {
		t.Fatalf("base input: err %v, violations %v", err, viol)
	}
}

func TestBadInputDuplicateAllocationIDs(t *testing.T) {
	in := badInput()
	in.Allocs[2].ID = "a1"
	fe := badField(t, badStep(t, in), `alloc "a1"`, nil)
	if !strings.Contains(fe.Problem, "duplicate") {
		t.Errorf("problem %q does not say duplicate", fe.Problem)
	}
}

func TestBadInputAllocationOfAnotherJob(t *testing.T) {
	in := badInput()
	in.Allocs[1].JobID = "db"
	badField(t, badStep(t, in), `alloc "a1" job_id`, "db")
}

func TestBadInputEventForUnknownAllocation(t *testing.T) {
	in := badInput()
	in.Events = []rollout.Event{{Time: in.Now, Alloc: "ghost", Kind: rollout.TaskStarted}}
	badField(t, badStep(t, in), "events[0].alloc", "ghost")
}

func TestBadInputTimeBeforeDeploymentModifyTime(t *testing.T) {
	in := badInput()
	in.Now = in.Deployment.ModifyTime.Add(-time.Second)
	badField(t, badStep(t, in), "now", in.Now)
}

func TestBadInputEventAfterNow(t *testing.T) {
	in := badInput()
	later := in.Now.Add(time.Second)
	in.Events = []rollout.Event{{Time: later, Alloc: "a0", Kind: rollout.TaskStarted}}
	badField(t, badStep(t, in), "events[0].time", later)
}

func TestBadInputInvalidStrategy(t *testing.T) {
	in := badInput()
	mp, mht, hd := -1, 10*time.Minute, 5*time.Minute
	in.Job.Groups[0].Update = &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthyDeadline: &hd}
	err := badStep(t, in)
	// Every problem is listed, each naming its field.
	badField(t, err, `group "api" update.max_parallel`, -1)
	badField(t, err, `group "api" update.min_healthy_time`, 10*time.Minute)
}

func TestBadInputNegativeCount(t *testing.T) {
	in := badInput()
	in.Job.Groups[0].Count = -1
	badField(t, badStep(t, in), `group "api" count`, -1)
}

func TestBadInputVersionNewerThanJob(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(*rollout.Input)
		field  string
		value  any
	}{
		{"allocation", func(in *rollout.Input) { in.Allocs[1].JobVersion = 3 }, `alloc "a1" job_version`, uint64(3)},
		{"history", func(in *rollout.Input) { in.History[0].Version = 7 }, "history[0].version", uint64(7)},
		{"deployment", func(in *rollout.Input) { in.Deployment.JobVersion = 3 }, "deployment.job_version", uint64(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := badInput()
			tt.break_(&in)
			badField(t, badStep(t, in), tt.field, tt.value)
		})
	}
}

func TestBadInputDeploymentOfAnotherJob(t *testing.T) {
	in := badInput()
	in.Deployment.JobID = "db"
	badField(t, badStep(t, in), "deployment.job_id", "db")
}

func TestBadInputEveryProblemListed(t *testing.T) {
	// Errors list every problem, not the first one.
	in := badInput()
	in.Allocs[2].ID = "a1"
	in.Job.Groups[0].Count = -1
	in.Deployment.JobID = "db"
	in.Events = []rollout.Event{{Time: in.Now, Alloc: "ghost", Kind: rollout.TaskStarted}}
	err := badStep(t, in)
	for _, f := range []string{`alloc "a1"`, `group "api" count`, "deployment.job_id", "events[0].alloc"} {
		badField(t, err, f, nil)
	}
}

// --- commands that do not apply ---

func TestBadCommandPromoteWithoutCanaries(t *testing.T) {
	in := badInput()
	in.Commands = []rollout.Command{rollout.Promote()}
	badCommand(t, badStep(t, in), rollout.CmdPromote, rollout.ErrPromotion)
}

func TestBadCommandOnTerminalDeployment(t *testing.T) {
	for _, status := range []rollout.DeploymentStatus{rollout.StatusSuccessful, rollout.StatusFailed, rollout.StatusCancelled} {
		for _, c := range []rollout.Command{rollout.Promote(), rollout.Pause(), rollout.Resume(), rollout.Fail(), rollout.SetHealth(true, "a0")} {
			t.Run(fmt.Sprintf("%s/%s", c.Kind, status), func(t *testing.T) {
				in := badInput()
				in.Deployment.Status = status
				in.Commands = []rollout.Command{c}
				badCommand(t, badStep(t, in), c.Kind, rollout.ErrTerminal)
			})
		}
	}
}

func TestBadCommandWithoutDeployment(t *testing.T) {
	for _, c := range []rollout.Command{rollout.Promote(), rollout.Pause(), rollout.Resume(), rollout.Fail(), rollout.SetHealth(true, "a0")} {
		t.Run(string(c.Kind), func(t *testing.T) {
			in := badInput()
			in.Deployment = nil
			for i := range in.Allocs {
				in.Allocs[i].DeploymentID = ""
			}
			in.Commands = []rollout.Command{c}
			badCommand(t, badStep(t, in), c.Kind, rollout.ErrNoDeployment)
		})
	}
}

func TestBadCommandHealthForAllocationNotInDeployment(t *testing.T) {
	// a1 is an allocation of the job, but not of the deployment; ghost is
	// no allocation at all. Each is named, as invalid input.
	in := badInput()
	in.Commands = []rollout.Command{rollout.SetHealth(true, "a1", "ghost")}
	err := badStep(t, in)
	badCommand(t, err, rollout.CmdSetHealth, rollout.ErrInvalid)
	badField(t, err, "set-health alloc", "a1")
	badField(t, err, "set-health alloc", "ghost")
}

func TestBadCommandRevertToCurrentVersion(t *testing.T) {
	in := badInput()
	in.Commands = []rollout.Command{rollout.Revert(2)}
	badCommand(t, badStep(t, in), rollout.CmdRevert, rollout.ErrRevert)
}

func TestBadCommandRevertToUnknownVersion(t *testing.T) {
	in := badInput()
	in.Commands = []rollout.Command{rollout.Revert(0)}
	badCommand(t, badStep(t, in), rollout.CmdRevert, rollout.ErrRevert)
}

func TestBadCommandUnknownKind(t *testing.T) {
	in := badInput()
	in.Commands = []rollout.Command{{Kind: "restart"}}
	badField(t, badStep(t, in), "commands[0].kind", "restart")
}

// --- hostile sizes ---

func TestBadInputBillionCount(t *testing.T) {
	in := badInput()
	in.Job.Groups[0].Count = 1_000_000_000
	fe := badField(t, badStep(t, in), `group "api" count`, 1_000_000_000)
	if !strings.Contains(fe.Problem, fmt.Sprint(rollout.MaxCount)) {
		t.Errorf("problem %q does not give the limit %d", fe.Problem, rollout.MaxCount)
	}
}

func TestHostileMillionEvents(t *testing.T) {
	// A million events over a thousand allocations of a rolling update:
	// Step must get through them (in time linear in their number; no
	// timing is asserted here, see the benchmarks).
	const allocs, perAlloc = 1000, 1000
	in := badInput()
	in.Job.Groups[0].Count = allocs
	in.Deployment.Groups[0].DesiredTotal = allocs
	in.Allocs = in.Allocs[:0]
	for i := 0; i < allocs; i++ {
		in.Allocs = append(in.Allocs, rollout.Alloc{ID: fmt.Sprintf("n%04d", i), JobID: "web", Group: "api", Index: i, JobVersion: 2, Spec: "s2",
			Desired: rollout.DesiredRun, Client: rollout.ClientRunning, DeploymentID: "d2", CreateTime: badT0})
	}
	start := badT0.Add(time.Minute)
	in.Events = make([]rollout.Event, 0, allocs*perAlloc)
	for k := 0; k < perAlloc; k++ {
		kind := rollout.TaskRestarted
		if k == 0 {
			kind = rollout.TaskStarted
		}
		for i := 0; i < allocs; i++ {
			in.Events = append(in.Events, rollout.Event{Time: start.Add(time.Duration(k) * time.Millisecond), Alloc: in.Allocs[i].ID, Kind: kind})
		}
	}
	out, err := rollout.Step(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := invariant.Check(in, out); err != nil {
		t.Fatal(err)
	}
	if len(out.Health) != allocs {
		t.Errorf("%d health updates, want one per allocation (%d)", len(out.Health), allocs)
	}
	for _, h := range out.Health[:1] {
		if len(h.Health.Tasks) != 1 || h.Health.Tasks[0].Restarts != perAlloc-1 {
			t.Errorf("tracker state %+v, want one task with %d restarts", h.Health.Tasks, perAlloc-1)
		}
	}
}

func TestHostileHundredThousandAllocations(t *testing.T) {
	// 100k allocations rolling from s1 to s2 with max_parallel 1000: the
	// first step of the deployment, checked like any other.
	const n = 100_000
	mp := 1000
	in := badInput()
	in.Job.Groups[0].Count = n
	in.Job.Groups[0].Update = &rollout.UpdateBlock{MaxParallel: &mp}
	in.Deployment = nil
	in.Allocs = make([]rollout.Alloc, n)
	for i := range in.Allocs {
		in.Allocs[i] = rollout.Alloc{ID: fmt.Sprintf("h%06d", i), JobID: "web", Group: "api", Index: i, JobVersion: 1, Spec: "s1",
			Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: badT0}
	}
	out, err, viol := invariant.New().Step(in)
	if err != nil || viol != nil {
		t.Fatalf("err %v, violations %v", err, viol)
	}
	if got := out.Plan[0].Destructive; got != mp {
		t.Errorf("%d destructive updates, want max_parallel %d", got, mp)
	}
}
