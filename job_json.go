package rollout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/go-multierror"
)

// JSON for JobVersion, Group and ReschedulePolicy.
//
// They are written in the job file's spelling, as UpdateBlock is: snake_case
// keys and durations as strings, fields left at their zero value omitted:
//
//	{"id":"web","version":1,"groups":[{"name":"web","count":3,
//	 "update":{"canary":1},"reschedule":{"delay":"30s"}}]}
//
// They are read in that spelling or in the API spelling (the Go field names,
// durations as integer nanoseconds, as encoding/json writes a struct without
// tags), one spelling per JSON object, exactly as UpdateBlock is read:
// unknown, repeated or misspelled keys, values of the wrong type and bad
// durations are errors; null leaves a field unset. Every problem is a
// *FieldError (wrapping ErrInvalid) naming the field by its path, such as
// `groups[0].reschedule.delay`, all of them in one *multierror.Error.
//
// Decoding never validates: a job with no groups decodes, and Validate
// refuses it.

// objectField is one key of a JSON object the strict decoder reads.
type objectField struct {
	jobspec, api string
	// decode reads raw (not null) into the object; path names the field.
	decode func(d *strictDecoder, path string, s spelling, raw []byte)
}

// strictDecoder collects the problems of one document.
type strictDecoder struct{ errs *multierror.Error }

func (d *strictDecoder) bad(path string, raw []byte, problem string) {
	d.errs = multierror.Append(d.errs, &FieldError{Field: path, Value: jsonValue(raw), Problem: problem})
}

// join names a key inside path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// object reads the JSON object raw, calling each field's decode; what names
// the object in messages. It reports whether raw was an object.
func (d *strictDecoder) object(path, what string, raw []byte, fields []objectField) bool {
	if jsonKind(raw) != kindObject {
		d.bad(orName(path, what), raw, "must be a JSON object, not "+jsonKind(raw))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_, _ = dec.Token() // '{'; raw is a valid object
	seen := make(map[string]bool)
	var doc spelling
	var first string
	for dec.More() {
		tok, _ := dec.Token()
		key, _ := tok.(string)
		var val json.RawMessage
		_ = dec.Decode(&val)
		var f *objectField
		var s spelling
		for i := range fields {
			switch key {
			case fields[i].jobspec:
				f, s = &fields[i], spellingJobspec
			case fields[i].api:
				f, s = &fields[i], spellingAPI
			}
			if f != nil {
				break
			}
		}
		at := join(path, key)
		if f == nil {
			d.bad(at, val, unknownKeyProblem(key, what, fields))
			continue
		}
		switch {
		case doc == spellingUnknown:
			doc, first = s, key
		case s != doc:
			name := f.jobspec
			if doc == spellingAPI {
				name = f.api
			}
			d.bad(at, val, fmt.Sprintf("is %s spelling, but this object uses %s spelling (from %q); write %q", s, doc, first, name))
			continue
		}
		if seen[key] {
			d.bad(at, val, "is written more than once")
			continue
		}
		seen[key] = true
		if jsonKind(val) != kindNull {
			f.decode(d, at, s, val)
		}
	}
	return true
}

func orName(path, what string) string {
	if path == "" {
		return what
	}
	return path
}

func unknownKeyProblem(key, what string, fields []objectField) string {
	norm := normalizeKey(key)
	for _, f := range fields {
		if normalizeKey(f.jobspec) == norm {
			return fmt.Sprintf("is not a field of the %s; did you mean %q?", what, f.jobspec)
		}
	}
	return "is not a field of the " + what
}

func (d *strictDecoder) str(dst *string) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		if jsonKind(raw) != kindString {
			d.bad(path, raw, "must be a string, not "+jsonKind(raw))
			return
		}
		_ = json.Unmarshal(raw, dst)
	}
}

func boolField(dst *bool) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		if jsonKind(raw) != kindBool {
			d.bad(path, raw, "must be true or false, not "+jsonKind(raw))
			return
		}
		*dst = raw[0] == 't'
	}
}

func intField(dst *int) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		if jsonKind(raw) != kindNumber {
			d.bad(path, raw, "must be an integer, not "+jsonKind(raw))
			return
		}
		n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
		if err != nil {
			d.bad(path, raw, integerProblem(err))
			return
		}
		*dst = int(n)
	}
}

func uintField(dst *uint64) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		if jsonKind(raw) != kindNumber {
			d.bad(path, raw, "must be a non-negative integer, not "+jsonKind(raw))
			return
		}
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				d.bad(path, raw, "is out of range for a version")
			} else {
				d.bad(path, raw, "must be a non-negative integer")
			}
			return
		}
		*dst = n
	}
}

func durationField(dst *time.Duration) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, s spelling, raw []byte) {
		var p *time.Duration
		if problem := decodeField(&p, s, raw); problem != "" {
			d.bad(path, raw, problem)
			return
		}
		*dst = *p
	}
}

func stringsField(dst *[]string) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		var items []json.RawMessage
		if jsonKind(raw) != kindArray || json.Unmarshal(raw, &items) != nil {
			d.bad(path, raw, "must be an array of strings, not "+jsonKind(raw))
			return
		}
		out := make([]string, 0, len(items))
		for i, it := range items {
			var v string
			if jsonKind(it) != kindString || json.Unmarshal(it, &v) != nil {
				d.bad(fmt.Sprintf("%s[%d]", path, i), it, "must be a string, not "+jsonKind(it))
				continue
			}
			out = append(out, v)
		}
		*dst = out
	}
}

func updateField(dst **UpdateBlock) func(*strictDecoder, string, spelling, []byte) {
	return func(d *strictDecoder, path string, _ spelling, raw []byte) {
		b, err := decodeUpdateBlock(raw)
		if err != nil {
			var me *multierror.Error
			if errors.As(err, &me) {
				for _, e := range me.Errors {
					var fe *FieldError
					if errors.As(e, &fe) {
						if fe.Field == "update" {
							d.errs = multierror.Append(d.errs, &FieldError{Field: path, Value: fe.Value, Problem: fe.Problem})
						} else {
							d.errs = multierror.Append(d.errs, &FieldError{Field: join(path, fe.Field), Value: fe.Value, Problem: fe.Problem})
						}
						continue
					}
					d.errs = multierror.Append(d.errs, fmt.Errorf("%s: %w", path, e))
				}
			}
			return
		}
		*dst = b
	}
}

func rescheduleFields(p *ReschedulePolicy) []objectField {
	return []objectField{
		{"delay", "Delay", durationField(&p.Delay)},
		{"max_delay", "MaxDelay", durationField(&p.MaxDelay)},
		{"attempts", "Attempts", intField(&p.Attempts)},
		{"delay_function", "DelayFunction", func(d *strictDecoder, path string, s spelling, raw []byte) {
			d.str((*string)(&p.DelayFunction))(d, path, s, raw)
		}},
		{"disabled", "Disabled", boolField(&p.Disabled)},
		{"interval", "Interval", durationField(&p.Interval)},
	}
}

func (d *strictDecoder) group(path string, raw []byte, g *Group) {
	d.object(path, "group", raw, []objectField{
		{"name", "Name", d.str(&g.Name)},
		{"count", "Count", intField(&g.Count)},
		{"update", "Update", updateField(&g.Update)},
		{"spec", "Spec", d.str(&g.Spec)},
		{"tasks", "Tasks", stringsField(&g.Tasks)},
		{"checks", "Checks", stringsField(&g.Checks)},
		{"reschedule", "Reschedule", func(d *strictDecoder, path string, _ spelling, raw []byte) {
			d.object(path, "reschedule policy", raw, rescheduleFields(&g.Reschedule))
		}},
		{"disconnect", "Disconnect", func(d *strictDecoder, path string, _ spelling, raw []byte) {
			d.object(path, "disconnect block", raw, disconnectFields(g.disconnect()))
		}},
		// Nomad's older spellings of the block's lost_after and replace.
		{"max_client_disconnect", "MaxClientDisconnect", func(d *strictDecoder, path string, s spelling, raw []byte) {
			durationField(&g.disconnect().LostAfter)(d, path, s, raw)
		}},
		{"prevent_reschedule_on_lost", "PreventRescheduleOnLost", func(d *strictDecoder, path string, s spelling, raw []byte) {
			var prevent bool
			boolField(&prevent)(d, path, s, raw)
			replace := !prevent
			g.disconnect().Replace = &replace
		}},
		{"definition", "Definition", definitionField(&g.Definition)},
	})
}

// disconnect returns the group's disconnect block, adding an empty one.
func (g *Group) disconnect() *Disconnect {
	if g.Disconnect == nil {
		g.Disconnect = new(Disconnect)
	}
	return g.Disconnect
}

func disconnectFields(p *Disconnect) []objectField {
	return []objectField{
		{"lost_after", "LostAfter", durationField(&p.LostAfter)},
		{"replace", "Replace", func(d *strictDecoder, path string, s spelling, raw []byte) {
			b := new(bool)
			boolField(b)(d, path, s, raw)
			p.Replace = b
		}},
		{"reconcile", "Reconcile", func(d *strictDecoder, path string, s spelling, raw []byte) {
			d.str((*string)(&p.Reconcile))(d, path, s, raw)
		}},
		{"stop_on_client_after", "StopOnClientAfter", durationField(&p.StopOnClientAfter)},
	}
}

// MarshalJSON writes d in the job file's spelling, omitting zero fields:
// `{"lost_after":"1h","replace":false}`.
func (d Disconnect) MarshalJSON() ([]byte, error) {
	type jobspec struct {
		LostAfter         string `json:"lost_after,omitempty"`
		Replace           *bool  `json:"replace,omitempty"`
		Reconcile         string `json:"reconcile,omitempty"`
		StopOnClientAfter string `json:"stop_on_client_after,omitempty"`
	}
	out := jobspec{Replace: d.Replace, Reconcile: string(d.Reconcile)}
	if d.LostAfter != 0 {
		out.LostAfter = d.LostAfter.String()
	}
	if d.StopOnClientAfter != 0 {
		out.StopOnClientAfter = d.StopOnClientAfter.String()
	}
	return json.Marshal(out)
}

func (d *strictDecoder) job(raw []byte, j *JobVersion) {
	d.object("", "job", raw, []objectField{
		{"id", "ID", d.str(&j.ID)},
		{"type", "Type", d.str((*string)(&j.Type))},
		{"version", "Version", uintField(&j.Version)},
		{"stable", "Stable", boolField(&j.Stable)},
		{"stop", "Stop", boolField(&j.Stop)},
		{"submit_time", "SubmitTime", func(d *strictDecoder, path string, _ spelling, raw []byte) {
			if jsonKind(raw) != kindString || j.SubmitTime.UnmarshalJSON(raw) != nil {
				d.bad(path, raw, `must be an RFC 3339 time string such as "2026-01-02T15:04:05Z"`)
			}
		}},
		{"update", "Update", updateField(&j.Update)},
		{"groups", "Groups", func(d *strictDecoder, path string, _ spelling, raw []byte) {
			var items []json.RawMessage
			if jsonKind(raw) != kindArray || json.Unmarshal(raw, &items) != nil {
				d.bad(path, raw, "must be an array of groups, not "+jsonKind(raw))
				return
			}
			j.Groups = make([]Group, len(items))
			for i, it := range items {
				d.group(fmt.Sprintf("%s[%d]", path, i), it, &j.Groups[i])
			}
		}},
		{"revert_of", "RevertOf", func(d *strictDecoder, path string, s spelling, raw []byte) {
			v := new(uint64)
			if jsonKind(raw) == kindNumber {
				if _, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
					j.RevertOf = v
				}
			}
			uintField(v)(d, path, s, raw)
		}},
		{"definition", "Definition", definitionField(&j.Definition)},
	})
}

// decodeStrict runs read on data after checking that it is JSON; null
// reports false.
func decodeStrict(data []byte, what string, read func(d *strictDecoder, raw []byte)) (bool, error) {
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("not valid JSON")
		}
		return false, multierror.Append(nil, fmt.Errorf("%s: %w: %w", what, ErrInvalid, err))
	}
	raw := bytes.TrimSpace(data)
	if jsonKind(raw) == kindNull {
		return false, nil
	}
	var d strictDecoder
	read(&d, raw)
	if err := d.errs.ErrorOrNil(); err != nil {
		return false, err
	}
	return true, nil
}

// UnmarshalJSON reads a job version strictly (either spelling, no unknown keys, no wrong
// types). On success it replaces *j; on error *j is unchanged. The error
// is a *multierror.Error of *FieldError values naming each field by its
// path. Null leaves *j unchanged.
func (j *JobVersion) UnmarshalJSON(data []byte) error {
	var out JobVersion
	ok, err := decodeStrict(data, "job", func(d *strictDecoder, raw []byte) { d.job(raw, &out) })
	if ok {
		*j = out
	}
	return err
}

// UnmarshalJSON reads a group strictly, as JobVersion.UnmarshalJSON does.
func (g *Group) UnmarshalJSON(data []byte) error {
	var out Group
	ok, err := decodeStrict(data, "group", func(d *strictDecoder, raw []byte) { d.group("", raw, &out) })
	if ok {
		*g = out
	}
	return err
}

// UnmarshalJSON reads a reschedule policy strictly, in the job file's
// spelling (`{"delay":"30s","max_delay":"1h","attempts":3}`) or the API
// spelling (`{"Delay":30000000000}`).
func (p *ReschedulePolicy) UnmarshalJSON(data []byte) error {
	var out ReschedulePolicy
	ok, err := decodeStrict(data, "reschedule", func(d *strictDecoder, raw []byte) {
		d.object("", "reschedule policy", raw, rescheduleFields(&out))
	})
	if ok {
		*p = out
	}
	return err
}

// MarshalJSON writes p in the job file's spelling, omitting zero fields:
// `{"delay":"30s","attempts":3}`.
func (p ReschedulePolicy) MarshalJSON() ([]byte, error) {
	type jobspec struct {
		Delay         string `json:"delay,omitempty"`
		MaxDelay      string `json:"max_delay,omitempty"`
		Attempts      int    `json:"attempts,omitempty"`
		DelayFunction string `json:"delay_function,omitempty"`
		Disabled      bool   `json:"disabled,omitempty"`
		Interval      string `json:"interval,omitempty"`
	}
	out := jobspec{Attempts: p.Attempts, DelayFunction: string(p.DelayFunction), Disabled: p.Disabled}
	if p.Delay != 0 {
		out.Delay = p.Delay.String()
	}
	if p.MaxDelay != 0 {
		out.MaxDelay = p.MaxDelay.String()
	}
	if p.Interval != 0 {
		out.Interval = p.Interval.String()
	}
	return json.Marshal(out)
}
