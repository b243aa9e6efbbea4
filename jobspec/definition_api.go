package jobspec

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/rollout-go/rollout"
)

// The definitions of a job in the API's JSON: its keys are renamed to the
// job file's (apiTree), and the same builder as for HCL reads them.

// apiNames are the API keys whose job-file name is not their snake case.
var apiNames = map[string]string{
	"TaskGroups": "group", "Tasks": "task", "Services": "service", "Checks": "check", "Networks": "network",
	"RestartPolicy": "restart", "ReschedulePolicy": "reschedule", "PortLabel": "port", "TaskName": "task",
	"Label": "name", "Value": "static", "CPU": "cpu", "MemoryMB": "memory", "MemoryMaxMB": "memory_max",
	"Artifacts": "artifact", "GetterSource": "source", "RelativeDest": "destination", "GetterMode": "mode",
	"GetterOptions": "options", "GetterHeaders": "headers", "Templates": "template", "EmbeddedTmpl": "data",
	"SourcePath": "source", "DestPath": "destination", "Envvars": "env",
	"LogConfig": "logs", "SizeMB": "size", "MaxFileSizeMB": "max_file_size",
}

// apiOpaque are the API keys whose objects hold the user's own keys,
// which are kept as written.
var apiOpaque = map[string]bool{"Config": true, "Env": true, "Meta": true, "Header": true, "GetterOptions": true, "GetterHeaders": true}

// apiTree renames the keys of a decoded API object to the job file's
// spelling, drops nulls and turns json.Number into float64.
func apiTree(m map[string]any) tree {
	out := tree{}
	for k, v := range m {
		if v == nil {
			continue
		}
		name, ok := apiNames[k]
		if !ok {
			name = snakeCase(k)
		}
		if apiOpaque[k] {
			out[name] = jsonValues(v)
		} else {
			out[name] = apiValue(v)
		}
	}
	return out
}

func apiValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return map[string]any(apiTree(v))
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			out = append(out, apiValue(e))
		}
		return out
	}
	return jsonValues(v)
}

// jsonValues turns the json.Number values of v into float64 (or text, out
// of its range), as encoding/json decodes numbers.
func jsonValues(v any) any {
	switch v := v.(type) {
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValues(e)
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			out = append(out, jsonValues(e))
		}
		return out
	}
	return v
}

// snakeCase writes an API key in the job file's spelling: PortLabel is
// port_label, CSIPluginConfig csi_plugin_config.
func snakeCase(k string) string {
	rs := []rune(k)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// groupDefinition reads the definition of a task group of the API's JSON.
func (j *jsonJob) groupDefinition(m map[string]any, path string) *rollout.GroupDefinition {
	return j.defBuilder(path).group("group", normalizeAPI("group", apiTree(m)))
}

// jobDefinition reads the job-level definition of the API's JSON.
func (j *jsonJob) jobDefinition(doc map[string]any, jobType string) *rollout.JobDefinition {
	d := j.defBuilder("Job").job(normalizeAPI("job", apiTree(doc)))
	if d.Type == "" {
		d.Type = jobType
	}
	return d
}

func (j *jsonJob) defBuilder(path string) *defBuilder {
	return &defBuilder{bad: func(at, key string, value any, problem string) {
		j.bad(path, "%s.%s %s, not %s", at, key, problem, kindOf(value))
	}}
}
