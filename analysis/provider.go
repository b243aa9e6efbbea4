package analysis

import (
	"context"
	"time"

	"github.com/rollout-go/rollout"
)

// Request is one measurement to make: a check of a group, for the canary
// version against its baseline.
type Request struct {
	// Job and Group name what is judged.
	Job   string
	Group string
	// Version is the canary's job version; BaselineVersion the
	// baseline's, when HasBaseline.
	Version         uint64
	BaselineVersion uint64
	HasBaseline     bool
	// Check is the check as the job's analysis block writes it.
	Check rollout.AnalysisCheck
	// Time is the time of the measurement.
	Time time.Time
}

// Measurement is what a provider measured.
type Measurement struct {
	Verdict rollout.Verdict
	// Value is the canary's value, when there is one.
	Value float64
	// Reason says how the verdict was reached, in a line.
	Reason string
}

// Provider makes measurements. Measure must not panic; it reports every
// failure as an inconclusive Measurement, never as a pass.
type Provider interface {
	Measure(ctx context.Context, req Request) Measurement
}

// inconclusive is the Measurement of a failure.
func inconclusive(reason string) Measurement {
	return Measurement{Verdict: rollout.VerdictInconclusive, Reason: shorten(reason, 512)}
}

// shorten cuts s to at most n bytes, on a rune boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
