package controller_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// TestEncodeStateRoundTrip: the stored encoding keeps every field.
func TestEncodeStateRoundTrip(t *testing.T) {
	want := rollouttest.FullState()
	data, err := controller.EncodeState(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := controller.DecodeState(data)
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
		{"", controller.ErrCorrupt},
		{"{not json", controller.ErrCorrupt},
		{`{"schema": 1}`, controller.ErrCorrupt},
		{`{"state": {}}`, controller.ErrCorrupt},
		{`{"schema": 1, "state": {"History": 7}}`, controller.ErrCorrupt},
		{`{"schema": 3, "state": {}}`, controller.ErrSchema},
	}
	for _, tt := range tests {
		if _, err := controller.DecodeState([]byte(tt.in)); !errors.Is(err, tt.want) {
			t.Errorf("DecodeState(%q) = %v, want an error wrapping %v", tt.in, err, tt.want)
		}
	}
	// Schema 1 (the encoding of schema 2, with the older placement IDs) is
	// read.
	if st, err := controller.DecodeState([]byte(`{"schema": 1, "state": {"History": {"Versions": null, "Keep": 3}}}`)); err != nil || st.History.Keep != 3 {
		t.Errorf("DecodeState of schema 1 = %+v, %v; want it read", st.History, err)
	}
}
