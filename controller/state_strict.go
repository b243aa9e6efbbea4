package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/rollout-go/rollout"
)

// decodeStateBody reads the state object of a stored state strictly. The
// History key is required: EncodeState always writes it, so a state
// without it (`{}`) was not written by EncodeState.
func decodeStateBody(data []byte) (State, error) {
	// The outer History (depth 0) shadows State.History for encoding/json,
	// so that its absence shows as nil; every other field of State is
	// decoded through the embedded State, unknown keys refused.
	var body struct {
		State
		History *rollout.History
	}
	if err := decodeStrictJSON(data, &body); err != nil {
		return State{}, err
	}
	if body.History == nil {
		return State{}, errors.New("no History: the state is empty or was not written by EncodeState")
	}
	s := body.State
	s.History = *body.History
	return s, nil
}

// decodeStrictJSON decodes one JSON value from data into v, refusing keys
// that name no field (at every depth that encoding/json decodes; the
// rollout types with their own UnmarshalJSON refuse unknown keys
// themselves) and anything after the value.
func decodeStrictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the stored value")
	}
	return nil
}

// maxProblemLen bounds the text of a decode error, so that a damaged value
// of any size yields a short message.
const maxProblemLen = 300

// stateDecodeError is a stored state that could not be read. It wraps
// ErrCorrupt and the decoder's error; its message is bounded, on one line.
type stateDecodeError struct {
	where string // what part of the stored value
	cause error  // nil when where says it all
}

func corruptState(where string, cause error) error {
	return &stateDecodeError{where: where, cause: cause}
}

// Error implements error.
func (e *stateDecodeError) Error() string {
	msg := e.where
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return "rollout: decode state: " + ErrCorrupt.Error() + ": " + boundText(msg, maxProblemLen)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true, and errors.As reach the
// decoder's error.
func (e *stateDecodeError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrCorrupt}
	}
	return []error{ErrCorrupt, e.cause}
}

// boundText puts s on one line and cuts it to at most n runes, marking the
// cut.
func boundText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + fmt.Sprintf("… (%d bytes more)", len(s)-j)
		}
		i++
	}
	return s
}
