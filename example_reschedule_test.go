package rollout_test

import (
	"cmp"
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
)

// A failed allocation is replaced when its slot's reschedule delay ends:
// Step places nothing before then and asks to be called a second early.
// The delay grows with the slot's earlier replacements (Alloc.Attempts) as
// the policy's function says; with rescheduling disabled nothing is ever
// replaced.
func ExampleReschedulePolicy() {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, p := range []rollout.ReschedulePolicy{
		{Delay: 10 * time.Second, MaxDelay: time.Minute}, // exponential
		{Delay: 10 * time.Second, MaxDelay: time.Minute, DelayFunction: rollout.DelayConstant},
		{Delay: 10 * time.Second, MaxDelay: time.Minute, DelayFunction: rollout.DelayFibonacci},
		{Disabled: true},
	} {
		job := rollout.JobVersion{ID: "api", Groups: []rollout.Group{{
			Name: "web", Count: 1, Spec: "image=api:1", Reschedule: p,
		}}}
		failed := rollout.Alloc{
			ID: "a1", JobID: "api", Group: "web", Spec: "image=api:1",
			Desired: rollout.DesiredRun, Client: rollout.ClientFailed, StatusTime: now,
			Attempts: 3, // the slot was replaced three times already
		}
		out, err := rollout.Step(rollout.Input{Now: now, Job: job, Allocs: []rollout.Alloc{failed}})
		if err != nil {
			panic(err)
		}
		fn := cmp.Or(string(p.DelayFunction), "exponential")
		if p.Disabled {
			fn = "disabled"
		}
		if out.NextStep.IsZero() {
			fmt.Printf("%-11s never replaced\n", fn)
			continue
		}
		fmt.Printf("%-11s call again in %v, %d placed now\n", fn, out.NextStep.Sub(now), len(out.Place))
	}
	// Output:
	// exponential call again in 59s, 0 placed now
	// constant    call again in 9s, 0 placed now
	// fibonacci   call again in 29s, 0 placed now
	// disabled    never replaced
}
