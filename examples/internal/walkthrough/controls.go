package walkthrough

import (
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// Controls shows the rollout controls Nomad lacks, on one job: a rolling
// update that surges (max_surge = 1: each new allocation starts beside the
// old one it replaces), pauses at checkpoints (pause_after = [1, "50%"]),
// is resumed by an operator at the first, resumes by itself when nobody
// answers at the second (gate_timeout = "20m", on_gate_timeout =
// "resume"), and a release freeze that holds the next version until it is
// lifted.
var Controls = Walkthrough{
	Name:  "controls",
	Title: "checkout: surge, checkpoints, a gate timeout and a freeze",
	Seed:  "the controls users of Nomad, Kubernetes and Argo Rollouts ask for (rollout's own)",
	Run:   controls,
}

func controlsJob(image string) rollout.JobVersion {
	return rollout.JobVersion{
		ID: "checkout",
		Update: &rollout.UpdateBlock{
			MaxParallel: intp(2), HealthCheck: checkp(rollout.HealthTaskStates), MinHealthyTime: durp(10 * time.Second),
			MaxSurge:      ptr(rollout.Count(1)),
			PauseAfter:    ptr(rollout.NewCheckpoints(rollout.Count(1), rollout.Percent(50))),
			GateTimeout:   durp(20 * time.Minute),
			OnGateTimeout: ptr(rollout.GateResume),
		},
		Groups: []rollout.Group{{Name: "api", Count: 6, Spec: image, Tasks: []string{"server"}}},
	}
}

func ptr[T any](v T) *T { return &v }

// pausedAt reports whether the deployment of the job's latest version is
// paused at its n-th checkpoint.
func pausedAt(n int) func(c *rollouttest.Cluster) bool {
	return func(c *rollouttest.Cluster) bool {
		d := c.Deployment()
		if d == nil || d.Status != rollout.StatusPaused {
			return false
		}
		g, ok := d.Group("api")
		return ok && g.CheckpointsReached == n
	}
}

func controls(s *Session) {
	s.Setup("checkout", rollouttest.Config{
		Start:   time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
		Default: rollouttest.Behavior{StartAfter: 3 * time.Second},
	})
	s.Say("Version 0: six allocations of checkout:1.0. The update block surges by one,",
		"pauses after 1 and after half (3 of 6) are healthy, and a checkpoint left",
		"unanswered for 20 minutes resumes by itself.")
	s.Run("checkout.nomad", controlsJob("checkout:1.0"))
	s.Until("the first checkpoint", pausedAt(1))
	s.Say("Even a first deployment places only up to its next checkpoint: one, then a pause.")
	s.Status("v0 at checkpoint 1")
	s.Command("nomad deployment resume", rollout.Resume())
	s.Say("Resumed, it places two more and pauses at 3 of 6. Nobody answers: 20 minutes",
		`later the gate times out and, as on_gate_timeout = "resume" says, it goes on.`)
	s.Settle()
	s.Status("v0 deployed")

	s.Say("Version 1: checkout:1.1. With max_surge = 1 and max_unavailable unset (0), each",
		"new allocation starts beside the old one of its name; the old one stops once",
		"the new one is healthy. Never more than 7 live, never fewer than 6 healthy.")
	s.Plan("checkout.nomad", controlsJob("checkout:1.1"))
	s.Run("checkout.nomad", controlsJob("checkout:1.1"))
	s.Until("the first checkpoint", pausedAt(1))
	s.Status("v1 at checkpoint 1")
	s.Say("The operator looks at the first new allocation and resumes.")
	s.Command("nomad deployment resume", rollout.Resume())
	s.Until("the second checkpoint", pausedAt(2))
	s.Status("v1 at checkpoint 2")
	s.Say("Nobody answers at the second checkpoint: 20 minutes later the rollout goes on.")
	s.Settle()
	s.Status("v1 deployed")

	s.Say("A release freeze: no deployment may start until it is lifted.")
	s.Command(`rollout freeze checkout -reason "release freeze"`, rollout.Freeze("release freeze", time.Time{}))
	s.Run("checkout.nomad", controlsJob("checkout:1.2"))
	s.Wait(time.Hour)
	s.Status("v2 held by the freeze")
	s.Command("rollout unfreeze checkout", rollout.Unfreeze())
	s.Say("Lifted: version 2 rolls out, each checkpoint resuming by itself after 20 minutes.")
	s.Settle()
	s.Status("v2 deployed")
}
