package rollout

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// TestFillWritesEveryField checks that fillPlacement and fillStop write
// every field of a decision: a Stepper builds the next Output in the
// memory of the last one, so a field they leave alone would keep an
// earlier step's value. A decision filled over one whose every field is
// set equals one filled over the zero value.
func TestFillWritesEveryField(t *testing.T) {
	newStepper := func() *stepper {
		return &stepper{
			job: &JobVersion{ID: "example", Version: 2}, now: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
			in: &Input{Allocs: []Alloc{{ID: "a1", Index: 4}}}, facts: []fact{factRun}, slot: []int32{math.MaxInt32},
		}
	}
	gs := &groupState{name: "web"}

	var fresh, stale Placement
	setEveryField(t, &stale)
	newStepper().fillPlacement(&fresh, gs, 4, "example.web[4]", false, 2, "v2", "", "a1", 0, KindUpdate, ReasonPlaceUpdate)
	newStepper().fillPlacement(&stale, gs, 4, "example.web[4]", false, 2, "v2", "", "a1", 0, KindUpdate, ReasonPlaceUpdate)
	if fresh != stale {
		t.Errorf("fillPlacement over a used Placement:\n%+v\nover a zero one:\n%+v", stale, fresh)
	}

	var freshStop, staleStop StopDecision
	setEveryField(t, &staleStop)
	newStepper().fillStop(&freshStop, gs, 0, "a1", "", KindUpdate, ReasonUpdating)
	newStepper().fillStop(&staleStop, gs, 0, "a1", "", KindUpdate, ReasonUpdating)
	if freshStop != staleStop {
		t.Errorf("fillStop over a used StopDecision:\n%+v\nover a zero one:\n%+v", staleStop, freshStop)
	}
}

// setEveryField sets every field of the struct *p to a value that is not
// its zero value.
func setEveryField(t *testing.T, p any) {
	t.Helper()
	v := reflect.ValueOf(p).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("stale")
		case reflect.Int, reflect.Int64:
			f.SetInt(99)
		case reflect.Uint64:
			f.SetUint(99)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Struct:
			if f.Type() != reflect.TypeFor[time.Time]() {
				t.Fatalf("field %s: no stale value for %s", v.Type().Field(i).Name, f.Type())
			}
			f.Set(reflect.ValueOf(time.Unix(99, 0)))
		default:
			t.Fatalf("field %s: no stale value for kind %s", v.Type().Field(i).Name, f.Kind())
		}
		if f.IsZero() {
			t.Fatalf("field %s is still zero", v.Type().Field(i).Name)
		}
	}
}
