package controller_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// envelope is the stored form as encoding/json writes and reads it: the
// reference EncodeState and DecodeState must agree with.
type envelope struct {
	Schema int             `json:"schema"`
	State  json.RawMessage `json:"state"`
}

// TestEncodeStateBytes: EncodeState writes the very bytes encoding/json
// writes for the envelope, so that files and keys written before and after
// are alike.
func TestEncodeStateBytes(t *testing.T) {
	for name, st := range map[string]controller.State{"zero": {}, "full": rollouttest.FullState()} {
		body, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(envelope{Schema: controller.StateSchema, State: body})
		if err != nil {
			t.Fatal(err)
		}
		got, err := controller.EncodeState(st)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: EncodeState =\n%s\nwant encoding/json's\n%s", name, got, want)
		}
	}
}

// BenchmarkStateEncoding: EncodeState and DecodeState of FullState, and
// EncodeState's envelope through encoding/json (as before) beside them.
func BenchmarkStateEncoding(b *testing.B) {
	st := rollouttest.FullState()
	data, err := controller.EncodeState(st)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := controller.EncodeState(st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-json", func(b *testing.B) {
		for b.Loop() {
			body, err := json.Marshal(st)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(envelope{Schema: controller.StateSchema, State: body}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := controller.DecodeState(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
