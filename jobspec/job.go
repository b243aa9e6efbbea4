package jobspec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/rollout-go/rollout"
)

// Job is a loaded job file: the rollout.JobVersion it describes and what a
// reader of the file needs besides (its type, datacenters, the fields of
// each task for a plan's diff, positions for messages).
type Job struct {
	// Version is the job as rollout deploys it. Each group's Spec is the
	// fingerprint of its destructive fields (see the package doc).
	Version rollout.JobVersion
	// Type is the job's type: "service" (the default), "batch", "system"
	// or "sysbatch". Version.Type is rollout.JobSystem for "system" and
	// empty (a service job) for the others.
	Type string
	// Datacenters lists the job's datacenters, as written.
	Datacenters []string
	// Groups describes each group of Version.Groups, in the same order.
	Groups []GroupSpec
	// Pos is where the job is declared.
	Pos Pos
}

// GroupSpec is what the loader read of one group, beyond its JobVersion
// group.
type GroupSpec struct {
	// Name is the group's name.
	Name string
	// Pos is where the group is declared; UpdatePos where its update block
	// is (zero when it has none).
	Pos, UpdatePos Pos
	// Fields holds the group's own destructive fields (ephemeral_disk,
	// network, volume, affinity, spread, meta, connect), flattened.
	Fields []Field
	// Tasks lists the group's tasks in file order.
	Tasks []TaskSpec
	// reschedule, restart, migrate and scaling are the group's policy
	// blocks as written, which Validate checks; disconnect its disconnect
	// block, oldDisconnect the older arguments it replaced (disconnect.go).
	reschedule, restart, migrate, scaling, disconnect, oldDisconnect written
	// analysisAt is where the fields of the group's analysis block (its
	// own, else its job's) are written, keyed "analysis.interval", ...
	analysisAt map[string]Pos
}

// TaskSpec is one task: its destructive fields, flattened.
type TaskSpec struct {
	// Name is the task's name.
	Name string
	// Pos is where the task is declared (the file only, for a JSON job).
	Pos Pos
	// restart and life are the task's restart and lifecycle blocks as
	// written, which Validate checks (restart over the group's); leader
	// its leader argument.
	restart, life written
	leader        bool
	// Fields are the task's destructive fields, sorted by Section then Key.
	Fields []Field
}

// updatePos is where the group's update block is, else the group.
func (g *GroupSpec) updatePos() Pos {
	if g.UpdatePos.Line != 0 {
		return g.UpdatePos
	}
	return g.Pos
}

// connectGateway reports whether a service of the group declares a
// Connect gateway: Nomad adds the gateway's task to such a group.
func (g *GroupSpec) connectGateway() bool {
	for _, f := range g.Fields {
		if strings.HasPrefix(f.Section, "Connect[") && strings.HasPrefix(strings.ToLower(f.Key), "gateway") {
			return true
		}
	}
	return false
}

// lifecycle returns the task's lifecycle hook, and whether it has a
// lifecycle block.
func (t *TaskSpec) lifecycle() (hook string, ok bool) {
	return value(&t.life, "hook", ""), t.life.vals != nil
}

// field returns the value of the task's field key in section, or "".
func (t *TaskSpec) field(section, key string) string {
	for _, f := range t.Fields {
		if f.Section == section && f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Field is one flattened value: Section "" holds plain attributes such as
// driver; "Config", "Env", "Resources", "Template[0]", ... hold the
// attributes of a block, Key naming one inside it (dotted when nested).
type Field struct {
	Section, Key, Value string
}

// Pos is a position in a job file.
type Pos struct {
	File         string
	Line, Column int
}

// String is "file:line:column", or "file" when the line is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Error is a problem at a position of a job file.
type Error struct {
	Pos Pos
	// Msg says what is wrong, naming the construct.
	Msg string
	// Err is the underlying error, if any (a rollout.FieldError for a
	// problem Validate found).
	Err error
}

// Error implements error: "web.nomad:12:5: unsupported block "dynamic"".
func (e *Error) Error() string {
	if e.Pos.File == "" && e.Pos.Line == 0 {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// fingerprint hashes the group's destructive fields and its tasks'.
func fingerprint(g *GroupSpec) string {
	h := sha256.New()
	write := func(prefix string, fs []Field) {
		for _, f := range fs {
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\n", prefix, f.Section, f.Key, f.Value)
		}
	}
	write("group", g.Fields)
	for _, t := range g.Tasks {
		write("task\x00"+t.Name, t.Fields)
		fmt.Fprintf(h, "task\x00%s\n", t.Name)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sortFields(fs []Field) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Section != fs[j].Section {
			return fs[i].Section < fs[j].Section
		}
		return fs[i].Key < fs[j].Key
	})
}

// sectionName is how a plan names a block: config → Config.
func sectionName(block string) string {
	parts := strings.Split(block, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// versionType is the rollout job type of a job file's type: system jobs
// are rollout's system jobs; every other type is deployed as a service.
func versionType(t string) rollout.JobType {
	if t == string(rollout.JobSystem) {
		return rollout.JobSystem
	}
	return ""
}
