package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
)

// LoadJSON reads a job as `nomad job inspect` prints it ({"Job": {...}})
// or as the HTTP API returns it (the job object itself). Fields rollout
// does not use are ignored, as Nomad ignores them on submit; the fields it
// uses must have the right types.
// Its source size, nesting and number of values are bounded by
// opts.Limits (SourceBytes, Depth, Tokens), checked before it is decoded.
func LoadJSON(filename string, src []byte, opts *Options) (*Job, error) {
	if opts == nil {
		opts = &Options{}
	}
	lim, err := opts.Limits.resolved()
	if err != nil {
		return nil, err
	}
	if len(src) > lim.SourceBytes {
		return nil, multierror.Append(nil, &Error{Pos: Pos{File: filename, Line: 1, Column: 1},
			Msg: fmt.Sprintf("the job file is larger than %d bytes (Limits.SourceBytes)", lim.SourceBytes), Err: ErrLimit})
	}
	return loadJSON(filename, src, opts, lim)
}

func loadJSON(filename string, src []byte, opts *Options, lim Limits) (*Job, error) {
	fail := func(off int64, format string, args ...any) error {
		line, col := lineCol(src, off)
		return multierror.Append(nil, &Error{Pos: Pos{File: filename, Line: line, Column: col}, Msg: fmt.Sprintf(format, args...)})
	}
	if off, deep := jsonShape(src, lim.Depth, lim.Tokens); off >= 0 {
		msg := fmt.Sprintf("the job file nests deeper than %d levels (Limits.Depth)", lim.Depth)
		if !deep {
			msg = fmt.Sprintf("the job file holds more than %d values (Limits.Tokens)", lim.Tokens)
		}
		line, col := lineCol(src, int64(off))
		return nil, multierror.Append(nil, &Error{Pos: Pos{File: filename, Line: line, Column: col}, Msg: msg, Err: ErrLimit})
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fail(se.Offset, "invalid JSON: %v", se)
		case errors.As(err, &te):
			return nil, fail(te.Offset, "a job must be a JSON object")
		}
		return nil, fail(0, "invalid JSON: %v", err)
	}
	root := ""
	if inner, ok := doc["Job"].(map[string]any); ok && len(doc) <= 2 {
		doc, root = inner, "Job."
	}
	if _, hcl := doc["job"]; hcl {
		return nil, fail(0, "unsupported construct: HCL's JSON syntax ({\"job\": ...}); write the job in HCL or give the JSON of `nomad job inspect`")
	}
	j := &jsonJob{file: filename, src: src, root: root, offsets: jsonOffsets(src)}
	job := j.job(doc, opts)
	if err := j.errs.ErrorOrNil(); err != nil {
		return nil, err
	}
	return job, nil
}

func lineCol(src []byte, off int64) (int, int) {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	line, col := 1, 1
	for _, c := range src[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

type jsonJob struct {
	file    string
	src     []byte
	root    string           // "Job." when the job is wrapped, as inspect prints it
	offsets map[string]int64 // where each value starts, by path
	errs    *multierror.Error
}

func (j *jsonJob) bad(path, format string, args ...any) {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, "Job"), ".")
	p := Pos{File: j.file}
	if off, ok := j.offsets[j.root+rel]; ok {
		p.Line, p.Column = lineCol(j.src, off)
	}
	j.errs = multierror.Append(j.errs, &Error{Pos: p, Msg: rel + ": " + fmt.Sprintf(format, args...)})
}

// maxJSONPath is the longest path of a value whose offset is recorded; a
// value deeper or under a longer key is reported at the file alone.
const maxJSONPath = 1024

// jsonOffsets maps the path of every value in a JSON document
// (TaskGroups[0].Count) to the offset where it starts.
func jsonOffsets(src []byte) map[string]int64 {
	out := map[string]int64{}
	dec := json.NewDecoder(bytes.NewReader(src))
	type frame struct {
		path    string
		array   bool
		index   int
		key     string
		untrack bool // its path is too long to record: so are its values'
	}
	var stack []frame
	expectKey := false
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		// The path of this value, when it is one (not a key, not a close).
		// A path longer than maxJSONPath (a hostile key) is not recorded,
		// nor built, so that paths cost no more than the source.
		path, untrack := "", false
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.untrack || len(top.path)+len(top.key) > maxJSONPath:
				untrack = true
			case top.array:
				path = fmt.Sprintf("%s[%d]", top.path, top.index)
			default:
				path = strings.TrimPrefix(top.path+"."+top.key, ".")
			}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].array {
				stack[len(stack)-1].index++
			}
			expectKey = len(stack) > 0 && !stack[len(stack)-1].array
			continue
		}
		if expectKey {
			stack[len(stack)-1].key, _ = tok.(string)
			expectKey = false
			continue
		}
		// Skip the separator and spaces before the value.
		off := before
		for off < int64(len(src)) && strings.IndexByte(" \t\r\n:,", src[off]) >= 0 {
			off++
		}
		if !untrack {
			out[path] = off
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{path: path, array: d == '[', untrack: untrack})
			expectKey = d == '{'
			continue
		}
		if len(stack) > 0 && stack[len(stack)-1].array {
			stack[len(stack)-1].index++
		}
		expectKey = len(stack) > 0 && !stack[len(stack)-1].array
	}
}

func (j *jsonJob) str(m map[string]any, key, path string) string {
	switch v := m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		j.bad(path+"."+key, "must be a string")
		return ""
	}
}

func (j *jsonJob) int(m map[string]any, key, path string) (int64, bool) {
	switch v := m[key].(type) {
	case nil:
		return 0, false
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			j.bad(path+"."+key, "must be a whole number, not %s", v)
			return 0, false
		}
		return n, true
	default:
		j.bad(path+"."+key, "must be a number")
		return 0, false
	}
}

func (j *jsonJob) update(m map[string]any, path string) *rollout.UpdateBlock {
	raw, ok := m["Update"]
	if !ok || raw == nil {
		return nil
	}
	data, _ := json.Marshal(raw)
	var ub rollout.UpdateBlock
	if err := ub.UnmarshalJSON(data); err != nil {
		j.bad(path+".Update", "%v", err)
		return nil
	}
	return &ub
}

// emptyUpdate reports whether raw, a job's Update, sets nothing: null, or
// every field zero, false or "".
func emptyUpdate(raw any) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return raw == nil
	}
	for _, v := range m {
		switch v := v.(type) {
		case nil:
		case bool:
			if v {
				return false
			}
		case string:
			if v != "" {
				return false
			}
		case json.Number:
			if f, err := v.Float64(); err != nil || f != 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (j *jsonJob) job(doc map[string]any, opts *Options) *Job {
	job := &Job{Type: "service", Pos: Pos{File: j.file}}
	v := &job.Version
	v.ID = j.str(doc, "ID", "Job")
	if v.ID == "" {
		v.ID = j.str(doc, "Name", "Job")
	}
	if n, ok := j.int(doc, "Version", "Job"); ok && n >= 0 {
		v.Version = uint64(n)
	} else {
		v.Version = opts.Version
	}
	v.Stable, _ = doc["Stable"].(bool)
	v.Stop, _ = doc["Stop"].(bool)
	if n, ok := j.int(doc, "SubmitTime", "Job"); ok && n > 0 {
		v.SubmitTime = time.Unix(0, n).UTC()
	}
	if t := j.str(doc, "Type", "Job"); t != "" {
		job.Type = t
		job.Version.Type = versionType(t)
	}
	if dcs, ok := doc["Datacenters"].([]any); ok {
		for _, dc := range dcs {
			if s, ok := dc.(string); ok {
				job.Datacenters = append(job.Datacenters, s)
			}
		}
	}
	if !emptyUpdate(doc["Update"]) {
		// An Update of zeros, which nomad job inspect prints for a job
		// without an update block (a batch job's), is none: Nomad's groups
		// do not inherit it.
		v.Update = j.update(doc, "Job")
	}
	var jobFields []Field
	jobFields = append(jobFields, flattenAny("Job Meta", "", doc["Meta"])...)
	tgs, _ := doc["TaskGroups"].([]any)
	for i, raw := range tgs {
		m, ok := raw.(map[string]any)
		if !ok {
			j.bad(fmt.Sprintf("TaskGroups[%d]", i), "must be an object")
			continue
		}
		path := fmt.Sprintf("TaskGroups[%d]", i)
		gs := GroupSpec{Name: j.str(m, "Name", path), Pos: Pos{File: j.file}}
		g := rollout.Group{Name: gs.Name, Count: 1}
		if n, ok := j.int(m, "Count", path); ok {
			g.Count = int(n)
		}
		g.Update = j.update(m, path)
		j.policyWritten(m["RestartPolicy"], path+".RestartPolicy", restartKinds, &gs.restart)
		j.policyWritten(m["Migrate"], path+".Migrate", migrateKinds, &gs.migrate)
		j.policyWritten(m["Scaling"], path+".Scaling", scalingKinds, &gs.scaling)
		j.policyWritten(m["ReschedulePolicy"], path+".ReschedulePolicy", rescheduleKinds, &gs.reschedule)
		g.Reschedule = gs.reschedule.reschedulePolicy()
		j.policyWritten(m["Disconnect"], path+".Disconnect", disconnectKinds, &gs.disconnect)
		j.policyWritten(m, path, oldDisconnectKinds, &gs.oldDisconnect)
		g.Disconnect = gs.disconnectBlock()
		gs.Fields = append(gs.Fields, jobFields...)
		for _, k := range []string{"Meta", "Networks", "EphemeralDisk", "Volumes", "Consul"} {
			gs.Fields = append(gs.Fields, flattenAny("Group "+k, "", m[k])...)
		}
		var checks []string
		svcs, _ := m["Services"].([]any)
		for si, s := range svcs {
			sm, _ := s.(map[string]any)
			checks = append(checks, serviceChecks(sm, v.ID+"-"+gs.Name)...)
			if cm, ok := sm["Connect"].(map[string]any); ok {
				sec := fmt.Sprintf("Connect[%d]", si)
				fs := append([]Field{{Section: sec, Value: "{}"}}, flattenAny(sec, "", cm)...)
				name, _ := sm["Name"].(string)
				port, _ := sm["PortLabel"].(string)
				cluster, _ := sm["Cluster"].(string)
				gs.Fields = append(gs.Fields, connectFields(fs, name, port, cluster, cm["SidecarService"] != nil)...)
			}
		}
		tasks, _ := m["Tasks"].([]any)
		for ti, traw := range tasks {
			tm, ok := traw.(map[string]any)
			if !ok {
				j.bad(fmt.Sprintf("%s.Tasks[%d]", path, ti), "must be an object")
				continue
			}
			tpath := fmt.Sprintf("%s.Tasks[%d]", path, ti)
			t := TaskSpec{Name: j.str(tm, "Name", tpath), Pos: Pos{File: j.file}}
			for _, k := range []string{"Driver", "User"} {
				if s := j.str(tm, k, tpath); s != "" {
					t.Fields = append(t.Fields, Field{Key: k, Value: s})
				}
			}
			for _, k := range []string{"Config", "Env", "Resources", "Artifacts", "Templates", "Vault", "Consul",
				"Identity", "Identities", "CSIPluginConfig", "LogConfig", "Meta", "VolumeMounts", "Secrets"} {
				t.Fields = append(t.Fields, taskBlockFields(k, flattenAny(k, "", tm[k]))...)
			}
			j.policyWritten(tm["RestartPolicy"], tpath+".RestartPolicy", restartKinds, &t.restart)
			j.policyWritten(tm["Lifecycle"], tpath+".Lifecycle", lifecycleKinds, &t.life)
			switch l := tm["Leader"].(type) {
			case nil:
			case bool:
				t.leader = l
			default:
				j.bad(tpath+".Leader", "must be true or false")
			}
			tsvcs, _ := tm["Services"].([]any)
			for _, s := range tsvcs {
				sm, _ := s.(map[string]any)
				checks = append(checks, serviceChecks(sm, v.ID+"-"+gs.Name+"-"+t.Name)...)
			}
			sortFields(t.Fields)
			gs.Tasks = append(gs.Tasks, t)
			g.Tasks = append(g.Tasks, t.Name)
		}
		g.Checks = uniqueNames(checks)
		finishRestart(&gs)
		sortFields(gs.Fields)
		g.Spec = fingerprint(&gs)
		g.Definition = j.groupDefinition(m, path)
		job.Groups = append(job.Groups, gs)
		v.Groups = append(v.Groups, g)
	}
	v.Definition = j.jobDefinition(doc, job.Type)
	return job
}

func serviceChecks(svc map[string]any, defaultName string) []string {
	if svc == nil {
		return nil
	}
	name, _ := svc["Name"].(string)
	if name == "" {
		name = defaultName
	}
	var out []string
	checks, _ := svc["Checks"].([]any)
	for _, c := range checks {
		cm, _ := c.(map[string]any)
		if cm == nil {
			continue
		}
		if ou, _ := cm["OnUpdate"].(string); ou == "ignore" {
			continue
		}
		cn, _ := cm["Name"].(string)
		if cn == "" {
			cn = fmt.Sprintf("service: %q check", name)
		}
		out = append(out, cn)
	}
	return out
}

// flattenAny flattens decoded JSON into fields; null and empty values give
// none, so an absent field and an empty one compare equal.
func flattenAny(section, key string, v any) []Field {
	var out []Field
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case nil:
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(strings.TrimPrefix(key+"."+k, "."), v[k])
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", key, i), e)
			}
		case string:
			out = append(out, Field{Section: section, Key: key, Value: v})
		default:
			out = append(out, Field{Section: section, Key: key, Value: fmt.Sprint(v)})
		}
	}
	walk(key, v)
	return out
}

// policyWritten records in w the fields of a policy object (a
// ReschedulePolicy, RestartPolicy or Migrate) that kinds names by the job
// file's spelling, for Validate, reporting a field of the wrong type. A
// missing or null field is not given: Nomad's default applies. It does
// nothing for a null policy.
func (j *jsonJob) policyWritten(raw any, path string, kinds map[string]valueKind, w *written) {
	m, ok := raw.(map[string]any)
	if !ok {
		return
	}
	at := Pos{File: j.file}
	w.given(at)
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		key := sectionName(name) // the API's spelling: DelayFunction
		if m[key] == nil {
			continue
		}
		switch kinds[name] {
		case kindInt:
			if n, ok := j.int(m, key, path); ok {
				w.set(name, int(n), at)
			}
		case kindDuration:
			if n, ok := j.int(m, key, path); ok {
				w.set(name, time.Duration(n), at)
			}
		case kindString:
			w.set(name, j.str(m, key, path), at)
		case kindBool:
			if b, ok := m[key].(bool); ok {
				w.set(name, b, at)
			} else {
				j.bad(path+"."+key, "must be true or false")
			}
		}
	}
}
