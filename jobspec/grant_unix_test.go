//go:build unix

package jobspec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rollout-go/rollout/jobspec"
)

// grantDir lays out a job directory beside a file it must not reach:
//
//	outside.txt            (not granted)
//	job/data.txt           "granted data"
//	job/sub/               a directory
//	job/link-in  -> data.txt
//	job/link-out -> ../outside.txt
//	job/link-abs -> /etc/hostname
//	job/link-zero -> /dev/zero
//	job/fifo               a named pipe
func grantDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "job")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "outside.txt"), []byte("outside "+secret), 0o644))
	must(os.WriteFile(filepath.Join(dir, "data.txt"), []byte("granted data"), 0o644))
	must(os.Symlink("data.txt", filepath.Join(dir, "link-in")))
	must(os.Symlink("../outside.txt", filepath.Join(dir, "link-out")))
	must(os.Symlink("/etc/hostname", filepath.Join(dir, "link-abs")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "link-zero")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	return dir
}

// TestLoadFileGrantsItsDirectory: LoadFile's file functions read the job
// file's directory, following links inside it, and nothing else: no
// escape by "..", a link or an absolute path, no device or pipe.
func TestLoadFileGrantsItsDirectory(t *testing.T) {
	dir := grantDir(t)
	abs, _ := filepath.Abs(dir)
	for _, tc := range []struct {
		expr, want, refused string
	}{
		{expr: `file("data.txt")`, want: "granted data"},
		{expr: `file("./sub/../data.txt")`, want: "granted data"},
		{expr: `file("link-in")`, want: "granted data"},
		{expr: `filebase64("data.txt")`, want: "Z3JhbnRlZCBkYXRh"},
		{expr: `fileexists("data.txt")`, want: "true"},
		{expr: `fileexists("nothing.txt")`, want: "false"},
		{expr: `abspath("data.txt")`, want: filepath.Join(abs, "data.txt")},
		{expr: `file("../outside.txt")`, refused: `file("../outside.txt"): the path leaves the granted directory`},
		{expr: `file("link-out")`, refused: `file("link-out"): path escapes from parent`},
		{expr: `file("link-abs")`, refused: `file("link-abs"): path escapes from parent`},
		{expr: `file("link-zero")`, refused: `file("link-zero"): path escapes from parent`},
		{expr: `file("fifo")`, refused: `file("fifo"): not a regular file (a named pipe)`},
		{expr: `file("sub")`, refused: `file("sub"): not a regular file (a directory)`},
		{expr: `fileexists("sub")`, refused: `fileexists("sub"): not a regular file (a directory)`},
		{expr: `file("` + filepath.Join(abs, "data.txt") + `")`, refused: "an absolute path is refused"},
		{expr: `file("nothing.txt")`, refused: `file("nothing.txt"): no such file`},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			path := filepath.Join(dir, "job.nomad")
			if err := os.WriteFile(path, []byte(hostileJob("meta { k = "+tc.expr+" }")), 0o644); err != nil {
				t.Fatal(err)
			}
			j, err := jobspec.LoadFile(path, nil)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) || !errors.Is(err, jobspec.ErrFileAccess) {
					t.Fatalf("got %v, want a refusal saying %q wrapping ErrFileAccess", err, tc.refused)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error shows the file outside: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := j.Groups[0].Fields[0].Value; got != tc.want {
				t.Errorf("meta.k = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLoadFileNoFiles: NoFiles takes LoadFile's grant away.
func TestLoadFileNoFiles(t *testing.T) {
	dir := grantDir(t)
	path := filepath.Join(dir, "job.nomad")
	if err := os.WriteFile(path, []byte(hostileJob(`meta { k = file("data.txt") }`)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := jobspec.LoadFile(path, &jobspec.Options{FS: jobspec.NoFiles})
	if !errors.Is(err, jobspec.ErrFileAccess) || !strings.Contains(err.Error(), "file access is not granted") {
		t.Fatalf("got %v, want file access not granted", err)
	}
}

// TestLoadFileRefusesWhatIsNoFile: LoadFile reads a regular job file of
// at most Limits.SourceBytes, and never blocks on a pipe.
func TestLoadFileRefusesWhatIsNoFile(t *testing.T) {
	dir := grantDir(t)
	big := filepath.Join(dir, "big.nomad")
	if err := os.WriteFile(big, []byte(hostileJob("# "+strings.Repeat("x", 100))), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		opts *jobspec.Options
		want string
		is   error
	}{
		{filepath.Join(dir, "fifo"), nil, "not a regular file (a named pipe)", jobspec.ErrFileAccess},
		{filepath.Join(dir, "link-zero"), nil, "not a regular file (a device)", jobspec.ErrFileAccess},
		{big, &jobspec.Options{Limits: jobspec.Limits{SourceBytes: 64}}, "larger than 64 bytes (Limits.SourceBytes)", jobspec.ErrLimit},
	} {
		_, err := jobspec.LoadFile(tc.path, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.is) {
			t.Errorf("%s: got %v, want %q wrapping %v", tc.path, err, tc.want, tc.is)
		}
	}
}
