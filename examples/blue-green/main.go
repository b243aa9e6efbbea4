// Blue-green replays seeds 003 and 004, the update block's documentation:
// a blue/green deployment (count 3, canary 3) promoted in one step, and the
// update block inheritance example.
//
// Usage:
//
//	go run ./examples/blue-green [-svg FILE]
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
	return walkthrough.Main("blue-green", args, stdout)
}
