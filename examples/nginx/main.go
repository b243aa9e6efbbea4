// Nginx replays the tutorial "Lesson 06: Rolling Updates and Versioning": nginx-updater (count 2) rolls from
// nginx:1.25.0 to nginx:1.26.0 one allocation at a time, in simulated time,
// printing the job status, deployments and versions along the way.
//
// Usage:
//
//	go run ./examples/nginx [-svg FILE]
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("nginx") }
