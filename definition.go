package rollout

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"
)

// Job definitions.
//
// A version's Definition and each group's Definition hold what the job file
// says beyond what Step deploys: what a driver needs to start an allocation
// (tasks, their driver and its config, env, resources, artifacts,
// templates, services and checks, restart and kill settings) and what a
// plan shows. Step never reads them, so they never change its decisions;
// the Spec fingerprint stays the test of a destructive change. They travel
// with the version: they are stored in History, carried by Decisions, and
// compared by History.Submit, so a change Nomad updates in place (a tag, a
// restart attempt, a shutdown delay) makes a new version whose
// allocations are updated in place.
//
// Their JSON is the job file's spelling (snake_case keys, durations as
// "30s" strings), omitting empty fields; it is read in that spelling or the
// API spelling (Go field names, durations as nanoseconds), strictly:
// unknown keys and values of the wrong type are *FieldError values naming
// the field. What a block of the job file holds that has no field here is
// kept in Extra, as JSON values.

// JobDefinition is the job-level part of a job file that Step does not
// read: where and how the job runs.
type JobDefinition struct {
	// Type is the job file's type ("service", "system", "batch",
	// "sysbatch"; "service" when it writes none); JobVersion.Type is what
	// Step deploys.
	Type string `json:"type,omitempty"`
	// Datacenters, NodePool, Region and Namespace place the job.
	Datacenters []string `json:"datacenters,omitempty"`
	NodePool    string   `json:"node_pool,omitempty"`
	Region      string   `json:"region,omitempty"`
	Namespace   string   `json:"namespace,omitempty"`
	// Priority is the job's scheduling priority; 0 when not written.
	Priority int `json:"priority,omitempty"`
	// AllAtOnce is the job's all_at_once flag.
	AllAtOnce bool `json:"all_at_once,omitempty"`
	// Meta is the job's meta block.
	Meta map[string]string `json:"meta,omitempty"`
	// Extra holds the other job-level arguments and blocks, as JSON
	// values (constraint, periodic, parameterized, ...).
	Extra map[string]any `json:"extra,omitempty"`
}

// GroupDefinition is a task group as the job file defines it: its tasks
// and what the group gives them.
type GroupDefinition struct {
	// Tasks are the group's tasks, in file order.
	Tasks []TaskDefinition `json:"tasks,omitempty"`
	// Services are the group-level services, with their checks.
	Services []Service `json:"services,omitempty"`
	// Networks are the group's network blocks.
	Networks []Network `json:"networks,omitempty"`
	// Restart is the group's restart block; nil when it has none.
	Restart *RestartPolicy `json:"restart,omitempty"`
	// ShutdownDelay is the group's shutdown_delay.
	ShutdownDelay time.Duration `json:"shutdown_delay,omitempty"`
	// Meta is the group's meta block.
	Meta map[string]string `json:"meta,omitempty"`
	// Extra holds the group's other arguments and blocks (constraint,
	// ephemeral_disk, volume, migrate, scaling, ...), as JSON values.
	Extra map[string]any `json:"extra,omitempty"`
}

// TaskDefinition is one task of a group.
type TaskDefinition struct {
	// Name is the task's name, unique within the group.
	Name string `json:"name"`
	// Driver names the task driver ("docker", "exec", "raw_exec", ...).
	Driver string `json:"driver,omitempty"`
	// User is the user the task runs as.
	User string `json:"user,omitempty"`
	// Config is the driver's configuration as JSON values: strings,
	// float64 numbers, booleans, []any lists and map[string]any objects
	// (a repeated block is a list of objects), as encoding/json decodes
	// them. Run-time interpolations (${NOMAD_PORT_http}) are kept as
	// written.
	Config map[string]any `json:"config,omitempty"`
	// Env and Meta are the task's env and meta blocks.
	Env  map[string]string `json:"env,omitempty"`
	Meta map[string]string `json:"meta,omitempty"`
	// Resources are the task's resources; nil when it has no block.
	Resources *Resources `json:"resources,omitempty"`
	// Artifacts and Templates are the task's artifact and template blocks.
	Artifacts []Artifact `json:"artifacts,omitempty"`
	Templates []Template `json:"templates,omitempty"`
	// Services are the task-level services, with their checks.
	Services []Service `json:"services,omitempty"`
	// Restart is the task's restart block (over the group's); nil when it
	// has none.
	Restart *RestartPolicy `json:"restart,omitempty"`
	// KillTimeout, KillSignal and ShutdownDelay say how the task is
	// stopped.
	KillTimeout   time.Duration `json:"kill_timeout,omitempty"`
	KillSignal    string        `json:"kill_signal,omitempty"`
	ShutdownDelay time.Duration `json:"shutdown_delay,omitempty"`
	// Leader marks the group's leader task.
	Leader bool `json:"leader,omitempty"`
	// Extra holds the task's other arguments and blocks (lifecycle,
	// logs, vault, identity, volume_mount, ...), as JSON values.
	Extra map[string]any `json:"extra,omitempty"`
}

// Resources is a task's resources block.
type Resources struct {
	// CPU in MHz, Cores reserved, MemoryMB and MemoryMaxMB in MB.
	CPU         int `json:"cpu,omitempty"`
	Cores       int `json:"cores,omitempty"`
	MemoryMB    int `json:"memory,omitempty"`
	MemoryMaxMB int `json:"memory_max,omitempty"`
	// Extra holds the block's other fields (device, numa, ...).
	Extra map[string]any `json:"extra,omitempty"`
}

// Artifact is a task's artifact block: a file fetched before it starts.
type Artifact struct {
	Source      string            `json:"source,omitempty"`
	Destination string            `json:"destination,omitempty"`
	Mode        string            `json:"mode,omitempty"`
	Options     map[string]string `json:"options,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	// Extra holds the block's other fields.
	Extra map[string]any `json:"extra,omitempty"`
}

// Template is a task's template block: a file rendered before it starts.
type Template struct {
	// Data is the inline template; Source a file to render instead.
	Data        string `json:"data,omitempty"`
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination,omitempty"`
	// ChangeMode is what a re-render does ("restart", "signal", "noop",
	// "script"), ChangeSignal the signal for "signal".
	ChangeMode   string `json:"change_mode,omitempty"`
	ChangeSignal string `json:"change_signal,omitempty"`
	Perms        string `json:"perms,omitempty"`
	// Env loads the rendered file into the task's environment.
	Env bool `json:"env,omitempty"`
	// Extra holds the block's other fields.
	Extra map[string]any `json:"extra,omitempty"`
}

// Network is a group's network block.
type Network struct {
	// Mode is the network mode ("host", "bridge", ...).
	Mode string `json:"mode,omitempty"`
	// Ports are the block's port and reserved port blocks.
	Ports []Port `json:"ports,omitempty"`
	// Extra holds the block's other fields (dns, hostname, ...).
	Extra map[string]any `json:"extra,omitempty"`
}

// Port is a port of a network block, by its label.
type Port struct {
	// Label names the port, as services and checks refer to it.
	Label string `json:"label"`
	// Static is the reserved host port (0: dynamic); To the port inside
	// the task's network namespace.
	Static int `json:"static,omitempty"`
	To     int `json:"to,omitempty"`
	// HostNetwork names the host network the port is on.
	HostNetwork string `json:"host_network,omitempty"`
}

// Service is a service block, registered for a group or a task.
type Service struct {
	// Name is the service's name as the job file gives it ("" when
	// unnamed: Nomad names it <job>-<group>[-<task>]).
	Name string `json:"name,omitempty"`
	// Provider is "consul" or "nomad"; "" for Nomad's default.
	Provider string `json:"provider,omitempty"`
	// PortLabel is the port the service advertises, by label or number.
	PortLabel string `json:"port,omitempty"`
	// Tags and CanaryTags are registered with the service; canaries get
	// CanaryTags when set.
	Tags       []string          `json:"tags,omitempty"`
	CanaryTags []string          `json:"canary_tags,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
	// Task names the task a group service's script checks run in.
	Task string `json:"task,omitempty"`
	// Checks are the service's checks.
	Checks []ServiceCheck `json:"checks,omitempty"`
	// Extra holds the block's other fields (connect, address_mode, ...).
	Extra map[string]any `json:"extra,omitempty"`
}

// Check types of ServiceCheck.Type.
const (
	CheckHTTP   = "http"
	CheckTCP    = "tcp"
	CheckScript = "script"
	CheckGRPC   = "grpc"
)

// ServiceCheck is a check block of a service.
type ServiceCheck struct {
	// Name is the check's name ("" when unnamed: Nomad names it
	// `service: "<service>" check`).
	Name string `json:"name,omitempty"`
	// Type is CheckHTTP, CheckTCP, CheckScript or CheckGRPC.
	Type string `json:"type,omitempty"`
	// Path and Method are an HTTP check's request; Protocol "http" or
	// "https"; Headers its request headers.
	Path     string              `json:"path,omitempty"`
	Method   string              `json:"method,omitempty"`
	Protocol string              `json:"protocol,omitempty"`
	Headers  map[string][]string `json:"header,omitempty"`
	// PortLabel is the port checked, by label; "" for the service's.
	PortLabel string `json:"port,omitempty"`
	// Command and Args are a script check's command.
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Task names the task a group service's script check runs in.
	Task string `json:"task,omitempty"`
	// Interval is how often the check runs, Timeout how long one run may
	// take.
	Interval time.Duration `json:"interval,omitempty"`
	Timeout  time.Duration `json:"timeout,omitempty"`
	// CheckRestart restarts the task after failures; nil when not set.
	CheckRestart *CheckRestart `json:"check_restart,omitempty"`
	// OnUpdate is "require_healthy" (the default), "ignore_warnings" or
	// "ignore": whether the check gates a deployment's health.
	OnUpdate string `json:"on_update,omitempty"`
	// SuccessBeforePassing and FailuresBeforeCritical are the runs in a
	// row that pass or fail the check.
	SuccessBeforePassing   int `json:"success_before_passing,omitempty"`
	FailuresBeforeCritical int `json:"failures_before_critical,omitempty"`
	// Extra holds the block's other fields (grpc_service, tls_skip_verify,
	// expose, ...).
	Extra map[string]any `json:"extra,omitempty"`
}

// CheckRestart is a check's check_restart block.
type CheckRestart struct {
	// Limit restarts the task after that many failures in a row; 0 never.
	Limit int `json:"limit,omitempty"`
	// Grace is how long after a start failures are ignored.
	Grace time.Duration `json:"grace,omitempty"`
	// IgnoreWarnings counts a warning as passing.
	IgnoreWarnings bool `json:"ignore_warnings,omitempty"`
}

// RestartPolicy is a restart block: how a node restarts a failed task.
type RestartPolicy struct {
	Attempts int           `json:"attempts,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
	Delay    time.Duration `json:"delay,omitempty"`
	// Mode is "fail" or "delay".
	Mode            string `json:"mode,omitempty"`
	RenderTemplates bool   `json:"render_templates,omitempty"`
}

// Task returns the task with the given name.
func (d *GroupDefinition) Task(name string) (*TaskDefinition, bool) {
	if d == nil {
		return nil, false
	}
	for i := range d.Tasks {
		if d.Tasks[i].Name == name {
			return &d.Tasks[i], true
		}
	}
	return nil, false
}

// Equal reports whether d and o define the same group: the same JSON
// encoding (nil and an empty definition are equal).
func (d *GroupDefinition) Equal(o *GroupDefinition) bool { return sameJSON(d, o) }

// Equal reports whether d and o define the same job-level fields.
func (d *JobDefinition) Equal(o *JobDefinition) bool { return sameJSON(d, o) }

// sameJSON compares two definitions by their canonical encoding, which
// sorts map keys, so that a definition read back from a store equals the
// one submitted whatever Go types its JSON values have.
func sameJSON[T any](a, b *T) bool {
	if a == nil && b == nil {
		return true
	}
	ea, erra := encodeDefinition(a)
	eb, errb := encodeDefinition(b)
	return erra == nil && errb == nil && bytes.Equal(ea, eb)
}

// encodeDefinition encodes a definition, with nil as an empty object.
func encodeDefinition[T any](d *T) ([]byte, error) {
	if d == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(d)
}

// Same reports whether two versions are the same submission: the same
// specification (SameSpec) and the same definitions, job and groups. A
// resubmission that is Same makes no new version; one that differs only in
// definitions is an in-place update.
func (j *JobVersion) Same(o *JobVersion) bool {
	if !j.SameSpec(o) || !j.Definition.Equal(o.Definition) {
		return false
	}
	for i := range j.Groups {
		if !j.Groups[i].Definition.Equal(o.Groups[i].Definition) {
			return false
		}
	}
	return true
}

// cloneDefinition returns a deep copy of a definition: no slice, map or
// pointer is shared with d, down to the JSON values of Config and Extra.
func cloneDefinition[T any](d *T) *T {
	if d == nil {
		return nil
	}
	return deepCopy(reflect.ValueOf(d)).Interface().(*T)
}

// deepCopy copies v and everything it refers to.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			c.Field(i).Set(deepCopy(v.Field(i)))
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return c
	}
	return v
}
