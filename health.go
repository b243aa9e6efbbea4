package rollout

import (
	"fmt"
	"slices"
	"time"
)

// tracker decides one allocation's health within a deployment from its task
// and check events, the way a Nomad client does, as a pure function of the
// events and the time.
type tracker struct {
	mode    HealthCheck
	minTime time.Duration
	// deadline is when the allocation is unhealthy unless healthy before;
	// zero when unknown (no CreateTime).
	deadline    time.Time
	deadlineDur time.Duration
	// tasks and checks that must be running and passing; tasks empty means
	// the tasks seen so far (at least one).
	tasks  []string
	checks []string
}

func newTracker(s UpdateStrategy, g *Group, created time.Time) tracker {
	t := tracker{mode: s.HealthCheck, minTime: s.MinHealthyTime, deadlineDur: s.HealthyDeadline, tasks: g.Tasks}
	if s.HealthCheck == HealthChecks {
		t.checks = g.Checks
	}
	if !created.IsZero() {
		t.deadline = created.Add(s.HealthyDeadline)
	}
	return t
}

// healthyAt returns when h becomes healthy if nothing else happens, and
// false when it cannot become healthy without new events.
func (t *tracker) healthyAt(h *AllocHealth) (time.Time, bool) {
	var since time.Time
	if len(t.tasks) == 0 {
		if len(h.Tasks) == 0 {
			return time.Time{}, false
		}
		for i := range h.Tasks {
			if h.Tasks[i].State != TaskStateRunning {
				return time.Time{}, false
			}
			since = later(since, h.Tasks[i].Since)
		}
	} else {
		for _, name := range t.tasks {
			th := findTask(h, name)
			if th == nil || th.State != TaskStateRunning {
				return time.Time{}, false
			}
			since = later(since, th.Since)
		}
	}
	for _, name := range t.checks {
		ch := findCheck(h, name)
		if ch == nil || !ch.Passing {
			return time.Time{}, false
		}
		since = later(since, ch.Since)
	}
	return since.Add(t.minTime), true
}

// settle reaches the verdict due by time at (inclusive), if any.
func (t *tracker) settle(h *AllocHealth, at time.Time) {
	if h.Status != "" {
		return
	}
	if ok, okSet := t.healthyAt(h); okSet && !ok.After(at) && (t.deadline.IsZero() || !ok.After(t.deadline)) {
		h.Status, h.Time, h.Reason = Healthy, ok, ""
		return
	}
	if !t.deadline.IsZero() && !t.deadline.After(at) {
		h.Status, h.Time, h.Reason = Unhealthy, t.deadline, t.deadlineReason(h)
	}
}

// next returns the next time the verdict may change without new events.
func (t *tracker) next(h *AllocHealth) time.Time {
	if h.Status != "" {
		return time.Time{}
	}
	n := t.deadline
	if ok, okSet := t.healthyAt(h); okSet && (n.IsZero() || ok.Before(n)) {
		n = ok
	}
	return n
}

func (t *tracker) deadlineReason(h *AllocHealth) string {
	running := true
	if len(t.tasks) == 0 {
		running = len(h.Tasks) > 0
		for i := range h.Tasks {
			running = running && h.Tasks[i].State == TaskStateRunning
		}
	} else {
		for _, name := range t.tasks {
			th := findTask(h, name)
			running = running && th != nil && th.State == TaskStateRunning
		}
	}
	if !running {
		return fmt.Sprintf("task not running by healthy_deadline of %s", t.deadlineDur)
	}
	passing := 0
	for _, name := range t.checks {
		if ch := findCheck(h, name); ch != nil && ch.Passing {
			passing++
		}
	}
	if passing < len(t.checks) {
		return fmt.Sprintf("only %d out of %d checks passing by healthy_deadline of %s", passing, len(t.checks), t.deadlineDur)
	}
	return fmt.Sprintf("task not running for min_healthy_time of %s by healthy_deadline of %s", t.minTime, t.deadlineDur)
}

// apply applies one event (already known to be for this allocation and not
// older than h.LastEvent) after settling the verdicts due before it. It
// returns a reason when the event was not applied.
func (t *tracker) apply(h *AllocHealth, ev *Event) string {
	t.settle(h, ev.Time)
	if h.Status != "" {
		return "allocation health is already " + string(h.Status)
	}
	switch ev.Kind {
	case TaskStarted, TaskRestarted:
		th := upsertTask(h, ev.Task)
		if th.State == TaskStateRunning && th.Since.Equal(ev.Time) {
			break // a repeated event
		}
		if ev.Kind == TaskRestarted || th.State == TaskStateRunning {
			th.Restarts++
		}
		th.State, th.Since = TaskStateRunning, ev.Time
	case TaskFailed, TaskFinished:
		th := upsertTask(h, ev.Task)
		th.State, th.Since = TaskStateFailed, ev.Time
		what := "failed"
		if ev.Kind == TaskFinished {
			th.State, what = TaskStateFinished, "dead"
		}
		h.Status, h.Time = Unhealthy, ev.Time
		h.Reason = "unhealthy because of " + what + " task"
		if ev.Task != "" {
			h.Reason += fmt.Sprintf(" %q", ev.Task)
		}
	case CheckPassing, CheckFailing:
		if !slices.Contains(t.checks, ev.Check) {
			if t.mode != HealthChecks {
				return "health_check is " + string(t.mode) + ": checks are not watched"
			}
			return fmt.Sprintf("check %q is not declared by the group", ev.Check)
		}
		passing := ev.Kind == CheckPassing
		ch := findCheck(h, ev.Check)
		if ch == nil {
			h.Checks = append(h.Checks, CheckHealth{Name: ev.Check, Passing: passing, Since: ev.Time})
		} else if ch.Passing != passing {
			ch.Passing, ch.Since = passing, ev.Time
		}
	}
	h.LastEvent = later(h.LastEvent, ev.Time)
	return ""
}

func findTask(h *AllocHealth, name string) *TaskHealth {
	for i := range h.Tasks {
		if h.Tasks[i].Name == name {
			return &h.Tasks[i]
		}
	}
	return nil
}

func upsertTask(h *AllocHealth, name string) *TaskHealth {
	if th := findTask(h, name); th != nil {
		return th
	}
	h.Tasks = append(h.Tasks, TaskHealth{Name: name})
	return &h.Tasks[len(h.Tasks)-1]
}

func findCheck(h *AllocHealth, name string) *CheckHealth {
	for i := range h.Checks {
		if h.Checks[i].Name == name {
			return &h.Checks[i]
		}
	}
	return nil
}

// cloneHealth returns a copy of h that shares no slices with it.
func cloneHealth(h AllocHealth) AllocHealth {
	h.Tasks = slices.Clone(h.Tasks)
	h.Checks = slices.Clone(h.Checks)
	return h
}

// restartHealth is the tracker state of an allocation updated in place at
// now: no verdict, its running tasks and passing checks counted from now.
// A running allocation whose tracker knows none of its tasks (it ran
// outside any deployment, or its caller kept only the verdict) has its
// group's tasks (or, when the group names none, one unnamed task) counted
// as running from now; and when its verdict was
// healthy, its group's checks as passing, since a check that keeps passing
// sends no new event.
func restartHealth(h AllocHealth, now time.Time, running bool, g *Group) AllocHealth {
	n := AllocHealth{LastEvent: now}
	for _, th := range h.Tasks {
		if th.State == TaskStateRunning {
			n.Tasks = append(n.Tasks, TaskHealth{Name: th.Name, State: TaskStateRunning, Since: now})
		}
	}
	for _, ch := range h.Checks {
		if ch.Passing {
			n.Checks = append(n.Checks, CheckHealth{Name: ch.Name, Passing: true, Since: now})
		}
	}
	if running && len(h.Tasks) == 0 && g != nil {
		for _, t := range g.Tasks {
			n.Tasks = append(n.Tasks, TaskHealth{Name: t, State: TaskStateRunning, Since: now})
		}
		if len(g.Tasks) == 0 {
			// A group that names no tasks: its one unnamed task, as events
			// without a task name report it.
			n.Tasks = append(n.Tasks, TaskHealth{State: TaskStateRunning, Since: now})
		}
		if h.Status == Healthy && len(h.Checks) == 0 {
			for _, c := range g.Checks {
				n.Checks = append(n.Checks, CheckHealth{Name: c, Passing: true, Since: now})
			}
		}
	}
	return n
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
