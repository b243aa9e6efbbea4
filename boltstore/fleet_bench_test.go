package boltstore_test

import (
	"path/filepath"
	"testing"

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
