package jobspec

import (
	"fmt"
	"maps"
	"reflect"
)

// What `nomad job inspect` prints for the fields a job file leaves unset:
// zero values (empty strings, zero numbers, false, empty lists and maps)
// and Nomad's own defaults (a service's provider "consul", a task's
// kill_timeout 5s, ...). normalizeAPI drops them from an API tree, so
// that the same job read from its job file and from the API's JSON has
// the same definition; the server's bookkeeping (status, version, modify
// indexes) is no part of a definition. A block the API prints as one
// object becomes a list of one, as a job file's block is.
//
// A value a job file spells out that equals Nomad's default (priority =
// 50) is kept by the HCL loader, so there the two still differ; durations
// that rollout does not type (in Extra) stay nanoseconds.

// apiBookkeeping are the job-level keys that the server writes.
var apiBookkeeping = []string{
	"status", "status_description", "stable", "version", "submit_time",
	"create_index", "modify_index", "job_modify_index",
}

// apiDefaults are Nomad's defaults for unset fields, by the block they
// are in (after renaming): a key whose value equals its default is
// dropped.
var apiDefaults = map[string]map[string]any{
	"job":     {"region": "global", "namespace": "default", "node_pool": "default", "priority": float64(50)},
	"group":   {"migrate": apiMigrateDefault, "ephemeral_disk": map[string]any{"size": float64(300)}, "consul": map[string]any{"cluster": "default"}, "restart": apiRestartDefault},
	"task":    {"kill_timeout": float64(5e9), "logs": map[string]any{"max_files": float64(10), "max_file_size": float64(10)}, "resources": map[string]any{"cpu": float64(100), "memory": float64(300)}},
	"service": {"provider": "consul", "address_mode": "auto", "on_update": "require_healthy", "cluster": "default"},
	"check":   {"on_update": "require_healthy"},
	"port":    {"host_network": "default"},
}

var (
	apiMigrateDefault = map[string]any{"max_parallel": float64(1), "health_check": "checks", "min_healthy_time": float64(10e9), "healthy_deadline": float64(300e9)}
	apiRestartDefault = map[string]any{"attempts": float64(2), "interval": float64(1800e9), "delay": float64(15e9), "mode": "fail"}
)

// apiBlocks are the keys of the blocks normalizeAPI descends into, by the
// kind of block they hold.
var apiBlocks = map[string]string{"group": "group", "task": "task", "service": "service", "check": "check", "network": "network", "port": "port", "dynamic_ports": "port", "reserved_ports": "port"}

// normalizeAPI drops from t (a kind block: job, group, task, ...) the
// zero values, Nomad's defaults and, for the job, the bookkeeping, and
// returns it.
func normalizeAPI(kind string, t tree) tree {
	if kind == "job" {
		for _, k := range apiBookkeeping {
			delete(t, k)
		}
	}
	for k, v := range t {
		if apiOpaqueName[k] {
			if isZero(v) {
				delete(t, k)
			}
			continue
		}
		t[k] = normalizeValue(apiBlocks[k], v)
		if isZero(t[k]) {
			delete(t, k)
		}
	}
	for k, def := range apiDefaults[kind] {
		if v, ok := t[k]; ok && reflect.DeepEqual(unwrap(v), def) {
			delete(t, k)
		}
	}
	if kind == "group" {
		// Nomad copies the group's restart policy into each task that has
		// none of its own.
		for _, tt := range blocks(t["task"]) {
			if r, ok := tt["restart"]; ok && (reflect.DeepEqual(r, t["restart"]) || reflect.DeepEqual(unwrap(r), apiRestartDefault)) {
				delete(tt, "restart")
			}
		}
	}
	if kind == "service" {
		for _, ct := range blocks(t["check"]) {
			if ct["name"] == fmt.Sprintf("service: %q check", t["name"]) {
				delete(ct, "name")
			}
		}
	}
	return t
}

// normalizeValue normalizes the blocks of a value, an object becoming a
// list of one.
func normalizeValue(kind string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		return []any{map[string]any(normalizeAPI(kind, v))}
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				m = normalizeAPI(kind, m)
				if len(m) == 0 {
					continue
				}
				out = append(out, m)
				continue
			}
			out = append(out, e)
		}
		return out
	}
	return v
}

// unwrap is the object of a list of one object, else v.
func unwrap(v any) any {
	if l, ok := v.([]any); ok && len(l) == 1 {
		if m, ok := l[0].(map[string]any); ok {
			return m
		}
	}
	return v
}

// isZero holds for what the API prints for an unset field.
func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case float64:
		return v == 0
	case bool:
		return !v
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// apiOpaqueName are the apiOpaque keys in the job file's spelling.
var apiOpaqueName = func() map[string]bool {
	out := map[string]bool{}
	for k := range maps.Keys(apiOpaque) {
		name, ok := apiNames[k]
		if !ok {
			name = snakeCase(k)
		}
		out[name] = true
	}
	return out
}()
