package rollout_test

import (
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
)

// With max_surge = 1 and max_unavailable unset (0), the first step of a
// rolling update places one new allocation beside the old one it will
// replace, and stops nothing.
func ExampleUpdateStrategy_surge() {
	job := seed001(1, "0.2")
	surge := rollout.Count(1)
	job.Groups[0].Update.MaxSurge = &surge
	out, err := rollout.Step(rollout.Input{Now: time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC), Job: job, Allocs: seed001Allocs()})
	if err != nil {
		panic(err)
	}
	for _, p := range out.Place {
		fmt.Println("place", p.Name, p.Kind, "-", p.Reason)
	}
	fmt.Println("stops:", len(out.Stop))
	// Output:
	// place geo-api-server.api-server[0] surge - alloc placed beside the alloc of an older version it will replace (max_surge)
	// stops: 0
}

// A freeze holds the next version: no deployment starts, and the step
// says why.
func ExampleFreeze() {
	now := time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC)
	out, err := rollout.Step(rollout.Input{
		Now: now, Job: seed001(1, "0.2"), Allocs: seed001Allocs(),
		Commands: []rollout.Command{rollout.Freeze("release freeze", now.Add(2*time.Hour))},
	})
	if err != nil {
		panic(err)
	}
	for _, r := range out.Reasons() {
		fmt.Println(r.Kind, "-", r.Text)
	}
	fmt.Println("deployment:", out.Deployment, "next step:", out.NextStep.Format(time.Kitchen))
	// Output:
	// frozen - frozen until 2017-07-26T20:08:56Z: release freeze
	// held - frozen until 2017-07-26T20:08:56Z: release freeze
	// deployment: <nil> next step: 8:08PM
}
