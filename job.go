package rollout

import (
	"strconv"
	"time"
)

// JobVersion is one version of a job: what Step deploys. Versions start at 0
// and grow by one for each change (see History.Submit).
//
// Its JSON is the job file's spelling ("id", "groups", durations as "30s");
// UnmarshalJSON also reads the API spelling (Go field names, nanoseconds)
// and refuses unknown keys, wrong types and bad durations, naming the field.
type JobVersion struct {
	// ID names the job; allocation names start with it.
	ID string `json:"id"`
	// Type is the job's scheduler type: "" or JobService (the default),
	// or JobSystem (one allocation per eligible node; see Input.Nodes and
	// the package doc's "System jobs"). Validate refuses any other value.
	Type JobType `json:"type,omitzero"`
	// Version is this version's number.
	Version uint64 `json:"version"`
	// Stable is set once a deployment of this version has succeeded.
	Stable bool `json:"stable,omitzero"`
	// Stop marks a stopped job: Step stops every allocation and cancels the
	// active deployment.
	Stop bool `json:"stop,omitzero"`
	// SubmitTime is when this version was submitted.
	SubmitTime time.Time `json:"submit_time,omitzero"`
	// Update is the job-level update block, inherited by every group; nil
	// when the job file has none.
	Update *UpdateBlock `json:"update,omitempty"`
	// Groups are the job's task groups, with unique names.
	Groups []Group `json:"groups"`
	// RevertOf is the version whose specification this version restores,
	// when it was made by a revert; nil otherwise. A revert to a Stable
	// version rolls out without canaries.
	RevertOf *uint64 `json:"revert_of,omitempty"`
	// Definition holds the job-level fields of the job file that Step
	// does not read (datacenters, priority, meta, ...); nil when the
	// version was not loaded from a job file. See GroupDefinition.
	Definition *JobDefinition `json:"definition,omitempty"`
}

// Group is a task group of a job version.
type Group struct {
	// Name is unique within the job.
	Name string `json:"name"`
	// Count is how many allocations the group wants. A system job ignores
	// it (one allocation per eligible node); it must not be negative.
	Count int `json:"count"`
	// Update is the group-level update block; nil when the group has none.
	Update *UpdateBlock `json:"update,omitempty"`
	// Spec fingerprints the part of the group whose change forces its
	// allocations to be replaced (image, resources, ...). An allocation of
	// an older version with the same Spec is updated in place; one with a
	// different Spec is replaced (a destructive update).
	Spec string `json:"spec,omitzero"`
	// Tasks names the group's tasks, for health tracking. Empty means one
	// task, and task events then name no task ("").
	Tasks []string `json:"tasks,omitempty"`
	// Checks names the service checks that must pass under
	// health_check = "checks". Empty makes "checks" behave as "task_states".
	Checks []string `json:"checks,omitempty"`
	// Reschedule spaces and limits the replacements of unhealthy or failed
	// allocations; the zero value means Nomad's service defaults.
	Reschedule ReschedulePolicy `json:"reschedule,omitzero"`
	// Disconnect says what becomes of allocations whose node stops
	// heartbeating (ClientUnknown); nil means they are lost at once.
	Disconnect *Disconnect `json:"disconnect,omitempty"`
	// Definition is the group as the job file defines it: what a driver
	// runs (tasks, driver config, services and checks, ...). Step never
	// reads it; a change to it with the same Spec is an in-place update.
	// Nil when the version was not loaded from a job file.
	Definition *GroupDefinition `json:"definition,omitempty"`
}

// ReschedulePolicy spaces the replacements of an allocation slot that keeps
// failing, as Nomad's reschedule block does: the first replacement waits
// Delay, each later one as DelayFunction makes it grow, at most MaxDelay. A
// delay held to MaxDelay starts over from Delay when the failed allocation
// had run (from its CreateTime to its failure) longer than MaxDelay.
type ReschedulePolicy struct {
	// Delay before the first replacement; 0 means 30s.
	Delay time.Duration
	// MaxDelay caps a growing delay (DelayExponential, DelayFibonacci); 0
	// means 1h.
	MaxDelay time.Duration
	// Attempts caps the replacements of one slot (Alloc.Attempts counts
	// them; a new version's replacement starts again from 0), within
	// Interval when it is set; 0 means unlimited. A slot out of attempts in
	// a deployment fails it.
	Attempts int
	// DelayFunction makes the delay grow from one replacement of a slot to
	// the next; "" means DelayExponential.
	DelayFunction DelayFunction
	// Disabled replaces no failed or unhealthy allocation at all (Nomad's
	// attempts = 0 with unlimited = false): every slot is out of attempts
	// from the start. Attempts must then be 0.
	Disabled bool
	// Interval, when set, is the window Attempts counts in, as Nomad's
	// interval: a failed allocation that had run at least Interval (from
	// its CreateTime, when its slot was last replaced, to its failure) has
	// every earlier replacement outside the window, and its slot all its
	// attempts again. One that failed sooner counts all of them (Nomad
	// counts only those in the window; rollout keeps no time of the
	// earlier ones). 0 means the slot's whole life.
	Interval time.Duration
}

// DelayFunction is how a reschedule delay grows, as Nomad's
// delay_function names it.
type DelayFunction string

// Delay functions. With Delay d, the replacements of a slot wait:
const (
	// DelayExponential: d, 2d, 4d, 8d, … (the default).
	DelayExponential DelayFunction = "exponential"
	// DelayConstant: d every time; MaxDelay does not apply.
	DelayConstant DelayFunction = "constant"
	// DelayFibonacci: d, d, 2d, 3d, 5d, 8d, …, each the sum of the two
	// before.
	DelayFibonacci DelayFunction = "fibonacci"
)

// DelayFunctions lists the delay functions, for help texts and tests; Step
// does not read it.
var DelayFunctions = []DelayFunction{DelayConstant, DelayExponential, DelayFibonacci}

// Defaults of ReschedulePolicy.
const (
	DefaultRescheduleDelay    = 30 * time.Second
	DefaultRescheduleMaxDelay = time.Hour
)

// delayFor returns how long to wait before the replacement that follows
// `attempts` earlier replacements of the slot, and whether the delay was
// held to MaxDelay (the function's delay exceeds it).
func (p ReschedulePolicy) delayFor(attempts int) (time.Duration, bool) {
	d, capd := p.Delay, p.MaxDelay
	if d <= 0 {
		d = DefaultRescheduleDelay
	}
	if capd <= 0 {
		capd = DefaultRescheduleMaxDelay
	}
	switch p.DelayFunction {
	case DelayConstant:
		return d, false
	case DelayFibonacci:
		// prev and d are the delays of the replacements before and at
		// step i; a sum past the cap stops there, so none overflows.
		prev := d
		for i := 1; i < attempts && d <= capd; i++ {
			if prev > capd-d {
				return capd, true
			}
			prev, d = d, prev+d
		}
	default:
		for i := 0; i < attempts && d <= capd; i++ {
			if d > capd-d {
				return capd, true
			}
			d += d
		}
	}
	return min(d, capd), d > capd
}

// delayAfter returns how long to wait before replacing an allocation of a
// slot replaced `attempts` times, which ran for ranFor before it failed:
// delayFor's delay, except that a delay held to MaxDelay starts over from
// Delay once the allocation ran longer than that, as Nomad resets it.
func (p ReschedulePolicy) delayAfter(attempts int, ranFor time.Duration) time.Duration {
	d, capped := p.delayFor(attempts)
	if capped && ranFor > d {
		d, _ = p.delayFor(0)
	}
	return d
}

// exhausted reports whether a slot whose allocation has been replaced
// `attempts` times, and ran for ranFor before it failed, may not be
// replaced again.
func (p ReschedulePolicy) exhausted(attempts int, ranFor time.Duration) bool {
	if p.Interval > 0 && ranFor >= p.Interval {
		attempts = 0 // every earlier replacement is outside the window
	}
	return p.Disabled || (p.Attempts > 0 && attempts >= p.Attempts)
}

// Group returns the group with the given name.
func (j *JobVersion) Group(name string) (*Group, bool) {
	for i := range j.Groups {
		if j.Groups[i].Name == name {
			return &j.Groups[i], true
		}
	}
	return nil, false
}

// Strategy resolves the update strategy of the named group (see Merge).
func (j *JobVersion) Strategy(group string) (UpdateStrategy, bool) {
	g, ok := j.Group(group)
	if !ok {
		return UpdateStrategy{}, false
	}
	return Merge(j.Update, g.Update)
}

// AllocName returns the name of the allocation of a group at an index:
// `<job>.<group>[<index>]`.
func AllocName(job, group string, index int) string {
	var buf [64]byte // one allocation when the name fits: the result
	return string(appendAllocName(buf[:0], job, group, index))
}

// appendAllocName appends AllocName(job, group, index) to b.
func appendAllocName(b []byte, job, group string, index int) []byte {
	return appendNameEnd(appendNameStart(b, job, group), index)
}

// appendNameStart appends `<job>.<group>[`, the start that a group's
// allocation names share.
func appendNameStart(b []byte, job, group string) []byte {
	b = append(b, job...)
	b = append(b, '.')
	b = append(b, group...)
	return append(b, '[')
}

// maxNameEnd is the longest that appendNameEnd appends: a sign, 19
// digits and the bracket.
const maxNameEnd = 21

// appendNameEnd appends `<index>]`, the end of an allocation name.
func appendNameEnd(b []byte, index int) []byte {
	if index < 0 {
		return append(strconv.AppendInt(b, int64(index), 10), ']')
	}
	var d [20]byte
	i := len(d)
	for u := uint(index); ; u /= 10 {
		i--
		d[i] = byte('0' + u%10)
		if u < 10 {
			break
		}
	}
	return append(append(b, d[i:]...), ']')
}
