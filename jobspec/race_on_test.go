//go:build race

package jobspec_test

// raceEnabled: the race detector's shadow memory multiplies a process's
// resident memory several times over, so TestHostileCost skips under it;
// CI runs it without the detector.
const raceEnabled = true
