package walkthrough

import (
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// DemoWebapp replays the tutorial (アプリケーションのアップデート, "updating an
// application"): update-demo-webapp, count 10, first without an update
// block, then `update {}` (one at a time), then max_parallel 3, then a
// canary of 3 with a broken image left failing, then a healthy canary of 3,
// promoted and rolled 2 at a time.
//
// Where the tutorial's output cannot be reproduced, the numbers here follow the
// semantics, and a comment at each place says so. In short:
//   - The tutorial's first status lists version 1 with a successful deployment:
//     Nomad 0.10 and later give a job without an update block a default
//     one. rollout keeps the older rule ("If omitted, rolling updates
//     and canaries are disabled"): no update block, no deployment; a
//     change replaces (or updates in place) every allocation at once.
//   - Its plans print their update diffs in reverse (old value on the
//     right: `"task_states" => "checks"` for a job moving to task_states)
//     and count "1 create/destroy update, 9 ignore" for max_parallel 3 and
//     "3 destroy, 10 in-place update" for a canary. Here the plans show
//     old => new and the counts Step decides.
//   - Its Summary counts are Nomad's cumulative job summary (13 failed:
//     every restart of the 3 broken canaries); here they count the
//     allocations the cluster holds.
var DemoWebapp = Walkthrough{
	Name:  "demo-webapp",
	Title: "update-demo-webapp: rolling updates, a failing canary, a promoted canary",
	Seed:  `the tutorial "アプリケーションのアップデート" (updating an application)`,
	Run:   demoWebapp,
}

const (
	demoV1    = "hashicorp/demo-webapp:v1"
	demoV2    = "hashicorp/demo-webapp:v2"
	demoDummy = "dummy/dummy:v99.9"
)

func demoJob(count int, image string, update *rollout.UpdateBlock) rollout.JobVersion {
	return rollout.JobVersion{
		ID:     "update-demo-webapp",
		Update: update, // every update block of the tutorial is at the job level
		Groups: []rollout.Group{{
			Name: "update-demo-webapp", Count: count,
			Spec:  image, // the image stands for the whole group spec
			Tasks: []string{"server"},
		}},
	}
}

func demoWebapp(s *Session) {
	jst := time.FixedZone("JST", 9*60*60)
	s.Setup("update-demo-webapp", rollouttest.Config{
		Start: time.Date(2020, 2, 5, 16, 56, 30, 0, jst),
		// The demo app starts 1s after placement, and each further one
		// placed in the same step 1s later.
		Default: rollouttest.Behavior{StartAfter: time.Second, Spread: time.Second},
		Behaviors: map[string]rollouttest.Behavior{
			// The dummy image's task starts, then crashes 3s later: before
			// min_healthy_time (5s), so the canaries never turn healthy.
			demoDummy: {StartAfter: 2 * time.Second, FailsAfter: 5 * time.Second},
		},
	})

	// The tutorial's first status shows version 1, 4 of its allocations created
	// a minute before the other 6 and modified since: the job first ran
	// with count 4 (version 0), then count 10 (version 1), which updated
	// the 4 in place and placed 6.
	s.Say("my-first-update.nomad: 10 containers of hashicorp/demo-webapp:v1.",
		"(First run with count = 4, version 0; then count = 10, version 1.)")
	s.Run("my-first-update.nomad", demoJob(4, demoV1, nil))
	s.Settle()
	s.WaitUntil(time.Date(2020, 2, 5, 16, 57, 24, 0, jst)) // the tutorial's Submit Date
	s.Plan("my-first-update.nomad", demoJob(10, demoV1, nil))
	s.Run("my-first-update.nomad", demoJob(10, demoV1, nil))
	s.Settle()
	s.Wait(time.Minute)
	s.Say("Without an update block there is no deployment (the rule before Nomad 0.10; Nomad 0.10+",
		"would show a deployment here, from its default update block).")
	s.Status("v1 running")

	s.Say("my-first-update-v2.nomad: an empty update {} block enables rolling updates",
		"with every default, one allocation at a time; the image becomes v2.")
	v2 := demoJob(10, demoV2, &rollout.UpdateBlock{})
	s.Plan("my-first-update-v2.nomad", v2)
	s.Run("my-first-update-v2.nomad", v2)
	s.Until("3 allocations are replaced", func(c *rollouttest.Cluster) bool {
		return c.Deployment().Groups[0].Healthy == 3
	})
	s.Say("watch nomad job status: the allocations are updated in turn.")
	s.Status("v2 rolling")
	s.Settle()
	s.DeploymentStatus()

	// The tutorial's later statuses list no allocation older than version 2's:
	// Nomad had garbage-collected them. The cluster does the same, so that
	// the Summary counts match.
	s.C.GC()
	s.Say("my-first-update-v3.nomad: max_parallel = 3, health_check = \"task_states\",",
		"min_healthy_time = \"5s\", healthy_deadline = \"10m\", progress_deadline = \"20m\";",
		"the image goes back to v1 (think of it as an upgrade).",
		"The tutorial's plan says \"1 create/destroy update, 9 ignore\"; with max_parallel = 3",
		"the first step replaces 3.")
	v3 := demoJob(10, demoV1, &rollout.UpdateBlock{
		MaxParallel: intp(3), HealthCheck: checkp(rollout.HealthTaskStates),
		MinHealthyTime: durp(5 * time.Second), HealthyDeadline: durp(10 * time.Minute), ProgressDeadline: durp(20 * time.Minute),
	})
	s.Plan("my-first-update-v3.nomad", v3)
	s.Run("my-first-update-v3.nomad", v3)
	s.Until("6 allocations are replaced", func(c *rollouttest.Cluster) bool {
		return c.Deployment().Groups[0].Healthy == 6
	})
	s.Say("Three at a time now.")
	s.Status("v3 rolling")
	s.Settle()
	s.Deployments()
	s.Wait(30 * time.Second)

	s.Say("my-first-update-v4.nomad: canary = 3 with an image that does not work.")
	v4 := demoJob(10, demoDummy, &rollout.UpdateBlock{
		MaxParallel: intp(1), HealthCheck: checkp(rollout.HealthTaskStates),
		MinHealthyTime: durp(5 * time.Second), HealthyDeadline: durp(time.Minute), ProgressDeadline: durp(2 * time.Minute),
		Canary: intp(3),
	})
	s.Plan("my-first-update-v4.nomad", v4)
	s.Run("my-first-update-v4.nomad", v4)
	s.Until("the 3 canaries are unhealthy", func(c *rollouttest.Cluster) bool {
		return c.Deployment().Groups[0].Unhealthy == 3
	})
	s.Say("Beside the 10 running allocations, the 3 canaries started and failed; the",
		"update stops there. (Nomad reschedules the failed canaries after a delay, 30s",
		"here: the tutorial's \"Future Rescheduling Attempts\"; the version below comes first.)")
	s.Status("v4 canaries failed")
	s.Wait(15 * time.Second)

	s.C.GC() // Nomad's garbage collection again: the tutorial lists no version 2 allocation from here on
	s.Say("my-first-update-v5.nomad: canary = 3, max_parallel = 2, a working image (v2).",
		"The plan stops the 3 broken canaries of version 4 and places 3 new ones",
		"(the tutorial prints \"3 destroy, 10 in-place update\").")
	v5 := demoJob(10, demoV2, &rollout.UpdateBlock{
		MaxParallel: intp(2), HealthCheck: checkp(rollout.HealthTaskStates),
		MinHealthyTime: durp(5 * time.Second), HealthyDeadline: durp(time.Minute), ProgressDeadline: durp(2 * time.Minute),
		Canary: intp(3),
	})
	s.Plan("my-first-update-v5.nomad", v5)
	s.Run("my-first-update-v5.nomad", v5)
	s.Until("2 canaries are healthy", func(c *rollouttest.Cluster) bool {
		return c.Deployment().Groups[0].Healthy == 2
	})
	s.Say("The canaries run beside the 10 old allocations; 2 of 3 are healthy so far.")
	s.Status("v5 canaries")
	s.Settle()
	s.Say("All 3 canaries are healthy: promote them, and the rest rolls 2 at a time.")
	s.Command("nomad job promote update-demo-webapp", rollout.Promote())
	s.Settle()
	s.Status("v5 deployed")
	s.Deployments()
}
