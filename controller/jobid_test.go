package controller_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// TestValidateJobIDInRuntime: a Runner or a Manager's job with an ID the
// stores refuse is refused up front, not retried against the store.
func TestValidateJobIDInRuntime(t *testing.T) {
	long := strings.Repeat("r", rollout.MaxJobIDLength+1)
	d := rollouttest.NewRecordingDriver()
	if _, err := controller.NewRunner(controller.RunnerConfig{JobID: long, Driver: d}); !errors.Is(err, rollout.ErrInvalid) || len(err.Error()) > 200 {
		t.Errorf("NewRunner of a %d-byte job ID: %.200v; want a short error wrapping ErrInvalid", len(long), err)
	}
	m, err := controller.NewManager(controller.ManagerConfig{Store: controller.NewMemoryStore(), Driver: d})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", long} {
		if err := m.Start(id); !errors.Is(err, rollout.ErrInvalid) || len(err.Error()) > 200 {
			t.Errorf("Manager.Start of a %d-byte job ID: %.200v; want a short error wrapping ErrInvalid", len(id), err)
		}
	}
	if err := m.Start("a/b"); err != nil {
		t.Errorf("Manager.Start(%q): %v", "a/b", err)
	}
}
