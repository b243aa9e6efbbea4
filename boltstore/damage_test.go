package boltstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// damagedJobs is how many jobs goodFile saves: enough for a file of several
// hundred KiB, so that truncating it to 100 KiB cuts into its pages.
const damagedJobs = 80

// jobID names the i'th job of goodFile.
func jobID(i int) string { return fmt.Sprintf("job-%03d", i) }

// marker is a string found only in job i's stored state.
func marker(i int) string { return fmt.Sprintf("marker-of-%s", jobID(i)) }

// goodFile writes a sound store file with damagedJobs jobs, each a
// FullState with its own marker.
func goodFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rollout.db")
	s, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range damagedJobs {
		st := rollouttest.FullState()
		st.Deployments[0].Description = marker(i)
		if _, err := s.Save(context.Background(), jobID(i), st); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// withBolt changes the file through bbolt directly, as a foreign writer.
func withBolt(t testing.TB, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// putValue stores value as job i's, behind a revision.
func putValue(i int, value string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("jobs")).Put([]byte(jobID(i)), append([]byte("\x00\x00\x00\x00\x00\x00\x00\x07"), value...))
	}
}

func truncateTo(t testing.TB, path string, size func(int64) int64) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size(info.Size())); err != nil {
		t.Fatal(err)
	}
}

// editBytes rewrites the file's bytes.
func editBytes(t testing.TB, path string, edit func([]byte)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(data)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// garbleMarker overwrites every copy of job i's marker in the file (freed
// pages may hold older copies) with bytes that are not JSON.
func garbleMarker(i int) func([]byte) {
	return func(data []byte) {
		m := []byte(marker(i))
		for off := bytes.Index(data, m); off >= 0; off = bytes.Index(data, m) {
			copy(data[off:], bytes.Repeat([]byte{'"'}, len(m)))
		}
	}
}

// smashLeafOf overwrites the header of every leaf page that holds job
// i's key (freed pages may hold older copies): its flags and count
// become garbage.
func smashLeafOf(i int) func([]byte) {
	return func(data []byte) {
		key := []byte(jobID(i))
		for page := 2 * pageSize; page+pageSize <= len(data); page += pageSize {
			if data[page+8] != 0x02 { // not a leaf
				continue
			}
			span := (1 + int(binary.NativeEndian.Uint32(data[page+12:]))) * pageSize
			if page+span <= len(data) && bytes.Contains(data[page:page+span], key) {
				copy(data[page+8:page+16], bytes.Repeat([]byte{0xA5}, 8))
			}
		}
	}
}

// loopBranches points the first element of every branch page at the page
// itself.
func loopBranches(data []byte) {
	for page := 2 * pageSize; page+pageSize <= len(data); page += pageSize {
		if data[page+8] == 0x01 {
			copy(data[page+16+8:page+16+16], data[page:page+8])
		}
	}
}

// freeRoot lists the root page of the newer meta in the freelist, in place
// of the first free page.
func freeRoot(data []byte) {
	ne := binary.NativeEndian
	meta := 0
	if ne.Uint64(data[pageSize+16+48:]) > ne.Uint64(data[16+48:]) {
		meta = pageSize
	}
	root, freelist := data[meta+16+16:meta+16+24], int(ne.Uint64(data[meta+16+32:]))*pageSize
	copy(data[freelist+16:], root)
	// The meta pages keep their checksums: the freelist has none.
}

// pageSize is what goodFile's bbolt writes on this machine.
var pageSize = os.Getpagesize()

// pagesInUse reads the high-water mark of the file's meta pages.
func pagesInUse(data []byte) int {
	hwm := func(off int) int { return int(binary.NativeEndian.Uint64(data[off+16+40:])) }
	return max(hwm(0), hwm(pageSize))
}

func fileHash(t testing.TB, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// damageCase is one way a store file is damaged, and how it must fail.
type damageCase struct {
	name   string
	damage func(t testing.TB, path string)
	// openErr, if set, is the error Open must fail with, with fragment
	// in its message.
	openErr error
	// loadErr, if set, is the error the Load of job badJob must fail
	// with (Open succeeds, and every other job loads).
	loadErr  error
	badJob   int
	fragment string
	// child runs the case in a child process: without the store's
	// defences the process could die of a fault on the mapped file.
	child bool
}

var damageCases = []damageCase{
	{name: "empty", damage: func(t testing.TB, p string) { truncateTo(t, p, func(int64) int64 { return 0 }) },
		openErr: controller.ErrCorrupt, fragment: "the file is empty"},
	{name: "truncated_to_a_third", damage: func(t testing.TB, p string) { truncateTo(t, p, func(n int64) int64 { return n / 3 }) },
		openErr: controller.ErrCorrupt, fragment: "truncated", child: true},
	{name: "truncated_to_100KiB", damage: func(t testing.TB, p string) { truncateTo(t, p, func(int64) int64 { return 100 << 10 }) },
		openErr: controller.ErrCorrupt, fragment: "truncated", child: true},
	{name: "truncated_inside_meta_page_1", damage: func(t testing.TB, p string) { truncateTo(t, p, func(int64) int64 { return 4096 + 40 }) },
		openErr: controller.ErrCorrupt, fragment: "meta page 1: truncated", child: true},
	{name: "last_page_in_use_missing", damage: func(t testing.TB, p string) {
		data, _ := os.ReadFile(p)
		truncateTo(t, p, func(int64) int64 { return int64(pagesInUse(data)-1) * int64(pageSize) })
	}, openErr: controller.ErrCorrupt, fragment: "truncated", child: true},
	{name: "meta_page_0_flipped", damage: func(t testing.TB, p string) { editBytes(t, p, func(d []byte) { d[16+48] ^= 0x01 }) },
		openErr: controller.ErrCorrupt, fragment: "meta page 0: checksum mismatch", child: true},
	{name: "meta_page_1_flipped", damage: func(t testing.TB, p string) { editBytes(t, p, func(d []byte) { d[pageSize+16+40] ^= 0x80 }) },
		openErr: controller.ErrCorrupt, fragment: "meta page 1: checksum mismatch", child: true},
	{name: "meta_page_0_zeroed", damage: func(t testing.TB, p string) { editBytes(t, p, func(d []byte) { clear(d[:pageSize]) }) },
		openErr: controller.ErrCorrupt, fragment: "meta page 0: not a meta page", child: true},
	{name: "not_a_bbolt_file", damage: func(t testing.TB, p string) {
		os.WriteFile(p, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	}, openErr: controller.ErrCorrupt, fragment: "meta page 0: not a meta page"},
	// Damage to the page tree refuses the file: a lookup through it could
	// miss a job, reading it as never saved.
	{name: "leaf_page_header_smashed", damage: func(t testing.TB, p string) { editBytes(t, p, smashLeafOf(17)) },
		openErr: controller.ErrCorrupt, fragment: "damaged page tree: the root bucket: leaf page", child: true},
	{name: "branch_page_points_to_itself", damage: func(t testing.TB, p string) { editBytes(t, p, loopBranches) },
		openErr: controller.ErrCorrupt, fragment: "is reached twice", child: true},
	{name: "freelist_frees_a_page_in_use", damage: func(t testing.TB, p string) { editBytes(t, p, freeRoot) },
		openErr: controller.ErrCorrupt, fragment: "is free but in use", child: true},
	{name: "job_value_bytes_garbled", damage: func(t testing.TB, p string) { editBytes(t, p, garbleMarker(17)) },
		loadErr: controller.ErrCorrupt, badJob: 17, fragment: "invalid character", child: true},
	{name: "jobs_bucket_deleted", damage: func(t testing.TB, p string) {
		withBolt(t, p, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("jobs")) })
	}, openErr: controller.ErrCorrupt, fragment: `no "jobs" bucket`},
	{name: "meta_bucket_deleted", damage: func(t testing.TB, p string) {
		withBolt(t, p, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("rollout")) })
	}, openErr: controller.ErrCorrupt, fragment: `no "rollout" bucket`},
	{name: "foreign_bbolt_file", damage: func(t testing.TB, p string) {
		os.Remove(p)
		withBolt(t, p, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
	}, openErr: controller.ErrCorrupt, fragment: "not a rollout store"},
	{name: "schema_key_deleted", damage: func(t testing.TB, p string) {
		withBolt(t, p, func(tx *bolt.Tx) error { return tx.Bucket([]byte("rollout")).Delete([]byte("schema")) })
	}, openErr: controller.ErrCorrupt, fragment: "no schema"},
	{name: "schema_0", damage: setSchema("0"), openErr: controller.ErrCorrupt, fragment: "file schema 0"},
	{name: "schema_-1", damage: setSchema("-1"), openErr: controller.ErrCorrupt, fragment: "file schema -1"},
	{name: "schema_not_a_number", damage: setSchema("one"), openErr: controller.ErrCorrupt, fragment: `schema "one"`},
	{name: "schema_above_ours", damage: setSchema("2"), openErr: controller.ErrSchema, fragment: "file schema 2, this version reads up to 1"},
	{name: "value_null_state", damage: put(5, `{"schema":2,"state":null}`), loadErr: controller.ErrCorrupt, badJob: 5, fragment: "no state"},
	{name: "value_empty_state", damage: put(5, `{"schema":2,"state":{}}`), loadErr: controller.ErrCorrupt, badJob: 5, fragment: "no History"},
	{name: "value_unknown_field", damage: put(5, `{"schema":2,"state":{"History":{},"Deployments":[],"Deployment480":[]}}`),
		loadErr: controller.ErrCorrupt, badJob: 5, fragment: `unknown field "Deployment480"`},
	{name: "value_newer_state_schema", damage: put(5, fmt.Sprintf(`{"schema":%d,"state":{}}`, controller.StateSchema+1)),
		loadErr: controller.ErrSchema, badJob: 5, fragment: fmt.Sprintf("schema %d", controller.StateSchema+1)},
	{name: "value_garbled", damage: put(5, `{"schema":2,"sta`), loadErr: controller.ErrCorrupt, badJob: 5, fragment: "not a stored state"},
	{name: "value_too_short", damage: func(t testing.TB, p string) {
		withBolt(t, p, func(tx *bolt.Tx) error { return tx.Bucket([]byte("jobs")).Put([]byte(jobID(5)), []byte{1, 2}) })
	}, loadErr: controller.ErrCorrupt, badJob: 5, fragment: "a value of 2 bytes"},
	{name: "job_key_holds_a_bucket", damage: func(t testing.TB, p string) {
		withBolt(t, p, func(tx *bolt.Tx) error {
			jobs := tx.Bucket([]byte("jobs"))
			if err := jobs.Delete([]byte(jobID(5))); err != nil {
				return err
			}
			_, err := jobs.CreateBucket([]byte(jobID(5)))
			return err
		})
	}, loadErr: controller.ErrCorrupt, badJob: 5, fragment: "holds a bucket"},
}

func setSchema(v string) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		withBolt(t, p, func(tx *bolt.Tx) error { return tx.Bucket([]byte("rollout")).Put([]byte("schema"), []byte(v)) })
	}
}

func put(i int, value string) func(testing.TB, string) {
	return func(t testing.TB, p string) { withBolt(t, p, putValue(i, value)) }
}

// TestDamagedFiles: each damaged file fails with the exact error, in Open
// or in the damaged job's Load alone (the other jobs load, Jobs lists
// them, Check names the damaged job), never crashes the process, and is
// left byte for byte as it was.
func TestDamagedFiles(t *testing.T) {
	inChild := os.Getenv("BOLTSTORE_DAMAGE_CHILD") != ""
	for _, tc := range damageCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.child && !inChild {
				runChild(t, tc.name)
				return
			}
			checkDamaged(t, tc)
		})
	}
}

// runChild runs one case in a child process and asserts it passed there:
// a process killed by a fault fails here instead of killing the tests.
func runChild(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDamagedFiles$/^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "BOLTSTORE_DAMAGE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDamagedFiles/"+name) {
		t.Fatalf("child process for %s: %v\n%s", name, err, out)
	}
}

func checkDamaged(t *testing.T, tc damageCase) {
	ctx := context.Background()
	path := goodFile(t)
	tc.damage(t, path)
	before := fileHash(t, path)
	defer func() {
		if fileHash(t, path) != before {
			t.Error("the damaged file was written to")
		}
	}()
	s, err := boltstore.Open(path, nil)
	if tc.openErr != nil {
		if err == nil {
			s.Close()
			t.Fatalf("Open succeeded; want %v", tc.openErr)
		}
		if !errors.Is(err, tc.openErr) || !strings.Contains(err.Error(), tc.fragment) {
			t.Fatalf("Open = %v; want %v with %q", err, tc.openErr, tc.fragment)
		}
		// CheckFile reports it as the file's one problem.
		problems, err := boltstore.CheckFile(ctx, path, nil)
		if err != nil || len(problems) != 1 || problems[0].JobID != "" || !errors.Is(problems[0].Err, tc.openErr) {
			t.Errorf("CheckFile = %v, %v; want the file's one problem", problems, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Open = %v; want it to open, with job %d damaged", err, tc.badJob)
	}
	defer s.Close()
	if _, err := s.Load(ctx, jobID(tc.badJob)); !errors.Is(err, tc.loadErr) || !strings.Contains(err.Error(), tc.fragment) {
		t.Errorf("Load of the damaged job = %v; want %v with %q", err, tc.loadErr, tc.fragment)
	}
	if ids, err := s.Jobs(ctx); err != nil || len(ids) != damagedJobs {
		t.Errorf("Jobs = %d jobs, %v; want %d", len(ids), err, damagedJobs)
	}
	loaded := 0
	for i := range damagedJobs {
		if i == tc.badJob {
			continue
		}
		if st, err := s.Load(ctx, jobID(i)); err == nil && st.Deployments[0].Description == marker(i) {
			loaded++
		}
	}
	if want := damagedJobs - 1; loaded != want {
		t.Errorf("%d of the %d sound jobs loaded", loaded, want)
	}
	problems, err := s.Check(ctx)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	named := false
	for _, p := range problems {
		if !errors.Is(p.Err, controller.ErrCorrupt) && !errors.Is(p.Err, controller.ErrSchema) {
			t.Errorf("Check problem %v wraps neither ErrCorrupt nor ErrSchema", p)
		}
		named = named || p.JobID == jobID(tc.badJob) || p.JobID == ""
	}
	if !named {
		t.Errorf("Check = %v; want the damaged job (or the file) named", problems)
	}
}

// TestCheckSoundFile: Check finds nothing in a sound file, and CheckFile
// does not create a file that does not exist.
func TestCheckSoundFile(t *testing.T) {
	ctx := context.Background()
	path := goodFile(t)
	s := open(t, path)
	if problems, err := s.Check(ctx); err != nil || len(problems) != 0 {
		t.Errorf("Check of a sound file = %v, %v; want no problems", problems, err)
	}
	s.Close()
	if problems, err := boltstore.CheckFile(ctx, path, nil); err != nil || len(problems) != 0 {
		t.Errorf("CheckFile of a sound file = %v, %v; want no problems", problems, err)
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	if _, err := boltstore.CheckFile(ctx, missing, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CheckFile of a missing file = %v; want os.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("CheckFile created the file")
	}
}

// TestReadOnly: a ReadOnly store loads and refuses to save.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	path := goodFile(t)
	s, err := boltstore.Open(path, &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Load(ctx, jobID(3))
	if err != nil || st.Deployments[0].Description != marker(3) {
		t.Fatalf("Load = %v", err)
	}
	if _, err := s.Save(ctx, jobID(3), st); err == nil {
		t.Error("Save on a ReadOnly store succeeded")
	}
}

// TestTruncatedWhileOpen: a file cut short under an open store (another
// process, a failing disk) makes reads of the lost pages fail with
// ErrCorrupt; the process, which bbolt alone would kill with a fault on the
// mapped file, lives on. It runs in a child process.
func TestTruncatedWhileOpen(t *testing.T) {
	if os.Getenv("BOLTSTORE_DAMAGE_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTruncatedWhileOpen$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "BOLTSTORE_DAMAGE_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTruncatedWhileOpen") {
			t.Fatalf("child process: %v\n%s", err, out)
		}
		return
	}
	ctx := context.Background()
	path := goodFile(t)
	s := open(t, path)
	truncateTo(t, path, func(n int64) int64 { return n / 3 })
	failed, lost := 0, 0
	for i := range damagedJobs {
		st, err := s.Load(ctx, jobID(i))
		switch {
		case err != nil && !errors.Is(err, controller.ErrCorrupt):
			t.Fatalf("Load of job %d = %v; want ErrCorrupt or its state", i, err)
		case err != nil:
			failed++
			lost = i
		case st.Deployments[0].Description != marker(i):
			t.Fatalf("Load of job %d read another state", i)
		}
	}
	if failed == 0 {
		t.Error("every job loaded from a file cut to a third")
	}
	if _, err := s.Jobs(ctx); err != nil && !errors.Is(err, controller.ErrCorrupt) {
		t.Errorf("Jobs = %v; want ErrCorrupt or the list", err)
	}
	problems, err := s.Check(ctx)
	if err != nil || len(problems) == 0 || !errors.Is(problems[0].Err, controller.ErrCorrupt) {
		t.Errorf("Check = %v, %v; want the damage reported", problems, err)
	}
	// A save of a job on a lost page fails with ErrCorrupt, and so does
	// every save after it: bbolt's state after a write that faulted is
	// unknown.
	if _, err := s.Save(ctx, jobID(lost), controller.State{Revision: 1}); !errors.Is(err, controller.ErrCorrupt) {
		t.Fatalf("Save of a job on a lost page = %v; want ErrCorrupt", err)
	}
	var damage *boltstore.DamageError
	if _, err := s.Save(ctx, "new", rollouttest.FullState()); !errors.As(err, &damage) {
		t.Errorf("Save after a write that faulted = %v; want the *DamageError", err)
	}
}
