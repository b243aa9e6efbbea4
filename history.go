package rollout

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// DefaultKeepVersions is how many versions a History retains by default.
const DefaultKeepVersions = 6

// History is a job's retained versions, oldest first: what a scheduler
// stores for `job history` and for reverts. It is a plain value the caller
// owns and persists; Step reads it through Input.History (Versions).
type History struct {
	// Versions are the retained versions, in increasing version order.
	Versions []JobVersion
	// Keep is how many versions to retain; 0 means DefaultKeepVersions.
	// The newest Stable version is always retained.
	Keep int
	// FailedSpecs are the versions whose deployment failed and was
	// auto-reverted, oldest first, remembered by RecordStep for
	// SubmitCheck.RefuseFailedSpecs; at most Keep of them. Empty unless
	// the caller records with RecordStep.
	FailedSpecs []JobVersion `json:",omitempty"`
}

// Submit records a submitted job. When it differs from the latest version
// in any field but the version's number, stability, submit time and revert
// origin (see JobVersion.Same: a change to a definition alone counts, and is
// updated in place), it becomes the next version (numbered from 0, with
// Stable cleared and SubmitTime set to now), is appended and returned with
// true. An identical resubmission creates no version: it returns the
// latest version and false.
func (h *History) Submit(j JobVersion, now time.Time) (JobVersion, bool) {
	if latest, ok := h.Latest(); ok {
		if latest.Same(&j) {
			return latest, false
		}
		j.Version = latest.Version + 1
	} else {
		j.Version = 0
	}
	j = j.Clone()
	j.Stable = false
	j.SubmitTime = now
	h.add(j)
	return j, true
}

// Record stores a version made elsewhere (Output.Revert) or updated
// (Output.Job, marked Stable): it replaces the version with the same
// number, or is appended.
func (h *History) Record(j JobVersion) {
	for i := range h.Versions {
		if h.Versions[i].Version == j.Version {
			h.Versions[i] = j.Clone()
			return
		}
	}
	h.add(j.Clone())
}

func (h *History) add(j JobVersion) {
	h.Versions = append(h.Versions, j)
	slices.SortFunc(h.Versions, func(a, b JobVersion) int { return cmp.Compare(a.Version, b.Version) })
	h.retain()
}

// retain drops the oldest versions beyond Keep, never the newest Stable.
func (h *History) retain() {
	keep := h.Keep
	if keep <= 0 {
		keep = DefaultKeepVersions
	}
	for len(h.Versions) > keep {
		stable := -1
		for i := range h.Versions {
			if h.Versions[i].Stable {
				stable = i
			}
		}
		drop := 0
		if drop == stable {
			drop = 1
		}
		h.Versions = slices.Delete(h.Versions, drop, drop+1)
	}
}

// Latest returns the newest version.
func (h *History) Latest() (JobVersion, bool) {
	if len(h.Versions) == 0 {
		return JobVersion{}, false
	}
	return h.Versions[len(h.Versions)-1], true
}

// Get returns version n, if retained.
func (h *History) Get(n uint64) (JobVersion, bool) {
	for i := range h.Versions {
		if h.Versions[i].Version == n {
			return h.Versions[i], true
		}
	}
	return JobVersion{}, false
}

// LatestStable returns the highest-numbered Stable version: the target of
// an auto-revert.
func (h *History) LatestStable() (JobVersion, bool) {
	for i := len(h.Versions) - 1; i >= 0; i-- {
		if h.Versions[i].Stable {
			return h.Versions[i], true
		}
	}
	return JobVersion{}, false
}

// FieldDiff is one field that differs between two job versions.
type FieldDiff struct {
	// Group is the group's name; "" for a job-level field.
	Group string
	// Field names the field as written: count, spec, update.max_parallel,
	// group (for an added or removed group).
	Field string
	// Old and New are the values, formatted; "" when absent.
	Old, New string
}

// String formats the difference as `job history -p` does:
// `group "api-server" spec: "image=0.1" => "image=0.2"`.
func (d FieldDiff) String() string {
	where := "job"
	if d.Group != "" {
		where = fmt.Sprintf("group %q", d.Group)
	}
	return fmt.Sprintf("%s %s: %q => %q", where, d.Field, d.Old, d.New)
}

// Diff lists what changed from version a to version b, field by field: the
// job-level update block and stop flag, then each group (in b's order, then
// groups removed from a) by count, spec, tasks, checks and resolved update
// strategy.
func Diff(a, b *JobVersion) []FieldDiff {
	var out []FieldDiff
	add := func(group, field, old, new string) {
		if old != new {
			out = append(out, FieldDiff{Group: group, Field: field, Old: old, New: new})
		}
	}
	add("", "stop", strconv.FormatBool(a.Stop), strconv.FormatBool(b.Stop))
	diffBlocks(add, "", "update.", a.Update, b.Update)
	for i := range b.Groups {
		gb := &b.Groups[i]
		ga, ok := a.Group(gb.Name)
		if !ok {
			add(gb.Name, "group", "", "added")
			continue
		}
		add(gb.Name, "count", strconv.Itoa(ga.Count), strconv.Itoa(gb.Count))
		add(gb.Name, "spec", ga.Spec, gb.Spec)
		add(gb.Name, "tasks", fmt.Sprint(ga.Tasks), fmt.Sprint(gb.Tasks))
		add(gb.Name, "checks", fmt.Sprint(ga.Checks), fmt.Sprint(gb.Checks))
		diffBlocks(add, gb.Name, "update.", ga.Update, gb.Update)
	}
	for i := range a.Groups {
		if _, ok := b.Group(a.Groups[i].Name); !ok {
			add(a.Groups[i].Name, "group", "present", "")
		}
	}
	return out
}

func diffBlocks(add func(group, field, old, new string), group, prefix string, a, b *UpdateBlock) {
	if a == nil {
		a = &UpdateBlock{}
	}
	if b == nil {
		b = &UpdateBlock{}
	}
	for i := range blockFields {
		f := &blockFields[i]
		add(group, prefix+f.jobspec, fmtRef(f.ref(a)), fmtRef(f.ref(b)))
	}
}

// fmtRef prints the field a blockField.ref points at; "" when unset.
func fmtRef(ref any) string {
	switch p := ref.(type) {
	case **int:
		return fmtPtr(*p)
	case **bool:
		return fmtPtr(*p)
	case **HealthCheck:
		return fmtPtr(*p)
	case **time.Duration:
		return fmtPtr(*p)
	case **Amount:
		return fmtPtr(*p)
	case **Checkpoints:
		return fmtPtr(*p)
	case **GateAction:
		return fmtPtr(*p)
	case **Analysis:
		if *p == nil {
			return ""
		}
		b, err := analysisJSON(*p, spellingJobspec)
		if err != nil {
			return fmt.Sprintf("%+v", **p)
		}
		return string(b)
	}
	panic(fmt.Sprintf("rollout: update block field has unexpected type %T", ref))
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}
