package nomaddiff

import (
	"math/rand"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestNomadSafety checks Step's plans against the safety bounds of Nomad's
// reconciler property test, on the service harness's random inputs.
func TestNomadSafety(t *testing.T) {
	bad := 0
	for seed := int64(1); seed <= int64(*nCases); seed++ {
		s := gen(rand.New(rand.NewSource(seed)))
		out, in, err := stepRollout(s)
		if err != nil {
			continue
		}
		for _, p := range out.Plan {
			g, ok := in.Job.Group(p.Group)
			if !ok {
				continue
			}
			strat, _ := rollout.Merge(in.Job.Update, g.Update)
			existing := 0
			existingCanaries := 0
			for _, a := range in.Allocs {
				if a.Group == g.Name && a.Desired == rollout.DesiredRun {
					existing++
					if a.Canary && in.Deployment != nil && a.DeploymentID == in.Deployment.ID && a.Client != rollout.ClientLost && a.Client != rollout.ClientFailed && a.Client != rollout.ClientComplete && in.Deployment.JobVersion == in.Job.Version {
						existingCanaries++
					}
				}
			}
			var why string
			switch {
			case p.Create > g.Count:
				why = "place > count"
			case p.Canary > strat.Canary:
				why = "canary > update.canary"
			case p.Destructive > g.Count:
				why = "destructive > count"
			case p.Create+p.Canary+p.Destructive > g.Count+strat.Canary:
				why = "place+canary+destructive > count+canary"
			case p.InPlace+p.Destructive+p.Migrate+p.Ignore > existing:
				why = "inplace+destructive+migrate+ignore > existing"
			case g.Count == 0 && p.Create+p.Canary+p.Destructive+p.Migrate > 0:
				why = "count 0 places"
			}
			if why != "" {
				bad++
				if bad <= 8 {
					t.Errorf("seed %d group %s: %s: plan %+v count %d canary %d existing %d canaries %d\n%s", seed, g.Name, why, p, g.Count, strat.Canary, existing, existingCanaries, s)
				}
			}
		}
	}
	t.Logf("%d violations", bad)
}
