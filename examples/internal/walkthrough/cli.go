package walkthrough

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Command runs the walkthrough called name ("" for all of them, with a
// -walkthrough flag) as a program: it reads os.Args, writes to stdout and
// exits with status 1 on an error. Every example's main is this one call.
func Command(name string) {
	if err := Main(name, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Golden compares the transcript of the walkthrough called name (""
// for all) with testdata/<file>.golden, or rewrites it when update is set;
// then read the diff.
func Golden(t *testing.T, name, file string, update bool) {
	t.Helper()
	var out bytes.Buffer
	if err := Main(name, nil, &out); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", file+".golden")
	if update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, out.String())
	}
}
