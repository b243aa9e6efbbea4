package rollout_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
)

// seed001 is geo-api-server of the rolling-upgrades guide: six allocations
// of image 0.1, updated two at a time.
func seed001(version uint64, image string) rollout.JobVersion {
	mp, mht, hd := 2, 30*time.Second, 10*time.Minute
	return rollout.JobVersion{ID: "geo-api-server", Version: version, Groups: []rollout.Group{{
		Name: "api-server", Count: 6, Spec: "image=geo-api-server:" + image,
		Update: &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthyDeadline: &hd},
	}}}
}

func seed001Allocs() []rollout.Alloc {
	var allocs []rollout.Alloc
	for i := 0; i < 6; i++ {
		allocs = append(allocs, rollout.Alloc{
			ID: fmt.Sprintf("v0-%d", i), JobID: "geo-api-server", Group: "api-server", Index: i,
			JobVersion: 0, Spec: "image=geo-api-server:0.1", Desired: rollout.DesiredRun, Client: rollout.ClientRunning,
		})
	}
	return allocs
}

// Plan shows what a change would do, as `nomad job plan` does.
func ExamplePlan() {
	plan, err := rollout.Plan(rollout.Input{
		Now:    time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC),
		Job:    seed001(1, "0.2"),
		Allocs: seed001Allocs(),
	})
	if err != nil {
		panic(err)
	}
	for _, g := range plan {
		fmt.Printf("Task Group: %q (%s)\n", g.Group, g)
	}
	// Output:
	// Task Group: "api-server" (2 create/destroy update, 4 ignore)
}

// The first step of a rolling update creates the deployment and replaces
// max_parallel allocations, keeping their names.
func ExampleStep() {
	now := time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC)
	out, err := rollout.Step(rollout.Input{Now: now, Job: seed001(1, "0.2"), Allocs: seed001Allocs()})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Deployment.Status, "-", out.Deployment.Description)
	for _, s := range out.Stop {
		fmt.Println("stop ", s.Name, "-", s.Reason)
	}
	for _, p := range out.Place {
		fmt.Println("place", p.Name, "version", p.JobVersion, "replacing", p.Replaces)
	}
	g := out.Deployment.Groups[0]
	fmt.Printf("desired %d, placed %d, healthy %d\n", g.DesiredTotal, g.Placed, g.Healthy)
	fmt.Println("call again by", out.NextStep.Sub(now))
	// Output:
	// running - Deployment is running
	// stop  geo-api-server.api-server[0] - alloc is being updated due to job update
	// stop  geo-api-server.api-server[1] - alloc is being updated due to job update
	// place geo-api-server.api-server[0] version 1 replacing v0-0
	// place geo-api-server.api-server[1] version 1 replacing v0-1
	// desired 6, placed 2, healthy 0
	// call again by 10m0s
}

// Promotion is refused, with the group and its count of healthy canaries,
// until enough canaries are healthy.
func ExampleCommandError() {
	job := seed001(1, "0.2")
	job.Groups[0].Update.Canary = new(int)
	*job.Groups[0].Update.Canary = 2
	now := time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC)
	out, _ := rollout.Step(rollout.Input{Now: now, Job: job, Allocs: seed001Allocs()})
	_, err := rollout.Step(rollout.Input{
		Now: now.Add(time.Minute), Job: job, Deployment: out.Deployment, Allocs: out.Apply(seed001Allocs()),
		Commands: []rollout.Command{rollout.Promote()},
	})
	fmt.Println(err)
	// Output:
	// promote: promotion refused: group "api-server" has 0/2 healthy allocations
}

// The README's update-block example: a job block decoded from JSON, a
// group block, merged and validated.
func Example_readme() {
	job := &rollout.UpdateBlock{}
	if err := json.Unmarshal([]byte(`{"max_parallel": 2, "health_check": "task_states", "healthy_deadline": "10m"}`), job); err != nil {
		panic(err)
	}
	one := 1
	group := &rollout.UpdateBlock{Canary: &one}
	strategy, ok := rollout.Merge(job, group)
	if err := strategy.Validate(); err != nil {
		panic(err)
	}
	fmt.Println(ok, strategy.MaxParallel, strategy.Canary, strategy.ProgressDeadline)
	// Output:
	// true 2 1 15m0s
}

// Output.Reasons lists every decision with its kind and reason, ready for a
// log line.
func ExampleOutput_Reasons() {
	now := time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC)
	out, err := rollout.Step(rollout.Input{Now: now, Job: seed001(1, "0.2"), Allocs: seed001Allocs()})
	if err != nil {
		panic(err)
	}
	for _, r := range out.Reasons() {
		fmt.Printf("%-10s %-30s %-7s %s\n", r.Decision, r.Name, r.Kind, r.Text)
	}
	// Output:
	// stop       geo-api-server.api-server[0]   update  alloc is being updated due to job update
	// stop       geo-api-server.api-server[1]   update  alloc is being updated due to job update
	// place      geo-api-server.api-server[0]   update  alloc replaces an alloc of an older version
	// place      geo-api-server.api-server[1]   update  alloc replaces an alloc of an older version
	// transition                                created Deployment is running
}
