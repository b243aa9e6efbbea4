// Controls shows the rollout controls Nomad lacks on one job: a rolling
// update with max_surge, pause_after checkpoints resumed by an operator and
// by a gate timeout, and a release freeze.
//
// Usage:
//
//	go run ./examples/controls [-svg FILE]
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("controls") }
