package jobspec

import (
	"regexp"
	"strings"
)

// What makes a change destructive follows Nomad's scheduler (Nomad 1.10
// and later): affinity, spread and lifecycle changes are updated in
// place; of a task's logs only disabled counts, of its resources neither
// disk nor iops; of a Connect service only what Nomad's sidecar plumbing
// is built from.

// normKey spells a flattened key the same in a job file's spelling and
// the API's, without indexes: sidecar_service[0].port and
// SidecarService.Port are both sidecarservice.port.
func normKey(key string) string {
	return strings.ReplaceAll(strings.ToLower(indexes.ReplaceAllString(key, "")), "_", "")
}

var indexes = regexp.MustCompile(`\[[^\]]*\]`)

// connectFields keeps of a group service's connect block (fs, flattened,
// never empty) the fields whose change Nomad makes destructive: the
// block's presence, native, gateway, sidecar_task, whether it has a
// sidecar_service and that service's port; and adds the service's own port
// label and cluster, which Nomad compares for a Connect service too, and
// its name when Nomad runs a task for it (a sidecar or a gateway: the
// task is named after the service). The sidecar service's tags, proxy and
// upstreams are updated in place.
func connectFields(fs []Field, name, port, cluster string, sidecar bool) []Field {
	sec := fs[0].Section
	out := []Field{{Section: sec, Value: "connect"}}
	gateway := false
	for _, f := range fs {
		switch k := normKey(f.Key); {
		case k == "native", k == "sidecarservice.port", strings.HasPrefix(k, "sidecartask"):
			out = append(out, f)
		case strings.HasPrefix(k, "gateway"):
			out, gateway = append(out, f), true
		}
	}
	if sidecar {
		out = append(out, Field{Section: sec, Key: "sidecar_service", Value: "present"})
	}
	if (sidecar || gateway) && name != "" {
		out = append(out, Field{Section: sec, Key: "name", Value: name})
	}
	if port != "" {
		out = append(out, Field{Section: sec, Key: "port", Value: port})
	}
	if cluster != "" {
		out = append(out, Field{Section: sec, Key: "cluster", Value: cluster})
	}
	return out
}

// taskBlockFields keeps of a task block's flattened fields those whose
// change Nomad makes destructive: of logs only disabled, of resources all
// but disk and iops (which Nomad no longer uses); the other blocks whole.
func taskBlockFields(block string, fs []Field) []Field {
	var keep func(k string) bool
	switch strings.ToLower(block) {
	case "logs", "logconfig":
		keep = func(k string) bool { return k == "disabled" }
	case "resources":
		keep = func(k string) bool { return k != "disk" && k != "diskmb" && k != "iops" }
	default:
		return fs
	}
	var out []Field
	for _, f := range fs {
		if keep(normKey(f.Key)) {
			out = append(out, f)
		}
	}
	return out
}

// renderTemplates is the field a restart block's render_templates = true
// adds to its group's or task's fingerprint: Nomad replaces the
// allocations when it changes.
func renderTemplates(w *written) []Field {
	if value(w, "render_templates", false) {
		return []Field{{Section: "Restart", Key: "render_templates", Value: "true"}}
	}
	return nil
}

// finishRestart adds render_templates to the group's fingerprint and to
// each task's, the task's read over the group's (a task inherits it).
func finishRestart(gs *GroupSpec) {
	gs.Fields = append(gs.Fields, renderTemplates(&gs.restart)...)
	for i := range gs.Tasks {
		t := &gs.Tasks[i]
		t.Fields = append(t.Fields, renderTemplates(t.restart.over(&gs.restart))...)
		sortFields(t.Fields)
	}
}
