// Demo-webapp replays seed 002: update-demo-webapp (count 10) without an
// update block, with update {}, with max_parallel 3, with a failing canary
// of 3, and with a healthy canary of 3 that is promoted.
//
// Usage:
//
//	go run ./examples/demo-webapp [-svg FILE]
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rollout-go/rollout/examples/internal/walkthrough"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	return walkthrough.Main("demo-webapp", args, stdout)
}
