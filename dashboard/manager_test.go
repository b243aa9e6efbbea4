package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// TestManagerBackend: the adapter lists a Manager's job, reads its state
// from the Manager's Store, sends a command through the Manager, and
// signals the change it causes.
func TestManagerBackend(t *testing.T) {
	m, err := controller.NewManager(controller.ManagerConfig{Driver: rollouttest.NewRecordingDriver(), Store: controller.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()

	manual := rollout.HealthManual
	two := 2
	job := rollout.JobVersion{ID: "web", Update: &rollout.UpdateBlock{MaxParallel: &two, HealthCheck: &manual},
		Groups: []rollout.Group{{Name: "web", Count: 2, Spec: "v1"}}}
	var dep rollout.Deployment
	if _, err := m.Submit(ctx, job, controller.WaitForDeployment(&dep)); err != nil {
		t.Fatal(err)
	}
	b := ManagerBackend(m)
	jobs, err := b.Jobs(ctx)
	if err != nil || len(jobs) != 1 || jobs[0] != "web" {
		t.Fatalf("Jobs() = %v, %v", jobs, err)
	}
	changes, err := b.Subscribe(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Command(ctx, "web", rollout.Pause()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-time.After(10 * time.Second): // a hang guard, not a timed assertion
		t.Fatal("no change signalled after the pause")
	}
	st, err := b.State(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if d := st.Deployment(); d == nil || d.Status != rollout.StatusPaused {
		t.Errorf("deployment after pause: %+v", d)
	}
}
