package walkthrough

import (
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// GeoAPIServer replays the tutorial ("Rolling Upgrades"): geo-api-server, count
// 6, rolls from geo-api-server:0.1 to 0.2 two at a time; then a bad image
// (0.33) fails, and auto_revert brings back version 1's image as version 3.
//
// Where the tutorial's output disagrees with itself, the numbers here follow
// the semantics: its final `nomad status` names the group "cache" (a
// copy-and-paste slip: the job has only "api-server"); its `job history`
// diffs show only the image, though version 2 also added auto_revert
// (rollout.Diff shows both); and its submit dates are those of a real run.
var GeoAPIServer = Walkthrough{
	Name:  "geo-api-server",
	Title: "geo-api-server: rolling upgrade, then a failed deployment and auto-revert",
	Seed:  `the tutorial "Rolling Upgrades"`,
	Run:   geo,
}

func geoJob(image string, autoRevert bool) rollout.JobVersion {
	up := &rollout.UpdateBlock{
		MaxParallel:     intp(2),
		MinHealthyTime:  durp(30 * time.Second),
		HealthyDeadline: durp(10 * time.Minute),
		// The tutorial predates progress deadlines: back then the first
		// unhealthy allocation failed a deployment at once. Today that is
		// progress_deadline = 0, and it gives the tutorial's
		// description "Failed due to unhealthy allocations - rolling back to
		// job version 1". With a progress deadline, rollout would instead
		// replace the unhealthy allocations until the deadline passed.
		ProgressDeadline: durp(0),
	}
	if autoRevert {
		// "To enable this we simply add the auto_revert parameter."
		up.AutoRevert = boolp(true)
	}
	return rollout.JobVersion{
		ID: "geo-api-server",
		Groups: []rollout.Group{{
			Name: "api-server", Count: 6, Update: up,
			Spec:  image, // the task's image stands for the whole group spec
			Tasks: []string{"server"},
		}},
	}
}

func geo(s *Session) {
	start := time.Date(2017, 7, 26, 18, 4, 30, 0, time.UTC)
	s.Setup("geo-api-server", rollouttest.Config{
		Start:   start,
		Default: rollouttest.Behavior{StartAfter: 5 * time.Second},
		Behaviors: map[string]rollouttest.Behavior{
			// "the placed allocations failed to start": the image cannot
			// be pulled, and the task fails 8s after placement.
			"geo-api-server:0.33": {NeverStarts: true, FailsAfter: 8 * time.Second},
		},
	})
	s.Say("The job runs geo-api-server:0.1 (version 0). Its update block:",
		"max_parallel = 2, min_healthy_time = \"30s\", healthy_deadline = \"10m\".")
	s.Run("geo-api-server.nomad", geoJob("geo-api-server:0.1", false))
	s.Settle()

	s.WaitUntil(time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC))
	s.Say("Planning changes: the image becomes geo-api-server:0.2.",
		"Nomad will create and destroy 2 allocations first and ignore 4 for now (max_parallel).")
	s.Plan("geo-api-server.nomad", geoJob("geo-api-server:0.2", false))
	s.Run("geo-api-server.nomad", geoJob("geo-api-server:0.2", false))
	s.Until("4 are placed and 2 healthy", func(c *rollouttest.Cluster) bool {
		d := c.Deployment()
		if d.JobVersion != 1 || d.Groups[0].Placed != 4 || d.Groups[0].Healthy != 2 {
			return false
		}
		for _, a := range c.Allocations() {
			if a.Client == rollout.ClientPending {
				return false // wait until the newest two run
			}
		}
		return true
	})
	s.Say("Inspecting a deployment: 4 instances of version 1 are placed and 4 old ones",
		"stopped; only 2 are healthy, as the 2 newest have not been healthy for 30s yet.")
	s.Status("v1 mid-rollout")
	s.Settle()
	s.Say("After the deployment completes: 6 placed, 6 healthy, no downtime.")
	s.Status("v1 deployed")

	s.Say("Auto reverting on failed deployments: add auto_revert = true, and by mistake",
		"update the image to geo-api-server:0.33, which does not exist.")
	s.Run("geo-api-server.nomad", geoJob("geo-api-server:0.33", true))
	s.Settle()
	s.Say("The deployment failed and Nomad reverted to the last stable version: version 3",
		"has version 1's specification.")
	s.Deployments()
	s.History()
	s.Status("v3 deployed")
}
