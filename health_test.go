package rollout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// healthFixture is one allocation of a running deployment, placed at t0.
type healthFixture struct {
	job   rollout.JobVersion
	dep   *rollout.Deployment
	alloc rollout.Alloc
}

func newHealthFixture(t *testing.T, mode rollout.HealthCheck, checks ...string) *healthFixture {
	t.Helper()
	job := rollout.JobVersion{ID: "api", Version: 1, Groups: []rollout.Group{{
		Name: "web", Count: 1, Spec: "v1", Tasks: []string{"server"}, Checks: checks,
		Update: &rollout.UpdateBlock{
			HealthCheck:      ptr(mode),
			MinHealthyTime:   ptr(30 * time.Second),
			HealthyDeadline:  ptr(10 * time.Minute),
			ProgressDeadline: ptr(20 * time.Minute),
		},
	}}}
	out, err := rollout.Step(rollout.Input{Now: t0, Job: job})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Place) != 1 {
		t.Fatalf("first run placed %d allocations, want 1", len(out.Place))
	}
	return &healthFixture{job: job, dep: out.Deployment, alloc: out.Place[0].Alloc()}
}

// step runs Step at now with events, records the result and returns it.
func (f *healthFixture) step(t *testing.T, now time.Time, evs ...rollout.Event) rollout.Output {
	t.Helper()
	for i := range evs {
		evs[i].Alloc = f.alloc.ID
	}
	out, err := rollout.Step(rollout.Input{Now: now, Job: f.job, Deployment: f.dep, Allocs: []rollout.Alloc{f.alloc}, Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	f.dep = out.Deployment
	f.alloc = out.Apply([]rollout.Alloc{f.alloc})[0]
	return out
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func ev(kind rollout.EventKind, d time.Duration, name string) rollout.Event {
	e := rollout.Event{Kind: kind, Time: at(d)}
	if strings.HasPrefix(string(kind), "check") {
		e.Check = name
	} else {
		e.Task = name
	}
	return e
}

func TestHealthTracker(t *testing.T) {
	type call struct {
		at     time.Duration
		events []rollout.Event
	}
	cases := []struct {
		name   string
		reason string
		mode   rollout.HealthCheck
		checks []string
		calls  []call
		want   rollout.HealthStatus
		wantAt time.Duration
		why    string // substring of the verdict's reason
	}{
		{
			name: "task_states healthy after min_healthy_time", mode: rollout.HealthTaskStates,
			reason: "a task running for min_healthy_time (30s) makes the allocation healthy at exactly start+30s",
			calls:  []call{{5 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server")}}, {35 * time.Second, nil}},
			want:   rollout.Healthy, wantAt: 35 * time.Second,
		},
		{
			name: "restart restarts the clock", mode: rollout.HealthTaskStates,
			reason: "a restart inside min_healthy_time starts the 30s over from the restart",
			calls: []call{
				{5 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server")}},
				{20 * time.Second, []rollout.Event{ev(rollout.TaskRestarted, 20*time.Second, "server")}},
				{50 * time.Second, nil},
			},
			want: rollout.Healthy, wantAt: 50 * time.Second,
		},
		{
			name: "events batched late are applied in time order", mode: rollout.HealthTaskStates,
			reason: "healthy at 35s is reached before a restart at 40s reported in the same batch: the verdict is final",
			calls: []call{{60 * time.Second, []rollout.Event{
				ev(rollout.TaskRestarted, 40*time.Second, "server"), ev(rollout.TaskStarted, 5*time.Second, "server"),
			}}},
			want: rollout.Healthy, wantAt: 35 * time.Second,
		},
		{
			name: "failed task is unhealthy at once", mode: rollout.HealthTaskStates,
			reason: "a failed task makes the allocation unhealthy at the event's time",
			calls: []call{{8 * time.Second, []rollout.Event{
				ev(rollout.TaskStarted, 5*time.Second, "server"), ev(rollout.TaskFailed, 8*time.Second, "server"),
			}}},
			want: rollout.Unhealthy, wantAt: 8 * time.Second, why: "failed task",
		},
		{
			name: "finished task is unhealthy at once", mode: rollout.HealthChecks,
			reason: "a service task that exits is dead: unhealthy",
			calls:  []call{{9 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server"), ev(rollout.TaskFinished, 9*time.Second, "server")}}},
			want:   rollout.Unhealthy, wantAt: 9 * time.Second, why: "dead task",
		},
		{
			name: "never started: unhealthy at healthy_deadline", mode: rollout.HealthTaskStates,
			reason: "no task ever ran: unhealthy exactly at placement + healthy_deadline (10m)",
			calls:  []call{{10 * time.Minute, nil}},
			want:   rollout.Unhealthy, wantAt: 10 * time.Minute, why: "task not running by healthy_deadline of 10m0s",
		},
		{
			name: "started too late: unhealthy at healthy_deadline", mode: rollout.HealthTaskStates,
			reason: "a task started 20s before the deadline cannot run for min_healthy_time (30s) in time: unhealthy at the deadline, the reason naming both times",
			calls: []call{
				{9*time.Minute + 40*time.Second, []rollout.Event{ev(rollout.TaskStarted, 9*time.Minute+40*time.Second, "server")}},
				{10 * time.Minute, nil},
			},
			want: rollout.Unhealthy, wantAt: 10 * time.Minute, why: "task not running for min_healthy_time of 30s by healthy_deadline of 10m0s",
		},
		{
			name: "checks must pass for min_healthy_time", mode: rollout.HealthChecks, checks: []string{"http"},
			reason: "with checks, the clock starts when both the task runs and every check passes",
			calls: []call{
				{5 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server")}},
				{40 * time.Second, []rollout.Event{ev(rollout.CheckPassing, 40*time.Second, "http")}},
				{70 * time.Second, nil},
			},
			want: rollout.Healthy, wantAt: 70 * time.Second,
		},
		{
			name: "flapping check restarts the clock", mode: rollout.HealthChecks, checks: []string{"http"},
			reason: "a failing check resets min_healthy_time; healthy 30s after it passes again",
			calls: []call{
				{10 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server"), ev(rollout.CheckPassing, 10*time.Second, "http")}},
				{30 * time.Second, []rollout.Event{ev(rollout.CheckFailing, 30*time.Second, "http")}},
				{45 * time.Second, []rollout.Event{ev(rollout.CheckPassing, 45*time.Second, "http")}},
				{75 * time.Second, nil},
			},
			want: rollout.Healthy, wantAt: 75 * time.Second,
		},
		{
			name: "checks mode without checks behaves as task_states", mode: rollout.HealthChecks,
			reason: "a group with no checks declared needs only its tasks",
			calls:  []call{{35 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server")}}},
			want:   rollout.Healthy, wantAt: 35 * time.Second,
		},
		{
			name: "check failing at the deadline", mode: rollout.HealthChecks, checks: []string{"http", "tcp"},
			reason: "tasks run but one check of two never passes: the reason counts the checks",
			calls: []call{
				{10 * time.Second, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server"), ev(rollout.CheckPassing, 10*time.Second, "http")}},
				{10 * time.Minute, nil},
			},
			want: rollout.Unhealthy, wantAt: 10 * time.Minute, why: "only 1 out of 2 checks passing",
		},
		{
			name: "manual ignores task events", mode: rollout.HealthManual,
			reason: "under manual health only set-health decides; no deadline applies",
			calls:  []call{{time.Hour, []rollout.Event{ev(rollout.TaskStarted, 5*time.Second, "server")}}},
			want:   "",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newHealthFixture(t, tc.mode, tc.checks...)
			for _, c := range tc.calls {
				f.step(t, at(c.at), c.events...)
			}
			h := f.alloc.Health
			if h.Status != tc.want {
				t.Fatalf("%s\nverdict = %q (%s), want %q", tc.reason, h.Status, h.Reason, tc.want)
			}
			if tc.want != "" && !h.Time.Equal(at(tc.wantAt)) {
				t.Errorf("%s\nverdict time = +%v, want +%v", tc.reason, h.Time.Sub(t0), tc.wantAt)
			}
			if !strings.Contains(h.Reason, tc.why) {
				t.Errorf("%s\nreason = %q, want it to contain %q", tc.reason, h.Reason, tc.why)
			}
		})
	}
}

func TestHealthEventsIdempotentAndOrdered(t *testing.T) {
	f := newHealthFixture(t, rollout.HealthTaskStates)
	start := ev(rollout.TaskStarted, 5*time.Second, "server")
	f.step(t, at(10*time.Second), start)
	before := f.alloc.Health
	out := f.step(t, at(12*time.Second), start)
	if diff := cmp.Diff(before, f.alloc.Health); diff != "" {
		t.Errorf("repeating an event changed the tracker (-before +after):\n%s", diff)
	}
	if len(out.Health) != 0 {
		t.Errorf("repeating an event produced health updates %+v", out.Health)
	}
	out = f.step(t, at(20*time.Second), ev(rollout.TaskRestarted, 20*time.Second, "server"), ev(rollout.TaskRestarted, 15*time.Second, "server"))
	if len(out.Ignored) != 0 {
		t.Fatalf("events in one batch are applied in time order, none ignored; ignored %+v", out.Ignored)
	}
	out = f.step(t, at(25*time.Second), ev(rollout.TaskRestarted, 18*time.Second, "server"))
	if len(out.Ignored) != 1 || !strings.Contains(out.Ignored[0].Reason, "older than") {
		t.Fatalf("an event older than one applied must be ignored with a reason; got %+v", out.Ignored)
	}
}

func TestHealthEventErrors(t *testing.T) {
	f := newHealthFixture(t, rollout.HealthTaskStates)
	cases := []struct {
		name  string
		event rollout.Event
		field string
	}{
		{"unknown allocation", rollout.Event{Alloc: "nope", Kind: rollout.TaskStarted, Time: at(time.Second), Task: "server"}, "events[0].alloc"},
		{"event after now", rollout.Event{Alloc: f.alloc.ID, Kind: rollout.TaskStarted, Time: at(time.Hour), Task: "server"}, "events[0].time"},
		{"unknown task", rollout.Event{Alloc: f.alloc.ID, Kind: rollout.TaskStarted, Time: at(time.Second), Task: "db"}, "events[0].task"},
		{"unknown kind", rollout.Event{Alloc: f.alloc.ID, Kind: "task-exploded", Time: at(time.Second)}, "events[0].kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := rollout.Step(rollout.Input{Now: at(time.Minute), Job: f.job, Deployment: f.dep, Allocs: []rollout.Alloc{f.alloc}, Events: []rollout.Event{tc.event}})
			if !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var fe *rollout.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a FieldError for %s", err, tc.field)
			}
			if diff := cmp.Diff(rollout.Output{}, out); diff != "" {
				t.Errorf("an invalid input must decide nothing; got (-want +got):\n%s", diff)
			}
		})
	}
}
