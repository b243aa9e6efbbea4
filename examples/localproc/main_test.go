package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStory runs the example end to end with real processes: a rolling
// update, a promoted canary, a broken version reverted; then no process it
// started is left running.
func TestStory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds and runs real processes on real time (run without -short and -race)")
	}
	var out lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, "127.0.0.1:0", t.TempDir(), true, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"v1: Deployment completed successfully",
		"v2: the canary is healthy; promoting",
		"v2: Deployment completed successfully",
		"v3: Failed due to unhealthy allocations - rolling back to job version 1",
		"v3 (the revert): Deployment completed successfully",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	checkNoProcessLeft(t)
}

// TestInterrupted: interrupted in the middle of the story, the example
// returns and leaves no process behind.
func TestInterrupted(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds and runs real processes on real time (run without -short and -race)")
	}
	var out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", t.TempDir(), false, &out) }()
	for end := time.Now().Add(2 * time.Minute); !strings.Contains(out.String(), "press Promote"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the canary never waited for promotion:\n%s", out.String())
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("run did not return after the interrupt")
	}
	checkNoProcessLeft(t)
}

func checkNoProcessLeft(t *testing.T) {
	t.Helper()
	if len(last.pids) == 0 {
		t.Fatal("no process was started")
	}
	for _, pid := range last.pids {
		if alive(pid) {
			t.Errorf("process %d is still running", pid)
		}
	}
}
