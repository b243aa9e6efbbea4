package invariant

import (
	"reflect"
	"time"

	"github.com/google/go-cmp/cmp"
)

// DeepCopy returns a copy of v that shares no memory with it: pointers,
// slices and maps are copied all the way down. Unexported fields are copied
// as they are (time.Time's location pointer, which is immutable, is shared).
func DeepCopy[T any](v T) T {
	src := reflect.ValueOf(&v).Elem()
	dst := reflect.New(src.Type()).Elem()
	copyValue(dst, src)
	return dst.Interface().(T)
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		copyValue(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyValue(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			copyValue(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			copyValue(k, it.Key())
			e := reflect.New(src.Type().Elem()).Elem()
			copyValue(e, it.Value())
			m.SetMapIndex(k, e)
		}
		dst.Set(m)
	case reflect.Struct:
		dst.Set(src) // unexported fields, shallow
		for i := 0; i < src.NumField(); i++ {
			if src.Type().Field(i).IsExported() {
				copyValue(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		copyValue(e, src.Elem())
		dst.Set(e)
	default:
		dst.Set(src)
	}
}

// Exact is the go-cmp option set for "nothing lost": times are equal only
// when they are the same instant in the same location with the same
// monotonic reading, and a nil slice differs from an empty one.
var Exact = cmp.Options{cmp.Comparer(exactTime)}

func exactTime(a, b time.Time) bool {
	return a.Equal(b) && a.Location().String() == b.Location().String() && hasMonotonic(a) == hasMonotonic(b)
}

// hasMonotonic reports whether t carries a monotonic clock reading (one
// from time.Now), which JSON cannot keep.
func hasMonotonic(t time.Time) bool { return t != t.Round(0) }

// Diff reports the differences between want and got under Exact, in go-cmp's
// `(-want +got)` form; "" when equal.
func Diff(want, got any) string {
	if reflect.DeepEqual(want, got) { // fast path: DeepEqual is stricter than Exact
		return ""
	}
	return cmp.Diff(want, got, Exact)
}
