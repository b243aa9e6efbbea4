package dashboard

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxJobIDLength is the longest job name the dashboard takes, in bytes:
// the core's limit on a job ID, past which JobVersion.Validate and the
// stores refuse it, so no job the dashboard could show has a longer one.
const maxJobIDLength = 4096

// checkJobID refuses, before anything is looked up or rendered, a job
// name no job can have: empty, longer than the core allows, or not UTF-8.
// Its message names the problem and never echoes the name whole.
func checkJobID(id string) error {
	switch {
	case id == "":
		return errors.New("no job name (?name= or the form's job)")
	case len(id) > maxJobIDLength:
		return fmt.Errorf("job name of %d bytes: longer than the %d bytes a job ID may have", len(id), maxJobIDLength)
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
