package controller_test

import (
	"errors"
	"os"
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
		{`{"schema": 4, "state": {}}`, controller.ErrSchema},
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

// TestDecodeStateOfSchema2: a state written by schema 2 (before job
// definitions) still reads, with no definitions, and steps on.
func TestDecodeStateOfSchema2(t *testing.T) {
	data, err := os.ReadFile("testdata/state-schema2.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := controller.DecodeState(data)
	if err != nil {
		t.Fatalf("DecodeState of schema 2: %v", err)
	}
	latest, ok := st.History.Latest()
	if !ok || latest.Version != 1 || latest.Groups[0].Definition != nil || st.Pending == nil || len(st.Pending.Place) == 0 || len(st.Retained) != 0 {
		t.Fatalf("schema 2 state read as %+v", st)
	}
	again, err := controller.EncodeState(st)
	if err != nil {
		t.Fatal(err)
	}
	back, err := controller.DecodeState(again)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, back, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("schema 2 state re-encoded as schema %d differs (-old +new):\n%s", controller.StateSchema, diff)
	}
}
