package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkSaveConcurrent is the group commit alone: writers goroutines,
// one job each, save their job's state over and over (each Save of a job
// waits for its previous one, as a Runner's do); it reports saves per
// second of all of them together.
func BenchmarkSaveConcurrent(b *testing.B) {
	for _, writers := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "rollout.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			st := rollouttest.FullState()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := max(1, b.N/writers)
			for w := range writers {
				wg.Go(func() {
					job, mine := fmt.Sprintf("job-%d", w), st.Clone()
					for range per {
						rev, err := s.Save(ctx, job, mine)
						if err != nil {
							b.Error(err)
							return
						}
						mine.Revision = rev
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(per*writers)/b.Elapsed().Seconds(), "saves/s")
			txs, saves := s.CommitCounts()
			b.ReportMetric(float64(saves)/float64(txs), "saves/tx")
			b.ReportMetric(float64(s.CommitNanos())/float64(txs)/1e6, "ms/tx")
			b.ReportMetric(float64(len(must(controller.EncodeState(st)))), "B/save")
		})
	}
}
