package walkthrough

import (
	"fmt"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// BlueGreen replays the update block's documentation:
// the blue/green example (group "api-server", count 3, canary 3,
// max_parallel 3), promoted so that every old allocation stops and the
// deployment succeeds in the same step; then the "Upgrade Stanza
// Inheritance" example, merged as the documentation shows and rolled out.
var BlueGreen = Walkthrough{
	Name:  "blue-green",
	Title: "docs: blue/green deployment, and update block inheritance",
	Seed:  `Nomad's documentation "update Stanza - Job Specification"`,
	Run:   blueGreen,
}

func blueGreenJob(image string) rollout.JobVersion {
	return rollout.JobVersion{
		ID: "docs",
		Groups: []rollout.Group{{
			Name: "api-server", Count: 3,
			Update: &rollout.UpdateBlock{Canary: intp(3), MaxParallel: intp(3)},
			Spec:   image, Tasks: []string{"server"},
		}},
	}
}

// inheritanceJob is the tutorial's "Upgrade Stanza Inheritance" job, with
// groups of 3 allocations.
func inheritanceJob(image string) rollout.JobVersion {
	return rollout.JobVersion{
		ID: "example",
		Update: &rollout.UpdateBlock{
			MaxParallel: intp(2), HealthCheck: checkp(rollout.HealthTaskStates), HealthyDeadline: durp(10 * time.Minute),
		},
		Groups: []rollout.Group{
			{Name: "one", Count: 3, Update: &rollout.UpdateBlock{Canary: intp(1)}, Spec: image},
			{Name: "two", Count: 3, Update: &rollout.UpdateBlock{MinHealthyTime: durp(3 * time.Minute)}, Spec: image},
		},
	}
}

func blueGreen(s *Session) {
	s.Setup("docs", rollouttest.Config{
		Start:   time.Date(2017, 8, 1, 8, 51, 26, 0, time.UTC),
		Default: rollouttest.Behavior{StartAfter: 3 * time.Second},
	})
	s.Say("Blue/Green upgrades: canary equal to the group's count.")
	s.Run("docs.nomad", blueGreenJob("api-server:blue"))
	s.Settle()
	s.Say("A new version of the group is deployed alongside the existing set.")
	s.Plan("docs.nomad", blueGreenJob("api-server:green"))
	s.Run("docs.nomad", blueGreenJob("api-server:green"))
	s.Settle()
	s.Say("Green runs beside blue, healthy, awaiting promotion; blue is untouched.")
	s.Status("green canaries")
	s.Say("Promote: every allocation of the old version shuts down, and the deployment",
		"completes in the same step.")
	s.Command("nomad job promote docs", rollout.Promote())
	s.Status("green promoted")

	s.Say("Upgrade stanza inheritance: the job's update block is inherited by each",
		"group, whose own block takes precedence. The merged blocks (rollout.Merge),",
		"with the defaults of the fields no block writes; progress_deadline, written",
		"nowhere, is healthy_deadline + 5m:")
	job := inheritanceJob("example:1")
	if s.ok() {
		for _, g := range job.Groups {
			st, _ := job.Strategy(g.Name)
			fmt.Fprintf(s.w, "group %q {\n  update {\n", g.Name)
			fmt.Fprintf(s.w, "    canary            = %d\n    max_parallel      = %d\n    health_check      = %q\n", st.Canary, st.MaxParallel, st.HealthCheck)
			fmt.Fprintf(s.w, "    min_healthy_time  = %q\n    healthy_deadline  = %q\n    progress_deadline = %q\n", st.MinHealthyTime, st.HealthyDeadline, st.ProgressDeadline)
			fmt.Fprintf(s.w, "  }\n}\n")
		}
	}
	// The second job runs on its own cluster: a Session follows one job.
	s.Setup("example", rollouttest.Config{
		Start:   s.C.Now().Add(time.Minute),
		Default: rollouttest.Behavior{StartAfter: 3 * time.Second},
	})
	s.Say("Job \"example\" runs on a cluster of its own; its times count from its start.")
	s.Run("example.nomad", job)
	s.Settle()
	s.Say("A new image for both groups: group one places its canary, group two rolls",
		"2 at a time, each healthy after min_healthy_time = 3m.")
	s.Plan("example.nomad", inheritanceJob("example:2"))
	s.Run("example.nomad", inheritanceJob("example:2"))
	s.Settle()
	s.Status("example awaiting promotion")
	s.Command("nomad job promote example", rollout.Promote())
	s.Settle()
	s.Status("example deployed")
}
