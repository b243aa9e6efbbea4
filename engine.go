package rollout

import (
	"slices"
	"strconv"
	"time"

	"github.com/rollout-go/rollout/internal/index"
)

// stepper holds one step's working state. Nothing in it outlives Step.
type stepper struct {
	in  *Input
	job *JobVersion
	now time.Time
	out Output
	ids *index.Table

	groups   []groupState     // the job's groups, then removed groups by name
	groupOf  []int32          // per allocation: its position in groups
	groupIdx map[string]int32 // group name → position in groups
	// removed and lastGroup are indexAlloc's working state.
	removed   []string
	lastGroup int32
	// inDep has bit p set when allocation p's DeploymentID is the input
	// deployment's ID (nil without an input deployment): the loops over
	// allocations test it through member instead of comparing strings.
	inDep []uint64
	// pending lists, in allocation order, the allocations of the input
	// deployment whose input health has no verdict: the only ones whose
	// health timers can fire (a verdict is final). Usually about
	// max_parallel per group, so the timer loops need not visit them all.
	pending []int32

	cur       *Deployment // the current deployment, a working copy; nil if none
	old       *Deployment // the previous deployment (input), when not current
	created   bool        // cur was created by this step
	cancelled *Deployment // the previous deployment, cancelled by this step

	health     map[int32]*AllocHealth // health changed by this step
	healthBits []uint64               // bit p: health has p (made with health)
	changed    []int32                // allocations whose health changed, in change order
	next       time.Time              // earliest wake-up found so far
	seq        int                    // placements made, for IDs
	skipCanary bool                   // a revert to a Stable version: no canaries
	// idStamp and idVersion are Now and the job version as newAllocID
	// writes them, formatted at the first placement.
	idStamp, idVersion string
}

// groupState is one group's part of a step.
type groupState struct {
	name     string
	g        *Group // nil for a group no longer in the job
	strat    UpdateStrategy
	hasStrat bool // a strategy that deploys (max_parallel > 0)
	allocs   []int32
	ds       int // index of the group in cur.Groups, or -1
	depID    string
	plan     GroupPlan
	complete bool
	victims  map[int32]bool // allocations stopped by scale-down
	shadow   map[int]bool   // indexes held by promoted canaries
	// oldUnpromoted: the previous deployment had the group and did not
	// promote it, so its canaries are stopped.
	oldUnpromoted bool
	// placedNow counts this step's placements and in-place updates into the
	// current deployment; newCanaries lists its new canaries' IDs.
	placedNow   int
	newCanaries []Placement
	// stats caches the group's counts in statsFor (see stepper.stats).
	stats    groupStats
	statsOK  bool
	statsFor *Deployment
}

// run makes the step's decisions, in the order of DESIGN.md §6.
func (s *stepper) run() error {
	s.index()
	s.resolveDeployment()
	if s.job.Stop {
		s.stopJob()
		s.finish()
		return nil
	}
	s.trackHealth()
	if err := s.applyCommands(); err != nil {
		return err
	}
	s.watch()
	for gi := range s.groups {
		s.reconcile(gi)
	}
	s.finish()
	return nil
}

// index groups the allocations by group, in one counting pass.
//
// It runs in three parts, so that the pass over the allocations is the
// validation's pass: indexGroups before it, indexAlloc for each allocation
// in it, and index after it.
func (s *stepper) indexGroups() {
	job := s.job
	s.groupIdx = make(map[string]int32, len(job.Groups))
	s.groups = make([]groupState, len(job.Groups))
	for i := range job.Groups {
		g := &job.Groups[i]
		s.groupIdx[g.Name] = int32(i)
		st, ok := Merge(job.Update, g.Update)
		s.groups[i] = groupState{name: g.Name, g: g, strat: st, hasStrat: ok && st.Deploys(), ds: -1}
	}
	n := len(s.in.Allocs)
	s.groupOf = make([]int32, n)
	if d := s.in.Deployment; d != nil {
		s.inDep = make([]uint64, (n+63)/64)
	}
	s.lastGroup = -1
}

// indexAlloc records allocation i's group and deployment membership.
func (s *stepper) indexAlloc(i int, a *Alloc) {
	if s.inDep != nil && a.DeploymentID == s.in.Deployment.ID {
		s.inDep[i>>6] |= 1 << (i & 63)
		if a.Health.Status == "" {
			s.pending = append(s.pending, int32(i))
		}
	}
	if last := s.lastGroup; last >= 0 && s.groups[last].name == a.Group {
		s.groupOf[i] = last
		return
	}
	gi, ok := s.groupIdx[a.Group]
	if !ok {
		gi = int32(len(s.groups))
		s.groupIdx[a.Group] = gi
		s.groups = append(s.groups, groupState{name: a.Group, ds: -1})
		s.removed = append(s.removed, a.Group)
	}
	s.groupOf[i] = gi
	s.lastGroup = gi
}

// index finishes the grouping: removed groups last by name, and each
// group's allocations in one backing array.
func (s *stepper) index() {
	job, allocs, names, removed := s.job, s.in.Allocs, s.groupIdx, s.removed
	if len(removed) > 1 {
		// Removed groups come last, by name: renumber them.
		nj := int32(len(job.Groups))
		order := slices.Clone(removed)
		slices.Sort(order)
		remap := make(map[int32]int32, len(removed))
		for k, name := range order {
			remap[names[name]] = nj + int32(k)
			s.groups[nj+int32(k)] = groupState{name: name, ds: -1}
		}
		for i, gi := range s.groupOf {
			if gi >= nj {
				s.groupOf[i] = remap[gi]
			}
		}
	}
	counts := make([]int32, len(s.groups)+1)
	for _, gi := range s.groupOf {
		counts[gi+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	backing := make([]int32, len(allocs))
	fill := slices.Clone(counts[:len(s.groups)])
	for i, gi := range s.groupOf {
		backing[fill[gi]] = int32(i)
		fill[gi]++
	}
	for gi := range s.groups {
		s.groups[gi].allocs = backing[counts[gi]:counts[gi+1]:counts[gi+1]]
	}
	if len(removed) > 1 {
		for k := int(len(job.Groups)); k < len(s.groups); k++ {
			names[s.groups[k].name] = int32(k)
		}
	}
	if len(s.job.Groups) > 0 && s.job.RevertOf != nil {
		s.skipCanary = s.revertTargetStable(*s.job.RevertOf)
	}
}

// resolveDeployment decides which deployment is current: the input's, if it
// deploys this job version and has not succeeded or been cancelled.
func (s *stepper) resolveDeployment() {
	d := s.in.Deployment
	if d == nil {
		return
	}
	switch {
	case s.job.Stop || d.JobVersion != s.job.Version:
		s.old = d
		for k := range d.Groups {
			if gi, ok := s.groupIdx[d.Groups[k].Name]; ok {
				s.groups[gi].oldUnpromoted = d.Groups[k].DesiredCanaries > 0 && !d.Groups[k].Promoted
			}
		}
		if d.Status.Active() {
			c := d.clone()
			desc := DescNewerJob
			if s.job.Stop {
				desc = DescStoppedJob
			}
			s.end(c, StatusCancelled, desc, TransitionCancelled)
			s.cancelled = c
		}
	case d.Status == StatusSuccessful || d.Status == StatusCancelled:
		s.old = d
	default:
		s.cur = d.clone()
		for k := range s.cur.Groups {
			if gi, ok := s.groupIdx[s.cur.Groups[k].Name]; ok {
				s.groups[gi].ds = k
				s.groups[gi].depID = s.cur.ID
			}
		}
	}
}

// end moves d to a terminal status and records the transition.
func (s *stepper) end(d *Deployment, status DeploymentStatus, desc string, kind TransitionKind) {
	d.Status, d.Description = status, desc
	s.out.Transitions = append(s.out.Transitions, Transition{Kind: kind, DeploymentID: d.ID, Reason: desc})
}

// stopJob stops every allocation of a stopped job.
func (s *stepper) stopJob() {
	for gi := range s.groups {
		gs := &s.groups[gi]
		gs.plan.Group = gs.name
		start := len(s.out.Stop)
		for _, p := range gs.allocs {
			if s.in.Allocs[p].Desired == DesiredRun {
				s.stop(gs, p, KindJobStopped, ReasonJobStopped)
			}
		}
		sortStops(s.out.Stop[start:])
		if gs.g != nil {
			s.out.Plan = append(s.out.Plan, gs.plan)
		}
	}
}

// healthOf returns the allocation's health as this step sees it.
func (s *stepper) healthOf(p int32) *AllocHealth {
	// The bit set answers for most allocations without a map lookup.
	if s.healthBits != nil && s.healthBits[p>>6]&(1<<(p&63)) != 0 {
		return s.health[p]
	}
	return &s.in.Allocs[p].Health
}

// setHealth records a health change made by this step.
func (s *stepper) setHealth(p int32, h AllocHealth) {
	s.groups[s.groupOf[p]].statsOK = false
	if s.health == nil {
		s.health = make(map[int32]*AllocHealth)
		s.healthBits = make([]uint64, (len(s.in.Allocs)+63)/64)
	}
	if old, ok := s.health[p]; ok {
		*old = h
		return
	}
	s.health[p] = &h
	s.healthBits[p>>6] |= 1 << (p & 63)
	s.changed = append(s.changed, p)
}

// wake records a time at which Step must run again.
func (s *stepper) wake(t time.Time) {
	if t.After(s.now) && (s.next.IsZero() || t.Before(s.next)) {
		s.next = t
	}
}

// inCur reports whether allocation p belongs to the current deployment.
func (s *stepper) inCur(p int32) bool {
	return s.cur != nil && s.in.Allocs[p].DeploymentID == s.cur.ID
}

// member tests whether allocations belong to one deployment. Made once per
// loop by s.member(d), it answers from s.inDep when d has the input
// deployment's ID (cur, old and cancelled are copies of it), and compares
// IDs otherwise: comparing strings for every allocation in every loop is
// what the marks save.
type member struct {
	marks  []uint64
	id     string
	allocs []Alloc
}

func (s *stepper) member(d *Deployment) member {
	if s.inDep != nil && d.ID == s.in.Deployment.ID {
		return member{marks: s.inDep}
	}
	return member{id: d.ID, allocs: s.in.Allocs}
}

// noVerdict returns, in allocation order, the allocations of deployment d
// whose input health has no verdict: s.pending when d is the input
// deployment, as it is whenever a health timer can fire.
func (s *stepper) noVerdict(d *Deployment) []int32 {
	if s.inDep != nil && d.ID == s.in.Deployment.ID {
		return s.pending
	}
	var ps []int32
	for i := range s.in.Allocs {
		if a := &s.in.Allocs[i]; a.DeploymentID == d.ID && a.Health.Status == "" {
			ps = append(ps, int32(i))
		}
	}
	return ps
}

// has reports whether allocation p's DeploymentID is the deployment's ID.
func (m member) has(p int32) bool {
	if m.marks != nil {
		return m.marks[p>>6]&(1<<(p&63)) != 0
	}
	return m.allocs[p].DeploymentID == m.id
}

// dgroup returns the current deployment's state for group gi, or nil.
func (s *stepper) dgroup(gi int) *DeploymentGroup {
	if k := s.groups[gi].ds; k >= 0 {
		return &s.cur.Groups[k]
	}
	return nil
}

// newAllocID derives the ID of a placement, unique among the allocations.
func (s *stepper) newAllocID(name, depID string) string {
	s.seq++
	if s.idStamp == "" {
		// Formatted once per step, not once per placement.
		s.idStamp, s.idVersion = s.now.UTC().Format(time.RFC3339Nano), strconv.FormatUint(s.job.Version, 10)
	}
	for salt := 0; ; salt++ {
		id := index.ID("alloc", s.job.ID, s.idVersion, depID, name, s.idStamp, strconv.Itoa(s.seq), strconv.Itoa(salt))
		if s.ids.Find(id) < 0 {
			return id
		}
	}
}

// newDeploymentID derives the ID of the deployment this step creates.
func (s *stepper) newDeploymentID() string {
	prev := ""
	if s.in.Deployment != nil {
		prev = s.in.Deployment.ID
	}
	id := index.ID("deployment", s.job.ID, strconv.FormatUint(s.job.Version, 10), s.now.UTC().Format(time.RFC3339Nano), prev)
	// Unique among the deployments the allocations remember: a step that
	// creates a deployment is rare, so a scan is cheap enough.
	for s.deploymentIDUsed(id, prev) {
		id = index.ID("deployment", id)
	}
	return id
}

// deploymentIDUsed reports whether id names the previous deployment or one
// that an allocation belongs to.
func (s *stepper) deploymentIDUsed(id, prev string) bool {
	if id == prev {
		return true
	}
	for i := range s.in.Allocs {
		if s.in.Allocs[i].DeploymentID == id {
			return true
		}
	}
	return false
}
