package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

func open(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, &boltstore.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	rollouttest.TestStore(t, func(t *testing.T) controller.Store {
		return open(t, filepath.Join(t.TempDir(), "rollout.db"))
	})
}

// TestReopen: what was saved is there after the file is closed and opened
// again, with its revision, and revisions keep growing.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollout.db")
	ctx := context.Background()
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := s.Save(ctx, "web", rollouttest.FullState())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	st, err := s.Load(ctx, "web")
	if err != nil || st.Revision != rev || len(st.Allocs) != 2 {
		t.Fatalf("after reopening: revision %d, %d allocs, %v; want revision %d and 2 allocs", st.Revision, len(st.Allocs), err, rev)
	}
	if next, err := s.Save(ctx, "web", st); err != nil || next <= rev {
		t.Errorf("Save after reopening = %d, %v; want a revision above %d", next, err, rev)
	}
}

// TestBadFiles: a file of a newer schema, a corrupt value and a file that
// is not a bbolt database fail with typed errors.
func TestBadFiles(t *testing.T) {
	ctx := context.Background()
	t.Run("future schema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rollout.db")
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error {
			b, _ := tx.CreateBucketIfNotExists([]byte("rollout"))
			return b.Put([]byte("schema"), []byte("99"))
		})
		db.Close()
		if _, err := boltstore.Open(path, nil); !errors.Is(err, controller.ErrSchema) {
			t.Errorf("Open of a schema-99 file = %v, want ErrSchema", err)
		}
	})
	t.Run("corrupt value", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rollout.db")
		s, err := boltstore.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, _ := bolt.Open(path, 0o600, nil)
		db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("jobs")).Put([]byte("web"), []byte("\x00\x00\x00\x00\x00\x00\x00\x01{garbage"))
		})
		db.Close()
		s = open(t, path)
		if _, err := s.Load(ctx, "web"); !errors.Is(err, controller.ErrCorrupt) {
			t.Errorf("Load of a corrupt value = %v, want ErrCorrupt", err)
		}
	})
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rollout.db")
		if err := os.WriteFile(path, []byte("this is not a bbolt file, but it is long enough to look like a page header? no."), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := boltstore.Open(path, nil); err == nil {
			t.Error("Open of a text file succeeded")
		}
	})
}

// TestLockedFile: a second Open of a file in use fails with ErrLocked after
// its timeout.
func TestLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rollout.db")
	open(t, path)
	if _, err := boltstore.Open(path, &boltstore.Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, boltstore.ErrLocked) {
		t.Errorf("second Open = %v, want ErrLocked", err)
	}
}

// TestKilledWriter: a process killed with SIGKILL while it saves in a loop
// leaves a file that opens and holds a complete state at the last revision
// it confirmed, or one later.
func TestKilledWriter(t *testing.T) {
	if os.Getenv("BOLTSTORE_WRITER") != "" {
		writer(os.Getenv("BOLTSTORE_WRITER"))
		return
	}
	path := filepath.Join(t.TempDir(), "rollout.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$")
	cmd.Env = append(os.Environ(), "BOLTSTORE_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read confirmed revisions until a few are through, then kill.
	buf := make([]byte, 64)
	confirmed := uint64(0)
	for confirmed < 20 {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("writer output: %v", err)
		}
		for _, f := range splitFields(string(buf[:n])) {
			if v, err := strconv.ParseUint(f, 10, 64); err == nil && v > confirmed {
				confirmed = v
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	s := open(t, path)
	st, err := s.Load(context.Background(), "web")
	if err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	if st.Revision < confirmed || len(st.Allocs) != 2 || st.Pending == nil {
		t.Errorf("after SIGKILL: revision %d (confirmed %d), %d allocs; want a complete state", st.Revision, confirmed, len(st.Allocs))
	}
}

// writer saves the full state again and again, printing each revision once
// Save returned.
func writer(path string) {
	s, err := boltstore.Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	st := rollouttest.FullState()
	for {
		rev, err := s.Save(ctx, "web", st)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		st.Revision = rev
		fmt.Printf("%d\n", rev)
	}
}

func splitFields(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == '\n' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(r)
	}
	return out
}

// TestOpenUnreadable: a path Open cannot read as a file fails with the
// file system's error, not ErrCorrupt: nothing is damaged.
func TestOpenUnreadable(t *testing.T) {
	dir := t.TempDir()
	for _, ro := range []bool{false, true} {
		_, err := boltstore.Open(dir, &boltstore.Options{ReadOnly: ro})
		if err == nil || errors.Is(err, controller.ErrCorrupt) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Open of a directory (ReadOnly %v) = %v; want the file system's error, not ErrCorrupt", ro, err)
		}
	}
}
