package rollouttest_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// TestStoreFixtureSetsEveryField keeps TestStore's round trip complete: a
// field added to State or to anything it holds must be set (non-zero
// somewhere) in the fixture, or a store that drops it would pass.
func TestStoreFixtureSetsEveryField(t *testing.T) {
	st := rollouttest.StoreFixture("j")
	st.Revision = 1 // set by the store, not saved
	set := map[string]bool{}
	walkSet(reflect.ValueOf(st), "State", set)
	for path, ok := range set {
		if !ok {
			t.Errorf("StoreFixture leaves %s zero everywhere", path)
		}
	}
	if len(set) < 50 {
		t.Errorf("walked %d fields; the walk misses most of State", len(set))
	}
}

// walkSet records, for every field path under v (slice indexes left out),
// whether it is non-zero anywhere.
func walkSet(v reflect.Value, path string, set map[string]bool) {
	set[path] = set[path] || !v.IsZero()
	if v.IsZero() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		walkSet(v.Elem(), path+"*", set)
	case reflect.Slice:
		for i := range v.Len() {
			walkSet(v.Index(i), path+"[]", set)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				walkSet(v.Field(i), path+"."+f.Name, set)
			}
		}
	}
}

// The encoding every durable store writes keeps every field of the
// fixture.
func TestStoreFixtureEncodes(t *testing.T) {
	want := rollouttest.StoreFixture("j")
	b, err := rollout.EncodeState(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rollout.DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeState(EncodeState(fixture)) differs (-want +got):\n%s", diff)
	}
}
