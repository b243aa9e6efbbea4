package controller

import "strconv"

// The envelope of a stored state, {"schema":N,"state":{...}}, written
// without a second pass of encoding/json over the state: json.Marshal of
// the envelope compacts all the state's bytes again, about a tenth of
// EncodeState's CPU. The bytes are the same as those of encoding the
// envelope with encoding/json (a test checks it).

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
