package rollout

import (
	"fmt"
	"slices"

	"github.com/rollout-go/rollout/internal/index"
)

// scan is the step's one pass over the allocations: it validates each one,
// hashes its ID into the ID table (which validate then finishes, finding
// duplicates), finds its group, and gathers the facts the later loops read
// instead of the Alloc. It returns the allocations' problems in allocation
// order.
//
// The pass is the step's largest cost on a large job: the allocations and
// their strings are the only memory a step reads in proportion to its
// input, so it reads them once, here, and keeps the loop invariants in
// local variables.
func (s *stepper) scan() (probs []allocProblem) {
	job, allocs := s.job, s.in.Allocs
	s.groupIdx = make(map[string]int32, len(job.Groups))
	s.groups = make([]groupState, len(job.Groups))
	for i := range job.Groups {
		g := &job.Groups[i]
		s.groupIdx[g.Name] = int32(i)
		st, ok := Merge(job.Update, g.Update)
		s.groups[i] = groupState{name: g.Name, g: g, strat: st, hasStrat: ok && st.Deploys(), ds: -1}
	}
	s.groupSlots.fill(job.Groups)
	s.groupOf, s.facts, s.slot = s.sc.groupOf, s.sc.facts, s.sc.slot
	groupOf, facts, slot := s.groupOf, s.facts, s.slot
	s.ids = &s.sc.ids
	s.ids.Load(len(allocs), func(i int) string { return allocs[i].ID })

	// bad records a problem of allocation i. Its field name is built only
	// then: an allocation without a problem costs no heap allocation.
	bad := func(i int, field string, value any, problem string) {
		name := fmt.Sprintf("alloc %q %s", allocs[i].ID, field)
		if allocs[i].ID == "" {
			name = fmt.Sprintf("allocs[%d].%s", i, field)
		}
		probs = append(probs, allocProblem{i, &FieldError{Field: name, Value: value, Problem: problem}})
	}
	jobID, version := job.ID, job.Version
	depID, hasDep := "", s.in.Deployment != nil
	if hasDep {
		depID = s.in.Deployment.ID
	}
	slots := &s.groupSlots
	gi, groupName, groupSpec := int32(-1), "", ""
	groupSpecOK := false // the group is in the job: groupSpec is its Spec
	for i := range allocs {
		a := &allocs[i]
		if a.ID != "" {
			s.ids.Add(i, index.Hash(a.ID))
			if len(a.ID) == index.IDLen {
				s.idLenSeen = true
			}
		} else {
			s.ids.Skip(i)
			bad(i, "id", "", "must not be empty")
		}
		var f fact
		if !index.Equal(a.JobID, jobID) {
			bad(i, "job_id", idValue(a.JobID), "is not the job's ID "+quoteID(jobID))
		}
		switch {
		case a.JobVersion == version:
			f |= factCurrent
		case a.JobVersion > version:
			bad(i, "job_version", a.JobVersion, fmt.Sprintf("is newer than the job's version %d", version))
		}
		if a.Group == "" {
			bad(i, "group", "", "must not be empty")
		}
		if a.Index < 0 {
			bad(i, "index", a.Index, "must not be negative")
		}
		if a.Attempts < 0 {
			bad(i, "attempts", a.Attempts, "must not be negative")
		}
		switch a.Desired {
		case DesiredRun:
			f |= factRun
		case DesiredStop:
		default:
			bad(i, "desired", string(a.Desired), `must be "run" or "stop"`)
		}
		switch a.Client {
		case ClientPending, ClientRunning:
			if a.Migrate {
				f |= factMigrate
			}
		case ClientComplete:
			f |= factStopped | factComplete
		case ClientFailed:
			f |= factStopped
		case ClientLost:
			f |= factLost
		case ClientUnknown:
			f |= factUnknown
		default:
			bad(i, "client", string(a.Client), `must be one of "pending", "running", "complete", "failed", "lost", "unknown"`)
		}
		switch a.Health.Status {
		case "":
		case Healthy:
			f |= factHealthy
		case Unhealthy:
			f |= factUnhealthy
		default:
			bad(i, "health", string(a.Health.Status), `must be "", "healthy" or "unhealthy"`)
		}
		if a.Canary {
			f |= factCanary
		}

		// The group: found by its slot, with one comparison and no branch
		// that depends on the allocations' order; else (groups that share
		// a slot, or a group no longer in the job) usually the previous
		// allocation's.
		if k := slots.find(a.Group); k > 0 && index.Equal(a.Group, job.Groups[k-1].Name) {
			gi, groupName, groupSpecOK, groupSpec = k-1, a.Group, true, job.Groups[k-1].Spec
		} else if gi < 0 || !index.Equal(a.Group, groupName) {
			gi = s.groupFor(a.Group)
			groupName = a.Group
			groupSpecOK = int(gi) < len(job.Groups)
			if groupSpecOK {
				groupSpec = job.Groups[gi].Spec
			}
		}
		groupOf[i] = gi
		slot[i] = slotOf(a.Index)
		if hasDep && index.Equal(a.DeploymentID, depID) {
			f |= factInDep
			switch f.health() {
			case "":
				s.pending = append(s.pending, int32(i))
			case Healthy:
				if gs := &s.groups[gi]; a.Health.Time.After(gs.inputHealthy) {
					gs.inputHealthy = a.Health.Time
				}
			}
		} else if a.DeploymentID != "" && (len(s.otherDeps) == 0 || s.otherDeps[len(s.otherDeps)-1] != a.DeploymentID) {
			s.otherDeps = append(s.otherDeps, a.DeploymentID)
		}
		if f&(factRun|factCurrent) == factRun && groupSpecOK && a.Spec == groupSpec {
			f |= factSameSpec
		}
		facts[i] = f
		if f&factUnknown != 0 {
			s.groups[gi].hasUnknown = true
			if job.Type == JobSystem {
				bad(i, "client", string(a.Client), "is for service jobs: a system job's allocation on a node gone from Input.Nodes is lost")
			}
		}
		if a.StandsInFor != "" {
			s.groups[gi].hasStandIns = true
		}
	}
	return probs
}

// groupFor returns the position in s.groups of the group named name, adding
// a group no longer in the job at its first allocation. The scan calls it
// when groupSlots did not find the group.
func (s *stepper) groupFor(name string) int32 {
	gi, ok := s.groupIdx[name]
	if !ok {
		gi = int32(len(s.groups))
		s.groupIdx[name] = gi
		s.groups = append(s.groups, groupState{name: name, ds: -1})
		s.removed = append(s.removed, name)
	}
	return gi
}

// index finishes the grouping: removed groups last by name, and each
// group's allocations in one backing array.
func (s *stepper) index() {
	job, names, removed := s.job, s.groupIdx, s.removed
	if len(removed) > 1 {
		// Removed groups come last, by name: renumber them.
		nj := int32(len(job.Groups))
		order := slices.Clone(removed)
		slices.Sort(order)
		states := slices.Clone(s.groups[nj:])
		remap := make(map[int32]int32, len(removed))
		for k, name := range order {
			remap[names[name]] = nj + int32(k)
			s.groups[nj+int32(k)] = states[names[name]-nj]
		}
		for i, gi := range s.groupOf {
			if gi >= nj {
				s.groupOf[i] = remap[gi]
			}
		}
	}
	s.groupByCount()
	if len(removed) > 1 {
		for k := int(len(job.Groups)); k < len(s.groups); k++ {
			names[s.groups[k].name] = int32(k)
		}
	}
	if len(s.job.Groups) > 0 && s.job.RevertOf != nil {
		s.skipCanary = s.revertTargetStable(*s.job.RevertOf)
	}
}

// groupByCount lays each group's allocations out in s.sc.byGroup, in
// allocation order, with a counting sort of s.groupOf.
func (s *stepper) groupByCount() {
	counts := make([]int32, len(s.groups)+1)
	for _, gi := range s.groupOf {
		counts[gi+1]++
	}
	if n := len(s.groupOf); len(s.groups) > 0 && counts[1] == int32(n) {
		// One group holds every allocation, in allocation order: the
		// positions 0 to n-1, which the scratch keeps from step to step.
		s.groups[0].allocs = s.sc.positions(n)
		return
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	backing := s.sc.byGroup
	fill := slices.Clone(counts[:len(s.groups)])
	for i, gi := range s.groupOf {
		backing[fill[gi]] = int32(i)
		fill[gi]++
	}
	for gi := range s.groups {
		s.groups[gi].allocs = backing[counts[gi]:counts[gi+1]:counts[gi+1]]
	}
}

// groupSlots finds a job group by its name's length, first and last byte,
// when those tell the job's groups apart (most often they do): one string
// comparison instead of a map lookup, which hashes the name. A job of one
// group needs not even that: its group is the only one to compare with.
type groupSlots struct {
	pos    [64]int32 // position+1 in the job's groups; 0 for none
	usable bool      // no two groups share a slot
	only   bool      // the job has one group, named
}

func groupSlot(name string) int {
	return (len(name)*37 + int(name[0])*7 + int(name[len(name)-1])) & 63
}

// fill records the job's groups.
func (t *groupSlots) fill(groups []Group) {
	*t = groupSlots{usable: true, only: len(groups) == 1 && groups[0].Name != ""}
	for i := range groups {
		name := groups[i].Name
		if name == "" {
			continue
		}
		h := groupSlot(name)
		if t.pos[h] != 0 {
			t.usable = false
			return
		}
		t.pos[h] = int32(i + 1)
	}
}

// find returns the position+1 of the job group that may be named name,
// or 0: the caller compares the names.
func (t *groupSlots) find(name string) int32 {
	if t.only {
		return 1
	}
	if !t.usable || name == "" {
		return 0
	}
	return t.pos[groupSlot(name)]
}
