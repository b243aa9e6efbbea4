package rollout

import (
	"fmt"
	"unicode/utf8"
)

// MaxJobIDLength is the longest job ID, in bytes, that JobVersion.Validate
// and every store of this repository (controller.MemoryStore, boltstore,
// etcdstore) accept. Nomad sets no length of its own; this one fits every
// store's key limits with room to spare (bbolt refuses keys over 32768
// bytes, etcd a request over 1.5 MiB by default, and etcdstore's escaping
// may triple an ID's bytes).
const MaxJobIDLength = 4096

// ValidateJobID checks a job ID as JobVersion.Validate and the stores do:
// it must not be empty, must be valid UTF-8 (the stored state is JSON,
// which cannot carry other bytes, and Nomad's API is JSON too) and must
// not be longer than MaxJobIDLength bytes. Any other ID is accepted,
// slashes, spaces and control characters included (jobspec's Validate
// refuses, as Nomad does, a space or a null character in a job file).
// The error is a *FieldError for field "job.id", wrapping ErrInvalid; an
// over-long ID is named by its length, never quoted.
func ValidateJobID(id string) error {
	if err := validateJobID("job.id", id); err != nil {
		return err
	}
	return nil
}

// validateJobID is ValidateJobID for the named field. It returns a
// *FieldError or nil.
func validateJobID(field, id string) *FieldError {
	switch {
	case id == "":
		return &FieldError{Field: field, Value: "", Problem: "must not be empty"}
	case len(id) > MaxJobIDLength:
		return &FieldError{Field: field, Problem: fmt.Sprintf("is %d bytes, longer than the %d bytes allowed", len(id), MaxJobIDLength)}
	case !utf8.ValidString(id):
		return &FieldError{Field: field, Value: id, Problem: "is not valid UTF-8"}
	}
	return nil
}

// idValue is a job ID as a FieldError value: the ID itself, or its length
// when it is longer than MaxJobIDLength, so that an error never echoes an
// over-long ID.
func idValue(id string) any {
	if len(id) > MaxJobIDLength {
		return longID(len(id))
	}
	return id
}

// quoteID is a job ID quoted for an error's problem text: %q, or its
// length when it is longer than MaxJobIDLength.
func quoteID(id string) string {
	if len(id) > MaxJobIDLength {
		return longID(len(id)).String()
	}
	return quote(id)
}

// longID stands for an ID too long to be echoed: its length in bytes.
type longID int

func (n longID) String() string { return fmt.Sprintf("(an ID of %d bytes)", int(n)) }
