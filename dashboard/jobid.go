package dashboard

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/rollout-go/rollout"
)

// checkJobID refuses, before anything is looked up or rendered, a job
// name no job can have: empty, longer than rollout.MaxJobIDLength, or not UTF-8 (what
// rollout.ValidateJobID refuses, so no job the dashboard could show has
// such a name).
// Its message names the problem and never echoes the name whole.
func checkJobID(id string) error {
	switch {
	case id == "":
		return errors.New("no job name (?name= or the form's job)")
	case len(id) > rollout.MaxJobIDLength:
		return fmt.Errorf("job name of %d bytes: longer than the %d bytes a job ID may have", len(id), rollout.MaxJobIDLength)
	case !utf8.ValidString(id):
		return errors.New("job name is not valid UTF-8")
	}
	return nil
}

// clipLength is how much of a request's value an error message quotes.
const clipLength = 64

// clip quotes s for an error message, only its first clipLength bytes
// when it is longer, with its length.
func clip(s string) string {
	if len(s) <= clipLength {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:clipLength], len(s))
}
