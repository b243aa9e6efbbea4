//go:build race

package main

// raceEnabled: the race detector slows real processes' timings down too
// much for the story's deadlines; .ci/run runs the story without it.
const raceEnabled = true
