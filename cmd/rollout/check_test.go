package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/rollouttest"
)

// storeFile writes a store file with jobs "web" and "api" and returns its
// path.
func storeFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rollout.db")
	s, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, job := range []string{"web", "api"} {
		st := rollouttest.FullState()
		st.Deployments[0].Description = "description of " + job
		if _, err := s.Save(context.Background(), job, st); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestCheck: rollout check prints one line per problem and exits 1 when it
// finds any, 0 with a success line for a sound file.
func TestCheck(t *testing.T) {
	sound := storeFile(t)

	garbled := storeFile(t)
	data, err := os.ReadFile(garbled)
	if err != nil {
		t.Fatal(err)
	}
	// Every copy of api's description (freed pages may hold old ones)
	// stops being JSON.
	data = bytes.ReplaceAll(data, []byte("description of api"), bytes.Repeat([]byte(`"`), len("description of api")))
	if err := os.WriteFile(garbled, data, 0o600); err != nil {
		t.Fatal(err)
	}

	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")

	tests := []struct {
		name  string
		args  []string
		code  int
		lines []string // the output's lines, each as a prefix
	}{
		{"sound", []string{"check", sound}, 0, []string{sound + ": no problems found"}},
		{"a damaged job", []string{"check", garbled}, 1, []string{
			garbled + `: job "api": rollout: decode state: stored state is corrupt: not a stored state: invalid character`,
		}},
		{"an empty file", []string{"check", empty}, 1, []string{empty + ": file: boltstore: open " + empty + ": stored state is corrupt: the file is empty"}},
		{"a missing file", []string{"check", missing}, 1, []string{missing + ": boltstore: open " + missing + ": open " + missing + ": no such file or directory"}},
		{"several", []string{"check", sound, empty}, 1, []string{sound + ": no problems found", empty + ": file: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			ok := code == tt.code && len(got) == len(tt.lines)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.lines[i])
			}
			if !ok {
				t.Errorf("rollout %v: exit %d, want %d; output:\n%s%s\nwant lines starting:\n%s", tt.args, code, tt.code, stdout.String(), stderr.String(), strings.Join(tt.lines, "\n"))
			}
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("rollout check created the missing file")
	}
	// The store file is left as it was.
	after, err := os.ReadFile(garbled)
	if err != nil || !bytes.Equal(after, data) {
		t.Error("rollout check changed the file it checked")
	}
}

// TestCheckUsage: check's help and usage errors.
func TestCheckUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check", "-help"}, 0, "Usage: rollout check"},
		{[]string{"check"}, 2, "no store file given"},
		{[]string{"check", "-timeout", "0s", "x.db"}, 2, "-timeout 0s: want a positive duration"},
		{[]string{"-help"}, 0, "check       Check controller store files"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.want) {
			t.Errorf("rollout %v: exit %d, want %d and %q in:\n%s%s", tt.args, code, tt.code, tt.want, stdout.String(), stderr.String())
		}
	}
}
