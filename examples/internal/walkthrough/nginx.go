package walkthrough

import (
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

func intp(n int) *int                                   { return &n }
func durp(d time.Duration) *time.Duration               { return &d }
func boolp(b bool) *bool                                { return &b }
func checkp(h rollout.HealthCheck) *rollout.HealthCheck { return &h }

// Nginx replays the tutorial ("Lesson 06: Rolling Updates and Versioning"): an
// nginx service of count 2 moves from nginx:1.25.0 to nginx:1.26.0 one
// allocation at a time (max_parallel = 1), gated on its service check.
//
// The lesson does not print its job file; this one writes the update
// block the lesson describes (max_parallel 1, min_healthy_time,
// healthy_deadline, progress_deadline, auto_revert, canary 0) and a
// service check, so health_check = "checks" (the default) watches it. The
// lesson calls the two versions "Version 1" and "Version 2"; rollout,
// like Nomad, numbers them 0 and 1.
var Nginx = Walkthrough{
	Name:  "nginx",
	Title: "nginx-updater: a rolling update, one allocation at a time",
	Seed:  `the tutorial "Lesson 06: Rolling Updates and Versioning"`,
	Run:   nginx,
}

func nginxJob(image string) rollout.JobVersion {
	return rollout.JobVersion{
		ID: "nginx-updater",
		Groups: []rollout.Group{{
			Name:  "nginx",
			Count: 2,
			// The update block sits in the group, as in the lesson.
			Update: &rollout.UpdateBlock{
				MaxParallel:      intp(1),
				MinHealthyTime:   durp(10 * time.Second),
				HealthyDeadline:  durp(3 * time.Minute),
				ProgressDeadline: durp(10 * time.Minute),
				AutoRevert:       boolp(true),
				Canary:           intp(0),
			},
			// Spec stands for everything in the group that forces a
			// replacement: here the task's image.
			Spec:   image,
			Tasks:  []string{"nginx-server"},
			Checks: []string{"nginx-http-check"},
		}},
	}
}

func nginx(s *Session) {
	s.Setup("nginx-updater", rollouttest.Config{
		Start: time.Date(2024, 5, 14, 9, 0, 0, 0, time.UTC),
		// Both images pull in 4s; nginx answers its check 2s later.
		Default: rollouttest.Behavior{StartAfter: 4 * time.Second, HealthyAfter: 2 * time.Second},
	})
	s.Say("Step 2: the initial deployment, nginx:1.25.0, count = 2.")
	s.Run("06-rolling-updates.hcl", nginxJob("nginx:1.25.0"))
	s.Settle()
	s.Say("Step 3: both allocations run and their checks pass.")
	s.Status("v0 deployed")

	s.Say("Steps 4-5: the image becomes nginx:1.26.0; nomad job run starts a deployment.")
	s.Plan("06-rolling-updates.hcl", nginxJob("nginx:1.26.0"))
	s.Run("06-rolling-updates.hcl", nginxJob("nginx:1.26.0"))
	s.Until("the first new allocation is healthy", func(c *rollouttest.Cluster) bool {
		d := c.Deployment()
		return d.JobVersion == 1 && d.Groups[0].Healthy == 1
	})
	s.Say("Step 6: one allocation at a time (max_parallel = 1): the first new one",
		"passed its check for min_healthy_time, so the second old one is being replaced.")
	s.Status("v1 halfway")
	s.Deployments()
	s.DeploymentStatus()
	s.Settle()
	s.Say("Step 7: the deployment is successful.")
	s.Status("v1 deployed")
	s.DeploymentStatus()
	s.Say("Step 8: the job's versions.")
	s.History()
}
