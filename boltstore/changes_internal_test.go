package boltstore

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestChangesForgetsJobs: a job's entry in the subscription map goes with
// its last subscriber, so that subscribing to many job names in turn keeps
// nothing per name; a job with a subscriber left keeps its entry.
func TestChangesForgetsJobs(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "rollout.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	subscribers := func(job string) (jobs, ofJob int, present bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		chans, ok := s.subs[job]
		return len(s.subs), len(chans), ok
	}
	subscribe := func(job string) context.CancelFunc {
		ctx, cancel := context.WithCancel(context.Background())
		if _, err := s.Changes(ctx, job); err != nil {
			t.Fatal(err)
		}
		return cancel
	}

	// Two subscribers of one job: the entry stays while one is left.
	first, second := subscribe("web"), subscribe("web")
	first()
	waitFor(t, func() bool { _, n, _ := subscribers("web"); return n == 1 })
	second()
	waitFor(t, func() bool { _, _, present := subscribers("web"); return !present })

	const names = 200_000
	for i := range names {
		subscribe("job-" + strconv.Itoa(i))()
	}
	// The cleanups run in goroutines of context.AfterFunc: wait for them.
	waitFor(t, func() bool { jobs, _, _ := subscribers(""); return jobs == 0 })
}

// waitFor waits until cond holds, failing after a minute (the cleanups it
// waits for take milliseconds: the bound only turns a leak into a failure
// instead of a hang).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition still false after a minute")
		}
	}
}
