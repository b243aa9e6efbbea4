package controller

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// FuzzDecodeWrapped: the fast reading of an envelope (decodeWrapped) reads
// nothing that decodeEnvelope reads otherwise: where it succeeds, so does
// decodeEnvelope, with the same state; everything else is left to
// decodeEnvelope.
func FuzzDecodeWrapped(f *testing.F) {
	if old, err := os.ReadFile("testdata/state-schema2.json"); err == nil {
		f.Add(old)
	}
	for _, s := range []string{
		`{"schema":3,"state":{}}`, `{"schema":3,"state":null}`, `{"schema":3,"state":5}`,
		`{"schema":03,"state":{}}`, `{"schema":-1,"state":{}}`, `{"schema":9,"state":{}}`, `{"schema":0,"state":{}}`,
		`{"schema":3,"state":{}, "x":1}`, `{"schema":3,"state":{},"schema":9}`, `{"schema":3,"state":{}}}`,
		`{"schema":3,"state":{"History":{"Keep":2}}} `, `{"schema":1,"state":{"Allocs":[{"ID":"a"}]}}`, `{"schema":3,"state":}`,
		`{"schema":3,"state":{}},"state":{"History":{"Keep":2}}}`, `{"schema":2,"state":{"Unknown":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeWrapped(data)
		if !ok {
			return
		}
		slow, err := decodeEnvelope(data)
		if err != nil {
			t.Fatalf("decodeWrapped read %q, which decodeEnvelope refuses: %v", data, err)
		}
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Fatalf("decodeWrapped read %q otherwise than decodeEnvelope (-envelope +wrapped):\n%s", data, diff)
		}
	})
}

// TestDecodeWrappedReadsWhatIsWritten: the envelope EncodeState writes is
// read by the fast path.
func TestDecodeWrappedReadsWhatIsWritten(t *testing.T) {
	data, err := EncodeState(State{History: rollout.History{Keep: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := decodeWrapped(data); !ok || st.History.Keep != 3 {
		t.Errorf("decodeWrapped(%s) = %+v, %v; want the state read", data, st.History, ok)
	}
}
