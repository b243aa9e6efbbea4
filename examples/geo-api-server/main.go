// Geo-api-server replays the tutorial "Rolling Upgrades": geo-api-server (count 6)
// rolls two at a time, then a bad image fails its deployment and auto_revert
// submits version 1's specification as version 3.
//
// Usage:
//
//	go run ./examples/geo-api-server [-svg FILE]
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("geo-api-server") }
