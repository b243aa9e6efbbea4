// Tour replays every tutorial walkthrough in simulated time, in well under a
// second, and prints at each moment what a user of the tutorials looks at: job
// status, deployments, history and plans.
//
// Usage:
//
//	go run ./examples/tour                          # all of them
//	go run ./examples/tour -walkthrough demo-webapp # one (nginx, geo-api-server, demo-webapp, blue-green)
//	go run ./examples/tour -svg tour.svg            # and an SVG timeline
package main

import "github.com/rollout-go/rollout/examples/internal/walkthrough"

func main() { walkthrough.Command("") }
