package rollout_test

import (
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// MemoryStore keeps the Store contract.
func TestMemoryStoreConformance(t *testing.T) {
	rollouttest.TestStore(t, func(*testing.T) rollout.Store { return rollout.NewMemoryStore() })
}
