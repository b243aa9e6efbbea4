package rollout

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
