package rollout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// JSON of the definitions (see definition.go). Every definition type is a
// struct whose fields are strings, integers, booleans, durations, string
// lists, string maps, maps of string lists, JSON objects (Extra, Config),
// or other definition types, one or a list; one reflective encoder and one
// strict decoder serve them all, from the fields' json tags.

var durationType = reflect.TypeFor[time.Duration]()

// marshalDefinition writes a definition struct in the job file's spelling:
// its fields in declaration order under their json tag names, durations as
// strings, empty fields omitted.
func marshalDefinition(v reflect.Value) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		empty := fv.IsZero() || (fv.Kind() == reflect.Map || fv.Kind() == reflect.Slice) && fv.Len() == 0
		if empty && opts == "omitempty" {
			continue
		}
		var raw []byte
		var err error
		if f.Type == durationType {
			raw, err = json.Marshal(time.Duration(fv.Int()).String())
		} else {
			raw, err = json.Marshal(fv.Interface())
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// definitionFields lists the fields of the definition struct dst for
// strictDecoder.object; what names the struct in messages.
func definitionFields(dst reflect.Value) []objectField {
	t := dst.Type()
	out := make([]objectField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, objectField{jobspec: name, api: f.Name, decode: definitionValue(dst.Field(i))})
	}
	return out
}

// definitionWhat names a definition type in messages: TaskDefinition is
// "task definition", ServiceCheck "service check".
func definitionWhat(t reflect.Type) string {
	var b strings.Builder
	for i, r := range t.Name() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r | 0x20)
	}
	return b.String()
}

// decodeDefinition reads the JSON object raw into the definition struct
// dst.
func (d *strictDecoder) decodeDefinition(path string, raw []byte, dst reflect.Value) {
	d.object(path, definitionWhat(dst.Type()), raw, definitionFields(dst))
}

// definitionValue returns the decoder of one field of a definition.
func definitionValue(dst reflect.Value) func(*strictDecoder, string, spelling, []byte) {
	t := dst.Type()
	switch {
	case t == durationType:
		return durationField(dst.Addr().Interface().(*time.Duration))
	case t.Kind() == reflect.String:
		return func(d *strictDecoder, path string, s spelling, raw []byte) {
			var v string
			d.str(&v)(d, path, s, raw)
			dst.SetString(v)
		}
	case t.Kind() == reflect.Int:
		return intField(dst.Addr().Interface().(*int))
	case t.Kind() == reflect.Bool:
		return boolField(dst.Addr().Interface().(*bool))
	case t == reflect.TypeFor[[]string]():
		return stringsField(dst.Addr().Interface().(*[]string))
	case t == reflect.TypeFor[map[string]string]():
		return func(d *strictDecoder, path string, _ spelling, raw []byte) {
			m := map[string]string{}
			d.members(path, raw, "strings", func(key string, at string, v []byte) {
				var s string
				if jsonKind(v) != kindString || json.Unmarshal(v, &s) != nil {
					d.bad(at, v, "must be a string, not "+jsonKind(v))
					return
				}
				m[key] = s
			})
			dst.Set(reflect.ValueOf(m))
		}
	case t == reflect.TypeFor[map[string][]string]():
		return func(d *strictDecoder, path string, _ spelling, raw []byte) {
			m := map[string][]string{}
			d.members(path, raw, "string lists", func(key string, at string, v []byte) {
				var l []string
				stringsField(&l)(d, at, spellingJobspec, v)
				m[key] = l
			})
			dst.Set(reflect.ValueOf(m))
		}
	case t == reflect.TypeFor[map[string]any]():
		return func(d *strictDecoder, path string, _ spelling, raw []byte) {
			var m map[string]any
			if jsonKind(raw) != kindObject || json.Unmarshal(raw, &m) != nil {
				d.bad(path, raw, "must be a JSON object, not "+jsonKind(raw))
				return
			}
			dst.Set(reflect.ValueOf(m))
		}
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct:
		return func(d *strictDecoder, path string, _ spelling, raw []byte) {
			p := reflect.New(t.Elem())
			d.decodeDefinition(path, raw, p.Elem())
			dst.Set(p)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return func(d *strictDecoder, path string, _ spelling, raw []byte) {
			var items []json.RawMessage
			if jsonKind(raw) != kindArray || json.Unmarshal(raw, &items) != nil {
				d.bad(path, raw, "must be an array of objects, not "+jsonKind(raw))
				return
			}
			s := reflect.MakeSlice(t, len(items), len(items))
			for i, it := range items {
				d.decodeDefinition(fmt.Sprintf("%s[%d]", path, i), it, s.Index(i))
			}
			dst.Set(s)
		}
	}
	panic(fmt.Sprintf("rollout: definition field of unexpected type %s", t))
}

// members calls each for every member of the JSON object raw, in order;
// of names what its values must be, for the message when raw is not an
// object.
func (d *strictDecoder) members(path string, raw []byte, of string, each func(key, at string, v []byte)) {
	var m map[string]json.RawMessage
	if jsonKind(raw) != kindObject || json.Unmarshal(raw, &m) != nil {
		d.bad(path, raw, "must be a JSON object of "+of+", not "+jsonKind(raw))
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		each(k, path+"."+k, m[k])
	}
}

// unmarshalDefinition is the UnmarshalJSON of the definition types: a
// strict read into a fresh value that replaces *dst only on success.
func unmarshalDefinition[T any](data []byte, dst *T) error {
	var out T
	what := definitionWhat(reflect.TypeFor[T]())
	ok, err := decodeStrict(data, what, func(d *strictDecoder, raw []byte) {
		d.decodeDefinition("", raw, reflect.ValueOf(&out).Elem())
	})
	if ok {
		*dst = out
	}
	return err
}

// definitionField is the decoder of a JobVersion's or Group's Definition.
func definitionField[T any](dst **T) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		p := new(T)
		d.decodeDefinition(path, raw, reflect.ValueOf(p).Elem())
		*dst = p
	}
}

// MarshalJSON writes d in the job file's spelling.
func (d JobDefinition) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(d)) }

// UnmarshalJSON reads d strictly, in either spelling.
func (d *JobDefinition) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, d) }

// MarshalJSON writes d in the job file's spelling.
func (d GroupDefinition) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(d)) }

// UnmarshalJSON reads d strictly, in either spelling.
func (d *GroupDefinition) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, d) }

// MarshalJSON writes t in the job file's spelling.
func (t TaskDefinition) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(t)) }

// UnmarshalJSON reads t strictly, in either spelling.
func (t *TaskDefinition) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, t) }

// MarshalJSON writes s in the job file's spelling.
func (s Service) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(s)) }

// UnmarshalJSON reads s strictly, in either spelling.
func (s *Service) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, s) }

// MarshalJSON writes c in the job file's spelling.
func (c ServiceCheck) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(c)) }

// UnmarshalJSON reads c strictly, in either spelling.
func (c *ServiceCheck) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, c) }

// MarshalJSON writes c in the job file's spelling.
func (c CheckRestart) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(c)) }

// UnmarshalJSON reads c strictly, in either spelling.
func (c *CheckRestart) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, c) }

// MarshalJSON writes p in the job file's spelling.
func (p RestartPolicy) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(p)) }

// UnmarshalJSON reads p strictly, in either spelling.
func (p *RestartPolicy) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, p) }

// MarshalJSON writes r in the job file's spelling.
func (r Resources) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(r)) }

// UnmarshalJSON reads r strictly, in either spelling.
func (r *Resources) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, r) }

// MarshalJSON writes a in the job file's spelling.
func (a Artifact) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(a)) }

// UnmarshalJSON reads a strictly, in either spelling.
func (a *Artifact) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, a) }

// MarshalJSON writes t in the job file's spelling.
func (t Template) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(t)) }

// UnmarshalJSON reads t strictly, in either spelling.
func (t *Template) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, t) }

// MarshalJSON writes n in the job file's spelling.
func (n Network) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(n)) }

// UnmarshalJSON reads n strictly, in either spelling.
func (n *Network) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, n) }

// MarshalJSON writes p in the job file's spelling.
func (p Port) MarshalJSON() ([]byte, error) { return marshalDefinition(reflect.ValueOf(p)) }

// UnmarshalJSON reads p strictly, in either spelling.
func (p *Port) UnmarshalJSON(data []byte) error { return unmarshalDefinition(data, p) }
