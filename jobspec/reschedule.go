package jobspec

import (
	"fmt"
	"slices"
	"time"
)

// rescheduleWritten is a group's reschedule policy as the file wrote it
// (the job's block, then the group's), kept for Validate: rollout's
// ReschedulePolicy models only part of it, and Nomad refuses some
// policies that rollout would run.
type rescheduleWritten struct {
	// vals holds each attribute given: "attempts" (int), "interval",
	// "delay", "max_delay" (time.Duration), "delay_function" (string),
	// "unlimited" (bool). Nil when no policy was given.
	vals map[string]any
	// pos is where each attribute was set; at is where the policy is.
	pos map[string]Pos
	at  Pos
}

// given records that a policy is given at p (the last of the blocks that
// make it).
func (r *rescheduleWritten) given(p Pos) {
	if r.vals == nil {
		r.vals, r.pos = map[string]any{}, map[string]Pos{}
	}
	r.at = p
}

// set records attribute key of the policy given, set at p.
func (r *rescheduleWritten) set(key string, value any, p Pos) {
	r.vals[key], r.pos[key] = value, p
}

// Nomad's minimums for a reschedule policy's delays and interval.
const (
	minRescheduleDelay    = 5 * time.Second
	minRescheduleInterval = 15 * time.Second
)

// rescheduleDelayFunctions are the delay functions Nomad accepts.
var rescheduleDelayFunctions = []string{"constant", "exponential", "fibonacci"}

// problems reports what Nomad refuses in the policy, read over Nomad's
// defaults for a job of type jobType (service or batch): add gets the attribute, its value
// and the problem. A policy that reschedules nothing is not checked, as
// in Nomad. Nomad's check that the attempts fit in the interval with the
// delays given is not made.
func (r *rescheduleWritten) problems(jobType string, add func(p Pos, key string, value any, problem string)) {
	if r.vals == nil {
		return
	}
	// Nomad's defaults: a service job reschedules without limit, a batch
	// job once a day.
	attempts, interval, delay, maxDelay, fn, unlimited := 0, time.Duration(0), 30*time.Second, time.Hour, "exponential", true
	if jobType == "batch" {
		attempts, interval, delay, maxDelay, fn, unlimited = 1, 24*time.Hour, 5*time.Second, 0, "constant", false
	}
	for key, v := range r.vals {
		switch key {
		case "attempts":
			attempts = v.(int)
		case "interval":
			interval = v.(time.Duration)
		case "delay":
			delay = v.(time.Duration)
		case "max_delay":
			maxDelay = v.(time.Duration)
		case "delay_function":
			fn = v.(string)
		case "unlimited":
			unlimited = v.(bool)
		}
	}
	if attempts <= 0 && !unlimited {
		return // never rescheduled
	}
	bad := func(key string, value any, problem string) {
		p, ok := r.pos[key]
		if !ok {
			p = r.at
		}
		add(p, key, value, problem)
	}
	if attempts > 0 && unlimited {
		bad("attempts", attempts, "limits nothing while unlimited is true (Nomad refuses the two together): set unlimited = false")
	}
	if !unlimited && interval < minRescheduleInterval {
		bad("interval", interval, fmt.Sprintf("must be at least %v when attempts are limited", minRescheduleInterval))
	}
	if delay < minRescheduleDelay {
		bad("delay", delay, fmt.Sprintf("must be at least %v", minRescheduleDelay))
	}
	if !slices.Contains(rescheduleDelayFunctions, fn) {
		bad("delay_function", fn, `must be "constant", "exponential" or "fibonacci"`)
	} else if fn != "constant" {
		switch {
		case maxDelay < minRescheduleDelay:
			bad("max_delay", maxDelay, fmt.Sprintf("must be at least %v with delay_function %q", minRescheduleDelay, fn))
		case maxDelay < delay:
			bad("max_delay", maxDelay, fmt.Sprintf("must not be less than delay (%v) with delay_function %q", delay, fn))
		}
	}
}
