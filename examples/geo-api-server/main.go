// Geo-api-server replays seed 001, Rolling Upgrades: geo-api-server (count 6)
// rolls two at a time, then a bad image fails its deployment and auto_revert
// submits version 1's specification as version 3.
//
// Usage:
//
//	go run ./examples/geo-api-server [-svg FILE]
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
	return walkthrough.Main("geo-api-server", args, stdout)
}
