package rollout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-multierror"
)

// JSON for UpdateBlock.
//
// Two spellings exist. The job file's spelling (jobspec) uses the HCL names
// and duration strings:
//
//	{"max_parallel": 2, "min_healthy_time": "30s", "auto_revert": true}
//
// Nomad's API spelling (what `nomad job inspect` prints) uses the Go field
// names and durations as integer nanoseconds:
//
//	{"MaxParallel": 2, "MinHealthyTime": 30000000000, "AutoRevert": true}
//
// Decoding rules, for both spellings:
//   - A document uses one spelling; the first known key decides which, and
//     a known key of the other spelling is an error.
//   - Unknown keys, repeated keys and values of the wrong type are errors.
//     Keys are matched exactly (case matters).
//   - An explicit null leaves the field unset, as if the key were absent
//     (the API prints null for unwritten fields). The key still counts for
//     the spelling and duplicate rules.
//   - health_check accepts any string; UpdateStrategy.Validate judges it.
//     Durations may be negative; Validate judges those too.
//
// Every problem is reported, in document order, as a *FieldError (which
// wraps ErrInvalid) inside one *multierror.Error.

// spelling is one of the two JSON spellings of an update block.
type spelling int

const (
	// spellingUnknown: no known key seen yet.
	spellingUnknown spelling = iota
	// spellingJobspec: max_parallel, durations as "30s".
	spellingJobspec
	// spellingAPI: MaxParallel, durations in nanoseconds.
	spellingAPI
)

func (s spelling) String() string {
	switch s {
	case spellingUnknown:
		return "unknown"
	case spellingJobspec:
		return "jobspec"
	case spellingAPI:
		return "API"
	}
	return "spelling(" + strconv.Itoa(int(s)) + ")"
}

// blockField is one field of UpdateBlock with its two JSON names.
type blockField struct {
	jobspec string
	api     string
	// ref returns the address of the field in b: a **int, **bool,
	// **HealthCheck or **time.Duration.
	ref func(b *UpdateBlock) any
}

func (f *blockField) name(s spelling) string {
	if s == spellingAPI {
		return f.api
	}
	return f.jobspec
}

// blockFields lists the fields in the order they are written.
var blockFields = [...]blockField{
	{"max_parallel", "MaxParallel", func(b *UpdateBlock) any { return &b.MaxParallel }},
	{"health_check", "HealthCheck", func(b *UpdateBlock) any { return &b.HealthCheck }},
	{"min_healthy_time", "MinHealthyTime", func(b *UpdateBlock) any { return &b.MinHealthyTime }},
	{"healthy_deadline", "HealthyDeadline", func(b *UpdateBlock) any { return &b.HealthyDeadline }},
	{"progress_deadline", "ProgressDeadline", func(b *UpdateBlock) any { return &b.ProgressDeadline }},
	{"auto_revert", "AutoRevert", func(b *UpdateBlock) any { return &b.AutoRevert }},
	{"auto_promote", "AutoPromote", func(b *UpdateBlock) any { return &b.AutoPromote }},
	{"canary", "Canary", func(b *UpdateBlock) any { return &b.Canary }},
	{"stagger", "Stagger", func(b *UpdateBlock) any { return &b.Stagger }},
	{"max_surge", "MaxSurge", func(b *UpdateBlock) any { return &b.MaxSurge }},
	{"max_unavailable", "MaxUnavailable", func(b *UpdateBlock) any { return &b.MaxUnavailable }},
	{"pause_after", "PauseAfter", func(b *UpdateBlock) any { return &b.PauseAfter }},
	{"gate_timeout", "GateTimeout", func(b *UpdateBlock) any { return &b.GateTimeout }},
	{"on_gate_timeout", "OnGateTimeout", func(b *UpdateBlock) any { return &b.OnGateTimeout }},
	{"analysis", "Analysis", func(b *UpdateBlock) any { return &b.Analysis }},
}

// lookupField finds the field a key names exactly, and in which spelling.
func lookupField(key string) (*blockField, spelling) {
	for i := range blockFields {
		f := &blockFields[i]
		switch key {
		case f.jobspec:
			return f, spellingJobspec
		case f.api:
			return f, spellingAPI
		}
	}
	return nil, spellingUnknown
}

// MarshalJSON writes b in the job file's spelling, with only the fields
// that are set, in a fixed order: `{"max_parallel":2,"min_healthy_time":"30s"}`.
// An UpdateBlock with no field set is `{}`. It fails (with ErrInvalid) only
// when health_check is not valid UTF-8, which JSON cannot carry unchanged.
func (b UpdateBlock) MarshalJSON() ([]byte, error) {
	return b.marshal(spellingJobspec)
}

// MarshalAPIJSON writes b in Nomad's API spelling, with only the fields that
// are set and durations in nanoseconds: `{"MaxParallel":2,"MinHealthyTime":30000000000}`.
// UnmarshalJSON reads it back. It fails as MarshalJSON does.
func (b UpdateBlock) MarshalAPIJSON() ([]byte, error) {
	return b.marshal(spellingAPI)
}

func (b UpdateBlock) marshal(s spelling) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i := range blockFields {
		f := &blockFields[i]
		var val []byte
		var err error
		switch p := f.ref(&b).(type) {
		case **int:
			if *p != nil {
				val = strconv.AppendInt(nil, int64(**p), 10)
			}
		case **bool:
			if *p != nil {
				val = strconv.AppendBool(nil, **p)
			}
		case **HealthCheck:
			if *p != nil {
				if val, err = textJSON(string(**p)); err != nil {
					return nil, badText(f.name(s), string(**p))
				}
			}
		case **Amount:
			if *p != nil {
				if val, err = amountJSON(**p); err != nil {
					return nil, badText(f.name(s), string(**p))
				}
			}
		case **Checkpoints:
			if *p != nil {
				val = []byte{'['}
				for i, a := range (**p).Amounts() {
					item, err := amountJSON(a)
					if err != nil {
						return nil, badText(f.name(s), string(**p))
					}
					if i > 0 {
						val = append(val, ',')
					}
					val = append(val, item...)
				}
				val = append(val, ']')
			}
		case **GateAction:
			if *p != nil {
				if val, err = textJSON(string(**p)); err != nil {
					return nil, badText(f.name(s), string(**p))
				}
			}
		case **Analysis:
			if *p != nil {
				if val, err = analysisJSON(*p, s); err != nil {
					return nil, err
				}
			}
		case **time.Duration:
			if *p != nil {
				if s == spellingAPI {
					val = strconv.AppendInt(nil, int64(**p), 10)
				} else {
					val = strconv.AppendQuote(nil, (**p).String())
				}
			}
		default:
			panic(fmt.Sprintf("rollout: update block field %s has unexpected type %T", f.jobspec, p))
		}
		if val == nil {
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.WriteString(strconv.Quote(f.name(s)))
		buf.WriteByte(':')
		buf.Write(val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads an update block in either spelling (see MarshalJSON
// and MarshalAPIJSON); a document must keep to one. On success it replaces
// *b entirely; on error *b is unchanged. The JSON value null leaves *b
// unchanged, as encoding/json does.
//
// Keys must match exactly; unknown and repeated keys are errors. A key whose
// value is null is unset. Durations are strings such as "30s" or "1h30m" in
// the job file's spelling and integer nanoseconds in the API spelling.
// health_check takes any string (Validate checks it after Merge).
//
// The error, if any, is a *multierror.Error holding every problem in
// document order; each is a *FieldError naming the key as written and its
// value, so errors.Is(err, ErrInvalid) holds. Input that is not JSON at all
// yields one error that wraps both ErrInvalid and the *json.SyntaxError.
func (b *UpdateBlock) UnmarshalJSON(data []byte) error {
	out, err := decodeUpdateBlock(data)
	if err != nil {
		return err
	}
	if out != nil {
		*b = *out
	}
	return nil
}

// decodeUpdateBlock decodes data; it returns nil, nil for null.
func decodeUpdateBlock(data []byte) (*UpdateBlock, error) {
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil { // unreachable: json.Valid and json.Unmarshal agree
			err = errors.New("not valid JSON")
		}
		return nil, multierror.Append(nil, fmt.Errorf("update: %w: %w", ErrInvalid, err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, multierror.Append(nil, fmt.Errorf("update: %w: %w", ErrInvalid, err))
	}
	switch tok {
	case nil:
		return nil, nil
	case json.Delim('{'):
	default:
		return nil, multierror.Append(nil, &FieldError{
			Field: "update", Value: jsonValue(bytes.TrimSpace(data)), Problem: "must be a JSON object",
		})
	}

	var (
		out   UpdateBlock
		errs  *multierror.Error
		seen  = make(map[string]bool)
		doc   spelling // the document's spelling, from its first known key
		first string   // the key that decided doc
	)
	bad := func(key string, raw []byte, problem string) {
		errs = multierror.Append(errs, &FieldError{Field: key, Value: jsonValue(raw), Problem: problem})
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, multierror.Append(errs, fmt.Errorf("update: %w: %w", ErrInvalid, err))
		}
		key, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, multierror.Append(errs, fmt.Errorf("update: %w: %w", ErrInvalid, err))
		}

		f, s := lookupField(key)
		if f == nil {
			bad(key, raw, unknownFieldProblem(key, doc))
			continue
		}
		switch {
		case doc == spellingUnknown:
			doc, first = s, key
		case s != doc:
			bad(key, raw, fmt.Sprintf("is %s spelling, but this document uses %s spelling (from %q); write %q",
				s, doc, first, f.name(doc)))
			continue
		}
		if seen[key] {
			bad(key, raw, "is written more than once")
			continue
		}
		seen[key] = true
		if p, ok := f.ref(&out).(**Analysis); ok {
			decodeAnalysis(p, s, raw, key, bad)
			continue
		}
		if problem := decodeField(f.ref(&out), s, raw); problem != "" {
			bad(key, raw, problem)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, multierror.Append(errs, fmt.Errorf("update: %w: %w", ErrInvalid, err))
	}
	if err := errs.ErrorOrNil(); err != nil {
		return nil, err
	}
	return &out, nil
}

// decodeField stores raw into the field dst points at (see blockField.ref)
// and returns "" or what is wrong with raw. A null raw leaves it unset.
func decodeField(dst any, s spelling, raw []byte) string {
	kind := jsonKind(raw)
	if kind == kindNull {
		return ""
	}
	switch p := dst.(type) {
	case **int:
		if kind != kindNumber {
			return "must be an integer, not " + kind
		}
		n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
		if err != nil {
			return integerProblem(err)
		}
		v := int(n)
		*p = &v
	case **bool:
		if kind != kindBool {
			return "must be true or false, not " + kind
		}
		v := raw[0] == 't'
		*p = &v
	case **HealthCheck:
		if kind != kindString {
			return `must be a string such as "checks", not ` + kind
		}
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return "must be a string: " + err.Error()
		}
		v := HealthCheck(str)
		*p = &v
	case **Amount:
		a, problem := decodeAmount(raw)
		if problem != "" {
			return problem
		}
		*p = &a
	case **Checkpoints:
		if kind != kindArray {
			return `must be a list such as [1, "50%"], not ` + kind
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "must be a list: " + err.Error()
		}
		amounts := make([]Amount, len(items))
		for i, item := range items {
			a, problem := decodeAmount(item)
			if problem != "" {
				return "[" + strconv.Itoa(i) + "] " + problem
			}
			amounts[i] = a
		}
		v := NewCheckpoints(amounts...)
		*p = &v
	case **GateAction:
		if kind != kindString {
			return `must be a string such as "fail", not ` + kind
		}
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return "must be a string: " + err.Error()
		}
		v := GateAction(str)
		*p = &v
	case **time.Duration:
		var v time.Duration
		if s == spellingAPI {
			if kind != kindNumber {
				return "must be an integer number of nanoseconds, not " + kind
			}
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return integerProblem(err) + " (nanoseconds)"
			}
			v = time.Duration(n)
		} else {
			if kind != kindString {
				return `must be a duration string such as "30s" or "10m", not ` + kind
			}
			var str string
			if err := json.Unmarshal(raw, &str); err != nil {
				return "must be a string: " + err.Error()
			}
			d, err := time.ParseDuration(str)
			if err != nil {
				return `must be a duration such as "30s", "10m" or "1h30m"`
			}
			v = d
		}
		*p = &v
	default:
		panic(fmt.Sprintf("rollout: update block field has unexpected type %T", p))
	}
	return ""
}

// amountJSON writes an amount: a valid count as a number, anything else
// (a percentage such as "25%") as a string.
func amountJSON(a Amount) ([]byte, error) {
	if n, percent, err := a.Parse(); err == nil && !percent {
		return strconv.AppendInt(nil, int64(n), 10), nil
	}
	return textJSON(string(a))
}

// errNotUTF8 is textJSON's error: JSON cannot carry the text unchanged.
var errNotUTF8 = errors.New("not valid UTF-8")

// textJSON writes a string value, which must be valid UTF-8.
func textJSON(v string) ([]byte, error) {
	if !utf8.ValidString(v) {
		return nil, errNotUTF8
	}
	return json.Marshal(v) // cannot fail for a valid string
}

// badText is the error of a field whose text JSON cannot carry.
func badText(field, v string) error {
	return multierror.Append(nil, &FieldError{Field: field, Value: v, Problem: "is not valid UTF-8"})
}

// decodeAmount reads an amount: an integer, or a string "3" or "25%".
func decodeAmount(raw []byte) (Amount, string) {
	switch jsonKind(raw) {
	case kindNumber:
		n, err := strconv.ParseInt(string(raw), 10, 32)
		if err != nil {
			return "", integerProblem(err)
		}
		return Count(int(n)), ""
	case kindString:
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return "", "must be a string: " + err.Error()
		}
		n, percent, err := Amount(str).Parse()
		if err != nil {
			return "", amountProblem
		}
		if percent { // written canonically: "05%" reads as "5%"
			return Percent(n), ""
		}
		return Count(n), ""
	}
	return "", amountProblem + ", not " + jsonKind(raw)
}

func integerProblem(err error) string {
	if errors.Is(err, strconv.ErrRange) {
		return "is out of range for an integer"
	}
	return "must be an integer"
}

// The kinds of JSON value, as jsonKind names them in messages.
const (
	kindNull   = "null"
	kindBool   = "a boolean"
	kindNumber = "a number"
	kindString = "a string"
	kindObject = "an object"
	kindArray  = "an array"
)

// jsonKind names the kind of a valid JSON value (one of the kind constants).
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return kindNull
	}
	switch raw[0] {
	case 'n':
		return kindNull
	case 't', 'f':
		return kindBool
	case '"':
		return kindString
	case '{':
		return kindObject
	case '[':
		return kindArray
	default:
		return kindNumber
	}
}

// unknownFieldProblem says that key is unknown, suggesting the field it
// probably means: same letters once case, '_' and '-' are ignored.
func unknownFieldProblem(key string, doc spelling) string {
	norm := normalizeKey(key)
	for i := range blockFields {
		f := &blockFields[i]
		if normalizeKey(f.jobspec) != norm {
			continue
		}
		s := doc
		if s == spellingUnknown {
			s = spellingJobspec
			if strings.ContainsFunc(key, unicode.IsUpper) && !strings.Contains(key, "_") {
				s = spellingAPI
			}
		}
		return fmt.Sprintf("is not a field of the update block; did you mean %q?", f.name(s))
	}
	return "is not a field of the update block"
}

func normalizeKey(key string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, key)
}

// jsonValue turns a valid JSON value into FieldError.Value: a string, a
// bool or a json.Number for those, nil for null, and for an object or an
// array its compact text (shortened when long), which prints as written.
func jsonValue(raw []byte) any {
	switch jsonKind(raw) {
	case kindNull:
		return nil
	case kindBool:
		return raw[0] == 't'
	case kindString:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case kindNumber:
		return json.Number(raw)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		buf.Reset()
		buf.Write(raw)
	}
	return jsonText(shorten(buf.String(), 60))
}

// jsonText is JSON text that prints as itself in a FieldError.
type jsonText string

func (t jsonText) String() string { return string(t) }

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
