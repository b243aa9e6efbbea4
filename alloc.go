package rollout

import "time"

// DesiredStatus is what the scheduler wants of an allocation.
type DesiredStatus string

// Desired statuses. The zero value is unset and invalid in Input.
const (
	DesiredRun  DesiredStatus = "run"
	DesiredStop DesiredStatus = "stop"
)

// ClientStatus is what the node reports of an allocation.
type ClientStatus string

// Client statuses. The zero value is unset and invalid in Input.
const (
	ClientPending  ClientStatus = "pending"
	ClientRunning  ClientStatus = "running"
	ClientComplete ClientStatus = "complete"
	ClientFailed   ClientStatus = "failed"
	// ClientLost: the allocation's node is down. Step stops and replaces it.
	ClientLost ClientStatus = "lost"
	// ClientUnknown: the allocation's node stopped heartbeating and may
	// come back (Nomad's unknown); StatusTime is when it went unknown. The
	// group's Disconnect block says what Step does with it.
	ClientUnknown ClientStatus = "unknown"
)

// Terminal reports whether the allocation has stopped running on its node
// (complete, failed or lost).
func (c ClientStatus) Terminal() bool {
	return c == ClientComplete || c == ClientFailed || c == ClientLost
}

// HealthStatus is an allocation's health verdict within its deployment.
type HealthStatus string

// Health verdicts. The zero value means not decided yet.
const (
	Healthy   HealthStatus = "healthy"
	Unhealthy HealthStatus = "unhealthy"
)

// Alloc is one allocation of the job, of any version or status, as the
// caller last recorded it. Keep terminal allocations of the active
// deployment in Input.Allocs until it ends: its counters are derived from
// them.
type Alloc struct {
	// ID is unique among the job's allocations.
	ID string
	// JobID is the job's ID.
	JobID string
	// Group is the task group's name.
	Group string
	// Index is the allocation's slot in the group; its name is
	// AllocName(JobID, Group, Index).
	Index int
	// NodeID is the node the allocation runs on: required for a system
	// job (see Input.Nodes), unused and empty for a service job.
	NodeID string `json:",omitzero"`
	// JobVersion is the job version the allocation runs.
	JobVersion uint64
	// Spec is the group Spec of that version.
	Spec string
	// Desired is what the scheduler wants of it.
	Desired DesiredStatus
	// Client is what its node reports.
	Client ClientStatus
	// Canary marks a canary placed by a deployment.
	Canary bool
	// Migrate asks that the allocation move off its node: the caller's
	// drainer sets it on the allocations of a node being drained (Nomad's
	// migrate desired transition). Step stops the allocation and places its
	// replacement under the same name in the same step, whatever
	// max_parallel and the deployment's state (an old allocation beside
	// its max_surge namesake is only stopped: the namesake takes its
	// place); pacing a drain is the drainer's. It counts only while the allocation is to run and its
	// client is pending or running: a lost allocation is replaced as lost.
	// A service job's field: a system job's allocation leaves a node that
	// Input.Nodes marks Draining, and Step refuses it there.
	Migrate bool `json:",omitempty"`
	// DeploymentID is the deployment that placed or last updated it; "" for
	// none.
	DeploymentID string
	// CreateTime is when it was placed (or last updated in place); the
	// healthy_deadline counts from it.
	CreateTime time.Time
	// StatusTime is when the node reported the client status last changed
	// (Nomad's ModifyTime of the client status). The reschedule delay of a
	// failed allocation counts from it; zero means unknown, and the delay
	// counts from its health verdict, or its last health event, or its
	// creation.
	StatusTime time.Time `json:",omitzero"`
	// Attempts counts the earlier replacements of this slot (Step sets it
	// on each placement: one more than the failed allocation's for a
	// reschedule, the replaced one's for a lost or migrated allocation, 0
	// for a new slot or a new version); it spaces and caps further ones
	// (see ReschedulePolicy).
	Attempts int
	// Health is the verdict and the tracker state within its deployment.
	Health AllocHealth
	// StandsInFor is the ID of the unknown allocation this one was placed
	// to stand in for (Placement.StandsInFor); "" for none. When that one
	// reconnects, the group's Disconnect.Reconcile keeps one of the two.
	StandsInFor string `json:",omitempty"`
}

// Name returns `<job>.<group>[<index>]`.
func (a *Alloc) Name() string { return AllocName(a.JobID, a.Group, a.Index) }

// AllocHealth is an allocation's health within its deployment: the verdict,
// and the state the tracker needs to reach it. Step returns an updated copy
// in Output.Health; the caller stores it on the allocation.
type AllocHealth struct {
	// Status is the verdict; "" until decided. A verdict is final for the
	// allocation in its deployment.
	Status HealthStatus `json:",omitempty"`
	// Time is when the verdict was reached.
	Time time.Time `json:",omitzero"`
	// Reason says why, for a person.
	Reason string `json:",omitempty"`
	// Tasks holds each task's state seen so far, in event order.
	Tasks []TaskHealth `json:",omitempty"`
	// Checks holds each check's state seen so far, in event order.
	Checks []CheckHealth `json:",omitempty"`
	// LastEvent is the time of the newest event applied; older events are
	// ignored.
	LastEvent time.Time `json:",omitzero"`
}

// TaskState is a task's state as the tracker saw it.
type TaskState string

// Task states.
const (
	TaskStateRunning  TaskState = "running"
	TaskStateFailed   TaskState = "failed"
	TaskStateFinished TaskState = "finished"
)

// TaskHealth is one task's state in the tracker.
type TaskHealth struct {
	Name  string
	State TaskState
	// Since is when the task last started (or failed, or finished).
	Since time.Time
	// Restarts counts restarts seen.
	Restarts int `json:",omitempty"`
}

// CheckHealth is one check's state in the tracker.
type CheckHealth struct {
	Name    string
	Passing bool
	// Since is when the check last changed between passing and failing.
	Since time.Time
}

// Clone returns a deep copy of a: its health lists are copied, not shared.
func (a *Alloc) Clone() Alloc {
	c := *a
	c.Health = a.Health.Clone()
	return c
}

// Clone returns a deep copy of h.
func (h *AllocHealth) Clone() AllocHealth {
	c := *h
	c.Tasks = append([]TaskHealth(nil), h.Tasks...)
	c.Checks = append([]CheckHealth(nil), h.Checks...)
	return c
}
