package rollout_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// TestEncodeStateRoundTrip: the stored encoding keeps every field.
func TestEncodeStateRoundTrip(t *testing.T) {
	want := rollouttest.FullState()
	data, err := rollout.EncodeState(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rollout.DecodeState(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("state changed through EncodeState/DecodeState (-want +got):\n%s", diff)
	}
}

// TestDecodeStateRefusesBadBytes: bytes that are not a stored state, and a
// schema newer than this package reads, fail with typed errors.
func TestDecodeStateRefusesBadBytes(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", rollout.ErrCorrupt},
		{"{not json", rollout.ErrCorrupt},
		{`{"schema": 1}`, rollout.ErrCorrupt},
		{`{"state": {}}`, rollout.ErrCorrupt},
		{`{"schema": 1, "state": {"History": 7}}`, rollout.ErrCorrupt},
		{`{"schema": 3, "state": {}}`, rollout.ErrSchema},
	}
	for _, tt := range tests {
		if _, err := rollout.DecodeState([]byte(tt.in)); !errors.Is(err, tt.want) {
			t.Errorf("DecodeState(%q) = %v, want an error wrapping %v", tt.in, err, tt.want)
		}
	}
	// Schema 1 (the encoding of schema 2, with the older placement IDs) is
	// read.
	if st, err := rollout.DecodeState([]byte(`{"schema": 1, "state": {"History": {"Versions": null, "Keep": 3}}}`)); err != nil || st.History.Keep != 3 {
		t.Errorf("DecodeState of schema 1 = %+v, %v; want it read", st.History, err)
	}
}
