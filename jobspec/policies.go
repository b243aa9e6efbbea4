package jobspec

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rollout-go/rollout"
)

// written is a policy block as the file wrote it (reschedule, restart,
// migrate; for reschedule, the job's block then the group's), kept for
// Validate: rollout models only part of these, and Nomad refuses some
// policies that rollout would run.
type written struct {
	// vals holds each argument given, by name: an int, a time.Duration, a
	// string or a bool, as its valueKind says. Nil when no block was given.
	vals map[string]any
	// pos is where each argument was set; at is where the (last) block is.
	pos map[string]Pos
	at  Pos
}

// valueKind is how a policy block's argument is read.
type valueKind int

const (
	kindInt valueKind = iota
	kindDuration
	kindString
	kindBool
)

// The arguments of the policy blocks, by kind.
var (
	rescheduleKinds = map[string]valueKind{"attempts": kindInt, "interval": kindDuration, "delay": kindDuration,
		"delay_function": kindString, "max_delay": kindDuration, "unlimited": kindBool}
	restartKinds = map[string]valueKind{"attempts": kindInt, "interval": kindDuration, "delay": kindDuration,
		"mode": kindString, "render_templates": kindBool}
	migrateKinds = map[string]valueKind{"max_parallel": kindInt, "health_check": kindString,
		"min_healthy_time": kindDuration, "healthy_deadline": kindDuration}
	scalingKinds   = map[string]valueKind{"min": kindInt, "max": kindInt, "enabled": kindBool, "type": kindString}
	lifecycleKinds = map[string]valueKind{"hook": kindString, "sidecar": kindBool}
)

// given records that a block is given at p (the last of the blocks that
// make the policy).
func (r *written) given(p Pos) {
	if r.vals == nil {
		r.vals, r.pos = map[string]any{}, map[string]Pos{}
	}
	r.at = p
}

// set records argument key of the block given, set at p.
func (r *written) set(key string, value any, p Pos) {
	r.vals[key], r.pos[key] = value, p
}

// value returns argument key of the block, or def when it is not given.
func value[T any](r *written, key string, def T) T {
	if v, ok := r.vals[key].(T); ok {
		return v
	}
	return def
}

// reporter returns the function a check calls with a bad argument: it
// passes the argument's position on to add.
func (r *written) reporter(add func(p Pos, key string, value any, problem string)) func(key string, value any, problem string) {
	return func(key string, value any, problem string) { add(r.where(key), key, value, problem) }
}

// reschedulePolicy is the part of the reschedule policy rollout runs: the
// delays and their function, and the attempts. With unlimited = true
// (Nomad's service default) attempts do not limit; with unlimited = false
// and no attempts nothing is rescheduled; limited attempts count within
// the interval (see rollout.ReschedulePolicy.Interval).
func (r *written) reschedulePolicy() rollout.ReschedulePolicy {
	p := rollout.ReschedulePolicy{
		Delay: value(r, "delay", time.Duration(0)), MaxDelay: value(r, "max_delay", time.Duration(0)),
		DelayFunction: rollout.DelayFunction(value(r, "delay_function", "")),
	}
	if !value(r, "unlimited", true) {
		p.Attempts = value(r, "attempts", 0)
		p.Disabled = p.Attempts <= 0
		if !p.Disabled {
			p.Interval = value(r, "interval", time.Duration(0))
		}
	}
	return p
}

// where returns where argument key was set, else where the block is.
func (r *written) where(key string) Pos {
	if p, ok := r.pos[key]; ok {
		return p
	}
	return r.at
}

// over returns the values of w over base (w's win), for a policy merged
// from blocks at two levels.
func (r *written) over(base *written) *written {
	if base == nil || base.vals == nil {
		return r
	}
	if r.vals == nil {
		return base
	}
	m := &written{vals: map[string]any{}, pos: map[string]Pos{}, at: r.at}
	for _, w := range []*written{base, r} {
		for k, v := range w.vals {
			m.vals[k], m.pos[k] = v, w.pos[k]
		}
	}
	return m
}

// Nomad's minimums for a reschedule policy's delays and interval.
const (
	minRescheduleDelay    = 5 * time.Second
	minRescheduleInterval = 15 * time.Second
)

// rescheduleDelayFunctions are the delay functions Nomad accepts.
var rescheduleDelayFunctions = []string{"constant", "exponential", "fibonacci"}

// rescheduleProblems reports what Nomad refuses in a reschedule policy,
// read over Nomad's defaults for a job of type jobType (service or batch):
// add gets the argument, its value and the problem. A policy that
// reschedules nothing is not checked, as in Nomad.
func (r *written) rescheduleProblems(jobType string, add func(p Pos, key string, value any, problem string)) {
	if r.vals == nil {
		return
	}
	// Nomad's defaults: a service job reschedules without limit, a batch
	// job once a day.
	attempts, interval, delay, maxDelay, fn, unlimited := 0, time.Duration(0), 30*time.Second, time.Hour, "exponential", true
	if jobType == "batch" {
		attempts, interval, delay, maxDelay, fn, unlimited = 1, 24*time.Hour, 5*time.Second, 0, "constant", false
	}
	attempts, interval, delay = value(r, "attempts", attempts), value(r, "interval", interval), value(r, "delay", delay)
	maxDelay, fn, unlimited = value(r, "max_delay", maxDelay), value(r, "delay_function", fn), value(r, "unlimited", unlimited)
	if attempts <= 0 && !unlimited {
		return // never rescheduled
	}
	bad := r.reporter(add)
	if attempts > 0 && unlimited {
		bad("attempts", attempts, "limits nothing while unlimited is true (Nomad refuses the two together): set unlimited = false")
	}
	if !unlimited && interval < minRescheduleInterval {
		bad("interval", interval, fmt.Sprintf("must be at least %v when attempts are limited", minRescheduleInterval))
	}
	if delay < minRescheduleDelay {
		bad("delay", delay, fmt.Sprintf("must be at least %v", minRescheduleDelay))
	}
	delaysOK := delay >= minRescheduleDelay
	if !slices.Contains(rescheduleDelayFunctions, fn) {
		bad("delay_function", fn, `must be "constant", "exponential" or "fibonacci"`)
		delaysOK = false
	} else if fn != "constant" {
		switch {
		case maxDelay < minRescheduleDelay:
			bad("max_delay", maxDelay, fmt.Sprintf("must be at least %v with delay_function %q", minRescheduleDelay, fn))
			delaysOK = false
		case maxDelay < delay:
			bad("max_delay", maxDelay, fmt.Sprintf("must not be less than delay (%v) with delay_function %q", delay, fn))
			delaysOK = false
		}
	}
	if !unlimited && delaysOK && interval >= minRescheduleInterval {
		if fit, need := attemptsFit(attempts, interval, delay, maxDelay, fn); fit < attempts {
			least := "at least"
			if fn == "exponential" {
				least = "more than" // an attempt fits when its measure is under the interval
			}
			bad("interval", interval, fmt.Sprintf("leaves room for %d of the %d attempts with delay %v and delay_function %q%s: it must be %s %v",
				fit, attempts, delay, fn, ceiling(fn, maxDelay), least, need))
		}
	}
}

// ceiling names max_delay in a message, when the delay function uses it.
func ceiling(fn string, maxDelay time.Duration) string {
	if fn == "constant" {
		return ""
	}
	return fmt.Sprintf(" (max_delay %v)", maxDelay)
}

// attemptsFit answers Nomad's check that a limited policy's attempts fit
// in its interval: how many of them do, and the interval they all need.
// Nomad measures each function its own way, and so does this:
//   - constant: the attempts' delays end to end; as many fit as delays
//     fit in the interval;
//   - exponential: the delay of the attempt (doubling from delay) while it
//     is at most max_delay, then the last such delay plus max_delay for
//     each later attempt; an attempt fits when its measure is under the
//     interval;
//   - fibonacci: the delays are delay, delay, then each the sum of the two
//     before until that passes max_delay, which replaces it, and after
//     that each adds max_delay to the one before. The interval must reach
//     the last attempt's; when it does not, the attempts that fit are
//     those before the first delay beyond the interval.
//
// Delays are positive (at least the minimum) and max_delay is at least
// delay unless the function is constant; sums saturate, and the loops are
// bounded whatever the attempts.
func attemptsFit(attempts int, interval, delay, maxDelay time.Duration, fn string) (fit int, need time.Duration) {
	n := time.Duration(attempts)
	switch fn {
	case "constant":
		need = satMul(delay, n)
		return int(min(n, interval/delay)), need
	case "exponential":
		// The attempts whose doubled delay stays within max_delay: fewer
		// than 64, as the delay doubles.
		var last time.Duration // the last of them
		k := 0
		for d := delay; k < attempts; {
			last, k = d, k+1
			if last < interval {
				fit++
			}
			if d > maxDelay/2 {
				break // the next one passes max_delay
			}
			d *= 2
		}
		// Each later attempt adds max_delay: those under the interval fit.
		rest := n - time.Duration(k)
		if interval > last {
			fit += int(min(rest, (interval-last-1)/maxDelay))
		}
		return fit, satAdd(last, satMul(maxDelay, rest))
	default: // fibonacci
		// The delays until one passes max_delay and is replaced by it (or
		// they reach the largest duration): fewer than a hundred.
		delays := []time.Duration{delay, delay}
		capped := false
		for len(delays) < attempts && !capped && delays[len(delays)-1] < math.MaxInt64 {
			next := satAdd(delays[len(delays)-1], delays[len(delays)-2])
			if next > maxDelay {
				next, capped = maxDelay, true
			}
			delays = append(delays, next)
		}
		last := delays[min(len(delays), max(attempts, 1))-1]
		rest := max(n-time.Duration(len(delays)), 0)
		need = satAdd(last, satMul(maxDelay, rest))
		if interval >= need && need < math.MaxInt64 { // a saturated need is never met
			return attempts, need
		}
		for i, d := range delays {
			if d > interval {
				return i, need
			}
		}
		// Beyond the listed delays, each adds max_delay.
		return len(delays) + int((interval-last)/maxDelay), need
	}
}

// satAdd returns a+b, or the largest duration if that overflows (a and b
// are not negative).
func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul returns a*n, or the largest duration if that overflows (a and n
// are not negative).
func satMul(a, n time.Duration) time.Duration {
	if a != 0 && n > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * n
}

// Nomad's minimum interval of a restart policy.
const minRestartInterval = 5 * time.Second

// restartProblems reports what Nomad refuses in a restart policy, read over
// Nomad's defaults for a job of type jobType (service, system or batch):
// add gets the argument, its value and the problem.
func (r *written) restartProblems(jobType string, add func(p Pos, key string, value any, problem string)) {
	if r.vals == nil {
		return
	}
	attempts, interval, delay, mode := 2, 30*time.Minute, 15*time.Second, "fail"
	if jobType == "batch" {
		attempts, interval = 3, 24*time.Hour
	}
	attempts, interval = value(r, "attempts", attempts), value(r, "interval", interval)
	delay, mode = value(r, "delay", delay), value(r, "mode", mode)
	bad := r.reporter(add)
	switch mode {
	case "delay", "fail":
	default:
		bad("mode", mode, `must be "delay" or "fail"`)
	}
	if attempts == 0 && mode != "fail" {
		bad("attempts", attempts, fmt.Sprintf("restarts nothing with mode %q (Nomad refuses the two together as ambiguous): set attempts, or mode = \"fail\"", mode))
	}
	if interval < minRestartInterval {
		bad("interval", interval, fmt.Sprintf("must be at least %v", minRestartInterval))
	} else if satMul(delay, time.Duration(max(attempts, 0))) > interval {
		bad("interval", interval, fmt.Sprintf("is shorter than the %d attempts with delay %v it must hold", attempts, delay))
	}
}

// migrateProblems reports what Nomad refuses in a migrate block, read over
// Nomad's defaults: add gets the argument, its value and the problem.
func (r *written) migrateProblems(add func(p Pos, key string, value any, problem string)) {
	if r.vals == nil {
		return
	}
	maxParallel, check := value(r, "max_parallel", 1), value(r, "health_check", "checks")
	minHealthy, deadline := value(r, "min_healthy_time", 10*time.Second), value(r, "healthy_deadline", 5*time.Minute)
	bad := r.reporter(add)
	if maxParallel < 0 {
		bad("max_parallel", maxParallel, "must not be negative")
	}
	switch {
	case check == "checks" || check == "task_states":
	case check == "" && maxParallel <= 0:
	default:
		bad("health_check", check, `must be "checks" or "task_states"`)
	}
	if minHealthy < 0 {
		bad("min_healthy_time", minHealthy, "must not be negative")
	}
	if deadline < 0 {
		bad("healthy_deadline", deadline, "must not be negative")
	}
	if minHealthy >= 0 && deadline >= 0 && minHealthy > deadline {
		bad("min_healthy_time", minHealthy, fmt.Sprintf("must not be more than healthy_deadline (%v)", deadline))
	}
}

// scalingProblems reports what Nomad refuses in a group's scaling block,
// for a group of count: add gets the argument, its value and the problem.
// The policy itself (the autoscaler's) is not checked.
func (r *written) scalingProblems(count int, add func(p Pos, key string, value any, problem string)) {
	if r.vals == nil {
		return
	}
	bad := r.reporter(add)
	minimum := value(r, "min", count)
	maximum, ok := r.vals["max"].(int)
	switch {
	case !ok:
		bad("max", nil, "must be set")
	case maximum < 0:
		bad("max", maximum, "must not be negative")
	case maximum < minimum:
		bad("max", maximum, fmt.Sprintf("must not be less than min (%d)", minimum))
	case count > maximum:
		bad("max", maximum, fmt.Sprintf("is less than the group's count %d", count))
	}
	if minimum < 0 {
		bad("min", minimum, "must not be negative")
	} else if count < minimum {
		bad("min", minimum, fmt.Sprintf("is more than the group's count %d", count))
	}
}
