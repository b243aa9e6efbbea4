package fleetbench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
)

// Seed fills store with jobs jobs of allocs allocations each, every one
// deployed at v2 and idle, without running them: each job's state is a
// copy of a real one (one job rolled out by a Manager on a memory store)
// under the job's ID, and the returned Cluster runs their allocations. It
// prepares StartManager's measure of a large fleet in seconds.
func Seed(ctx context.Context, store controller.Store, jobs, allocs int) (*Cluster, error) {
	seed, err := Run(ctx, Config{Store: controller.NewMemoryStore(), Jobs: 1, Allocs: allocs})
	if err != nil {
		return nil, err
	}
	template, err := seed.Store.Load(ctx, JobID(0))
	if err != nil {
		return nil, err
	}
	template.Revision = 0
	cluster := NewCluster()
	work := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range work {
				st := Rename(template, JobID(i))
				if _, err := store.Save(ctx, JobID(i), st); err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				cluster.place(st.Allocs)
			}
		})
	}
	for i := range jobs {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, fmt.Errorf("fleetbench: seed: %w", err)
	default:
	}
	return cluster, nil
}

// Rename returns a copy of st as the state of job id: every version,
// deployment and allocation renamed (allocation IDs made unique to it).
func Rename(st controller.State, id string) controller.State {
	c := st.Clone()
	for k := range c.History.Versions {
		c.History.Versions[k].ID = id
	}
	for k := range c.Deployments {
		c.Deployments[k].JobID = id
	}
	for k := range c.Allocs {
		c.Allocs[k].JobID = id
		c.Allocs[k].ID = id + "-" + c.Allocs[k].ID[len(id)+1:]
	}
	slices.SortFunc(c.Allocs, func(a, b rollout.Alloc) int { return strings.Compare(a.ID, b.ID) }) // in ID order, as a Runner keeps them
	return c
}

// place puts allocations that run (Desired run) on the fake nodes.
func (c *Cluster) place(allocs []rollout.Alloc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range allocs {
		a := allocs[i].Clone()
		if a.Desired != rollout.DesiredRun {
			continue
		}
		c.job(a.JobID).allocs[a.ID] = &a
	}
}

// StartManager runs a new Manager over the jobs of store (and cluster) and
// returns the time from its Run until every one of the jobs has stepped.
func StartManager(ctx context.Context, store controller.Store, cluster *Cluster, jobs int, timeout time.Duration) (time.Duration, error) {
	rec := &recorder{}
	rec.begin(jobs, noTarget)
	start := time.Now()
	_, stop, err := startManager(ctx, store, nil, cluster, rec)
	if err != nil {
		return 0, err
	}
	defer stop()
	if err := rec.wait(ctx, timeout); err != nil {
		return 0, fmt.Errorf("fleetbench: start of a Manager over %d jobs: %w", jobs, err)
	}
	return time.Since(start), nil
}
