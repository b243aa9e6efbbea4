package fleetbench

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/rollout-go/rollout/controller"
)

// The size of the fleet the benchmarks run: -fleet.jobs and -fleet.allocs
// on the command line of go test.
var (
	flagJobs   = flag.Int("fleet.jobs", 1000, "fleetbench: jobs in the fleet")
	flagAllocs = flag.Int("fleet.allocs", 3, "fleetbench: allocations per job")
)

// Size returns the fleet size of the command line.
func Size() (jobs, allocs int) { return *flagJobs, *flagAllocs }

// Bench runs the fleet once per iteration on the Config that open returns
// (with Jobs and Allocs from the command line when zero), logs the figures
// and reports them as metrics: steps and allocations per second of each
// phase, the latencies in milliseconds, heap bytes and goroutines per job,
// and the Manager's start in milliseconds. Run it with -benchtime 1x.
func Bench(b *testing.B, open func(b *testing.B) Config) {
	for b.Loop() {
		b.StopTimer()
		cfg := open(b)
		if cfg.Jobs == 0 {
			cfg.Jobs, cfg.Allocs = Size()
		}
		b.StartTimer()
		res, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Log(res)
		if res.FirstRetried != nil {
			b.Logf("first retried call: %v", res.FirstRetried)
		}
		b.ReportMetric(res.First.StepsPerSecond(), "first-steps/s")
		b.ReportMetric(res.First.PlacedPerSecond(), "first-placed/s")
		b.ReportMetric(res.Update.StepsPerSecond(), "update-steps/s")
		b.ReportMetric(res.Update.PlacedPerSecond(), "replaced/s")
		b.ReportMetric(ms(res.Update.P50), "update-p50-ms")
		b.ReportMetric(ms(res.Update.P99), "update-p99-ms")
		b.ReportMetric(res.HeapPerJob, "heap-B/job")
		b.ReportMetric(res.GoroutinesPerJob, "goroutines/job")
		b.ReportMetric(ms(res.Start), "start-ms")
		if c, ok := res.Store.(interface{ Close() error }); ok && res.Store != controller.Store(nil) {
			c.Close()
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
