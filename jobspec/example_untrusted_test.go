package jobspec_test

import (
	"errors"
	"fmt"
	"testing/fstest"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout/jobspec"
)

// A job file from anyone: Load grants no file access and bounds the cost
// of loading. Each refusal is at its position and wraps a sentinel; the
// first limit refusal stops the evaluation.
func ExampleLoad_untrusted() {
	src := `job "web" {
  group "web" {
    meta { passwd = file("/etc/passwd") }
    count = length(setproduct(range(200), range(200), range(200)))
    task "server" { driver = "docker" }
  }
}`
	_, err := jobspec.Load("tenant.nomad", []byte(src), nil)
	var me *multierror.Error
	if errors.As(err, &me) {
		for _, e := range me.Errors {
			fmt.Println(e)
		}
	}
	fmt.Println(errors.Is(err, jobspec.ErrLimit), errors.Is(err, jobspec.ErrFileAccess))
	// Output:
	// tenant.nomad:3:21: file("/etc/passwd"): file access is not granted (Load grants none; LoadFile grants the job file's directory; Options.FS grants a file system)
	// tenant.nomad:4:20: setproduct: would make more than 10000 elements (Limits.Elements)
	// true true
}

// Options.FS grants the files a job file may read, here from memory; a
// value read from a file is never shown in an error.
func ExampleOptions_files() {
	files := fstest.MapFS{
		"nginx.conf": {Data: []byte("listen 8080;\n")},
		"secret":     {Data: []byte("hunter2")},
	}
	src := `job "web" {
  group "web" {
    count = file("secret")
    meta { conf = file("nginx.conf") }
    task "server" { driver = "docker" }
  }
}`
	_, err := jobspec.Load("tenant.nomad", []byte(src), &jobspec.Options{FS: files})
	var me *multierror.Error
	if errors.As(err, &me) {
		fmt.Println(me.Errors[0])
	}
	src = `job "web" {
  group "web" {
    meta { conf = file("nginx.conf") }
    task "server" { driver = "docker" }
  }
}`
	job, _ := jobspec.Load("tenant.nomad", []byte(src), &jobspec.Options{FS: files})
	fmt.Printf("%q\n", job.Groups[0].Fields[0].Value)
	// Output:
	// tenant.nomad:3:5: count must be a whole number, not a value read from a file
	// "listen 8080;\n"
}
