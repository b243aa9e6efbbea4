package boltstore_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/internal/fleetbench"
)

var flagVersions = flag.Int("fleet.versions", 100, "BenchmarkFileGrowth: versions saved per job")

// BenchmarkFileGrowth: the size of a store file after -fleet.versions
// versions of each job of a fleet (-fleet.jobs x -fleet.allocs), and after
// Compact. Each version is saved as a Runner leaves it once its
// deployment succeeded: the version submitted (the History keeps the
// newest six), one more successful deployment (a State keeps them all),
// every allocation replaced (the records of the 50 newest stopped ones
// kept, as RunnerConfig.KeepStopped's default does). The first state is a
// real one, from a rollout of the fleet's job by a Manager.
//
//	go test -run '^$' -bench FileGrowth -benchtime 1x -fleet.jobs 10000 -fleet.allocs 10
func BenchmarkFileGrowth(b *testing.B) {
	jobs, allocs := fleetbench.Size()
	ctx := context.Background()
	seed, err := fleetbench.Run(ctx, fleetbench.Config{Store: controller.NewMemoryStore(), Jobs: 1, Allocs: allocs})
	if err != nil {
		b.Fatal(err)
	}
	template, err := seed.Store.Load(ctx, fleetbench.JobID(0))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		dir := b.TempDir()
		path := filepath.Join(dir, "fleet.db")
		s, err := boltstore.Open(path, &boltstore.Options{NoCache: true})
		if err != nil {
			b.Fatal(err)
		}
		work := make(chan int)
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for i := range work {
					if err := growJob(ctx, s, template, i, allocs, *flagVersions); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range jobs {
			work <- i
		}
		close(work)
		wg.Wait()
		bytes := stateBytes(b, s, jobs)
		s.Close()
		b.StopTimer()
		compacted := filepath.Join(dir, "compacted.db")
		start := time.Now()
		if err := boltstore.Compact(path, compacted); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.StartTimer()
		before, after := fileSize(b, path), fileSize(b, compacted)
		b.Logf("%d jobs x %d allocations, %d versions each: %d saves; states %.1f MB (%.1f KB per job); file %.1f MB, compacted %.1f MB in %v",
			jobs, allocs, *flagVersions, jobs**flagVersions, mb(bytes), float64(bytes)/float64(jobs)/1024, mb(before), mb(after), took.Round(time.Millisecond))
		b.ReportMetric(mb(before), "file-MB")
		b.ReportMetric(mb(after), "compacted-MB")
		b.ReportMetric(mb(bytes), "states-MB")
		b.ReportMetric(float64(jobs**flagVersions)/b.Elapsed().Seconds(), "saves/s")
	}
}

// growJob saves versions versions of job i, one after another.
func growJob(ctx context.Context, s *boltstore.Store, template controller.State, i, allocs, versions int) error {
	id := fleetbench.JobID(i)
	st := template.Clone()
	st.Revision = 0
	for k := range st.Allocs {
		st.Allocs[k].JobID = id
	}
	for k := range st.Deployments {
		st.Deployments[k].JobID = id
	}
	for k := range st.History.Versions {
		st.History.Versions[k].ID = id
	}
	now := st.Deployment().ModifyTime
	for v := range versions {
		now = now.Add(time.Minute)
		job, _ := st.History.Submit(fleetbench.Job(i, allocs, fmt.Sprintf("v%d", v+3)), now)
		job.Stable = true
		st.History.Record(job)
		d := *st.Deployment()
		d.ID, d.JobVersion, d.CreateTime, d.ModifyTime = fmt.Sprintf("%08x-dep0-4000-8000-%012x", i, v), job.Version, now, now
		st.RecordDeployment(&d)
		var kept, stopped []rollout.Alloc
		for _, a := range st.Allocs {
			if a.Desired == rollout.DesiredRun {
				n := a.Clone()
				n.ID = fmt.Sprintf("%08x-%04x-4000-8000-%012x", i, v, a.Index)
				n.JobVersion, n.Spec, n.DeploymentID, n.CreateTime = job.Version, job.Groups[0].Spec, d.ID, now
				kept = append(kept, n)
				a.Desired, a.Client = rollout.DesiredStop, rollout.ClientComplete
			}
			stopped = append(stopped, a)
		}
		if len(stopped) > controller.DefaultKeepStopped {
			stopped = stopped[len(stopped)-controller.DefaultKeepStopped:]
		}
		st.Allocs = append(stopped, kept...)
		rev, err := s.Save(ctx, id, st)
		if err != nil {
			return err
		}
		st.Revision = rev
	}
	return nil
}

// stateBytes is the size of the jobs' encoded states.
func stateBytes(b *testing.B, s *boltstore.Store, jobs int) int64 {
	var n int64
	for i := range jobs {
		st, err := s.Load(context.Background(), fleetbench.JobID(i))
		if err != nil {
			b.Fatal(err)
		}
		body, err := controller.EncodeState(st)
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(body))
	}
	return n
}

func fileSize(b *testing.B, path string) int64 {
	n, err := statFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func statFile(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
