package controller

import (
	"bytes"
	"strconv"
)

// The envelope of a stored state, {"schema":N,"state":{...}}, written and
// read without extra passes of encoding/json over the state: json.Marshal
// of the envelope compacts all the state's bytes again (about a tenth of
// EncodeState's CPU), and reading the envelope (its schema leniently, then
// the envelope strictly) scans them twice before the state is decoded.
// The bytes written are those of encoding the envelope with encoding/json
// (a test checks it); the envelope read this way is exactly the layout
// written, and any other bytes, or a state that fails to decode, are read
// by decodeEnvelope, which gives the error (a fuzz test checks that both
// read the same).

// envelopeHead is the envelope up to the state, at StateSchema.
var envelopeHead = []byte(`{"schema":` + strconv.Itoa(StateSchema) + `,"state":`)

// wrapState returns body (json.Marshal's compact encoding of a State) in
// its envelope.
func wrapState(body []byte) []byte {
	out := make([]byte, 0, len(envelopeHead)+len(body)+1)
	out = append(out, envelopeHead...)
	out = append(out, body...)
	return append(out, '}')
}

// decodeWrapped decodes data in exactly wrapState's layout, of a schema
// from 1 to StateSchema, whose state decodes; ok is false otherwise.
// Whatever it reads, decodeEnvelope reads the same: such bytes are an
// envelope of the two keys alone, and the state is decoded alike.
func decodeWrapped(data []byte) (State, bool) {
	const head, mid = `{"schema":`, `,"state":`
	rest, found := bytes.CutPrefix(data, []byte(head))
	if !found {
		return State{}, false
	}
	digits := 0
	for digits < len(rest) && digits < 9 && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	n, err := strconv.Atoi(string(rest[:digits]))
	if err != nil || strconv.Itoa(n) != string(rest[:digits]) || n < 1 || n > StateSchema {
		return State{}, false // (no sign, no leading zero)
	}
	body, found := bytes.CutPrefix(rest[digits:], []byte(mid))
	if !found || len(body) < 2 || body[len(body)-1] != '}' {
		return State{}, false
	}
	body = body[:len(body)-1]
	if string(body) == "null" {
		return State{}, false
	}
	s, err := decodeStateBody(body)
	if err != nil {
		return State{}, false
	}
	return s, true
}
