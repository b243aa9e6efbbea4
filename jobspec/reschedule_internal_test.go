package jobspec

import (
	"math"
	"testing"
	"time"
)

// TestAttemptsFit: how many limited attempts fit in an interval, and the
// interval they need, for each delay function as Nomad measures it.
func TestAttemptsFit(t *testing.T) {
	const s, m = time.Second, time.Minute
	for _, tc := range []struct {
		name                      string
		fn                        string
		attempts                  int
		interval, delay, maxDelay time.Duration
		fit                       int
		need                      time.Duration
	}{
		{"constant, exactly", "constant", 3, 30 * s, 10 * s, 0, 3, 30 * s},
		{"constant, short", "constant", 3, 25 * s, 10 * s, 0, 2, 30 * s},
		{"constant, a billion attempts", "constant", 1e9, time.Hour, 5 * s, 0, 720, 5e9 * s},
		// 30s, 60s: the second is not under a 1m interval.
		{"exponential, under max_delay", "exponential", 2, m, 30 * s, time.Hour, 1, m},
		// 30s, 60s, then 60s+1m, 60s+2m.
		{"exponential, capped, all fit", "exponential", 4, 181 * s, 30 * s, m, 4, 3 * m},
		{"exponential, capped, three fit", "exponential", 4, 150 * s, 30 * s, m, 3, 3 * m},
		// 5s to 2560s doubling fit; the rest add an hour each.
		{"exponential, a billion attempts", "exponential", 1e9, time.Hour, 5 * s, time.Hour, 10, time.Duration(1<<63 - 1)},
		// 10s 10s 20s 30s 50s, then 80s capped to 60s, then 120s.
		{"fibonacci, all fit", "fibonacci", 7, 2 * m, 10 * s, m, 7, 2 * m},
		{"fibonacci, the capped ones do not", "fibonacci", 7, 100 * s, 10 * s, m, 6, 2 * m},
		{"fibonacci, 50s does not", "fibonacci", 7, 40 * s, 10 * s, m, 4, 2 * m},
		// 10s 10s 20s (equal to max_delay: not capped yet), 30s capped to
		// 20s, then 40s.
		{"fibonacci, a sum equal to max_delay", "fibonacci", 5, 39 * s, 10 * s, 20 * s, 4, 40 * s},
		{"fibonacci, one attempt", "fibonacci", 1, 15 * s, 10 * s, m, 1, 10 * s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fit, need := attemptsFit(tc.attempts, tc.interval, tc.delay, tc.maxDelay, tc.fn)
			if fit != tc.fit || need != tc.need {
				t.Errorf("attemptsFit = %d, %v; want %d, %v", fit, need, tc.fit, tc.need)
			}
		})
	}
}

// FuzzAttemptsFit: for any policy Validate lets through to the check, the
// count is between 0 and the attempts, and all of them fit exactly when
// the interval reaches the interval they need (passes it, for exponential).
func FuzzAttemptsFit(f *testing.F) {
	f.Add(5, int64(time.Minute), int64(30*time.Second), int64(time.Hour), uint8(1))
	f.Add(7, int64(100*time.Second), int64(10*time.Second), int64(time.Minute), uint8(2))
	f.Add(1_000_000_000, int64(time.Hour), int64(5*time.Second), int64(1<<62), uint8(0))
	f.Add(1<<40, int64(math.MaxInt64), int64(10*time.Second), int64(math.MaxInt64), uint8(0))
	f.Add(1<<40, int64(math.MaxInt64), int64(10*time.Second), int64(math.MaxInt64), uint8(2))
	f.Fuzz(func(t *testing.T, attempts int, interval, delay, maxDelay int64, fn uint8) {
		name := rescheduleDelayFunctions[int(fn)%len(rescheduleDelayFunctions)]
		if attempts < 1 || time.Duration(interval) < minRescheduleInterval || time.Duration(delay) < minRescheduleDelay ||
			(name != "constant" && maxDelay < delay) {
			t.Skip("refused before the check")
		}
		fit, need := attemptsFit(attempts, time.Duration(interval), time.Duration(delay), time.Duration(maxDelay), name)
		if fit < 0 || fit > attempts || need < 0 {
			t.Fatalf("attemptsFit(%d, %v, %v, %v, %s) = %d, %v", attempts, time.Duration(interval), time.Duration(delay), time.Duration(maxDelay), name, fit, need)
		}
		// A need that saturated at the largest duration is never met.
		enough := time.Duration(interval) >= need && need < math.MaxInt64
		if name == "exponential" {
			enough = time.Duration(interval) > need
		}
		if (fit == attempts) != enough {
			t.Fatalf("attemptsFit(%d, %v, %v, %v, %s) = %d, %v: all fit = %v, interval enough = %v",
				attempts, time.Duration(interval), time.Duration(delay), time.Duration(maxDelay), name, fit, need, fit == attempts, enough)
		}
	})
}
