package view_test

import (
	"os"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/view"
)

// DeploymentStatus prints a deployment as `nomad deployment status` does.
func ExampleDeploymentStatus() {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := rollout.Deployment{
		ID:          "0b23b149-8f37-4c0e-9f8a-0c1d2e3f4a5b",
		JobID:       "web",
		JobVersion:  1,
		Status:      rollout.StatusRunning,
		Description: rollout.DescRunningNeedsPromotion,
		Groups: []rollout.DeploymentGroup{{
			Name: "web", DesiredTotal: 3, DesiredCanaries: 1,
			Placed: 1, Healthy: 1,
		}},
		CreateTime: at, ModifyTime: at,
	}
	view.DeploymentStatus(os.Stdout, &d)
	// Output:
	// ID          = 0b23b149
	// Job ID      = web
	// Job Version = 1
	// Status      = running
	// Description = Deployment is running but requires manual promotion
	//
	// Deployed
	// Task Group  Promoted  Desired  Canaries  Placed  Healthy  Unhealthy
	// web         false     3        1         1       1        0
}

// Deployments lists a job's deployments newest first, as `nomad job
// deployments` does.
func ExampleDeployments() {
	deps := []rollout.Deployment{
		{ID: "aaaaaaaa-1", JobID: "web", JobVersion: 0, Status: rollout.StatusSuccessful, Description: rollout.DescSuccessful},
		{ID: "bbbbbbbb-2", JobID: "web", JobVersion: 1, Status: rollout.StatusFailed, Description: rollout.DescFailedAllocations},
	}
	view.Deployments(os.Stdout, deps)
	// Output:
	// ID        Job ID  Job Version  Status      Description
	// bbbbbbbb  web     1            failed      Failed due to unhealthy allocations
	// aaaaaaaa  web     0            successful  Deployment completed successfully
}

// ExampleDiff compares two versions of a job, as the dashboard and its
// API show the diff between any two.
func ExampleDiff() {
	a := rollout.JobVersion{ID: "web", Version: 1, Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:1"}}}
	b := rollout.JobVersion{ID: "web", Version: 3, Groups: []rollout.Group{{Name: "api", Count: 3, Spec: "img:2"}}}
	view.Diff(os.Stdout, &a, &b)
	// Output:
	// From = v1
	// To   = v3
	// +/- Job: "web"
	// +/- Task Group: "api"
	//   +/- count: "2" => "3"
	//   +/- spec: "img:1" => "img:2"
}
