package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The field diffs of a plan, from the definitions, as `nomad job plan`
// prints them: a plain field as `+/- KillTimeout: "5s" => "10s"`, a
// block's fields inside `+/- Config { ... }`, maps by key (`Meta[tier]`,
// `Env[LOG_LEVEL]`), lists by index (`args[1]`), set-like lists (service
// tags, datacenters) as a set (`+/- Tags {` with `+ Tags: "v2"` and
// `- Tags: "v1"`), the values of a block aligned. Only what changed is
// shown, every field with -verbose.

// change is what became of a field or a block.
type change int

const (
	same change = iota
	added
	removed
	edited
)

// marker is the change's prefix, padded to its field name.
func (c change) marker() string {
	switch c {
	case added:
		return "+ "
	case removed:
		return "- "
	case edited:
		return "+/- "
	}
	return "    "
}

// diffField is one field: its old and new value, and an annotation such as
// "forces create".
type diffField struct {
	name     string
	old, new string
	had, has bool
	note     string
}

func (f *diffField) change() change {
	switch {
	case !f.had && !f.has:
		return same
	case !f.had:
		return added
	case !f.has:
		return removed
	case f.old != f.new:
		return edited
	}
	return same
}

// diffObject is a block: its fields, then its blocks, each sorted by name.
type diffObject struct {
	name    string
	fields  []diffField
	objects []*diffObject
}

func (o *diffObject) change() change {
	had, has, changed := false, false, false
	for i := range o.fields {
		f := &o.fields[i]
		had, has = had || f.had, has || f.has
		changed = changed || f.change() != same
	}
	for _, c := range o.objects {
		switch c.change() {
		case same:
			had, has = true, true
		case added:
			has, changed = true, true
		case removed:
			had, changed = true, true
		case edited:
			had, has, changed = true, true, true
		}
	}
	switch {
	case !changed:
		return same
	case !had:
		return added
	case !has:
		return removed
	}
	return edited
}

// annotate notes every changed field of o and of its blocks.
func (o *diffObject) annotate(note string) {
	for i := range o.fields {
		if o.fields[i].change() != same {
			o.fields[i].note = note
		}
	}
	for _, c := range o.objects {
		c.annotate(note)
	}
}

// lines renders o's fields and blocks at indent: the changed ones, or all
// when verbose. Values are aligned over all the block's fields, as Nomad
// aligns them.
func (o *diffObject) lines(indent string, verbose bool) []string {
	width := 0
	for _, f := range o.fields {
		width = max(width, len(f.name)+1)
	}
	var out []string
	for _, f := range o.fields {
		ch := f.change()
		if ch == same && !verbose {
			continue
		}
		label := fmt.Sprintf("%-*s", width, f.name+":")
		var l string
		switch ch {
		case added:
			l = fmt.Sprintf("%s%s%s %q", indent, ch.marker(), label, f.new)
		case removed, same:
			l = fmt.Sprintf("%s%s%s %q", indent, ch.marker(), label, f.old)
		case edited:
			l = fmt.Sprintf("%s%s%s %q => %q", indent, ch.marker(), label, f.old, f.new)
		}
		if f.note != "" {
			l += " (" + f.note + ")"
		}
		out = append(out, l)
	}
	for _, c := range o.objects {
		ch := c.change()
		if ch == same && !verbose {
			continue
		}
		out = append(out, indent+ch.marker()+c.name+" {")
		out = append(out, c.lines(indent+"  ", verbose)...)
		out = append(out, indent+strings.Repeat(" ", len(ch.marker()))+"}")
	}
	return out
}

// planNames are the plan's names of the definitions' keys, where they are
// not the key in CamelCase.
var planNames = map[string]string{
	"config": "Config", "restart": "RestartPolicy", "services": "Service", "templates": "Template",
	"artifacts": "Artifact", "networks": "Network", "checks": "Check", "ports": "Port", "port": "Port",
	"cpu": "CPU", "memory": "MemoryMB", "memory_max": "MemoryMaxMB", "mbits": "MBits",
}

// fieldNames are the plan's names of the definitions' plain fields, where
// a block of the same key is named otherwise: a service's port label.
var fieldNames = map[string]string{"port": "PortLabel"}

// fieldName writes a plain field's key as the plan's.
func fieldName(k string) string {
	if s, ok := fieldNames[k]; ok {
		return s
	}
	return camel(k)
}

// setKeys are the lists that Nomad diffs as sets: an element added or
// removed, never one moved.
var setKeys = map[string]bool{"datacenters": true, "tags": true, "canary_tags": true}

// fieldMaps are the maps shown as one field per key (Meta[tier]).
var fieldMaps = map[string]bool{"meta": true, "env": true, "header": true, "headers": true, "options": true}

// camel writes a job-file name as the plan's: kill_timeout is KillTimeout.
func camel(name string) string {
	if s, ok := planNames[name]; ok {
		return s
	}
	parts := strings.Split(name, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// asTree is the JSON of a definition as generic values; nil for none.
func asTree(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// scalar writes a JSON scalar as the plan shows it.
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// flat flattens a JSON value into keys as Nomad's flatmap writes them:
// maps by key under prefix (prefix.key, or prefix[key] when brackets),
// lists by index.
func flat(prefix string, v any, brackets bool, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			key := k
			switch {
			case brackets:
				key = prefix + "[" + k + "]"
			case prefix != "":
				key = prefix + "." + k
			}
			flat(key, v[k], false, out)
		}
	case []any:
		for i, e := range v {
			flat(fmt.Sprintf("%s[%d]", prefix, i), e, false, out)
		}
	case nil:
	default:
		out[prefix] = scalar(v)
	}
}

// fieldsOf are the diff fields of two flattened values, by name.
func fieldsOf(a, b map[string]string) []diffField {
	keys := slices.Sorted(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]diffField, 0, len(keys))
	for _, k := range keys {
		o, had := a[k]
		n, has := b[k]
		out = append(out, diffField{name: k, old: o, new: n, had: had, has: has})
	}
	return out
}

// setObject diffs two lists as sets: one field per value, named as the
// set, added, removed or kept, in value order.
func setObject(name string, a, b any) *diffObject {
	values := func(v any) map[string]bool {
		out := map[string]bool{}
		if l, ok := v.([]any); ok {
			for _, e := range l {
				out[scalar(e)] = true
			}
		}
		return out
	}
	va, vb := values(a), values(b)
	all := slices.Sorted(maps.Keys(va))
	for k := range vb {
		if !va[k] {
			all = append(all, k)
		}
	}
	slices.Sort(all)
	o := &diffObject{name: name}
	for _, v := range all {
		o.fields = append(o.fields, diffField{name: name, old: v, new: v, had: va[v], has: vb[v]})
	}
	return o
}

// buildObject diffs two definition objects (a job, a group without its
// tasks, a task, one of their blocks), skipping the keys in skip. The
// keys of Extra are the job file's own blocks, shown beside the others.
func buildObject(name string, a, b map[string]any, skip ...string) *diffObject {
	a, b = withExtra(a), withExtra(b)
	o := &diffObject{name: name}
	fa, fb := map[string]string{}, map[string]string{}
	keys := slices.Sorted(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(skip, k) {
			continue
		}
		av, bv := a[k], b[k]
		kind := bv
		if kind == nil {
			kind = av
		}
		switch {
		case k == "config":
			ca, cb := map[string]string{}, map[string]string{}
			flat("", av, false, ca)
			flat("", bv, false, cb)
			o.objects = append(o.objects, &diffObject{name: camel(k), fields: fieldsOf(ca, cb)})
		case isScalar(kind):
			if av != nil {
				fa[fieldName(k)] = scalar(av)
			}
			if bv != nil {
				fb[fieldName(k)] = scalar(bv)
			}
		case setKeys[k]:
			o.objects = append(o.objects, setObject(camel(k), av, bv))
		case fieldMaps[k]:
			flat(camel(k), av, true, fa)
			flat(camel(k), bv, true, fb)
		default:
			la, lb := elements(av), elements(bv)
			if _, list := kind.([]any); list && !objects(la, lb) {
				flat(camel(k), av, false, fa)
				flat(camel(k), bv, false, fb)
				continue
			}
			for i := range max(len(la), len(lb)) {
				var ea, eb map[string]any
				if i < len(la) {
					ea, _ = la[i].(map[string]any)
				}
				if i < len(lb) {
					eb, _ = lb[i].(map[string]any)
				}
				o.objects = append(o.objects, buildObject(camel(k), ea, eb))
			}
		}
	}
	o.fields = fieldsOf(fa, fb)
	slices.SortStableFunc(o.objects, func(x, y *diffObject) int { return strings.Compare(x.name, y.name) })
	return o
}

// withExtra is a definition object with the keys of its Extra beside its
// own.
func withExtra(m map[string]any) map[string]any {
	extra, ok := m["extra"].(map[string]any)
	if !ok {
		return m
	}
	out := make(map[string]any, len(m)+len(extra))
	maps.Copy(out, extra)
	for k, v := range m {
		if k != "extra" {
			out[k] = v
		}
	}
	return out
}

// elements are a block's values: the objects of a list, or the one object.
func elements(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	}
	return []any{v}
}

// objects holds when the lists' elements are objects (blocks), not values.
func objects(lists ...[]any) bool {
	for _, l := range lists {
		for _, e := range l {
			if _, ok := e.(map[string]any); !ok {
				return false
			}
		}
	}
	return true
}
