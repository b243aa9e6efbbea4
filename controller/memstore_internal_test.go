package controller

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestMemoryStoreForgetsEndedSubscriptions: 200,000 names subscribed and
// their subscriptions ended leave no entry behind, and the heap returns to
// about where it was (each name's entry used to stay, 30 MB of them), even
// while another job keeps its subscriber, so the map is never empty.
func TestMemoryStoreForgetsEndedSubscriptions(t *testing.T) {
	const names = 200_000
	m := NewMemoryStore()
	keep, stop := context.WithCancel(context.Background())
	defer stop()
	if _, err := m.Changes(keep, "web"); err != nil {
		t.Fatal(err)
	}
	before := heap()
	cancels := make([]context.CancelFunc, names)
	for i := range names {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		if _, err := m.Changes(ctx, fmt.Sprintf("job-%06d-a-rather-long-name-as-a-client-might-send", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.entries(); n != names+1 {
		t.Fatalf("setup: %d entries while subscribed, want %d", n, names+1)
	}
	// End them a thousand at a time, so that few of the goroutines
	// context.AfterFunc starts run at once: the runtime keeps what it
	// allocated for the most goroutines alive, which is not the store's.
	for i, cancel := range cancels {
		cancel()
		if (i+1)%1000 != 0 {
			continue
		}
		want := names - i // the names not yet ended, and web
		// (30s is a hang guard, not a timed assertion.)
		for end := time.Now().Add(30 * time.Second); m.entries() > want; time.Sleep(time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%d entries left after %d subscriptions ended, want %d", m.entries(), i+1, want)
			}
		}
	}
	cancels = nil
	// Generous: the entries of 200,000 names held about 30 MB, and the
	// room of a map that held them about 13 MB.
	if after := heap(); after > before+4<<20 {
		t.Errorf("heap grew from %d to %d bytes after the subscriptions ended", before, after)
	}
	m.mu.Lock()
	n := len(m.subs["web"])
	m.mu.Unlock()
	if n != 1 {
		t.Errorf("the staying subscriber's entry holds %d channels, want 1", n)
	}
	stop()
	for end := time.Now().Add(30 * time.Second); m.entries() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d entries left after every subscription ended", m.entries())
		}
	}
}

func (m *MemoryStore) entries() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subs)
}

// heap returns the bytes of live heap objects after a collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
