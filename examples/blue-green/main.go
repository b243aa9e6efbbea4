// Blue-green replays the update block's documentation (blue/green and inheritance):
// a blue/green deployment (count 3, canary 3) promoted in one step, and the
// update block inheritance example.
//
// Usage:
//
//	go run ./examples/blue-green [-svg FILE]
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("blue-green") }
