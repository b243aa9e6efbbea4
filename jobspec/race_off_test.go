//go:build !race

package jobspec_test

// raceEnabled: see race_on_test.go.
const raceEnabled = false
