package rollout_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/rollout-go/rollout"
)

func TestUpdateBlockUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   rollout.UpdateBlock
		reason string
	}{
		{
			name:   "empty object",
			in:     `{}`,
			want:   rollout.UpdateBlock{},
			reason: "update {} writes nothing",
		},
		{
			name: "jobspec spelling, every field",
			in: `{"max_parallel": 3, "health_check": "task_states", "min_healthy_time": "30s",
			      "healthy_deadline": "10m", "progress_deadline": "1h30m", "auto_revert": true,
			      "auto_promote": false, "canary": 1, "stagger": "500ms"}`,
			want: rollout.UpdateBlock{
				MaxParallel:      updPtr(3),
				HealthCheck:      updPtr(rollout.HealthTaskStates),
				MinHealthyTime:   updPtr(30 * time.Second),
				HealthyDeadline:  updPtr(10 * time.Minute),
				ProgressDeadline: updPtr(90 * time.Minute),
				AutoRevert:       updPtr(true),
				AutoPromote:      updPtr(false),
				Canary:           updPtr(1),
				Stagger:          updPtr(500 * time.Millisecond),
			},
			reason: "the job file's names, durations as Go duration strings",
		},
		{
			name: "API spelling, as nomad job inspect prints it",
			in: `{"Stagger": 30000000000, "MaxParallel": 1, "HealthCheck": "checks",
			      "MinHealthyTime": 10000000000, "HealthyDeadline": 300000000000,
			      "ProgressDeadline": 600000000000, "AutoRevert": false, "AutoPromote": false,
			      "Canary": 0}`,
			want: rollout.UpdateBlock{
				MaxParallel:      updPtr(1),
				HealthCheck:      updPtr(rollout.HealthChecks),
				MinHealthyTime:   updPtr(10 * time.Second),
				HealthyDeadline:  updPtr(5 * time.Minute),
				ProgressDeadline: updPtr(10 * time.Minute),
				AutoRevert:       updPtr(false),
				AutoPromote:      updPtr(false),
				Canary:           updPtr(0),
				Stagger:          updPtr(30 * time.Second),
			},
			reason: "Nomad's API names, durations in nanoseconds; zero and false are written values",
		},
		{
			name:   "explicit null is unset",
			in:     `{"MaxParallel": null, "Canary": 2, "HealthCheck": null}`,
			want:   rollout.UpdateBlock{Canary: updPtr(2)},
			reason: "the API prints null for fields that were not written",
		},
		{
			name:   "zero values are written",
			in:     `{"canary": 0, "auto_revert": false, "progress_deadline": "0s"}`,
			want:   rollout.UpdateBlock{Canary: updPtr(0), AutoRevert: updPtr(false), ProgressDeadline: updPtr(time.Duration(0))},
			reason: "a written zero must override the job's value in Merge",
		},
		{
			name:   "any health_check string",
			in:     `{"health_check": "sometimes"}`,
			want:   rollout.UpdateBlock{HealthCheck: updPtr(rollout.HealthCheck("sometimes"))},
			reason: "decoding keeps it as written; Validate judges it after Merge",
		},
		{
			name:   "negative duration",
			in:     `{"min_healthy_time": "-5s", "healthy_deadline": null}`,
			want:   rollout.UpdateBlock{MinHealthyTime: updPtr(-5 * time.Second)},
			reason: "decoding keeps it; Validate rejects it with the field's own rule",
		},
		{
			name:   "escaped key",
			in:     `{"max\u005fparallel": 2}`,
			want:   rollout.UpdateBlock{MaxParallel: updPtr(2)},
			reason: "keys compare after JSON unescaping",
		},
		{
			name:   "negative zero and large integers",
			in:     `{"max_parallel": -0, "canary": 9007199254740993}`,
			want:   rollout.UpdateBlock{MaxParallel: updPtr(0), Canary: updPtr(9007199254740993)},
			reason: "integers are parsed exactly, not through float64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got rollout.UpdateBlock
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("json.Unmarshal: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decode mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestUpdateBlockUnmarshalJSONErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   []string // every FieldError message, in document order
		reason string
	}{
		{
			name:   "unknown field",
			in:     `{"max_parallel": 1, "parallelism": 4}`,
			want:   []string{`parallelism = 4: is not a field of the update block`},
			reason: "unknown fields are an error, not ignored",
		},
		{
			name:   "misspelled field",
			in:     `{"maxParallel": 4}`,
			want:   []string{`maxParallel = 4: is not a field of the update block; did you mean "MaxParallel"?`},
			reason: "keys match exactly; the near miss is named",
		},
		{
			name:   "misspelled field in a jobspec document",
			in:     `{"canary": 1, "Max-Parallel": 4}`,
			want:   []string{`Max-Parallel = 4: is not a field of the update block; did you mean "max_parallel"?`},
			reason: "the suggestion follows the document's spelling",
		},
		{
			name:   "mixed spellings",
			in:     `{"max_parallel": 2, "Canary": 1, "HealthCheck": null}`,
			want:   []string{`Canary = 1: is API spelling, but this document uses jobspec spelling (from "max_parallel"); write "canary"`, `HealthCheck: is API spelling, but this document uses jobspec spelling (from "max_parallel"); write "health_check"`},
			reason: "a document keeps to one spelling; a null value does not excuse the key",
		},
		{
			name:   "same field in both spellings",
			in:     `{"MaxParallel": 2, "max_parallel": 3}`,
			want:   []string{`max_parallel = 3: is jobspec spelling, but this document uses API spelling (from "MaxParallel"); write "MaxParallel"`},
			reason: "mixing, reported against the first key's spelling",
		},
		{
			name:   "duplicate key",
			in:     `{"canary": 1, "canary": 2}`,
			want:   []string{`canary = 2: is written more than once`},
			reason: "encoding/json would silently keep the last; we refuse",
		},
		{
			name:   "duplicate key with null",
			in:     `{"canary": null, "canary": 2}`,
			want:   []string{`canary = 2: is written more than once`},
			reason: "null unsets the field but the key is still written",
		},
		{
			name:   "string for max_parallel",
			in:     `{"max_parallel": "2"}`,
			want:   []string{`max_parallel = "2": must be an integer, not a string`},
			reason: "no implicit conversion",
		},
		{
			name:   "fraction for canary",
			in:     `{"Canary": 1.5}`,
			want:   []string{`Canary = 1.5: must be an integer`},
			reason: "counts are whole numbers",
		},
		{
			name:   "exponent for max_parallel",
			in:     `{"max_parallel": 1e2}`,
			want:   []string{`max_parallel = 1e2: must be an integer`},
			reason: "integers are written as plain digits, as Nomad's decoder requires",
		},
		{
			name:   "integer out of range",
			in:     `{"canary": 99999999999999999999}`,
			want:   []string{`canary = 99999999999999999999: is out of range for an integer`},
			reason: "no silent wrapping",
		},
		{
			name:   "bool as string",
			in:     `{"auto_revert": "true"}`,
			want:   []string{`auto_revert = "true": must be true or false, not a string`},
			reason: "no implicit conversion",
		},
		{
			name:   "bool as number",
			in:     `{"AutoPromote": 1}`,
			want:   []string{`AutoPromote = 1: must be true or false, not a number`},
			reason: "no implicit conversion",
		},
		{
			name:   "health_check not a string",
			in:     `{"health_check": ["checks"]}`,
			want:   []string{`health_check = ["checks"]: must be a string such as "checks", not an array`},
			reason: "any string decodes, but only a string",
		},
		{
			name:   "duration in words",
			in:     `{"min_healthy_time": "10 minutes"}`,
			want:   []string{`min_healthy_time = "10 minutes": must be a duration such as "30s", "10m" or "1h30m"`},
			reason: "durations are Go duration strings",
		},
		{
			name:   "duration garbage",
			in:     `{"healthy_deadline": "--5m", "stagger": "", "progress_deadline": "5"}`,
			want:   []string{`healthy_deadline = "--5m": must be a duration such as "30s", "10m" or "1h30m"`, `stagger = "": must be a duration such as "30s", "10m" or "1h30m"`, `progress_deadline = "5": must be a duration such as "30s", "10m" or "1h30m"`},
			reason: "every bad duration is reported; a unit is required except for 0",
		},
		{
			name:   "jobspec duration as a number",
			in:     `{"stagger": 30}`,
			want:   []string{`stagger = 30: must be a duration string such as "30s" or "10m", not a number`},
			reason: "in the jobspec spelling durations are strings; 30 has no unit",
		},
		{
			name:   "API duration as a string",
			in:     `{"MinHealthyTime": "30s"}`,
			want:   []string{`MinHealthyTime = "30s": must be an integer number of nanoseconds, not a string`},
			reason: "in the API spelling durations are nanoseconds",
		},
		{
			name:   "API duration as a fraction",
			in:     `{"HealthyDeadline": 1.5e9}`,
			want:   []string{`HealthyDeadline = 1.5e9: must be an integer (nanoseconds)`},
			reason: "nanoseconds are whole",
		},
		{
			name:   "API duration out of range",
			in:     `{"Stagger": 9223372036854775808}`,
			want:   []string{`Stagger = 9223372036854775808: is out of range for an integer (nanoseconds)`},
			reason: "one past the largest Duration",
		},
		{
			name:   "object value",
			in:     `{"canary": {"count": 1}}`,
			want:   []string{`canary = {"count":1}: must be an integer, not an object`},
			reason: "the value is shown as compact JSON",
		},
		{
			name:   "not an object",
			in:     `[{"canary": 1}]`,
			want:   []string{`update = [{"canary":1}]: must be a JSON object`},
			reason: "an update block is an object",
		},
		{
			name: "every problem at once",
			in:   `{"max_parallel": "1", "bogus": true, "Canary": 1, "stagger": 5, "stagger": "5s", "health_check": 3}`,
			want: []string{
				`max_parallel = "1": must be an integer, not a string`,
				`bogus = true: is not a field of the update block`,
				`Canary = 1: is API spelling, but this document uses jobspec spelling (from "max_parallel"); write "canary"`,
				`stagger = 5: must be a duration string such as "30s" or "10m", not a number`,
				`stagger = "5s": is written more than once`,
				`health_check = 3: must be a string such as "checks", not a number`,
			},
			reason: "all problems are collected in document order",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rollout.UpdateBlock{Canary: updPtr(7)}
			b := before
			err := b.UnmarshalJSON([]byte(tt.in))
			if err == nil {
				t.Fatalf("UnmarshalJSON succeeded, want an error (%s)", tt.reason)
			}
			if diff := cmp.Diff(tt.want, updMessages(t, err)); diff != "" {
				t.Errorf("errors mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
			if diff := cmp.Diff(before, b); diff != "" {
				t.Errorf("a failed decode changed the block (-before +after):\n%s", diff)
			}
			// json.Unmarshal returns the same error.
			var viaJSON rollout.UpdateBlock
			if err2 := json.Unmarshal([]byte(tt.in), &viaJSON); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("json.Unmarshal error = %v, want %v", err2, err)
			}
		})
	}
}

func TestUpdateBlockUnmarshalJSONFieldErrorValues(t *testing.T) {
	var b rollout.UpdateBlock
	err := b.UnmarshalJSON([]byte(`{"max_parallel": "2", "canary": 1.5, "auto_revert": 1, "stagger": [1]}`))
	want := []*rollout.FieldError{
		{Field: "max_parallel", Value: "2"},
		{Field: "canary", Value: json.Number("1.5")},
		{Field: "auto_revert", Value: json.Number("1")},
		{Field: "stagger"},
	}
	got := updFieldErrors(t, err)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(got), len(want), err)
	}
	for i, fe := range got {
		if fe.Field != want[i].Field {
			t.Errorf("problem %d: Field = %q, want %q", i, fe.Field, want[i].Field)
		}
		if want[i].Value != nil && fe.Value != want[i].Value {
			t.Errorf("problem %d: Value = %#v, want %#v: scalars keep their Go type for errors.As users", i, fe.Value, want[i].Value)
		}
	}
	if s, ok := got[3].Value.(interface{ String() string }); !ok || s.String() != "[1]" {
		t.Errorf("array value = %#v, want something printing as [1]", got[3].Value)
	}
}

func TestUpdateBlockUnmarshalJSONSyntaxError(t *testing.T) {
	for _, in := range []string{``, `{`, `{"canary": }`, `{"canary": 1,}`, `{} {}`, `{'canary': 1}`} {
		var b rollout.UpdateBlock
		err := b.UnmarshalJSON([]byte(in))
		if !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("UnmarshalJSON(%q) = %v, want an error wrapping ErrInvalid", in, err)
		}
		var syntax *json.SyntaxError
		if !errors.As(err, &syntax) {
			t.Errorf("UnmarshalJSON(%q) = %v, want an error wrapping *json.SyntaxError", in, err)
		}
	}
}

func TestUpdateBlockUnmarshalJSONReplacesAndNull(t *testing.T) {
	b := rollout.UpdateBlock{Canary: updPtr(3), Stagger: updPtr(time.Second)}
	if err := b.UnmarshalJSON([]byte(`{"max_parallel": 2}`)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rollout.UpdateBlock{MaxParallel: updPtr(2)}, b); diff != "" {
		t.Errorf("decoding into a used block must replace it, not merge into it (-want +got):\n%s", diff)
	}
	if err := b.UnmarshalJSON([]byte(` null `)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rollout.UpdateBlock{MaxParallel: updPtr(2)}, b); diff != "" {
		t.Errorf("null must leave the block unchanged, as encoding/json does (-want +got):\n%s", diff)
	}

	// Inside a job document: a missing or null block is no block.
	var doc struct {
		Update *rollout.UpdateBlock `json:"update"`
		Group  *rollout.UpdateBlock `json:"group"`
	}
	if err := json.Unmarshal([]byte(`{"update": null, "group": {"canary": 1}}`), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Update != nil {
		t.Errorf("null block decoded as %+v, want nil: no block means no update strategy", doc.Update)
	}
	if doc.Group == nil || doc.Group.Canary == nil || *doc.Group.Canary != 1 {
		t.Errorf("group block = %+v, want canary 1", doc.Group)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"update":null,"group":{"canary":1}}`; string(out) != want {
		t.Errorf("json.Marshal = %s, want %s", out, want)
	}
}

func TestUpdateBlockMarshalJSON(t *testing.T) {
	all := rollout.UpdateBlock{
		MaxParallel:      updPtr(3),
		HealthCheck:      updPtr(rollout.HealthTaskStates),
		MinHealthyTime:   updPtr(30 * time.Second),
		HealthyDeadline:  updPtr(10 * time.Minute),
		ProgressDeadline: updPtr(90 * time.Minute),
		AutoRevert:       updPtr(true),
		AutoPromote:      updPtr(false),
		Canary:           updPtr(0),
		Stagger:          updPtr(500 * time.Millisecond),
	}
	tests := []struct {
		name    string
		b       rollout.UpdateBlock
		jobspec string
		api     string
		reason  string
	}{
		{
			name:    "nothing set",
			b:       rollout.UpdateBlock{},
			jobspec: `{}`,
			api:     `{}`,
			reason:  "unset fields are omitted",
		},
		{
			name:    "every field",
			b:       all,
			jobspec: `{"max_parallel":3,"health_check":"task_states","min_healthy_time":"30s","healthy_deadline":"10m0s","progress_deadline":"1h30m0s","auto_revert":true,"auto_promote":false,"canary":0,"stagger":"500ms"}`,
			api:     `{"MaxParallel":3,"HealthCheck":"task_states","MinHealthyTime":30000000000,"HealthyDeadline":600000000000,"ProgressDeadline":5400000000000,"AutoRevert":true,"AutoPromote":false,"Canary":0,"Stagger":500000000}`,
			reason:  "fields in a fixed order; zero and false are written because they are set",
		},
		{
			name:    "some fields",
			b:       rollout.UpdateBlock{Canary: updPtr(1), HealthCheck: updPtr(rollout.HealthCheck(`<"odd">`))},
			jobspec: `{"health_check":"\u003c\"odd\"\u003e","canary":1}`,
			api:     `{"HealthCheck":"\u003c\"odd\"\u003e","Canary":1}`,
			reason:  "strings are escaped as encoding/json does",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.jobspec {
				t.Errorf("json.Marshal =\n%s\nwant\n%s\n(%s)", got, tt.jobspec, tt.reason)
			}
			got, err = tt.b.MarshalAPIJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.api {
				t.Errorf("MarshalAPIJSON =\n%s\nwant\n%s\n(%s)", got, tt.api, tt.reason)
			}
		})
	}
}

func TestUpdateBlockMarshalJSONInvalidUTF8(t *testing.T) {
	b := rollout.UpdateBlock{HealthCheck: updPtr(rollout.HealthCheck("che\xffcks"))}
	for name, marshal := range map[string]func() ([]byte, error){
		"MarshalJSON":    b.MarshalJSON,
		"MarshalAPIJSON": b.MarshalAPIJSON,
	} {
		out, err := marshal()
		if !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("%s = %s, %v; want an ErrInvalid error: JSON cannot carry invalid UTF-8 unchanged, so it would not round-trip", name, out, err)
		}
	}
}

// updRoundTrip encodes b with marshal and decodes the result.
func updRoundTrip(t interface {
	Helper()
	Fatalf(string, ...any)
}, b rollout.UpdateBlock, marshal func(rollout.UpdateBlock) ([]byte, error)) (rollout.UpdateBlock, []byte) {
	t.Helper()
	data, err := marshal(b)
	if err != nil {
		t.Fatalf("marshal %+v: %v", b, err)
	}
	var got rollout.UpdateBlock
	if err := got.UnmarshalJSON(data); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return got, data
}

var updSpellings = map[string]func(rollout.UpdateBlock) ([]byte, error){
	"jobspec": rollout.UpdateBlock.MarshalJSON,
	"api":     rollout.UpdateBlock.MarshalAPIJSON,
}

func TestUpdateBlockJSONRoundTripProperty(t *testing.T) {
	for name, marshal := range updSpellings {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				b := *updBlock().Draw(t, "block")
				if b.HealthCheck != nil && !utf8.ValidString(string(*b.HealthCheck)) {
					t.Skip("invalid UTF-8 cannot be encoded; see TestUpdateBlockMarshalJSONInvalidUTF8")
				}
				got, data := updRoundTrip(t, b, marshal)
				if diff := cmp.Diff(b, got); diff != "" {
					t.Fatalf("decode(encode(b)) != b; encoded %s (-b +decoded):\n%s", data, diff)
				}
			})
		})
	}
}

func TestUpdateBlockJSONRoundTripExtremes(t *testing.T) {
	for _, d := range []time.Duration{math.MinInt64, math.MaxInt64, -1, 0, 1, time.Hour + time.Nanosecond} {
		for _, n := range []int{math.MinInt, math.MaxInt, 0} {
			b := rollout.UpdateBlock{
				MaxParallel: updPtr(n), Canary: updPtr(n),
				MinHealthyTime: updPtr(d), HealthyDeadline: updPtr(d), ProgressDeadline: updPtr(d), Stagger: updPtr(d),
				HealthCheck: updPtr(rollout.HealthCheck("\u2028\x00\ufffd")),
			}
			for name, marshal := range updSpellings {
				got, data := updRoundTrip(t, b, marshal)
				if diff := cmp.Diff(b, got); diff != "" {
					t.Errorf("%s: decode(encode(b)) != b; encoded %s (-b +decoded):\n%s", name, data, diff)
				}
			}
		}
	}
}

// FuzzUpdateBlockJSON checks that the decoder never panics, that every
// error wraps ErrInvalid, and that whatever decodes re-encodes, in both
// spellings, to a document that decodes to the same block.
func FuzzUpdateBlockJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`null`,
		`{"max_parallel": 2, "health_check": "task_states", "healthy_deadline": "10m"}`,
		`{"MaxParallel": 1, "MinHealthyTime": 10000000000, "AutoRevert": true, "Canary": null}`,
		`{"canary": 1, "canary": 2, "Canary": 3, "bogus": [1, {"a": null}]}`,
		`{"min_healthy_time": "-1.5h", "stagger": "1µs"}`,
		`[1, 2]`,
		`{"max_parallel": 1e3}`,
		`{"health_check": "\ud800"}`,
		`{"max_surge": "03", "max_unavailable": "-0%", "pause_after": [1, "050%", "2"], "gate_timeout": "1h", "on_gate_timeout": "resume"}`,
		`{"MaxSurge": 2, "PauseAfter": [], "GateTimeout": -5, "OnGateTimeout": "\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b rollout.UpdateBlock
		if err := b.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if diff := cmp.Diff(rollout.UpdateBlock{}, b); diff != "" {
				t.Fatalf("failed decode changed the block:\n%s", diff)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for name, marshal := range updSpellings {
			got, data := updRoundTrip(t, b, marshal)
			if diff := cmp.Diff(b, got); diff != "" {
				t.Fatalf("%s: decode(encode(b)) != b; encoded %s (-b +decoded):\n%s", name, data, diff)
			}
		}
	})
}
