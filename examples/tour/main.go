// Tour replays every walkthrough in simulated time, in about a second: the
// four tutorial walkthroughs (nginx, geo-api-server, demo-webapp,
// blue-green), rollout's own controls beyond Nomad (controls) and its
// canary analysis on metrics (analysis). It prints at each moment what a
// user of the tutorials looks at: job status, deployments, history and
// plans. Each job's desired state is saved after
// every step in the embedded default store, a bbolt file, as a scheduler
// built on rollout keeps it; the file's path is printed on stderr at the
// end.
//
// Usage:
//
//	go run ./examples/tour                          # all of them
//	go run ./examples/tour -walkthrough demo-webapp # one (nginx, geo-api-server, demo-webapp, blue-green, controls, analysis)
//	go run ./examples/tour -svg tour.svg            # and an SVG timeline
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/examples/internal/walkthrough"
)

func main() {
	path, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "the state of every job is saved in %s (bbolt)\n", path)
}

// run replays the walkthroughs with a new store file and returns its path.
func run(args []string) (string, error) {
	dir, err := os.MkdirTemp("", "rollout-tour-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "tour.db")
	store, err := boltstore.Open(path, nil)
	if err != nil {
		return "", err
	}
	defer store.Close()
	return path, walkthrough.MainWithStore("", args, os.Stdout, store)
}
