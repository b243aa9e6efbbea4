package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// TestCompact: a file grown by many saves and then shrunk (states made
// small again) compacts into a smaller file holding the same jobs, states
// and revisions, and the compacted file takes new saves with revisions
// above the old ones.
func TestCompact(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "rollout.db"), filepath.Join(dir, "compact.db")
	s, err := boltstore.Open(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	big := rollouttest.FullState()
	for range 9 {
		big.Allocs = append(big.Allocs, big.Allocs...) // 1,024 allocations
	}
	want := map[string]controller.State{}
	for i := range 20 {
		job := fmt.Sprintf("job-%d", i)
		rev, err := s.Save(ctx, job, big)
		if err != nil {
			t.Fatal(err)
		}
		small := rollouttest.FullState()
		small.Revision = rev
		if small.Revision, err = s.Save(ctx, job, small); err != nil {
			t.Fatal(err)
		}
		want[job] = small
	}
	s.Close()

	if err := boltstore.Compact(src, dst); err != nil {
		t.Fatal(err)
	}
	before, after := size(t, src), size(t, dst)
	if after >= before {
		t.Errorf("compacted file of %d bytes, the original %d; want it smaller", after, before)
	}
	c := open(t, dst)
	var top uint64
	for job, w := range want {
		got, err := c.Load(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s after Compact (-before +after):\n%s", job, diff)
		}
		top = max(top, got.Revision)
	}
	st := want["job-0"]
	if rev, err := c.Save(ctx, "job-0", st); err != nil || rev <= top {
		t.Errorf("Save on the compacted file = %d, %v; want a revision above %d", rev, err, top)
	}
}

// TestCompactRefuses: Compact leaves an existing destination alone, fails
// with ErrLocked on a file another Store holds, and refuses a file that is
// not a store.
func TestCompactRefuses(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "rollout.db")
	held := open(t, src)
	if err := boltstore.Compact(src, filepath.Join(dir, "out.db")); !errors.Is(err, boltstore.ErrLocked) {
		t.Errorf("Compact of a held file = %v, want ErrLocked", err)
	}
	held.Close()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := boltstore.Compact(src, existing); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Compact onto an existing file = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing destination was changed: %q", b)
	}
	if err := boltstore.Compact(existing, filepath.Join(dir, "out2.db")); !errors.Is(err, controller.ErrCorrupt) {
		t.Errorf("Compact of a file that is not a store = %v, want ErrCorrupt", err)
	}
	if err := boltstore.Compact(filepath.Join(dir, "missing.db"), filepath.Join(dir, "out3.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Compact of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
