package rollout

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// JobType is a job's scheduler type. The zero value means JobService.
type JobType string

// Job types.
const (
	// JobService is a job whose groups run Count allocations each,
	// wherever the caller's scheduler places them (the default).
	JobService JobType = "service"
	// JobSystem is a job whose groups run one allocation on every eligible,
	// non-draining node of Input.Nodes; Group.Count is ignored.
	JobSystem JobType = "system"
)

// Node is a node of the cluster, as a system job sees it.
type Node struct {
	// ID names the node; unique and non-empty.
	ID string
	// Eligible: the node accepts new allocations. An ineligible node
	// keeps the allocations it runs, as they are.
	Eligible bool
	// Draining: the node is being drained; its allocations are stopped.
	Draining bool
}

// Decision kinds and reasons of system jobs.
const (
	// KindNodeDrained stops an allocation of a system job whose node is
	// draining. It is not replaced elsewhere.
	KindNodeDrained DecisionKind = "node-drained"
	// KindNodeIneligible stops an allocation of a system job whose node is
	// ineligible: a failed one (or one unhealthy in the active deployment,
	// with ReasonNodeIneligible), which cannot be replaced there, or one of
	// another version of the job (with ReasonNotNeeded), as Nomad stops it.
	// A running one of the job's version is left as it is.
	KindNodeIneligible DecisionKind = "node-ineligible"

	// ReasonNodeGone: the node is no longer in Input.Nodes.
	ReasonNodeGone = "alloc is lost since its node left the cluster"
	// ReasonNodeDrained: the node is draining.
	ReasonNodeDrained = "alloc not needed since its node is draining"
	// ReasonNodeIneligible: a failed or unhealthy allocation on an
	// ineligible node.
	ReasonNodeIneligible = "alloc not replaced since its node is ineligible"
	// ReasonPlaceNode starts the reason of a system job's new allocation;
	// the node's quoted ID follows.
	ReasonPlaceNode = "alloc placed on node "
)

// sysAlloc is what stepSystem remembers of an input allocation.
type sysAlloc struct {
	index  int
	nodeID string
}

// stepSystem is Step for a system job. It validates the system rules, then
// runs the service engine on a service-shaped copy of the input in which
// each group's count is the number of eligible nodes and each allocation's
// index is its node's rank among them (so that a slot is a node), and maps
// the decisions back to the allocations' own indexes and nodes.
func stepSystem(in Input) (Output, error) {
	if err := validateSystem(&in); err != nil {
		return Output{}, err
	}
	// The eligible nodes, by ID: a node's rank is its slot.
	var eligible []string
	state := make(map[string]Node, len(in.Nodes))
	for _, n := range in.Nodes {
		state[n.ID] = n
		if n.Eligible && !n.Draining {
			eligible = append(eligible, n.ID)
		}
	}
	slices.Sort(eligible)
	rank := make(map[string]int, len(eligible))
	for i, id := range eligible {
		rank[id] = i
	}

	// Canaries awaiting promotion on ineligible nodes stay canaries: the
	// deployment may keep that many more than the eligible nodes. (With no
	// eligible node left, the group has nothing to deploy, and they are
	// only kept as they are.)
	kept := map[string]int{}
	for i := range in.Allocs {
		a := &in.Allocs[i]
		if n, ok := state[a.NodeID]; ok && !n.Eligible && !n.Draining && len(eligible) > 0 && a.Desired == DesiredRun && awaitingCanary(&in, a) {
			kept[a.Group]++
		}
	}

	// The job the engine sees: one slot per eligible node, and the canary
	// percentage turned into a number of nodes.
	job := in.Job.Clone()
	for i := range job.Groups {
		g := &job.Groups[i]
		g.Count = len(eligible)
		if st, ok := Merge(in.Job.Update, in.Job.Groups[i].Update); ok && st.Canary > 0 {
			// No more canaries than nodes to update destructively; once
			// the deployment has decided, its number stands (fewer only when
			// the engine cannot place them, below).
			n := min(st.MaxParallel, (st.Canary*len(eligible)+99)/100, toReplace(&in, g, rank))
			if d := in.Deployment; d != nil && d.Status.Active() && d.JobVersion == job.Version {
				if ds, ok := d.Group(g.Name); ok && ds.DesiredCanaries > 0 && !ds.Promoted {
					n = min(ds.DesiredCanaries, len(eligible)+kept[g.Name])
				}
			}
			if g.Update == nil {
				g.Update = &UpdateBlock{}
			}
			g.Update.Canary = &n
		}
	}
	history := slices.Clone(in.History)
	for i := range history {
		if history[i].Version == job.Version {
			history[i] = job
		}
	}

	var out Output
	plan := map[string]*GroupPlan{}
	addPlan := func(group string) *GroupPlan {
		p := plan[group]
		if p == nil {
			p = &GroupPlan{Group: group}
			plan[group] = p
		}
		return p
	}
	orig := make(map[string]sysAlloc, len(in.Allocs))
	allocs := make([]Alloc, len(in.Allocs))
	copy(allocs, in.Allocs)
	// occupied marks the group's nodes that hold a live allocation.
	type slotKey struct {
		group string
		node  string
	}
	occupied := map[slotKey]bool{}
	order := make([]int, len(allocs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		a, b := &allocs[x], &allocs[y]
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
	})
	offset := len(eligible)
	for _, i := range order {
		a := &allocs[i]
		orig[a.ID] = sysAlloc{index: a.Index, nodeID: a.NodeID}
		r, ok := rank[a.NodeID]
		if !ok {
			r = offset
			offset++
		}
		live := a.Desired == DesiredRun && a.Client != ClientComplete
		stop := func(kind DecisionKind, reason string, lost bool) {
			out.Stop = append(out.Stop, StopDecision{
				ID: a.ID, Group: a.Group, Index: a.Index, Name: a.Name(), Lost: lost, Kind: kind, Reason: reason,
			})
			p := addPlan(a.Group)
			addKind(&p.Stops, kind)
			p.Destroy++
		}
		if live && !in.Job.Stop {
			n, known := state[a.NodeID]
			_, inJob := in.Job.Group(a.Group)
			switch {
			case !inJob:
				// A removed group: the engine stops it.
			case !known:
				// Failed ones too: nothing will replace them.
				stop(KindLost, ReasonNodeGone, true)
				a.Desired = DesiredStop
			case n.Draining:
				stop(KindNodeDrained, ReasonNodeDrained, false)
				a.Desired = DesiredStop
			case !n.Eligible && len(eligible) > 0 && awaitingCanary(&in, a):
				// Kept as it is, and still one of the deployment's canaries:
				// the engine sees it (at a slot beyond the nodes), so that
				// no other canary takes its place before promotion.
			case !n.Eligible && (a.Client == ClientFailed || unhealthyInDeployment(&in, a)):
				// Nothing may replace it there: stopped, so that the node
				// gets a fresh allocation if it turns eligible again.
				stop(KindNodeIneligible, ReasonNodeIneligible, false)
				a.Desired = DesiredStop
			case !n.Eligible && a.JobVersion != in.Job.Version:
				// Of another version of the job: stopped, as Nomad stops it,
				// and not replaced there.
				stop(KindNodeIneligible, ReasonNotNeeded, false)
				a.Desired = DesiredStop
			case !n.Eligible:
				// Kept as it is: not stopped, not updated, not replaced.
				if !a.Client.Terminal() {
					addPlan(a.Group).Ignore++
				}
				a.Desired = DesiredStop
			case occupied[slotKey{a.Group, a.NodeID}]:
				// A second live allocation on the node: one is enough.
				stop(KindScaleDown, ReasonNotNeeded, false)
				a.Desired = DesiredStop
			default:
				occupied[slotKey{a.Group, a.NodeID}] = true
			}
		}
		a.Index = r
	}

	sub := in
	sub.Job, sub.History, sub.Allocs = job, history, allocs
	if d := in.Deployment; d != nil && d.Status.Active() && d.JobVersion == job.Version && !job.Stop {
		// The nodes may have changed since the deployment began: it wants
		// one healthy allocation per eligible node now.
		c := *d // a copy: the input is not changed
		c.Groups = slices.Clone(d.Groups)
		for k := range c.Groups {
			c.Groups[k].DesiredTotal = len(eligible)
			if !c.Groups[k].Promoted {
				c.Groups[k].DesiredCanaries = min(c.Groups[k].DesiredCanaries, len(eligible)+kept[c.Groups[k].Name])
			}
		}
		sub.Deployment = &c
	}
	capCanaries := func() {
		if sub.Deployment == nil || sub.Deployment == in.Deployment {
			return
		}
		for k := range sub.Deployment.Groups {
			ds := &sub.Deployment.Groups[k]
			if g, ok := job.Group(ds.Name); ok && !ds.Promoted && ds.DesiredCanaries > 0 {
				n := 0
				if g.Update != nil && g.Update.Canary != nil {
					n = *g.Update.Canary
				}
				ds.DesiredCanaries = min(ds.DesiredCanaries, n)
			}
		}
	}
	// The engine names canaries after the allocations they replace, then
	// after free slots: when a group has fewer of either than the canaries
	// asked for (failed or lost allocations), the step is made again with
	// as many canaries as it could place.
	var res Output
	for {
		var err error
		if res, err = stepCore(sub, true, nil); err != nil {
			return Output{}, err
		}
		over := map[string]int{}
		for _, pl := range res.Place {
			if pl.Index >= len(eligible) {
				over[pl.Group]++
			}
		}
		if len(over) == 0 {
			break
		}
		for i := range job.Groups {
			g := &job.Groups[i]
			if n := over[g.Name]; n > 0 {
				if g.Update == nil || g.Update.Canary == nil || *g.Update.Canary < n {
					// Unreachable: only canaries are named beyond the count.
					return Output{}, fmt.Errorf("rollout: internal error: a system job's placement beyond the %d eligible nodes of group %q is not a canary", len(eligible), g.Name)
				}
				c := *g.Update.Canary - n
				g.Update.Canary = &c
			}
		}
		sub.Job = job
		capCanaries()
	}
	if res.Job != nil {
		j := in.Job.Clone()
		j.Stable = true
		res.Job = &j
	}

	// Back to the allocations' own indexes, names and nodes.
	used := map[string]map[int]bool{} // group → real indexes held
	for i := range in.Allocs {
		a := &in.Allocs[i]
		if a.Desired == DesiredRun { // a failed one keeps its index for its replacement
			if used[a.Group] == nil {
				used[a.Group] = map[int]bool{}
			}
			used[a.Group][a.Index] = true
		}
	}
	// The allocation the engine keeps on each node (running, or failed and
	// waiting for its replacement): one at most (see above).
	liveOn := map[slotKey]*Alloc{}
	for i := range allocs {
		if allocs[i].Desired == DesiredRun && allocs[i].Client != ClientComplete {
			liveOn[slotKey{allocs[i].Group, in.Allocs[i].NodeID}] = &in.Allocs[i]
		}
	}
	stopped := map[string]bool{}
	for _, st := range out.Stop {
		stopped[st.ID] = true
	}
	for k := range res.Stop {
		st := &res.Stop[k]
		o := orig[st.ID]
		st.Index, st.Name = o.index, AllocName(in.Job.ID, st.Group, o.index)
		stopped[st.ID] = true
	}
	for k := range res.Place {
		pl := &res.Place[k]
		pl.NodeID = eligible[pl.Index]
		switch old := liveOn[slotKey{pl.Group, pl.NodeID}]; {
		case pl.Replaces != "":
			pl.Index = orig[pl.Replaces].index
		case pl.Kind == KindCanary && old != nil && !stopped[old.ID]:
			// A canary takes its node's allocation's place: a destructive
			// update of that node.
			pl.Index, pl.Replaces = old.Index, old.ID
			res.Stop = append(res.Stop, StopDecision{
				ID: old.ID, Group: old.Group, Index: old.Index, Name: old.Name(), Kind: KindUpdate, Reason: ReasonUpdating,
			})
			stopped[old.ID] = true
			for g := range res.Plan {
				if res.Plan[g].Group == pl.Group {
					// Counted as a stop: the placement counts as a canary.
					addKind(&res.Plan[g].Stops, KindUpdate)
					res.Plan[g].Destroy++
					res.Plan[g].Ignore = max(0, res.Plan[g].Ignore-1)
				}
			}
		default:
			held := used[pl.Group]
			if held == nil {
				held = map[int]bool{}
				used[pl.Group] = held
			}
			idx := 0
			for held[idx] {
				idx++
			}
			held[idx] = true
			pl.Index = idx
			if pl.Kind == KindCreate {
				pl.Reason = ReasonPlaceNode + strconv.Quote(pl.NodeID)
			}
		}
		pl.Name = AllocName(pl.JobID, pl.Group, pl.Index)
	}
	for k := range res.InPlace {
		u := &res.InPlace[k]
		u.Name = AllocName(in.Job.ID, u.Group, orig[u.ID].index)
	}
	for k := range res.Health {
		h := &res.Health[k]
		h.Name = AllocName(in.Job.ID, h.Group, orig[h.ID].index)
	}

	// The system stops join the engine's, and the plan counts them.
	res.Stop = append(res.Stop, out.Stop...)
	for g := range res.Plan {
		if p := plan[res.Plan[g].Group]; p != nil {
			rp := &res.Plan[g]
			rp.Destroy += p.Destroy
			rp.Ignore += p.Ignore
			for _, kc := range p.Stops {
				for n := 0; n < kc.N; n++ {
					addKind(&rp.Stops, kc.Kind)
				}
			}
		}
	}
	newIndex := make(map[string]int, len(res.Place))
	for _, pl := range res.Place {
		newIndex[pl.ID] = pl.Index
	}
	indexOf := func(id string) int {
		if idx, ok := newIndex[id]; ok {
			return idx
		}
		return orig[id].index
	}
	sortSystem(&in.Job, &res, indexOf)
	// Canaries are listed in name order, by their own indexes.
	for _, d := range []*Deployment{res.Deployment, res.Cancelled} {
		if d == nil {
			continue
		}
		for k := range d.Groups {
			if pc := d.Groups[k].PlacedCanaries; len(pc) > 1 {
				pc = slices.Clone(pc)
				slices.SortStableFunc(pc, func(a, b string) int { return cmp.Or(cmp.Compare(indexOf(a), indexOf(b)), cmp.Compare(a, b)) })
				d.Groups[k].PlacedCanaries = pc
			}
		}
	}
	return res, nil
}

// awaitingCanary reports whether a is a running canary, not unhealthy, of
// the input's active deployment of this version, in a group not promoted
// yet.
func awaitingCanary(in *Input, a *Alloc) bool {
	d := in.Deployment
	if !a.Canary || a.Client.Terminal() || a.Health.Status == Unhealthy || d == nil || !d.Status.Active() || d.JobVersion != in.Job.Version || a.DeploymentID != d.ID {
		return false
	}
	ds, ok := d.Group(a.Group)
	return ok && ds.DesiredCanaries > 0 && !ds.Promoted
}

// unhealthyInDeployment reports whether a is unhealthy in the input's
// active deployment of this version: the engine would replace it.
func unhealthyInDeployment(in *Input, a *Alloc) bool {
	d := in.Deployment
	return a.Health.Status == Unhealthy && d != nil && d.Status.Active() && d.JobVersion == in.Job.Version && a.DeploymentID == d.ID
}

// toReplace counts the group's allocations on eligible nodes that a canary
// may replace (running or failed, of an older version with another spec),
// and the canaries of this version.
func toReplace(in *Input, g *Group, rank map[string]int) int {
	n := 0
	for i := range in.Allocs {
		a := &in.Allocs[i]
		if _, ok := rank[a.NodeID]; !ok || a.Group != g.Name || a.Desired != DesiredRun || a.Client == ClientComplete || a.Client == ClientLost {
			continue
		}
		if a.Spec != g.Spec && a.JobVersion != in.Job.Version || a.Canary && a.JobVersion == in.Job.Version {
			n++
		}
	}
	return n
}

// sortSystem puts the output's lists back in the documented order: group
// (the job's order, removed groups last by name), index, ID.
func sortSystem(j *JobVersion, out *Output, index func(id string) int) {
	pos := func(group string) int {
		for i := range j.Groups {
			if j.Groups[i].Name == group {
				return i
			}
		}
		return len(j.Groups)
	}
	by := func(ga string, ia int, ida string, gb string, ib int, idb string) int {
		return cmp.Or(cmp.Compare(pos(ga), pos(gb)), cmp.Compare(ga, gb), cmp.Compare(ia, ib), cmp.Compare(ida, idb))
	}
	slices.SortStableFunc(out.Stop, func(a, b StopDecision) int { return by(a.Group, a.Index, a.ID, b.Group, b.Index, b.ID) })
	slices.SortStableFunc(out.Place, func(a, b Placement) int { return by(a.Group, a.Index, a.ID, b.Group, b.Index, b.ID) })
	slices.SortStableFunc(out.InPlace, func(a, b InPlaceUpdate) int { return by(a.Group, index(a.ID), a.ID, b.Group, index(b.ID), b.ID) })
	slices.SortStableFunc(out.Health, func(a, b HealthUpdate) int { return by(a.Group, index(a.ID), a.ID, b.Group, index(b.ID), b.ID) })
}

// validateSystem checks what a system job adds to Step's rules: the job
// (with its system rules), unique non-empty node IDs, and a node and a
// valid index on every allocation. Step reports these problems, when there
// are any, before the rest of its checks.
func validateSystem(in *Input) error {
	var v validator
	v.add(validateJob(&in.Job, "job"))
	seen := make(map[string]int, len(in.Nodes))
	for i, n := range in.Nodes {
		switch k, dup := seen[n.ID]; {
		case n.ID == "":
			v.bad(fmt.Sprintf("nodes[%d].id", i), "", "must not be empty")
		case dup:
			v.bad(fmt.Sprintf("nodes[%d].id", i), n.ID, fmt.Sprintf("duplicates nodes[%d]", k))
		}
		seen[n.ID] = i
	}
	// The engine sees the job's own entry in History as the job it runs:
	// a different specification is refused here.
	for i := range in.History {
		if h := &in.History[i]; h.Version == in.Job.Version && !h.SameSpec(&in.Job) {
			v.bad(fmt.Sprintf("history[%d].version", i), h.Version, "is the job's version with another specification")
		}
	}
	for i := range in.Allocs {
		a := &in.Allocs[i]
		name := fmt.Sprintf("alloc %q ", a.ID)
		if a.ID == "" {
			name = fmt.Sprintf("allocs[%d].", i)
		}
		if a.NodeID == "" {
			v.bad(name+"node_id", "", "must name the allocation's node (a system job)")
		}
		if a.Migrate {
			v.bad(name+"migrate", true, "is for a service job: a system job's allocation leaves a node that Input.Nodes marks Draining")
		}
		// The engine sees node ranks as indexes: the allocation's own is
		// checked here.
		if a.Index < 0 {
			v.bad(name+"index", a.Index, "must not be negative")
		}
	}
	return v.errs.ErrorOrNil()
}
