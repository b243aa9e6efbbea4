package rollout

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error this package returns wraps one of them, so
// callers branch with errors.Is and read the details with errors.As.
var (
	// ErrInvalid marks input that breaks a rule: a field out of range, a
	// duplicate, a reference to something that does not exist. Step and
	// Validate wrap it in a *FieldError for each problem, all of them
	// collected in one go-multierror error.
	ErrInvalid = errors.New("invalid input")

	// ErrTerminal is returned for a command on a deployment that has
	// already ended (successful, failed or cancelled).
	ErrTerminal = errors.New("deployment is terminal")

	// ErrNoDeployment is returned for a deployment command when the job has
	// no active deployment.
	ErrNoDeployment = errors.New("no active deployment")

	// ErrFrozen: the job's rollouts are frozen (see Freeze), so a submitted
	// version waits for its deployment until the freeze ends. It comes
	// wrapped with ErrNoDeployment.
	ErrFrozen = errors.New("rollouts are frozen")

	// ErrPromotion is returned when a promotion is refused: a group has too
	// few healthy canaries, or there is nothing to promote.
	ErrPromotion = errors.New("promotion refused")

	// ErrRevert is returned when a revert is refused: the target version is
	// unknown, or it is the current version.
	ErrRevert = errors.New("revert refused")

	// ErrVersionConflict is returned (in a *VersionConflictError) when a
	// checked submit finds that the job changed since the caller planned
	// against it.
	ErrVersionConflict = errors.New("job changed since it was planned")

	// ErrFailedSpec is returned (in a *FailedSpecError) when a checked
	// submit repeats the specification of a version whose deployment
	// failed and was auto-reverted.
	ErrFailedSpec = errors.New("specification failed before")
)

// FieldError is one broken rule, naming the field as a user writes it
// (max_parallel, group "web" count, alloc "a1" version) and its value.
// It wraps ErrInvalid.
type FieldError struct {
	// Field names the offending field the way a user writes it.
	Field string
	// Value is the offending value, as given.
	Value any
	// Problem says what is wrong with it, in lowercase.
	Problem string
}

// Error implements error: `max_parallel = -1: must not be negative`.
func (e *FieldError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("%s: %s", e.Field, e.Problem)
	}
	return fmt.Sprintf("%s = %s: %s", e.Field, formatValue(e.Value), e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// CommandError is a refused command. It wraps the reason (ErrTerminal,
// ErrNoDeployment, ErrPromotion, ErrRevert or ErrInvalid) and keeps the
// command, so callers can tell the operator which command failed and why.
type CommandError struct {
	// Command is the refused command, as given.
	Command Command
	// Err is why it was refused.
	Err error
}

// Error implements error: `promote: promotion refused: group "web" has
// 1/3 healthy allocations`.
func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %v", e.Command.Kind, e.Err)
}

// Unwrap returns the reason.
func (e *CommandError) Unwrap() error { return e.Err }

// oneLine formats a multierror's problems on one line, separated by "; ".
func oneLine(errs []error) string {
	var b strings.Builder
	for i, err := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}
