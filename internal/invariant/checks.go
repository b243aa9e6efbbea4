package invariant

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// terminalCounters are left out of the Terminal comparison: what Step
// derives from the allocations at every step, even for a failed deployment
// that still places lost replacements, and the modify time.
// Status, description and every decision-bearing field must not move.
var terminalCounters = map[string]bool{
	"ModifyTime": true, "Placed": true, "Healthy": true, "Unhealthy": true, "PlacedCanaries": true,
}

// terminalSame reports, field by field, what changed in a deployment seen
// terminal before (in the input, or in the checker's history).
func (k *step) terminalSame(was, now *rollout.Deployment, where string) {
	report := func(field string, a, b reflect.Value) {
		if !gocmp.Equal(a.Interface(), b.Interface(), Exact) {
			k.bad(Terminal, "deployment %s, %s in the %s, changed %s: %v -> %v", now.ID, was.Status, where, field, a.Interface(), b.Interface())
		}
	}
	va, vb := reflect.ValueOf(*was), reflect.ValueOf(*now)
	for i := 0; i < va.NumField(); i++ {
		f := va.Type().Field(i)
		if f.Name == "Groups" || terminalCounters[f.Name] {
			continue
		}
		report(f.Name, va.Field(i), vb.Field(i))
	}
	if len(was.Groups) != len(now.Groups) {
		k.bad(Terminal, "deployment %s, %s in the %s, changed its groups: %q -> %q", now.ID, was.Status, where, groupNames(was), groupNames(now))
		return
	}
	for g := range was.Groups {
		ga, gb := reflect.ValueOf(was.Groups[g]), reflect.ValueOf(now.Groups[g])
		for i := 0; i < ga.NumField(); i++ {
			if f := ga.Type().Field(i); !terminalCounters[f.Name] {
				report("group "+was.Groups[g].Name+" "+f.Name, ga.Field(i), gb.Field(i))
			}
		}
	}
}

// step is one step under check: its input and output, and what the checks
// derive from them.
type step struct {
	c   *Checker
	in  rollout.Input
	out rollout.Output
	vs  Violations

	byID  map[string]*rollout.Alloc // input allocations
	mid   map[string]rollout.AllocHealth
	after []rollout.Alloc // input allocations with the output applied
	rank  map[string]int  // group order: job groups, then removed groups by name

	stopped, inplaced map[string]bool
}

func newStep(c *Checker, in rollout.Input, out rollout.Output) *step {
	k := &step{c: c, in: in, out: out, byID: map[string]*rollout.Alloc{}, mid: map[string]rollout.AllocHealth{},
		rank: map[string]int{}, stopped: map[string]bool{}, inplaced: map[string]bool{}}
	for i := range in.Allocs {
		a := &in.Allocs[i]
		if _, dup := k.byID[a.ID]; !dup {
			k.byID[a.ID] = a
			k.mid[a.ID] = a.Health
		}
	}
	for _, h := range out.Health {
		k.mid[h.ID] = h.Health
	}
	for i, g := range in.Job.Groups {
		k.rank[g.Name] = i
	}
	var removed []string
	for i := range in.Allocs {
		if _, ok := k.rank[in.Allocs[i].Group]; !ok && !slices.Contains(removed, in.Allocs[i].Group) {
			removed = append(removed, in.Allocs[i].Group)
		}
	}
	slices.Sort(removed)
	for i, name := range removed {
		k.rank[name] = len(in.Job.Groups) + i
	}
	for _, s := range out.Stop {
		k.stopped[s.ID] = true
	}
	for _, u := range out.InPlace {
		k.inplaced[u.ID] = true
	}
	k.after = out.Apply(in.Allocs)
	return k
}

func (k *step) bad(n Name, format string, args ...any) {
	k.vs = append(k.vs, Violation{n, fmt.Sprintf(format, args...)})
}

// current returns the output deployment when it deploys the input job
// version and was live at the start of the step (created by it, or active
// in the input): the deployment this step's decisions belong to.
func (k *step) current() *rollout.Deployment {
	d := k.out.Deployment
	if d == nil || d.JobVersion != k.in.Job.Version || d.JobID != k.in.Job.ID {
		return nil
	}
	if p := k.in.Deployment; p != nil && p.ID == d.ID && p.Status.Terminal() && p.Status != rollout.StatusFailed {
		return nil
	}
	return d
}

// live reports whether an allocation is desired to run and not terminal on
// its node.
func live(a *rollout.Alloc) bool {
	return a.Desired == rollout.DesiredRun && (a.Client == rollout.ClientPending || a.Client == rollout.ClientRunning)
}

// awaiting reports whether a is a canary of d awaiting promotion.
func awaiting(a *rollout.Alloc, d *rollout.Deployment) bool {
	if !a.Canary || d == nil || a.DeploymentID != d.ID {
		return false
	}
	ds, ok := d.Group(a.Group)
	return ok && ds.DesiredCanaries > 0 && !ds.Promoted
}

func (k *step) references() {
	in, out := k.in, k.out
	ids := map[string]bool{}
	for _, p := range out.Place {
		switch {
		case p.ID == "":
			k.bad(PlacementIDs, "placement %s has no ID", p.Name)
		case ids[p.ID]:
			k.bad(PlacementIDs, "placement ID %s is used twice", p.ID)
		case k.byID[p.ID] != nil:
			k.bad(PlacementIDs, "placement ID %s collides with an existing allocation", p.ID)
		}
		ids[p.ID] = true
		if p.JobID != in.Job.ID || p.Name != rollout.AllocName(in.Job.ID, p.Group, p.Index) || p.Index < 0 {
			k.bad(PlacementIDs, "placement %s has job %q, group %q, index %d, name %q", p.ID, p.JobID, p.Group, p.Index, p.Name)
		}
		if _, ok := in.Job.Group(p.Group); !ok {
			k.bad(PlacementIDs, "placement %s is in group %q, not a group of the job", p.ID, p.Group)
		}
		if !p.CreateTime.Equal(in.Now) {
			k.bad(PlacementIDs, "placement %s has CreateTime %v, not Now %v", p.ID, p.CreateTime, in.Now)
		}
		if p.Replaces != "" && !k.stopped[p.Replaces] {
			k.bad(References, "placement %s replaces %s, which the output does not stop", p.ID, p.Replaces)
		}
	}
	seen := map[string]bool{}
	for _, s := range out.Stop {
		a := k.byID[s.ID]
		switch {
		case a == nil:
			k.bad(References, "stop of unknown allocation %s", s.ID)
			continue
		case seen[s.ID]:
			k.bad(References, "allocation %s is stopped twice", s.ID)
		case a.Desired != rollout.DesiredRun:
			k.bad(References, "allocation %s is stopped but its desired status is already %s", s.ID, a.Desired)
		}
		seen[s.ID] = true
		if s.Group != a.Group || s.Index != a.Index || s.Name != a.Name() {
			k.bad(References, "stop %s names %s/%d/%s, the allocation is %s/%d/%s", s.ID, s.Group, s.Index, s.Name, a.Group, a.Index, a.Name())
		}
		// A system job's allocation on a node gone from the input is lost
		// whatever its client last reported.
		gone := k.in.Job.Type == rollout.JobSystem && !slices.ContainsFunc(k.in.Nodes, func(n rollout.Node) bool { return n.ID == a.NodeID })
		if s.Lost != (a.Client == rollout.ClientLost || gone && s.Kind == rollout.KindLost) {
			k.bad(References, "stop %s has Lost=%v for an allocation whose client is %s", s.ID, s.Lost, a.Client)
		}
	}
	seen = map[string]bool{}
	for _, u := range out.InPlace {
		a := k.byID[u.ID]
		switch {
		case a == nil:
			k.bad(References, "in-place update of unknown allocation %s", u.ID)
			continue
		case seen[u.ID]:
			k.bad(References, "allocation %s is updated in place twice", u.ID)
		case a.Desired != rollout.DesiredRun:
			k.bad(References, "allocation %s is updated in place but its desired status is %s", u.ID, a.Desired)
		case k.stopped[u.ID]:
			k.bad(References, "allocation %s is both stopped and updated in place", u.ID)
		}
		seen[u.ID] = true
		if u.Group != a.Group || u.Name != a.Name() || u.JobVersion != in.Job.Version {
			k.bad(References, "in-place update %s names %s/%s v%d", u.ID, u.Group, u.Name, u.JobVersion)
		}
	}
	seen = map[string]bool{}
	for _, h := range out.Health {
		a := k.byID[h.ID]
		switch {
		case a == nil:
			k.bad(References, "health update of unknown allocation %s", h.ID)
			continue
		case seen[h.ID]:
			k.bad(References, "allocation %s has two health updates", h.ID)
		}
		seen[h.ID] = true
		if h.Group != a.Group {
			k.bad(References, "health update %s names group %s, the allocation's is %s", h.ID, h.Group, a.Group)
		}
	}
}

var knownKinds = map[rollout.DecisionKind]bool{
	rollout.KindCreate: true, rollout.KindUpdate: true, rollout.KindCanary: true, rollout.KindLost: true,
	rollout.KindReschedule: true, rollout.KindScaleDown: true, rollout.KindPromoted: true,
	rollout.KindCanaryCancelled: true, rollout.KindJobStopped: true, rollout.KindGroupRemoved: true,
	rollout.KindInPlace: true, rollout.KindSurge: true, rollout.KindReplaced: true, rollout.KindSurgeCancelled: true,
	rollout.KindNodeDrained: true, rollout.KindNodeIneligible: true, rollout.KindMigrate: true,
}

var knownTransitions = map[rollout.TransitionKind]bool{
	rollout.TransitionCreated: true, rollout.TransitionPromoted: true, rollout.TransitionPaused: true,
	rollout.TransitionResumed: true, rollout.TransitionFailed: true, rollout.TransitionSucceeded: true,
	rollout.TransitionCancelled: true, rollout.TransitionReverted: true,
	rollout.TransitionFrozen: true, rollout.TransitionUnfrozen: true, rollout.TransitionHeld: true,
}

// kindReason checks, by reflection so that new fields are covered, that
// every decision's Kind and Reason are set.
func (k *step) kindReason() {
	lists := []struct {
		name string
		v    any
	}{{"stop", k.out.Stop}, {"place", k.out.Place}, {"in-place", k.out.InPlace}, {"transition", k.out.Transitions}, {"ignored", k.out.Ignored}}
	for _, l := range lists {
		v := reflect.ValueOf(l.v)
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			for _, f := range []string{"Kind", "Reason"} {
				fv := e.FieldByName(f)
				if fv.IsValid() && fv.Kind() == reflect.String && fv.String() == "" {
					k.bad(KindReason, "%s[%d] has no %s: %+v", l.name, i, f, e.Interface())
				}
			}
			if fv := e.FieldByName("Kind"); fv.IsValid() {
				switch kind := fv.Interface().(type) {
				case rollout.DecisionKind:
					if kind != "" && !knownKinds[kind] {
						k.bad(KindReason, "%s[%d] has unknown kind %q", l.name, i, kind)
					}
				case rollout.TransitionKind:
					if kind != "" && !knownTransitions[kind] {
						k.bad(KindReason, "%s[%d] has unknown kind %q", l.name, i, kind)
					}
				}
			}
		}
	}
}

// key is a decision's sort key.
type key struct {
	rank, index int
	id          string
}

func (a key) compare(b key) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	if c := cmp.Compare(a.index, b.index); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func (k *step) keyOf(group, id string, index int) key {
	r, ok := k.rank[group]
	if !ok {
		r = 1 << 30
	}
	if index < 0 {
		if a := k.byID[id]; a != nil {
			index = a.Index
		}
	}
	return key{r, index, id}
}

func (k *step) sorted(list string, keys []key) {
	for i := 1; i < len(keys); i++ {
		if keys[i-1].compare(keys[i]) >= 0 {
			k.bad(Order, "%s is not in (group, index, ID) order at %d: %+v before %+v", list, i, keys[i-1], keys[i])
			return
		}
	}
}

func (k *step) order() {
	var keys []key
	for _, s := range k.out.Stop {
		keys = append(keys, k.keyOf(s.Group, s.ID, s.Index))
	}
	k.sorted("Stop", keys)
	keys = keys[:0]
	for _, p := range k.out.Place {
		keys = append(keys, k.keyOf(p.Group, p.ID, p.Index))
	}
	k.sorted("Place", keys)
	keys = keys[:0]
	for _, u := range k.out.InPlace {
		keys = append(keys, k.keyOf(u.Group, u.ID, -1))
	}
	k.sorted("InPlace", keys)
	keys = keys[:0]
	for _, h := range k.out.Health {
		keys = append(keys, k.keyOf(h.Group, h.ID, -1))
	}
	k.sorted("Health", keys)

	if d := k.out.Deployment; d != nil && d.JobVersion == k.in.Job.Version {
		last := -1
		for _, g := range d.Groups {
			r, ok := k.rank[g.Name]
			if !ok || r >= len(k.in.Job.Groups) || r <= last {
				k.bad(Order, "deployment groups are not a subsequence of the job's groups: %q", groupNames(d))
				break
			}
			last = r
		}
		idx := map[string]int{}
		for i := range k.after {
			idx[k.after[i].ID] = k.after[i].Index
		}
		for _, g := range d.Groups {
			for i := 1; i < len(g.PlacedCanaries); i++ {
				a, aok := idx[g.PlacedCanaries[i-1]]
				b, bok := idx[g.PlacedCanaries[i]]
				if aok && bok && a > b {
					k.bad(Order, "group %s PlacedCanaries is not in name order: %v (indexes %d before %d)", g.Name, g.PlacedCanaries, a, b)
					break
				}
			}
		}
	}
}

func groupNames(d *rollout.Deployment) []string {
	var n []string
	for _, g := range d.Groups {
		n = append(n, g.Name)
	}
	return n
}

func (k *step) healthFinal() {
	for _, h := range k.out.Health {
		a := k.byID[h.ID]
		if a == nil || a.Health.Status == "" {
			continue
		}
		if h.Health.Status != a.Health.Status || !h.Health.Time.Equal(a.Health.Time) {
			k.bad(HealthFinal, "allocation %s had verdict %s at %v, the step records %s at %v",
				h.ID, a.Health.Status, a.Health.Time, h.Health.Status, h.Health.Time)
		}
	}
}

func validMove(from, to rollout.DeploymentStatus) bool {
	switch {
	case from == to:
		return true
	case from.Terminal():
		return false
	case to.Terminal():
		return true
	}
	return from.Active() && to.Active()
}

func (k *step) lifecycle() {
	in, out := k.in, k.out
	prev, d := in.Deployment, out.Deployment
	if prev != nil && d == nil {
		k.bad(Lifecycle, "the input deployment %s is lost: Output.Deployment is nil", prev.ID)
	}
	if c := out.Cancelled; c != nil {
		if prev == nil || c.ID != prev.ID || !prev.Status.Active() || c.Status != rollout.StatusCancelled {
			k.bad(Lifecycle, "Cancelled %s (%s) is not the active input deployment, cancelled", c.ID, c.Status)
		}
	}
	if prev != nil && d != nil && prev.ID != d.ID && prev.Status.Active() {
		if c := out.Cancelled; c == nil || c.ID != prev.ID {
			k.bad(Lifecycle, "active deployment %s was replaced by %s without being returned as Cancelled", prev.ID, d.ID)
		}
	}
	for _, x := range []*rollout.Deployment{d, out.Cancelled} {
		if x == nil {
			continue
		}
		if prev != nil && prev.ID == x.ID {
			if !validMove(prev.Status, x.Status) {
				k.bad(Lifecycle, "deployment %s moved from %s to %s", x.ID, prev.Status, x.Status)
			}
			if x.ModifyTime.Before(prev.ModifyTime) {
				k.bad(Lifecycle, "deployment %s ModifyTime went back from %v to %v", x.ID, prev.ModifyTime, x.ModifyTime)
			}
			if prev.Status.Terminal() {
				k.terminalSame(prev, x, "input")
			}
		} else if !x.CreateTime.Equal(in.Now) && x != out.Cancelled {
			k.bad(Lifecycle, "new deployment %s has CreateTime %v, not Now %v", x.ID, x.CreateTime, in.Now)
		}
		if x.ModifyTime.After(in.Now) || x.CreateTime.After(x.ModifyTime) {
			k.bad(Lifecycle, "deployment %s times out of order: create %v, modify %v, now %v", x.ID, x.CreateTime, x.ModifyTime, in.Now)
		}
		if x.JobID != in.Job.ID {
			k.bad(Lifecycle, "deployment %s is of job %q", x.ID, x.JobID)
		}
		if t, ok := k.c.terminal[x.ID]; ok && (prev == nil || prev.ID != x.ID || !prev.Status.Terminal()) {
			k.terminalSame(&t, x, "history")
		}
	}
}

func (k *step) counters() {
	d := k.current()
	if d == nil {
		return
	}
	if p := k.in.Deployment; p != nil && p.ID == d.ID && p.Status.Terminal() {
		return // a terminal deployment's counters may or may not follow (see Terminal)
	}
	for _, ds := range d.Groups {
		var placed, healthy, unhealthy int
		var canaries []string
		for i := range k.after {
			a := &k.after[i]
			if a.DeploymentID != d.ID || a.Group != ds.Name {
				continue
			}
			placed++
			switch a.Health.Status {
			case rollout.Healthy:
				healthy++
			case rollout.Unhealthy:
				unhealthy++
			}
			if a.Canary {
				canaries = append(canaries, a.ID)
			}
		}
		if ds.Placed != placed || ds.Healthy != healthy || ds.Unhealthy != unhealthy {
			k.bad(Counters, "deployment %s group %s counts placed/healthy/unhealthy %d/%d/%d, the allocations say %d/%d/%d",
				d.ID, ds.Name, ds.Placed, ds.Healthy, ds.Unhealthy, placed, healthy, unhealthy)
		}
		got := slices.Clone(ds.PlacedCanaries)
		slices.Sort(got)
		slices.Sort(canaries)
		if !slices.Equal(got, canaries) {
			k.bad(Counters, "deployment %s group %s PlacedCanaries %v, the allocations say %v", d.ID, ds.Name, ds.PlacedCanaries, canaries)
		}
		if ds.DesiredTotal < 0 || ds.DesiredCanaries < 0 {
			k.bad(Counters, "deployment %s group %s has negative desired counts %d/%d", d.ID, ds.Name, ds.DesiredTotal, ds.DesiredCanaries)
		}
	}
}

func (k *step) plan() {
	in, out := k.in, k.out
	// The job's groups in order, then removed groups that stop
	// something, by name.
	var want []string
	for _, g := range in.Job.Groups {
		want = append(want, g.Name)
	}
	var removed []string
	for _, st := range out.Stop {
		if _, ok := in.Job.Group(st.Group); !ok && !slices.Contains(removed, st.Group) {
			removed = append(removed, st.Group)
		}
	}
	slices.Sort(removed)
	want = append(want, removed...)
	if len(out.Plan) != len(want) {
		k.bad(Plan, "Plan has %d entries for groups %q", len(out.Plan), want)
		return
	}
	for i, p := range out.Plan {
		g := want[i]
		if p.Group != g {
			k.bad(Plan, "Plan[%d] is group %q, want %q", i, p.Group, g)
			continue
		}
		var place, stop, destructive, inplace, migrated, migrateStops int
		for _, x := range out.Place {
			if x.Group == g {
				place++
				switch x.Kind {
				case rollout.KindUpdate:
					destructive++
				case rollout.KindMigrate:
					migrated++
				}
			}
		}
		lostCanaryStops := 0 // not counted while the deployment keeps the canary
		for _, x := range out.Stop {
			if x.Group == g {
				stop++
				if x.Kind == rollout.KindMigrate {
					migrateStops++ // a canary's too, placed again as a canary
				}
				if x.Kind == rollout.KindLost && k.deploymentCanary(x.ID) {
					lostCanaryStops++
				}
			}
		}
		for _, x := range out.InPlace {
			if x.Group == g {
				inplace++
			}
		}
		if p.Create < 0 || p.Destroy < 0 || p.Canary < 0 || p.Ignore < 0 ||
			p.Create+p.Canary+p.Destructive+p.Migrate != place ||
			p.Destroy+p.Destructive+migrateStops > stop || p.Destroy+p.Destructive+migrateStops < stop-lostCanaryStops ||
			p.InPlace != inplace || p.Destructive != destructive || p.Migrate != migrated {
			k.bad(Plan, "Plan for %s is %+v, the decisions are %d placements (%d destructive), %d stops, %d in-place",
				g, p, place, destructive, stop, inplace)
		}
	}
}

// deploymentCanary reports whether allocation id is a canary of the
// input's deployment of the job's version.
func (k *step) deploymentCanary(id string) bool {
	d := k.in.Deployment
	if d == nil || d.JobVersion != k.in.Job.Version {
		return false
	}
	a := k.byID[id]
	return a != nil && a.Canary && a.DeploymentID == d.ID
}

func (k *step) success() {
	in, out := k.in, k.out
	d := out.Deployment
	succeeded := d != nil && d.Status == rollout.StatusSuccessful &&
		(in.Deployment == nil || in.Deployment.ID != d.ID || in.Deployment.Status != rollout.StatusSuccessful)
	if !succeeded {
		if out.Job != nil {
			k.bad(Success, "Output.Job (version %d) without a deployment succeeding", out.Job.Version)
		}
		return
	}
	if j := out.Job; j == nil || !j.Stable || j.Version != in.Job.Version || !j.SameSpec(&in.Job) {
		k.bad(Success, "deployment %s succeeded but Output.Job is %+v, want the job version %d marked Stable", d.ID, out.Job, in.Job.Version)
	}
	for _, ds := range d.Groups {
		if ds.Healthy < max(ds.DesiredTotal, ds.DesiredCanaries) || (ds.DesiredCanaries > 0 && !ds.Promoted) {
			k.bad(Success, "deployment %s succeeded with group %s at %d healthy of %d (canaries %d, promoted %v)",
				d.ID, ds.Name, ds.Healthy, ds.DesiredTotal, ds.DesiredCanaries, ds.Promoted)
		}
	}
	if !slices.ContainsFunc(out.Transitions, func(t rollout.Transition) bool { return t.Kind == rollout.TransitionSucceeded }) {
		k.bad(Success, "deployment %s succeeded without a succeeded transition", d.ID)
	}
}

// version returns retained version n: the job or one in History.
func (k *step) version(n uint64) (*rollout.JobVersion, bool) {
	if k.in.Job.Version == n {
		return &k.in.Job, true
	}
	for i := range k.in.History {
		if k.in.History[i].Version == n {
			return &k.in.History[i], true
		}
	}
	return nil, false
}

func (k *step) revert() {
	in, out := k.in, k.out
	// The deployment that failed in this step, if any.
	var failed *rollout.Deployment
	if x := out.Deployment; x != nil && x.Status == rollout.StatusFailed &&
		(in.Deployment == nil || in.Deployment.ID != x.ID || in.Deployment.Status != rollout.StatusFailed) {
		failed = x
	}
	var cmds []rollout.Command
	for _, c := range in.Commands {
		if c.Kind == rollout.CmdRevert {
			cmds = append(cmds, c)
		}
	}
	if failed != nil && strings.Contains(failed.Description, " - rolling back to job version ") && out.Revert == nil {
		k.bad(Revert, "deployment %s says %q but the output has no Revert", failed.ID, failed.Description)
	}
	r := out.Revert
	if r == nil {
		return
	}
	maxV := in.Job.Version
	for _, h := range in.History {
		maxV = max(maxV, h.Version)
	}
	if r.ID != in.Job.ID || r.Version != maxV+1 || r.Stable || r.RevertOf == nil {
		k.bad(Revert, "revert version %d (stable %v, revert of %v) of job %q: want version %d, not Stable, RevertOf set",
			r.Version, r.Stable, r.RevertOf, r.ID, maxV+1)
		return
	}
	target, ok := k.version(*r.RevertOf)
	if !ok {
		k.bad(Revert, "revert to version %d, which is not retained", *r.RevertOf)
		return
	}
	if target.Version == in.Job.Version {
		k.bad(Revert, "revert to the current version %d", target.Version)
	}
	if !r.SameSpec(target) {
		k.bad(Revert, "revert version %d does not have version %d's specification", r.Version, target.Version)
	}
	if len(cmds) > 0 {
		if len(cmds) > 1 || cmds[0].Version != target.Version {
			k.bad(Revert, "revert to %d for commands %+v", target.Version, cmds)
		}
		return
	}
	// An auto-revert.
	if failed == nil {
		k.bad(Revert, "revert to version %d with no Revert command and no deployment failing in this step", target.Version)
		return
	}
	if k.c.reverted[failed.ID] {
		k.bad(Revert, "deployment %s's failure reverted twice", failed.ID)
	}
	k.c.reverted[failed.ID] = true
	if !target.Stable {
		k.bad(Revert, "auto-revert to version %d, which is not Stable", target.Version)
	}
	best := uint64(0)
	found := false
	for _, v := range append([]rollout.JobVersion{in.Job}, in.History...) {
		if v.Stable && (!found || v.Version > best) {
			best, found = v.Version, true
		}
	}
	if found && best != target.Version {
		k.bad(Revert, "auto-revert to version %d, the newest Stable version is %d", target.Version, best)
	}
	if target.SameSpec(&in.Job) {
		k.bad(Revert, "auto-revert to version %d, whose specification is the failed job's", target.Version)
	}
	var groups []string
	for _, t := range out.Transitions {
		if t.Kind == rollout.TransitionFailed && t.DeploymentID == failed.ID {
			groups = t.Groups
		}
	}
	auto := false
	for _, name := range groups {
		if ds, ok := failed.Group(name); ok && ds.AutoRevert {
			auto = true
		}
	}
	if !auto {
		k.bad(Revert, "auto-revert of deployment %s, but none of the failed groups %v has auto_revert", failed.ID, groups)
	}
}

// allowedWhileCanarying are the stops allowed in a group whose canaries
// await promotion.
var allowedWhileCanarying = map[rollout.DecisionKind]bool{
	rollout.KindScaleDown: true, rollout.KindLost: true, rollout.KindReschedule: true,
	rollout.KindCanaryCancelled: true, rollout.KindJobStopped: true, rollout.KindGroupRemoved: true,
	// A surge pair of an earlier deployment keeps one of its two members.
	rollout.KindSurgeCancelled: true, rollout.KindReplaced: true,
	rollout.KindNodeDrained: true, rollout.KindNodeIneligible: true, rollout.KindMigrate: true,
}

func (k *step) canaries() {
	in, out := k.in, k.out
	d := k.current()
	for _, p := range out.Place {
		if !p.Canary {
			continue
		}
		var ds *rollout.DeploymentGroup
		if d != nil {
			ds, _ = d.Group(p.Group)
		}
		if ds == nil || ds.DesiredCanaries == 0 || p.DeploymentID != d.ID {
			k.bad(CanaryCount, "canary %s placed in group %s, which has no canaries in the deployment (placement's deployment %q)", p.ID, p.Group, p.DeploymentID)
			continue
		}
		// A new canary takes a name no live canary of its deployment holds
		// (unless the input had two of that name to run already).
		if namesakes := func(allocs []rollout.Alloc, counts func(*rollout.Alloc) bool) (n int) {
			for i := range allocs {
				if a := &allocs[i]; a.Canary && a.DeploymentID == d.ID && a.Group == p.Group && a.Index == p.Index && counts(a) {
					n++
				}
			}
			return n
		}; namesakes(k.after, live) > max(1, namesakes(in.Allocs, toRun)) {
			k.bad(CanaryCount, "canary %s placed as %s, the name of another live canary", p.ID, p.Name)
		}
	}
	for _, st := range out.Stop {
		if st.Kind != rollout.KindCanaryCancelled {
			continue
		}
		a := k.byID[st.ID]
		if a == nil {
			continue
		}
		for _, x := range []*rollout.Deployment{in.Deployment, out.Deployment} {
			if x == nil || x.ID != a.DeploymentID {
				continue
			}
			if ds, ok := x.Group(a.Group); !a.Canary || !ok || ds.DesiredCanaries == 0 || ds.Promoted {
				k.bad(CanaryHold, "%s (canary %v) stopped as a cancelled canary, but its deployment %s never had canaries awaiting promotion in group %s",
					a.Name(), a.Canary, x.ID, a.Group)
			}
			break
		}
	}
	if d == nil {
		return
	}
	for _, ds := range d.Groups {
		g, ok := in.Job.Group(ds.Name)
		if !ok {
			continue
		}
		strat, _ := rollout.Merge(in.Job.Update, g.Update)
		system := in.Job.Type == rollout.JobSystem
		if system {
			// A percentage of the eligible nodes, at most max_parallel; the
			// step may place fewer (see the package doc).
			eligible := 0
			for _, n := range in.Nodes {
				if n.Eligible && !n.Draining {
					eligible++
				}
			}
			strat.Canary = min(strat.MaxParallel, (strat.Canary*eligible+99)/100)
		}
		if prev := k.in.Deployment; prev == nil || prev.ID != d.ID {
			if ds.DesiredCanaries != 0 && (ds.DesiredCanaries != strat.Canary && !system || ds.DesiredCanaries > strat.Canary) {
				k.bad(CanaryCount, "new deployment: group %s wants %d canaries, its strategy says %d", ds.Name, ds.DesiredCanaries, strat.Canary)
			}
		} else if pg, ok := prev.Group(ds.Name); ok && (pg.DesiredCanaries != ds.DesiredCanaries && !system || ds.DesiredCanaries > pg.DesiredCanaries) {
			k.bad(CanaryCount, "group %s wanted %d canaries, now %d", ds.Name, pg.DesiredCanaries, ds.DesiredCanaries)
		}
		asked := max(strat.Canary, ds.DesiredCanaries)
		count := func(allocs []rollout.Alloc) int {
			n := 0
			for i := range allocs {
				if a := &allocs[i]; a.Group == ds.Name && a.Canary && a.DeploymentID == d.ID && live(a) {
					n++
				}
			}
			return n
		}
		// Checked from any input: the step adds none beyond what was asked.
		// (Over a history from an empty world, the count never exceeds it.)
		if n := count(k.after); n > max(asked, count(in.Allocs)) {
			k.bad(CanaryCount, "group %s has %d live canaries in deployment %s, %d asked", ds.Name, n, d.ID, asked)
		}
		if ds.DesiredCanaries == 0 || ds.Promoted {
			continue
		}
		// A system job's canary replaces the allocation on its node.
		canaryReplaces := map[string]bool{}
		for _, p := range out.Place {
			if p.Canary && in.Job.Type == rollout.JobSystem {
				canaryReplaces[p.Replaces] = true
			}
		}
		for _, s := range out.Stop {
			if s.Group == ds.Name && !allowedWhileCanarying[s.Kind] && !canaryReplaces[s.ID] {
				k.bad(CanaryHold, "group %s awaits promotion, yet %s is stopped (%s: %s)", ds.Name, s.Name, s.Kind, s.Reason)
			}
		}
		for _, p := range out.Place {
			if p.Group != ds.Name || p.Canary {
				continue
			}
			old := k.byID[p.Replaces]
			if old == nil || old.JobVersion != p.JobVersion || old.Spec != p.Spec {
				k.bad(CanaryHold, "group %s awaits promotion, yet %s is placed at version %d (%s) replacing %q",
					ds.Name, p.Name, p.JobVersion, p.Kind, p.Replaces)
			}
		}
	}
}

// toRun reports whether the allocation is desired to run, whatever its
// client says.
func toRun(a *rollout.Alloc) bool { return a.Desired == rollout.DesiredRun }

// strategy returns the group's strategy when it deploys (max_parallel > 0).
func (k *step) strategy(g *rollout.Group) (rollout.UpdateStrategy, bool) {
	s, ok := rollout.Merge(k.in.Job.Update, g.Update)
	return s, ok && s.MaxParallel > 0
}

func (k *step) maxParallel() {
	in, out := k.in, k.out
	for gi := range in.Job.Groups {
		g := &in.Job.Groups[gi]
		strat, ok := k.strategy(g)
		if !ok {
			continue
		}
		destructive := 0
		for _, p := range out.Place {
			if p.Group == g.Name && p.Kind == rollout.KindUpdate {
				destructive++
			}
		}
		if destructive == 0 {
			continue
		}
		d := k.current()
		var ds *rollout.DeploymentGroup
		if d != nil {
			ds, _ = d.Group(g.Name)
		}
		if ds == nil {
			// A deployment that exists without the group (created when the
			// group had nothing to roll) leaves it to roll at max_parallel
			// per step; only a deployment created now must take it in.
			if p := in.Deployment; d == nil || p == nil || p.ID != d.ID {
				k.bad(MaxParallel, "group %s: %d destructive updates outside a deployment", g.Name, destructive)
			} else if destructive > strat.MaxParallel {
				k.bad(MaxParallel, "group %s: %d destructive updates, max_parallel = %d", g.Name, destructive, strat.MaxParallel)
			}
			continue
		}
		if d.Status == rollout.StatusPaused || d.Status == rollout.StatusFailed || d.Status == rollout.StatusCancelled {
			k.bad(MaxParallel, "group %s: %d destructive updates while the deployment is %s", g.Name, destructive, d.Status)
		}
		if ds.DesiredCanaries > 0 && !ds.Promoted {
			k.bad(MaxParallel, "group %s: %d destructive updates while canaries await promotion", g.Name, destructive)
		}
		scaledDown := map[string]bool{}
		for _, st := range out.Stop {
			if st.Kind == rollout.KindScaleDown || in.Job.Type == rollout.JobSystem && (st.Kind == rollout.KindLost || st.Kind == rollout.KindNodeDrained || st.Kind == rollout.KindNodeIneligible) {
				// Stopped before the budget is made (for a system job: its
				// node left or drains, and it holds no node's place).
				scaledDown[st.ID] = true
			}
		}
		for i := range in.Allocs {
			a := &in.Allocs[i]
			// A finished allocation is left alone, as Nomad does: its slot
			// is refilled, and it does not hold the rollout back.
			if a.Group != g.Name || a.DeploymentID != d.ID || a.Desired != rollout.DesiredRun || a.Client == rollout.ClientLost || a.Client == rollout.ClientComplete || scaledDown[a.ID] {
				continue
			}
			// A system job's allocation on an ineligible node is left as it
			// is, outside the rollout.
			if in.Job.Type == rollout.JobSystem && !slices.ContainsFunc(in.Nodes, func(n rollout.Node) bool { return n.ID == a.NodeID && n.Eligible }) {
				continue
			}
			h := k.mid[a.ID]
			if h.Status == rollout.Unhealthy || (h.Status == "" && a.Client == rollout.ClientFailed) {
				k.bad(MaxParallel, "group %s: %d destructive updates while %s of the deployment is unhealthy (%s, client %s)",
					g.Name, destructive, a.Name(), k.mid[a.ID].Status, a.Client)
				break
			}
		}
		// Placed outside the budget in this step (from the next step on
		// they count): migrations, which the drainer paces, and a system
		// job's placements on nodes without a live allocation, new or
		// failed (Nomad places on them at once).
		outside := map[string]bool{}
		for _, p := range out.Place {
			if p.Kind == rollout.KindMigrate || in.Job.Type == rollout.JobSystem && (p.Kind == rollout.KindCreate || p.Kind == rollout.KindReschedule) {
				outside[p.ID] = true
			}
		}
		var flight []string
		for i := range k.after {
			a := &k.after[i]
			if a.Group == g.Name && a.DeploymentID == d.ID && live(a) && a.Health.Status == "" &&
				!awaiting(a, d) && !k.inplaced[a.ID] && !outside[a.ID] {
				flight = append(flight, a.Name())
			}
		}
		if len(flight) > strat.MaxParallel {
			k.bad(MaxParallel, "group %s: %d destructive updates leave %d allocations in flight %v, max_parallel = %d",
				g.Name, destructive, len(flight), flight, strat.MaxParallel)
		}
	}
}

// up reports whether an allocation serves: not a canary awaiting promotion,
// desired run, live on its node, and healthy; or running, without a verdict, and, if the checker saw it
// placed, healthy at least once since (an in-place update does not restart it). An allocation the
// checker never saw before counts as freshly placed when it belongs to a
// deployment and is not being updated in place.
func (k *step) up(a *rollout.Alloc, h rollout.AllocHealth, before bool) bool {
	if !live(a) || h.Status == rollout.Unhealthy || k.unpromotedCanary(a, before) {
		return false
	}
	if h.Status == rollout.Healthy { // by its events, or by a set-health command
		return true
	}
	if a.Client != rollout.ClientRunning {
		return false
	}
	if k.c.seen[a.ID] {
		return !k.c.placed[a.ID] || k.c.proven[a.ID]
	}
	return a.DeploymentID == "" || k.inplaced[a.ID]
}

// unpromotedCanary reports whether a is a canary whose group has not been
// promoted (or whose deployment the step does not show): extra capacity
// beside the allocations that serve, never counted as serving. before
// judges by the input deployment, otherwise by the output's.
func (k *step) unpromotedCanary(a *rollout.Alloc, before bool) bool {
	if !a.Canary {
		return false
	}
	ds := []*rollout.Deployment{k.out.Deployment, k.in.Deployment}
	if before {
		ds[0], ds[1] = ds[1], ds[0]
	}
	for _, d := range ds {
		if d != nil && d.ID == a.DeploymentID {
			ds, ok := d.Group(a.Group)
			return !ok || !ds.Promoted
		}
	}
	return true
}

func (k *step) availability() {
	in := k.in
	if in.Job.Stop {
		return
	}
	d := k.current()
	for gi := range in.Job.Groups {
		g := &in.Job.Groups[gi]
		strat, ok := k.strategy(g)
		if !ok || g.Count == 0 {
			continue
		}
		before, pre := 0, true
		for i := range in.Allocs {
			a := &in.Allocs[i]
			if a.Group != g.Name || a.Desired != rollout.DesiredRun {
				continue
			}
			h := k.mid[a.ID]
			if a.Client == rollout.ClientFailed || a.Client == rollout.ClientLost || a.Client == rollout.ClientComplete || h.Status == rollout.Unhealthy {
				pre = false
				break
			}
			if k.up(a, h, true) {
				before++
			} else if d == nil || a.DeploymentID != d.ID {
				pre = false
				break
			}
		}
		if !pre {
			continue
		}
		// Excess is stopped by name, not by health, and an
		// old allocation whose name a promoted canary (or a surge
		// allocation) took leaves its slot to it: neither is the rolling
		// update's to answer for. Nor is a drain (its pace is its
		// drainer's): the floor is lower by the allocations it moves.
		drained := 0
		for _, st := range k.out.Stop {
			excess := st.Kind == rollout.KindScaleDown || st.Kind == rollout.KindPromoted ||
				st.Kind == rollout.KindReplaced || st.Kind == rollout.KindSurgeCancelled || // a surge pair keeps one
				st.Kind == rollout.KindMigrate
			if a := k.byID[st.ID]; a != nil && st.Group == g.Name && excess && k.up(a, k.mid[a.ID], true) {
				before--
				if st.Kind == rollout.KindMigrate {
					drained++
				}
			}
		}
		after := 0
		for i := range k.after {
			a := &k.after[i]
			h := a.Health
			if k.inplaced[a.ID] {
				h = k.mid[a.ID] // an in-place update restarts tracking, not the allocation
			}
			if a.Group == g.Name && k.up(a, h, false) {
				after++
			}
		}
		if floor := min(before, g.Count-strat.MaxParallel-drained); after < floor {
			k.bad(Availability, "group %s: %d allocations up after the step, %d before, count %d, max_parallel %d, %d moved by a drain",
				g.Name, after, before, g.Count, strat.MaxParallel, drained)
		}
	}
}
