package rollout

import "slices"

// Decisions are the part of one Output that a driver carries out: what to
// stop, place and update in place, and the health to record. A loop builds
// them with DecisionsOf; the slices are in Output's documented order.
type Decisions struct {
	// JobID is the job the decisions are for.
	JobID string
	// Stop lists the allocations to stop. Record Desired = stop; for a stop
	// with Lost set, record the client status lost as well.
	Stop []StopDecision
	// Place lists the allocations to create, each exactly as Placement.Alloc
	// returns it. Placement IDs are derived deterministically, so an ID the
	// driver already has means the placement was already made.
	Place []Placement
	// InPlace lists the allocations to move to a new version where they
	// run: record JobVersion, DeploymentID, CreateTime and Health, and
	// clear Canary.
	InPlace []InPlaceUpdate
	// Health lists health to record on allocations (AllocHealth as a whole).
	Health []HealthUpdate
	// Versions are the job versions that Place and InPlace name, in
	// increasing version order, with their definitions: what a driver
	// starts or updates an allocation to (see Definition). DecisionsOf
	// leaves it empty; a loop fills it from the job's stored versions
	// before it saves and applies the decisions (the controller package's
	// Runner does).
	Versions []JobVersion `json:",omitempty"`
}

// VersionsNamed returns the versions that d's placements and in-place
// updates name, each once, in increasing order.
func (d *Decisions) VersionsNamed() []uint64 {
	var out []uint64
	for i := range d.Place {
		out = append(out, d.Place[i].JobVersion)
	}
	for i := range d.InPlace {
		out = append(out, d.InPlace[i].JobVersion)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Version returns the version n of d.Versions.
func (d *Decisions) Version(n uint64) (*JobVersion, bool) {
	for i := range d.Versions {
		if d.Versions[i].Version == n {
			return &d.Versions[i], true
		}
	}
	return nil, false
}

// Definition returns the definition of the group of version n, as
// d.Versions holds it: what a placement or in-place update of that group
// and version runs. It reports false when d holds no such version or group;
// a group with no definition returns nil and true.
func (d *Decisions) Definition(group string, n uint64) (*GroupDefinition, bool) {
	v, ok := d.Version(n)
	if !ok {
		return nil, false
	}
	g, ok := v.Group(group)
	if !ok {
		return nil, false
	}
	return g.Definition, true
}

// Empty reports whether there is nothing to carry out.
func (d *Decisions) Empty() bool {
	return len(d.Stop) == 0 && len(d.Place) == 0 && len(d.InPlace) == 0 && len(d.Health) == 0
}

// DecisionsOf returns the decisions of one step's output for the job. The
// slices are shared with out, not copied.
func DecisionsOf(jobID string, out *Output) Decisions {
	return Decisions{JobID: jobID, Stop: out.Stop, Place: out.Place, InPlace: out.InPlace, Health: out.Health}
}

// Apply returns allocs with the decisions applied, as Output.Apply does:
// the allocation records a store keeps after the decisions.
func (d *Decisions) Apply(allocs []Alloc) []Alloc {
	o := Output{Stop: d.Stop, Place: d.Place, InPlace: d.InPlace, Health: d.Health}
	return o.Apply(allocs)
}

// Clone returns a deep copy of d: no slice or health list is shared with d.
func (d *Decisions) Clone() Decisions {
	c := Decisions{JobID: d.JobID}
	for i := range d.Versions {
		c.Versions = append(c.Versions, d.Versions[i].Clone())
	}
	c.Stop = append([]StopDecision(nil), d.Stop...)
	c.Place = append([]Placement(nil), d.Place...)
	for _, u := range d.InPlace {
		u.Health = u.Health.Clone()
		c.InPlace = append(c.InPlace, u)
	}
	for _, u := range d.Health {
		u.Health = u.Health.Clone()
		c.Health = append(c.Health, u)
	}
	return c
}
