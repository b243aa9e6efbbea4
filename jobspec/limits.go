package jobspec

import (
	"errors"
	"fmt"
)

// Default limits of a load, used where a field of Limits is zero.
const (
	// DefaultSourceBytes is the largest job file loaded: 4 MiB.
	DefaultSourceBytes = 4 << 20
	// DefaultDepth is the deepest nesting of a job file: brackets,
	// parentheses, braces, strings and their interpolations, template
	// directives and operators, counted together.
	DefaultDepth = 128
	// DefaultTokens is the most tokens of a job file: 50,000.
	DefaultTokens = 50_000
	// DefaultElements is the most elements a value holds, counted through
	// nested collections.
	DefaultElements = 10_000
	// DefaultStringBytes is the most bytes of the strings a value holds:
	// one string, or all the strings of a collection, 1 MiB.
	DefaultStringBytes = 1 << 20
	// DefaultFileBytes is the largest file a file function reads: 1 MiB.
	DefaultFileBytes = 1 << 20
	// DefaultWork is the evaluation budget of a load, in the units of
	// Limits.Work: a few hundred milliseconds and a few tens of MB at most; a typical job file costs under a thousand units.
	DefaultWork = 250_000
)

// Limits bound what loading a job file may cost, so that a hostile file is
// refused quickly and in little memory. A zero field takes its default
// (DefaultSourceBytes, ...); a negative one is an error. Each refusal is an
// *Error at the position of what was refused, wrapping ErrLimit.
type Limits struct {
	// SourceBytes is the largest job file, HCL or JSON.
	SourceBytes int
	// Depth is the deepest nesting: in HCL, every bracket, parenthesis,
	// brace, quoted string, heredoc, interpolation, %{if} or %{for}
	// directive and operator opens a level, checked before the file is
	// parsed; in JSON, every array and object.
	Depth int
	// Tokens is the most tokens a job file holds, counted before it is
	// parsed: in HCL its names, numbers, operators, brackets, separators,
	// strings and interpolations (not the text of strings, heredocs and
	// comments), in JSON its values. Parsing takes several hundred bytes
	// a token; the 50,000 of the default are about 250 KB of dense HCL.
	Tokens int
	// Elements is the most elements a value holds (an attribute, a local,
	// a function's argument or result, the collection a for expression or
	// a dynamic block iterates), counted through nested collections.
	Elements int
	// StringBytes is the most bytes of the strings a value holds.
	StringBytes int
	// FileBytes is the largest file a file function reads.
	FileBytes int
	// Work is the evaluation budget of one load, in units: one for every
	// expression node evaluated and function called, one for every element
	// and every 64 bytes of string a node or function produces (so one for
	// each element a for expression iterates), 16 for every attribute
	// evaluated and every block a dynamic block generates, plus one for
	// every node of an attribute's expression (evaluated or not), one for
	// every attribute and block read (a dynamic block's content once per
	// element), and one for each job field copied into a group and each
	// local a local uses. Work whose cost grows faster than its input (a
	// regular expression's match, distinct, a call's arguments, cty's
	// conversion of a tuple to a collection) costs a unit per 64 steps.
	Work int
}

// ErrLimit is wrapped by the error of a job file that exceeds a limit of
// Limits: errors.Is(err, jobspec.ErrLimit).
var ErrLimit = errors.New("limit exceeded")

// limitError is the error of an exceeded limit: what, and the limit.
type limitError struct{ what string }

func (e *limitError) Error() string { return e.what }
func (e *limitError) Unwrap() error { return ErrLimit }

func overLimit(format string, args ...any) error {
	return &limitError{what: fmt.Sprintf(format, args...)}
}

// resolved returns the limits with their defaults filled in, or an error
// naming a negative field.
func (l Limits) resolved() (Limits, error) {
	fields := []struct {
		name string
		v    *int
		def  int
	}{
		{"SourceBytes", &l.SourceBytes, DefaultSourceBytes},
		{"Depth", &l.Depth, DefaultDepth},
		{"Tokens", &l.Tokens, DefaultTokens},
		{"Elements", &l.Elements, DefaultElements},
		{"StringBytes", &l.StringBytes, DefaultStringBytes},
		{"FileBytes", &l.FileBytes, DefaultFileBytes},
		{"Work", &l.Work, DefaultWork},
	}
	for _, f := range fields {
		switch {
		case *f.v < 0:
			return l, fmt.Errorf("jobspec: Limits.%s = %d: must be 0 (the default, %d) or more", f.name, *f.v, f.def)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	return l, nil
}
