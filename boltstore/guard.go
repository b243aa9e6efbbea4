package boltstore

import (
	"fmt"
	"runtime/debug"

	"github.com/rollout-go/rollout/controller"
)

// DamageError is a store file that bbolt could not read: a fault on the
// mapped file (a page past its end, an I/O error), or bbolt's own panic on
// a damaged page (an invalid freelist page, a page freed twice, a page of
// the wrong type). It wraps controller.ErrCorrupt.
type DamageError struct {
	// Op is what was being done: "open", "load", "save", "list jobs",
	// "check".
	Op string
	// Panic is what the fault or bbolt's panic said, cut short.
	Panic string
}

// Error implements error.
func (e *DamageError) Error() string {
	return fmt.Sprintf("%s: the file is damaged: %s", controller.ErrCorrupt, e.Panic)
}

// Unwrap makes errors.Is(err, controller.ErrCorrupt) true.
func (e *DamageError) Unwrap() error { return controller.ErrCorrupt }

// guard runs fn, which reads or writes the mapped file, with faults on the
// mapping turned into panics (runtime/debug.SetPanicOnFault, restored
// after), and turns any panic into a *DamageError: the process lives on,
// and the damaged job, or file, fails alone.
func guard(op string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamageError{Op: op, Panic: shorten(fmt.Sprint(r), 200)}
		}
	}()
	return fn()
}

// shorten cuts s to at most n bytes (on a rune boundary), marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// jobName quotes a job ID for a message, cut short if it is long.
func jobName(id string) string {
	return fmt.Sprintf("%q", shorten(id, 64))
}
