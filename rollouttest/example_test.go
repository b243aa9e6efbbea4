package rollouttest_test

import (
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// A rolling update, then a bad image whose failure reverts the job, in
// simulated time: the whole story runs in microseconds.
func ExampleCluster() {
	c := rollouttest.NewCluster(rollouttest.Config{
		// Allocations start 2s after placement...
		Default: rollouttest.Behavior{StartAfter: 2 * time.Second},
		// ...except those of the bad image, which fail after 5s.
		Behaviors: map[string]rollouttest.Behavior{"web:bad": {FailsAfter: 5 * time.Second}},
	})
	maxParallel, noDeadline, autoRevert := 2, time.Duration(0), true
	job := func(image string) rollout.JobVersion {
		return rollout.JobVersion{ID: "web", Groups: []rollout.Group{{
			Name: "api", Count: 4, Spec: image,
			Update: &rollout.UpdateBlock{MaxParallel: &maxParallel, ProgressDeadline: &noDeadline, AutoRevert: &autoRevert},
		}}}
	}
	start := c.Now()
	for _, image := range []string{"web:1", "web:2", "web:bad"} {
		if _, err := c.Submit(job(image)); err != nil {
			fmt.Println(err)
		}
		if err := c.Run(); err != nil {
			fmt.Println(err)
		}
	}
	for _, d := range c.Deployments() {
		fmt.Printf("version %d: %s (%s)\n", d.JobVersion, d.Status, d.Description)
	}
	latest, _ := c.Job()
	fmt.Printf("version %d runs %s; %s of simulated time\n", latest.Version, latest.Groups[0].Spec, c.Now().Sub(start))
	// Output:
	// version 0: successful (Deployment completed successfully)
	// version 1: successful (Deployment completed successfully)
	// version 2: failed (Failed due to unhealthy allocations - rolling back to job version 1)
	// version 3: successful (Deployment completed successfully)
	// version 3 runs web:2; 53s of simulated time
}

// Run the conformance check against your own driver in a test:
//
//	func TestMyDriver(t *testing.T) {
//		if err := rollouttest.TestDriver(newMyDriver(t)); err != nil {
//			t.Fatal(err)
//		}
//	}
func ExampleTestDriver() {
	if err := rollouttest.TestDriver(rollouttest.NewRecordingDriver()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("the driver keeps the contract")
	// Output: the driver keeps the contract
}

// Draining a node moves its allocations to the other nodes under the same
// names, all in the next step, whatever the update block allows.
func ExampleCluster_DrainNode() {
	c := rollouttest.NewCluster(rollouttest.Config{Nodes: []string{"a", "b"}})
	one := 1
	if _, err := c.Submit(rollout.JobVersion{ID: "web", Groups: []rollout.Group{{
		Name: "api", Count: 4, Spec: "web:1", Update: &rollout.UpdateBlock{MaxParallel: &one},
	}}}); err != nil {
		fmt.Println(err)
	}
	if err := c.Run(); err != nil {
		fmt.Println(err)
	}
	c.Observe(func(_ *rollouttest.Cluster, s rollouttest.StepInfo) {
		if p := s.Output.Plan[0]; p.Migrate > 0 {
			fmt.Printf("step %d: %s\n", s.N, p)
		}
	})
	if err := c.DrainNode("a"); err != nil {
		fmt.Println(err)
	}
	if err := c.Run(); err != nil {
		fmt.Println(err)
	}
	perNode := map[string]int{}
	for _, a := range c.Allocations() {
		if a.Desired == rollout.DesiredRun {
			perNode[c.Node(a.ID)]++
		}
	}
	fmt.Println("running per node:", perNode)
	// Output:
	// step 4: 2 migrate, 2 ignore
	// running per node: map[b:4]
}
