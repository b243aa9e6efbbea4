package jobspec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/rollout-go/rollout"
)

// Definitions: what a group's tasks run, for rollout.GroupDefinition.
//
// Both loaders first turn a block into a tree of JSON values (tree): its
// arguments under their names, its blocks as lists of objects under their
// type (a labelled block carries its label as "name"), numbers as float64.
// The HCL loader builds it from the evaluated body, the JSON loader by
// renaming the API's keys (apiTree). A builder then takes the fields
// rollout's definitions type out of the tree, checking their types, and
// keeps the rest in Extra, so that nothing the job file says is lost.

// tree is one block of a job file as JSON values.
type tree map[string]any

// defBuilder takes typed fields out of trees, reporting a field of the wrong
// type through bad (at names the block, key the field).
type defBuilder struct {
	bad func(at, key string, value any, problem string)
}

// take removes key from t and returns its value.
func (t tree) take(key string) any {
	v := t[key]
	delete(t, key)
	return v
}

// blocks returns the objects of a block that may repeat: a list of
// objects (a block, or an attribute holding a list of objects) or one
// object (an attribute holding one).
func blocks(v any) []tree {
	switch v := v.(type) {
	case map[string]any:
		return []tree{v}
	case []any:
		var out []tree
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// object returns a block written at most once as one object: the blocks
// merged in order (a later one's keys win), or nil.
func object(v any) tree {
	bs := blocks(v)
	if len(bs) == 0 {
		return nil
	}
	out := tree{}
	for _, b := range bs {
		maps.Copy(out, b)
	}
	return out
}

func (b *defBuilder) str(at string, t tree, key string) string {
	switch v := t.take(key).(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		b.bad(at, key, v, "must be a string")
		return ""
	}
}

func (b *defBuilder) int(at string, t tree, key string) int {
	switch v := t.take(key).(type) {
	case nil:
		return 0
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
		b.bad(at, key, v, "must be a whole number")
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		b.bad(at, key, v, "must be a whole number")
	default:
		b.bad(at, key, v, "must be a whole number")
	}
	return 0
}

func (b *defBuilder) bool(at string, t tree, key string) bool {
	raw := t.take(key)
	switch v := raw.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		if x, err := strconv.ParseBool(v); err == nil {
			return x
		}
	}
	b.bad(at, key, raw, "must be true or false")
	return false
}

// duration reads a duration: a string such as "30s" (HCL), or integer
// nanoseconds (the API's JSON).
func (b *defBuilder) duration(at string, t tree, key string) time.Duration {
	switch v := t.take(key).(type) {
	case nil:
		return 0
	case string:
		d, err := time.ParseDuration(v)
		if err == nil {
			return d
		}
		b.bad(at, key, v, `must be a duration such as "30s"`)
	case float64:
		return time.Duration(v)
	default:
		b.bad(at, key, v, `must be a duration such as "30s"`)
	}
	return 0
}

func (b *defBuilder) strings(at string, t tree, key string) []string {
	v := t.take(key)
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		b.bad(at, key, v, "must be a list of strings")
		return nil
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			b.bad(at, key, e, "must be a list of strings")
			continue
		}
		out = append(out, s)
	}
	return out
}

// stringMap reads a map of strings: an attribute (meta = {...}) or a block
// (meta { ... }); numbers and booleans are written as text, as Nomad does.
func (b *defBuilder) stringMap(at string, t tree, key string) map[string]string {
	m := object(t.take(key))
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out[k] = b.str(at+"."+key, tree{k: m[k]}, k)
	}
	return out
}

// config reads a free-form block (a task's config) as JSON values.
func config(t tree, key string) map[string]any {
	m := object(t.take(key))
	if len(m) == 0 {
		return nil
	}
	return m
}

// extra is what remains of t, or nil.
func extra(t tree) map[string]any {
	if len(t) == 0 {
		return nil
	}
	return t
}

// group builds a group's definition from its tree; the fields rollout's
// Group holds (count, update, reschedule) are left out of Extra.
func (b *defBuilder) group(at string, t tree) *rollout.GroupDefinition {
	for _, k := range []string{"name", "count", "update", "reschedule"} {
		delete(t, k)
	}
	d := &rollout.GroupDefinition{}
	for _, tt := range blocks(t.take("task")) {
		d.Tasks = append(d.Tasks, b.task(at, tt))
	}
	d.Services = b.services(at, t)
	for _, nt := range blocks(t.take("network")) {
		n := rollout.Network{Mode: b.str(at+".network", nt, "mode")}
		for _, key := range []string{"port", "reserved_ports", "dynamic_ports"} {
			for _, pt := range blocks(nt.take(key)) {
				n.Ports = append(n.Ports, rollout.Port{
					Label: b.str(at+".network.port", pt, "name"), Static: b.int(at+".network.port", pt, "static"),
					To: b.int(at+".network.port", pt, "to"), HostNetwork: b.str(at+".network.port", pt, "host_network"),
				})
			}
		}
		n.Extra = extra(nt)
		d.Networks = append(d.Networks, n)
	}
	d.Restart = b.restart(at, t)
	d.ShutdownDelay = b.duration(at, t, "shutdown_delay")
	d.Meta = b.stringMap(at, t, "meta")
	d.Extra = extra(t)
	return d
}

func (b *defBuilder) task(group string, t tree) rollout.TaskDefinition {
	name, _ := t["name"].(string)
	at := fmt.Sprintf("%s.task[%q]", group, name)
	d := rollout.TaskDefinition{Name: b.str(at, t, "name"), Driver: b.str(at, t, "driver"), User: b.str(at, t, "user")}
	d.Config = config(t, "config")
	d.Env = b.stringMap(at, t, "env")
	d.Meta = b.stringMap(at, t, "meta")
	if rt := object(t.take("resources")); rt != nil {
		r := &rollout.Resources{CPU: b.int(at+".resources", rt, "cpu"), Cores: b.int(at+".resources", rt, "cores"),
			MemoryMB: b.int(at+".resources", rt, "memory"), MemoryMaxMB: b.int(at+".resources", rt, "memory_max")}
		r.Extra = extra(rt)
		d.Resources = r
	}
	for _, a := range blocks(t.take("artifact")) {
		art := rollout.Artifact{Source: b.str(at+".artifact", a, "source"), Destination: b.str(at+".artifact", a, "destination"),
			Mode: b.str(at+".artifact", a, "mode"), Options: b.stringMap(at+".artifact", a, "options"), Headers: b.stringMap(at+".artifact", a, "headers")}
		art.Extra = extra(a)
		d.Artifacts = append(d.Artifacts, art)
	}
	for _, tp := range blocks(t.take("template")) {
		w := at + ".template"
		tmpl := rollout.Template{Data: b.str(w, tp, "data"), Source: b.str(w, tp, "source"), Destination: b.str(w, tp, "destination"),
			ChangeMode: b.str(w, tp, "change_mode"), ChangeSignal: b.str(w, tp, "change_signal"), Perms: b.str(w, tp, "perms"), Env: b.bool(w, tp, "env")}
		tmpl.Extra = extra(tp)
		d.Templates = append(d.Templates, tmpl)
	}
	d.Services = b.services(at, t)
	d.Restart = b.restart(at, t)
	d.KillTimeout = b.duration(at, t, "kill_timeout")
	d.KillSignal = b.str(at, t, "kill_signal")
	d.ShutdownDelay = b.duration(at, t, "shutdown_delay")
	d.Leader = b.bool(at, t, "leader")
	d.Extra = extra(t)
	return d
}

func (b *defBuilder) restart(at string, t tree) *rollout.RestartPolicy {
	rt := object(t.take("restart"))
	if rt == nil {
		return nil
	}
	at += ".restart"
	return &rollout.RestartPolicy{Attempts: b.int(at, rt, "attempts"), Interval: b.duration(at, rt, "interval"),
		Delay: b.duration(at, rt, "delay"), Mode: b.str(at, rt, "mode"), RenderTemplates: b.bool(at, rt, "render_templates")}
}

func (b *defBuilder) services(at string, t tree) []rollout.Service {
	var out []rollout.Service
	for _, st := range blocks(t.take("service")) {
		w := at + ".service"
		s := rollout.Service{Name: b.str(w, st, "name"), Provider: b.str(w, st, "provider"), PortLabel: b.str(w, st, "port"),
			Tags: b.strings(w, st, "tags"), CanaryTags: b.strings(w, st, "canary_tags"), Meta: b.stringMap(w, st, "meta"), Task: b.str(w, st, "task")}
		for _, ct := range blocks(st.take("check")) {
			s.Checks = append(s.Checks, b.check(w+".check", ct))
		}
		s.Extra = extra(st)
		out = append(out, s)
	}
	return out
}

func (b *defBuilder) check(at string, t tree) rollout.ServiceCheck {
	c := rollout.ServiceCheck{Name: b.str(at, t, "name"), Type: b.str(at, t, "type"), Path: b.str(at, t, "path"),
		Method: b.str(at, t, "method"), Protocol: b.str(at, t, "protocol"), PortLabel: b.str(at, t, "port"),
		Command: b.str(at, t, "command"), Args: b.strings(at, t, "args"), Task: b.str(at, t, "task"),
		Interval: b.duration(at, t, "interval"), Timeout: b.duration(at, t, "timeout"), OnUpdate: b.str(at, t, "on_update"),
		SuccessBeforePassing: b.int(at, t, "success_before_passing"), FailuresBeforeCritical: b.int(at, t, "failures_before_critical")}
	if h := object(t.take("header")); h != nil {
		c.Headers = map[string][]string{}
		for _, k := range slices.Sorted(maps.Keys(h)) {
			c.Headers[k] = b.strings(at+".header", tree{k: h[k]}, k)
		}
	}
	if cr := object(t.take("check_restart")); cr != nil {
		w := at + ".check_restart"
		c.CheckRestart = &rollout.CheckRestart{Limit: b.int(w, cr, "limit"), Grace: b.duration(w, cr, "grace"), IgnoreWarnings: b.bool(w, cr, "ignore_warnings")}
	}
	c.Extra = extra(t)
	return c
}

// job builds the job-level definition; the fields rollout's JobVersion
// holds, and the groups, are left out of Extra.
func (b *defBuilder) job(t tree) *rollout.JobDefinition {
	for _, k := range []string{"name", "id", "group", "task", "update", "reschedule", "migrate"} {
		delete(t, k)
	}
	d := &rollout.JobDefinition{Type: b.str("job", t, "type"), Datacenters: b.strings("job", t, "datacenters"),
		NodePool: b.str("job", t, "node_pool"), Region: b.str("job", t, "region"), Namespace: b.str("job", t, "namespace"),
		Priority: b.int("job", t, "priority"), AllAtOnce: b.bool("job", t, "all_at_once"), Meta: b.stringMap("job", t, "meta")}
	d.Extra = extra(t)
	return d
}
