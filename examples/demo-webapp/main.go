// Demo-webapp replays the tutorial "アプリケーションのアップデート": update-demo-webapp (count 10) without an
// update block, with update {}, with max_parallel 3, with a failing canary
// of 3, and with a healthy canary of 3 that is promoted.
//
// Usage:
//
//	go run ./examples/demo-webapp [-svg FILE]
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("demo-webapp") }
