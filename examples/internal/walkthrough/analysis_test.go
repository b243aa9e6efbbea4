package walkthrough

import (
	"reflect"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestAnalysis: the canary waits for its analysis, passing measurements
// promote it, and a failing one fails the next version's deployment, which
// auto_revert reverts.
func TestAnalysis(t *testing.T) {
	s := play(t, Analysis)
	checkSnapshots(t, s, []want{
		{"v0 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 3, Placed: 3, Healthy: 3}, summary{Running: 3},
			"a first deployment has no canaries to judge"},
		{"v1 canary under analysis", rollout.StatusRunning, rollout.DescRunningAutoPromotion, deployed{Desired: 3, Canaries: 1, Placed: 1, Healthy: 1}, summary{Running: 4},
			"a healthy canary is not promoted while its analysis runs, even with auto_promote"},
		{"v1 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Promoted: true, Desired: 3, Canaries: 1, Placed: 3, Healthy: 3}, summary{Running: 3, Complete: 3},
			"two passing measurements of each check opened the gate"},
		{"v3 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 3, Placed: 3, Healthy: 3}, summary{Running: 3, Complete: 4},
			"the failed analysis of v2 reverted to v1's specification"},
	})
	want := []string{
		"v3 successful Deployment completed successfully",
		"v2 failed " + rollout.DescAnalysisFailed + " - rolling back to job version 1",
		"v1 successful Deployment completed successfully",
		"v0 successful Deployment completed successfully",
	}
	if got := deploymentList(s); !reflect.DeepEqual(got, want) {
		t.Errorf("deployments %q, want %q", got, want)
	}
	runs := map[uint64]rollout.AnalysisStatus{}
	measured := map[uint64]int{}
	for _, d := range s.C.Deployments() {
		for _, g := range d.Groups {
			for _, r := range g.Analysis {
				runs[d.JobVersion] = r.Status
				measured[d.JobVersion] += len(r.Measurements)
			}
		}
	}
	if wantRuns := map[uint64]rollout.AnalysisStatus{1: rollout.AnalysisPassed, 2: rollout.AnalysisFailed}; !reflect.DeepEqual(runs, wantRuns) {
		t.Errorf("analysis runs %v, want %v", runs, wantRuns)
	}
	if measured[1] != 4 || measured[2] != 1 {
		t.Errorf("measurements applied %v, want 4 for v1 (two checks, twice) and 1 for v2 (its first failure ends the run)", measured)
	}
}
