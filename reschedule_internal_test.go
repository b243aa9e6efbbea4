package rollout

import (
	"math"
	"testing"
	"time"
)

// TestDelayFor checks the delay before each replacement of a slot, per
// delay function, against Nomad's sequences: exponential doubles,
// constant stays, fibonacci adds the two delays before; the growing ones
// stop at MaxDelay, and none overflows when MaxDelay is huge.
func TestDelayFor(t *testing.T) {
	const d = 10 * time.Second
	cases := []struct {
		name string
		p    ReschedulePolicy
		want []time.Duration // for 0, 1, 2, … earlier replacements
	}{
		{"exponential by default", ReschedulePolicy{Delay: d, MaxDelay: 100 * time.Second},
			[]time.Duration{d, 2 * d, 4 * d, 8 * d, 100 * time.Second, 100 * time.Second}},
		{"exponential named", ReschedulePolicy{Delay: d, MaxDelay: 100 * time.Second, DelayFunction: DelayExponential},
			[]time.Duration{d, 2 * d, 4 * d, 8 * d, 100 * time.Second}},
		{"constant ignores max_delay", ReschedulePolicy{Delay: d, MaxDelay: 5 * time.Second, DelayFunction: DelayConstant},
			[]time.Duration{d, d, d, d}},
		{"fibonacci", ReschedulePolicy{Delay: d, MaxDelay: 100 * time.Second, DelayFunction: DelayFibonacci},
			[]time.Duration{d, d, 2 * d, 3 * d, 5 * d, 8 * d, 100 * time.Second, 100 * time.Second}},
		{"defaults: 30s, doubling, 1h", ReschedulePolicy{},
			[]time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}},
		{"fibonacci with the default cap", ReschedulePolicy{DelayFunction: DelayFibonacci},
			[]time.Duration{30 * time.Second, 30 * time.Second, time.Minute, 90 * time.Second}},
	}
	for _, c := range cases {
		for n, want := range c.want {
			if got, _ := c.p.delayFor(n); got != want {
				t.Errorf("%s: delayFor(%d) = %v, want %v", c.name, n, got, want)
			}
		}
	}
	huge := time.Duration(math.MaxInt64)
	for _, fn := range DelayFunctions {
		p := ReschedulePolicy{Delay: time.Hour, MaxDelay: huge, DelayFunction: fn}
		prev := time.Duration(0)
		for n := range 200 {
			got, _ := p.delayFor(n)
			if got < prev || got <= 0 {
				t.Fatalf("%s with max_delay %v: delayFor(%d) = %v after %v: it must grow and stay positive", fn, huge, n, got, prev)
			}
			prev = got
		}
	}
}

// TestDelayAfter checks Nomad's reset: a delay held to max_delay starts
// over from the first delay when the failed allocation had run longer than
// max_delay, and only then; a delay that merely reaches max_delay, or the
// constant function, never resets.
func TestDelayAfter(t *testing.T) {
	const d, maxd = 30 * time.Second, 100 * time.Second
	exp := ReschedulePolicy{Delay: d, MaxDelay: maxd}
	fib := ReschedulePolicy{Delay: d, MaxDelay: maxd, DelayFunction: DelayFibonacci}
	exact := ReschedulePolicy{Delay: 50 * time.Second, MaxDelay: maxd}
	con := ReschedulePolicy{Delay: d, MaxDelay: maxd, DelayFunction: DelayConstant}
	cases := []struct {
		name     string
		p        ReschedulePolicy
		attempts int
		ranFor   time.Duration
		want     time.Duration
	}{
		{"exponential under the cap", exp, 1, time.Hour, 60 * time.Second},
		{"exponential held, ran briefly", exp, 2, 90 * time.Second, maxd},
		{"exponential held, ran longer than max_delay", exp, 2, 101 * time.Second, d},
		{"exponential held, ran exactly max_delay", exp, 5, maxd, maxd},
		{"fibonacci held, ran long", fib, 4, time.Hour, d},
		{"fibonacci at 3d, ran long", fib, 3, time.Hour, 90 * time.Second},
		{"reaching max_delay exactly is not held", exact, 1, time.Hour, maxd},
		{"constant never resets", con, 9, time.Hour, d},
		{"no earlier replacement", exp, 0, time.Hour, d},
	}
	for _, c := range cases {
		if got := c.p.delayAfter(c.attempts, c.ranFor); got != c.want {
			t.Errorf("%s: delayAfter(%d, %v) = %v, want %v", c.name, c.attempts, c.ranFor, got, c.want)
		}
	}
}

// TestRescheduleExhausted checks when a slot may not be replaced again:
// out of attempts, or disabled; with an interval, an allocation that ran
// the whole interval since its slot's last replacement has its attempts
// again.
func TestRescheduleExhausted(t *testing.T) {
	cases := []struct {
		p        ReschedulePolicy
		attempts int
		ranFor   time.Duration
		want     bool
	}{
		{ReschedulePolicy{}, 100, 0, false},
		{ReschedulePolicy{Attempts: 2}, 1, 0, false},
		{ReschedulePolicy{Attempts: 2}, 2, 0, true},
		{ReschedulePolicy{Attempts: 2}, 2, 48 * time.Hour, true},
		{ReschedulePolicy{Attempts: 2, Interval: time.Hour}, 2, 59 * time.Minute, true},
		{ReschedulePolicy{Attempts: 2, Interval: time.Hour}, 2, time.Hour, false},
		{ReschedulePolicy{Disabled: true}, 0, 0, true},
		{ReschedulePolicy{Disabled: true, Interval: time.Hour}, 0, 2 * time.Hour, true},
	}
	for _, c := range cases {
		if got := c.p.exhausted(c.attempts, c.ranFor); got != c.want {
			t.Errorf("%+v.exhausted(%d, %v) = %v, want %v", c.p, c.attempts, c.ranFor, got, c.want)
		}
	}
}
