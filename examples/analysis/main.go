// Analysis shows canary analysis, rollout's own: a canary judged on its
// error rate and latency before the gate opens, promoted when they pass,
// and a bad version failed on them and auto-reverted.
//
// Usage:
//
//	go run ./examples/analysis [-svg FILE]
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("analysis") }
