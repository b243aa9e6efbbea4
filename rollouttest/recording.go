package rollouttest

import (
	"context"
	"slices"
	"sync"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// Method names a Driver method, in a Call or a Failure.
type Method string

// The methods of controller.Driver.
const (
	MethodAllocs Method = "Allocs"
	MethodApply  Method = "Apply"
)

// Call is one call a RecordingDriver received.
type Call struct {
	Method Method
	JobID  string
	// Decisions is what Apply was given (a deep copy); empty for Allocs.
	Decisions rollout.Decisions
	// Err is what the call returned.
	Err error
}

// Failure makes calls of a RecordingDriver fail.
type Failure struct {
	// Method is the method that fails.
	Method Method
	// Times is how many of its next calls fail; zero means one.
	Times int
	// Err is the error they return.
	Err error
	// AfterApply makes a failing Apply carry out the decisions before it
	// returns Err, as a driver whose answer was lost would: a retry must
	// then change nothing.
	AfterApply bool
}

// RecordingDriver is a controller.Driver that records every call, keeps in
// memory the allocations it is told to make (so Allocs reflects every
// applied decision), and fails the calls it is told to fail. Its zero
// value is ready to use, and it is safe for concurrent use.
//
// Its allocations never start by themselves: set their client status with
// SetClient, or seed them with Put.
type RecordingDriver struct {
	mu       sync.Mutex
	calls    []Call
	allocs   map[string][]rollout.Alloc
	failures []Failure
}

var _ controller.Driver = (*RecordingDriver)(nil)

// NewRecordingDriver returns a RecordingDriver holding the allocations.
func NewRecordingDriver(allocs ...rollout.Alloc) *RecordingDriver {
	d := &RecordingDriver{}
	d.Put(allocs...)
	return d
}

// Put adds allocations, or replaces those with the same ID.
func (d *RecordingDriver) Put(allocs ...rollout.Alloc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.allocs == nil {
		d.allocs = map[string][]rollout.Alloc{}
	}
	for _, a := range allocs {
		list := d.allocs[a.JobID]
		if i := slices.IndexFunc(list, func(x rollout.Alloc) bool { return x.ID == a.ID }); i >= 0 {
			list[i] = cloneAllocs([]rollout.Alloc{a})[0]
			continue
		}
		d.allocs[a.JobID] = append(list, cloneAllocs([]rollout.Alloc{a})[0])
	}
}

// SetClient sets the client status of an allocation, as its node would
// report it, and reports whether the allocation exists.
func (d *RecordingDriver) SetClient(id string, status rollout.ClientStatus) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, list := range d.allocs {
		for i := range list {
			if list[i].ID == id {
				list[i].Client = status
				return true
			}
		}
	}
	return false
}

// Fail makes calls fail, in the order given: each call takes the first
// Failure of its method, until its Times are used.
func (d *RecordingDriver) Fail(f Failure) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	d.failures = append(d.failures, f)
}

// Calls returns the calls so far, in order.
func (d *RecordingDriver) Calls() []Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

// CallsOf returns the calls of one method so far, in order.
func (d *RecordingDriver) CallsOf(m Method) []Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Call
	for _, c := range d.calls {
		if c.Method == m {
			out = append(out, c)
		}
	}
	return out
}

// Allocations returns a copy of the job's allocations, without a call.
func (d *RecordingDriver) Allocations(jobID string) []rollout.Alloc {
	d.mu.Lock()
	defer d.mu.Unlock()
	return cloneAllocs(d.allocs[jobID])
}

// failure takes the next failure of method m, if any.
func (d *RecordingDriver) failure(m Method) (Failure, bool) {
	for i := range d.failures {
		if f := &d.failures[i]; f.Method == m {
			got := *f
			if f.Times--; f.Times <= 0 {
				d.failures = slices.Delete(d.failures, i, i+1)
			}
			return got, true
		}
	}
	return Failure{}, false
}

// Allocs implements controller.Driver.
func (d *RecordingDriver) Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	call := Call{Method: MethodAllocs, JobID: jobID}
	var out []rollout.Alloc
	if err := ctx.Err(); err != nil {
		call.Err = err
	} else if f, ok := d.failure(MethodAllocs); ok {
		call.Err = f.Err
	} else {
		out = cloneAllocs(d.allocs[jobID])
	}
	d.calls = append(d.calls, call)
	return out, call.Err
}

// Apply implements controller.Driver: it records the decisions on its
// allocations idempotently (see controller.Driver), unless told to fail.
func (d *RecordingDriver) Apply(ctx context.Context, dec rollout.Decisions) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	call := Call{Method: MethodApply, JobID: dec.JobID, Decisions: cloneDecisions(dec)}
	apply := true
	if err := ctx.Err(); err != nil {
		call.Err, apply = err, false
	} else if f, ok := d.failure(MethodApply); ok {
		call.Err, apply = f.Err, f.AfterApply
	}
	if apply {
		if d.allocs == nil {
			d.allocs = map[string][]rollout.Alloc{}
		}
		allocs, _ := applyDecisions(d.allocs[dec.JobID], &dec)
		for _, st := range dec.Stop {
			for i := range allocs {
				if allocs[i].ID == st.ID && !terminal(allocs[i].Client) {
					allocs[i].Client = rollout.ClientComplete
				}
			}
		}
		d.allocs[dec.JobID] = allocs
	}
	d.calls = append(d.calls, call)
	return call.Err
}

// cloneDecisions returns a deep copy of d.
func cloneDecisions(d rollout.Decisions) rollout.Decisions {
	c := rollout.Decisions{JobID: d.JobID, Stop: slices.Clone(d.Stop), Place: slices.Clone(d.Place), InPlace: slices.Clone(d.InPlace), Health: slices.Clone(d.Health)}
	for i := range c.InPlace {
		c.InPlace[i].Health = cloneHealth(c.InPlace[i].Health)
	}
	for i := range c.Health {
		c.Health[i].Health = cloneHealth(c.Health[i].Health)
	}
	return c
}

func cloneHealth(h rollout.AllocHealth) rollout.AllocHealth {
	h.Tasks = slices.Clone(h.Tasks)
	h.Checks = slices.Clone(h.Checks)
	return h
}
