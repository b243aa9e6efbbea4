package fleetbench

import (
	"testing"

	"github.com/rollout-go/rollout/controller"
)

// BenchmarkFleet is the fleet on the memory store:
//
//	go test -run '^$' -bench Fleet -benchtime 1x ./internal/fleetbench
func BenchmarkFleet(b *testing.B) {
	Bench(b, func(*testing.B) Config { return Config{Store: controller.NewMemoryStore()} })
}
