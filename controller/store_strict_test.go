package controller_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/rollouttest"
)

// storedFull returns FullState's stored form as a generic JSON tree.
func storedFull(t *testing.T) map[string]any {
	t.Helper()
	data, err := controller.EncodeState(rollouttest.FullState())
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	return tree
}

// at walks a dotted path of keys and indexes ("state.Allocs.0.Health") in
// a JSON tree and returns the object there.
func at(t *testing.T, tree map[string]any, path string) map[string]any {
	t.Helper()
	var cur any = tree
	for _, step := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i >= len(v) {
				t.Fatalf("path %s: no index %s", path, step)
			}
			cur = v[i]
		}
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("path %s holds %T, not an object", path, cur)
	}
	return obj
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeStateRefusesUnknownFields: a key this version does not know,
// at any depth of the stored state, is ErrCorrupt naming the key; nothing
// is silently dropped (a newer writer bumps StateSchema instead).
func TestDecodeStateRefusesUnknownFields(t *testing.T) {
	paths := []string{
		"",      // the envelope
		"state", // State itself
		"state.History",
		"state.History.Versions.0",          // JobVersion's own decoder
		"state.History.Versions.0.update",   // UpdateBlock's
		"state.History.Versions.0.groups.0", // Group's
		"state.History.Versions.0.groups.0.update",     // UpdateBlock's, in a group
		"state.History.Versions.0.groups.0.reschedule", // ReschedulePolicy's
		"state.History.FailedSpecs.0",
		"state.Deployments.1",
		"state.Deployments.1.Groups.0",
		"state.Allocs.0",
		"state.Allocs.0.Health",
		"state.Allocs.0.Health.Tasks.1",
		"state.Allocs.0.Health.Checks.0",
		"state.Freeze",
		"state.Pending",
		"state.Pending.Stop.0",
		"state.Pending.Place.0",
		"state.Pending.InPlace.0.Health",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			tree := storedFull(t)
			obj := tree
			if path != "" {
				obj = at(t, tree, path)
			}
			obj["Unheard_of"] = 480
			_, err := controller.DecodeState(marshal(t, tree))
			if !errors.Is(err, controller.ErrCorrupt) || !strings.Contains(err.Error(), "Unheard_of") {
				t.Errorf("DecodeState with an unknown key at %s = %v; want ErrCorrupt naming the key", path, err)
			}
		})
	}
}

// TestDecodeStateRefusesEmptyState: a state that is missing, null, empty or
// not written by EncodeState is ErrCorrupt, never a job that was never
// saved; a schema below 1 too, and data after the value.
func TestDecodeStateRefusesEmptyState(t *testing.T) {
	good, err := controller.EncodeState(rollouttest.FullState())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, fragment string
	}{
		{"null state", `{"schema":2,"state":null}`, "no state"},
		{"empty state", `{"schema":2,"state":{}}`, "no History"},
		{"missing state", `{"schema":2}`, "no state"},
		{"state without History", `{"schema":2,"state":{"Deployments":[]}}`, "no History"},
		{"null History", `{"schema":2,"state":{"History":null}}`, "no History"},
		{"state not an object", `{"schema":2,"state":[]}`, "cannot unmarshal"},
		{"schema 0", `{"schema":0,"state":{"History":{}}}`, "schema 0"},
		{"schema -1", `{"schema":-1,"state":{"History":{}}}`, "schema -1"},
		{"schema a string", `{"schema":"2","state":{"History":{}}}`, "not a stored state"},
		{"null", `null`, "schema 0"},
		{"trailing data", string(good) + ` {}`, "not a stored state"},
		{"revision in the state", `{"schema":2,"state":{"History":{},"Revision":4}}`, `"Revision"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := controller.DecodeState([]byte(tt.in))
			if !errors.Is(err, controller.ErrCorrupt) || !strings.Contains(err.Error(), tt.fragment) {
				t.Errorf("DecodeState(%s) = %+v, %v; want ErrCorrupt with %q", tt.in, st, err, tt.fragment)
			}
		})
	}
	// The smallest state EncodeState writes is read.
	data, err := controller.EncodeState(controller.State{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := controller.DecodeState(data); err != nil {
		t.Errorf("DecodeState of the zero State's encoding = %v", err)
	}
}

// TestDecodeStateErrorIsShort: the error of a damaged value names the
// problem but quotes at most a bounded excerpt of it, on one line.
func TestDecodeStateErrorIsShort(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	for name, in := range map[string]string{
		"unknown key":         `{"schema":2,"state":{"History":{},"` + huge + `":1}}`,
		"unknown version key": `{"schema":2,"state":{"History":{"Versions":[{"id":"web","` + huge + `":"` + huge + `"}]}}}`,
		"bad version value":   `{"schema":2,"state":{"History":{"Versions":[{"id":7,"groups":"` + huge + `"}]}}}`,
	} {
		_, err := controller.DecodeState([]byte(in))
		if !errors.Is(err, controller.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
			continue
		}
		if msg := err.Error(); len(msg) > 500 || strings.Contains(msg, "\n") {
			t.Errorf("%s: the error has %d bytes (or several lines); want one short line", name, len(msg))
		}
	}
}
