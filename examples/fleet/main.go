// Command fleet rolls a version out to a fleet of jobs with a
// controller.Manager on the embedded bbolt store, the way a PaaS back end
// would: desired state in one file, the machines' state in another (a
// stand-in for real nodes), a Runner per job under supervision. Kill it at
// any moment and run it again: it picks up every rollout where the store
// left it, applies the decisions it had saved but not confirmed, and
// finishes, with no allocation lost, doubled or orphaned.
//
//	go run ./examples/fleet -jobs 5 -version v1
//	go run ./examples/fleet -jobs 5 -version v2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/boltstore"

	"github.com/rollout-go/rollout/controller"
)

func main() {
	dir := flag.String("dir", ".", "directory of the store file (fleet.db) and the nodes file (nodes.json)")
	jobs := flag.Int("jobs", 5, "how many jobs")
	count := flag.Int("count", 3, "allocations per job")
	version := flag.String("version", "v1", "the spec to roll out")
	verbose := flag.Bool("v", false, "log every decision")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *dir, *jobs, *count, *version, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, jobs, count int, version string, verbose bool) error {
	store, err := boltstore.Open(filepath.Join(dir, "fleet.db"), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	n := &nodes{path: filepath.Join(dir, "nodes.json")}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	m, err := controller.NewManager(controller.ManagerConfig{
		Store: store, Driver: n, Health: n, CallTimeout: 5 * time.Second,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		OnStep: func(r controller.StepReport) {
			for _, p := range r.Output.Place {
				fmt.Printf("%s: placed %s (%s)\n", r.JobID, p.Name, p.Spec)
			}
		},
	})
	if err != nil {
		return err
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(mctx) }()
	defer func() { cancel(); <-done }()

	mp, mht, hd := 1, time.Second, 30*time.Second
	hc := rollout.HealthTaskStates
	failed := 0
	var ids []string // each job's deployment of this version
	for i := range jobs {
		id := fmt.Sprintf("job-%02d", i)
		job := rollout.JobVersion{ID: id, Groups: []rollout.Group{{
			Name: "web", Count: count, Spec: version, Tasks: []string{"app"},
			Update: &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthyDeadline: &hd, HealthCheck: &hc},
		}}}
		var dep rollout.Deployment
		_, err := m.Submit(ctx, job, controller.WaitForDeployment(&dep))
		switch {
		case errors.Is(err, rollout.ErrNoDeployment):
			// Nothing changed (a rerun after the rollout ended): the
			// latest deployment tells how it went.
		case err != nil:
			return fmt.Errorf("submit %s: %w", id, err)
		}
		ids = append(ids, dep.ID)
	}
	for i := range jobs {
		id := fmt.Sprintf("job-%02d", i)
		d, err := m.WaitDeployment(ctx, id, ids[i])
		if err != nil {
			return fmt.Errorf("wait for %s: %w", id, err)
		}
		fmt.Printf("%s: deployment %s of version %d: %s\n", id, d.ID[:8], d.JobVersion, d.Description)
		if d.Status != rollout.StatusSuccessful {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d deployments did not succeed", failed)
	}
	return nil
}
