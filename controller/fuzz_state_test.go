package controller_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// FuzzDecodeState: DecodeState never panics on any bytes; what it refuses
// wraps ErrCorrupt or ErrSchema; what it reads, EncodeState writes again
// and DecodeState reads back as the same value.
func FuzzDecodeState(f *testing.F) {
	full, err := controller.EncodeState(rollouttest.FullState())
	if err != nil {
		f.Fatal(err)
	}
	zero, err := controller.EncodeState(controller.State{})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full), string(zero), "", "null", `{"schema":2,"state":null}`, `{"schema":2,"state":{}}`,
		`{"schema":1,"state":{"History":{"Versions":[{"ID":"web","Groups":[{"Name":"a","Count":1}]}],"Keep":3}}}`,
		`{"schema":3,"state":{}}`, `{"schema":2,"state":{"History":{},"Extra":1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := controller.DecodeState(data)
		if err != nil {
			if !errors.Is(err, controller.ErrCorrupt) && !errors.Is(err, controller.ErrSchema) {
				t.Fatalf("DecodeState error %v wraps neither ErrCorrupt nor ErrSchema", err)
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("DecodeState error of %d bytes", len(err.Error()))
			}
			return
		}
		again, err := controller.EncodeState(st)
		if err != nil {
			t.Fatalf("EncodeState of a decoded state: %v", err)
		}
		back, err := controller.DecodeState(again)
		if err != nil {
			t.Fatalf("DecodeState of a re-encoded state: %v\n%s", err, again)
		}
		if diff := cmp.Diff(st, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("state changed through EncodeState/DecodeState (-first +second):\n%s", diff)
		}
	})
}
