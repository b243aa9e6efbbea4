package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/internal/fleetbench"
)

// BenchmarkFleet rolls a fleet (-fleet.jobs, -fleet.allocs; 1,000 x 3 by
// default) through a first deployment and a rolling update on the memory
// store and on a bbolt file, in one run, so that the ratio of the two holds
// on any disk (see BENCHMARKS.md, section Fleet):
//
//	go test -run '^$' -bench Fleet -benchtime 1x
func BenchmarkFleet(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		fleetbench.Bench(b, func(*testing.B) fleetbench.Config {
			return fleetbench.Config{Store: controller.NewMemoryStore()}
		})
	})
	b.Run("store=bolt", func(b *testing.B) {
		fleetbench.Bench(b, func(b *testing.B) fleetbench.Config {
			path := filepath.Join(b.TempDir(), "fleet.db")
			s, err := boltstore.Open(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			return fleetbench.Config{Store: s, Reopen: func() (controller.Store, error) {
				if err := s.Close(); err != nil {
					return nil, err
				}
				return boltstore.Open(path, nil)
			}}
		})
	})
}

// BenchmarkManagerStart is the start of a Manager over a bbolt file of
// -fleet.jobs idle jobs (fleetbench.Seed), the file opened afresh (its
// state cache empty): the time from Open until every job has stepped.
func BenchmarkManagerStart(b *testing.B) {
	jobs, allocs := fleetbench.Size()
	path := filepath.Join(b.TempDir(), "fleet.db")
	s, err := boltstore.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	cluster, err := fleetbench.Seed(context.Background(), s, jobs, allocs)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	for b.Loop() {
		start := time.Now()
		s, err := boltstore.Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		opened := time.Since(start)
		d, err := fleetbench.StartManager(context.Background(), s, cluster, jobs, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		b.ReportMetric(float64(opened+d)/float64(time.Millisecond), "start-ms")
		b.ReportMetric(float64(opened)/float64(time.Millisecond), "open-ms")
	}
}
