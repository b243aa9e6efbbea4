package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rollout-go/rollout/boltstore"

	"github.com/rollout-go/rollout/examples/internal/walkthrough"
)

var update = flag.Bool("update", false, "rewrite testdata/tour.golden with the current output")

func TestGolden(t *testing.T) { walkthrough.Golden(t, "", "tour", *update) }

// TestStateSaved: the tour saves every job's state in the bbolt file; read
// back, each job's latest deployment is the one the walkthrough ended with.
func TestStateSaved(t *testing.T) {
	path, err := runQuiet(t)
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	jobs, err := store.Jobs(context.Background())
	if err != nil || len(jobs) < 4 {
		t.Fatalf("jobs in the store: %v, %v; want one per walkthrough job", jobs, err)
	}
	for _, job := range jobs {
		st, err := store.Load(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		d := st.Deployment()
		if d == nil || !d.Status.Terminal() || len(st.History.Versions) == 0 || len(st.Allocs) == 0 || st.Revision == 0 {
			t.Errorf("job %s: saved %d versions, %d allocations, deployment %+v", job, len(st.History.Versions), len(st.Allocs), d)
		}
	}
}

// runQuiet runs the tour with its transcript discarded.
func runQuiet(t *testing.T) (string, error) {
	t.Helper()
	stdout := os.Stdout
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	path, err := run(nil)
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(path)) })
	return path, err
}
