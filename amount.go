package rollout

import (
	"math"
	"strconv"
	"strings"
)

// Amount is a number of allocations as a job file writes it: a count ("3")
// or a percentage of a total ("25%"). It is the value of max_surge,
// max_unavailable and each pause_after checkpoint. "" is unset. Any string
// is kept as written; UpdateStrategy.Validate rejects one that is not an
// amount, naming the field.
type Amount string

// Count returns the amount of n allocations.
func Count(n int) Amount { return Amount(strconv.Itoa(n)) }

// Percent returns the amount of p percent of a total.
func Percent(p int) Amount { return Amount(strconv.Itoa(p) + "%") }

// IsSet reports whether the amount was written.
func (a Amount) IsSet() bool { return a != "" }

// Parse returns the count, or the percentage and percent == true. The
// error is a *FieldError (wrapping ErrInvalid) when a is not an amount.
func (a Amount) Parse() (n int, percent bool, err error) {
	num, percent := strings.CutSuffix(string(a), "%")
	v, perr := strconv.ParseInt(num, 10, 32)
	if perr != nil || num == "" || num[0] == '+' {
		return 0, false, &FieldError{Field: "amount", Value: string(a), Problem: amountProblem}
	}
	return int(v), percent, nil
}

const amountProblem = `must be a whole number such as 3 or a percentage such as "25%"`

// Of resolves the amount against total allocations: a count is itself, a
// percentage is that share of total, rounded up when up is true (max_surge,
// checkpoints) and down otherwise (max_unavailable). Unset or invalid is 0.
func (a Amount) Of(total int, up bool) int {
	n, percent, err := a.Parse()
	if err != nil || !percent {
		return n
	}
	prod := int64(n) * int64(total)
	if up {
		prod += 99
	}
	return int(min(prod/100, math.MaxInt32))
}

// problem returns what is wrong with an amount written for a field, or "".
// A percentage is between 0% and 100%; a count is not negative.
func (a Amount) problem() string {
	if a == "" {
		return ""
	}
	n, percent, err := a.Parse()
	switch {
	case err != nil:
		return amountProblem
	case n < 0:
		return "must not be negative"
	case percent && n > 100:
		return "must be at most 100%"
	}
	return ""
}

// Checkpoints is a pause_after list as a job file writes it, comma
// separated: "1,50%" is pause_after = [1, "50%"]. Each is a number of a
// group's allocations that must be healthy before the rolling update pauses
// (see UpdateStrategy.PauseAfter). "" is none. Validate judges the text.
type Checkpoints string

// NewCheckpoints returns the checkpoints of the amounts, in order.
func NewCheckpoints(amounts ...Amount) Checkpoints {
	parts := make([]string, len(amounts))
	for i, a := range amounts {
		parts[i] = string(a)
	}
	return Checkpoints(strings.Join(parts, ","))
}

// Amounts returns the checkpoints in order; nil when there are none.
func (c Checkpoints) Amounts() []Amount {
	if c == "" {
		return nil
	}
	parts := strings.Split(string(c), ",")
	out := make([]Amount, len(parts))
	for i, p := range parts {
		out[i] = Amount(strings.TrimSpace(p))
	}
	return out
}

// Resolve returns the checkpoints as numbers of healthy allocations out of
// total (percentages rounded up, each at least 1).
func (c Checkpoints) Resolve(total int) []int {
	amounts := c.Amounts()
	if len(amounts) == 0 {
		return nil
	}
	out := make([]int, len(amounts))
	for i, a := range amounts {
		out[i] = max(1, a.Of(total, true))
	}
	return out
}

// GateAction is what a deployment does when a gate times out (see
// UpdateStrategy.GateTimeout). Any string is kept as written; Validate
// rejects one that is not an action.
type GateAction string

// The actions of on_gate_timeout.
const (
	// GateFail fails the deployment (auto_revert then applies).
	GateFail GateAction = "fail"
	// GatePromote promotes the canaries waiting for promotion.
	GatePromote GateAction = "promote"
	// GateResume resumes a deployment paused at a checkpoint.
	GateResume GateAction = "resume"
)

// Valid reports whether the action is one of the three.
func (g GateAction) Valid() bool { return g == GateFail || g == GatePromote || g == GateResume }
