//go:build race

package rollout_test

// raceEnabled: the race detector makes sync.Pool drop items at random, so
// tests of what a step allocates skip their byte counts.
const raceEnabled = true
