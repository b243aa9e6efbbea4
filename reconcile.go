package rollout

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// classes sorts one group's running allocations (desired run) for a step.
type classes struct {
	lost, reschedNow, reschedLater, canaries, inplace, destructive, cancel []int32
	// migrate are allocations moving off their node (factMigrate), to stop
	// and place again under their names; migrateCanaries, those that are
	// canaries awaiting promotion, placed again as canaries; migrateLeave,
	// old allocations whose surge namesake is placed already: only
	// stopped.
	migrate, migrateCanaries, migrateLeave []int32
	// shadowed are old allocations whose name a promoted canary holds;
	// replaced, those whose name a healthy surge allocation holds.
	shadowed      []int32
	replaced      []int32
	occupants     int // allocations holding a slot: untainted + reschedule, not canaries awaiting promotion
	reschedCanary int // canaries awaiting promotion among reschedNow and reschedLater
	ignore        int
	curUnknown    int // allocations of the current deployment holding a slot, health unknown
	curUnhealthy  int // ... unhealthy
	anyCurrent    bool
}

// reconcile decides one group's placements, stops and in-place updates.
func (s *stepper) reconcile(gi int) {
	gs := &s.groups[gi]
	gs.plan.Group = gs.name
	stopStart, placeStart, inplaceStart := len(s.out.Stop), len(s.out.Place), len(s.out.InPlace)
	defer func() {
		sortStops(s.out.Stop[stopStart:])
		sortPlacements(s.out.Place[placeStart:])
		if inPlace := s.out.InPlace[inplaceStart:]; len(inPlace) > 1 {
			slices.SortFunc(inPlace, func(a, b InPlaceUpdate) int { return s.byName(a.ID, b.ID) })
		}
		s.addPlan(gs)
	}()

	g := gs.g
	if g == nil || g.Count == 0 {
		kind, reason := KindGroupRemoved, ReasonGroupRemoved
		if g != nil {
			kind, reason = KindScaleDown, ReasonNotNeeded
		}
		for _, p := range gs.allocs {
			if s.in.Allocs[p].Desired == DesiredRun {
				s.stop(gs, p, kind, reason)
			}
		}
		gs.complete = true
		return
	}

	cur := s.cur
	if s.created {
		cur = nil // created by an earlier group in this step: nothing of it exists yet
	}
	ds := s.dgroup(gi)
	if cur == nil {
		ds = nil
	}
	failed := cur != nil && cur.Status == StatusFailed
	paused := cur != nil && cur.Status == StatusPaused
	canarying := ds != nil && ds.DesiredCanaries > 0 && !ds.Promoted

	gs.shadow = s.promotedCanaryNames(gs, cur, ds)
	gs.surge = s.surgePairs(gs, cur)
	c := s.classify(gs, cur, ds, canarying, nil)
	if remove := c.occupants - g.Count; remove > 0 {
		gs.victims = s.scaleDown(gs, cur, ds, canarying, remove)
		c = s.classify(gs, cur, ds, canarying, gs.victims)
	}
	for _, p := range c.cancel {
		s.stop(gs, p, KindCanaryCancelled, ReasonNotNeeded)
	}
	for _, p := range c.shadowed {
		s.stop(gs, p, KindPromoted, ReasonNotNeeded)
	}
	for _, p := range c.replaced {
		s.stop(gs, p, KindReplaced, ReasonReplaced)
	}
	for _, p := range gs.surge.cancel {
		s.stop(gs, p, KindSurgeCancelled, ReasonSurgeCancelled)
	}
	frozen := s.freeze != nil

	// Lost allocations: stopped, and replaced while the group is short.
	slices.SortFunc(c.lost, s.byIndex)
	slots := c.occupants
	liveCanaries := len(c.canaries) + c.reschedCanary
	var lostRepl []int32
	var lostCanaries []int32
	for _, p := range c.lost {
		a := &s.in.Allocs[p]
		switch {
		case canarying && a.Canary && cur != nil && a.DeploymentID == cur.ID:
			// A lost canary is re-placed only while the deployment may
			// place canaries: not while paused or failed.
			if !paused && !failed {
				lostCanaries = append(lostCanaries, p)
				liveCanaries++
			}
		case slots < g.Count:
			lostRepl = append(lostRepl, p)
			slots++
		}
	}
	// A migrating canary is placed again, as a lost one is, while the
	// deployment may place canaries.
	var migCanaries []int32
	if !paused && !failed {
		migCanaries = c.migrateCanaries
		liveCanaries += len(migCanaries)
	}
	missing := max(0, g.Count-slots)

	// Canaries: a destructive change places them beside the old allocations.
	canaryNeed := 0
	if gs.hasStrat && gs.strat.Canary > 0 && len(c.destructive) > 0 && !s.skipCanary &&
		(ds == nil && cur == nil || canarying) && liveCanaries < gs.strat.Canary {
		canarying = true
		if !paused && !failed && !frozen {
			canaryNeed = gs.strat.Canary - liveCanaries
		}
	}
	canaryRequired := canarying && (ds == nil || liveCanaries < ds.DesiredCanaries)

	// The deployment this group's decisions belong to.
	desiredTotal := len(c.destructive) + len(c.inplace) + len(c.reschedNow) + len(c.reschedLater) + len(lostRepl) + missing + len(c.migrate)
	switch {
	case ds != nil:
		gs.depID = cur.ID
	case cur == nil && gs.hasStrat && desiredTotal > 0 && !(c.anyCurrent && len(c.destructive) == 0 && len(c.inplace) == 0) && !frozen:
		ds = s.join(gs, desiredTotal, canarying)
	default:
		gs.depID = ""
	}

	// The budget: how many destructive updates may start now.
	budget := math.MaxInt
	if gs.hasStrat && len(c.destructive) > 0 {
		switch {
		case canarying || paused || failed || c.curUnhealthy > 0:
			budget = 0
		case cur == nil || s.groups[gi].ds < 0:
			budget = gs.strat.MaxParallel
		default:
			budget = max(0, gs.strat.MaxParallel-c.curUnknown)
		}
	}
	placeReady := !paused && !failed && !canarying && !frozen
	// What the freeze holds back: in-place updates (made even while
	// paused), and what a running deployment would place.
	if frozen && (len(c.inplace) > 0 || (!paused && !failed && (missing > 0 || len(c.destructive) > 0 || canaryRequired))) {
		s.hold(gs.name)
	}

	placed := 0
	for _, p := range c.reschedNow {
		a := &s.in.Allocs[p]
		reason := ReasonRescheduled
		if s.healthOf(p).Status == Unhealthy {
			reason = ReasonUnhealthy
		}
		s.stop(gs, p, KindReschedule, reason)
		s.replace(gs, a, canarying, KindReschedule, ReasonPlaceReschedule, a.Attempts+1)
		placed++
	}
	for _, p := range c.lost {
		if s.deploymentCanary(p, cur, ds, failed) {
			// As in Nomad's plan, a lost canary of the deployment is not
			// counted as destroyed: its slot stays the deployment's.
			s.stopUncounted(gs, p, KindLost, ReasonLost)
		} else {
			s.stop(gs, p, KindLost, ReasonLost)
		}
	}
	for _, p := range lostCanaries {
		s.replaceCanary(gs, p, ReasonPlaceLost)
	}
	for _, p := range lostRepl {
		a := &s.in.Allocs[p]
		s.replace(gs, a, canarying, KindLost, ReasonPlaceLost, a.Attempts)
		placed++
	}
	s.migrate(gs, &c, migCanaries, canarying)
	room := math.MaxInt // before the next checkpoint
	if placeReady && ds != nil && len(ds.PauseAfter) > 0 {
		room = s.checkpointRoom(gi, ds)
	}
	if missing > 0 {
		if placeReady {
			free := s.freeIndexes(gs, c.cancel, s.capPlacements(min(missing, room)), lostRepl)
			room -= len(free)
			s.out.Place = slices.Grow(s.out.Place, len(free))
			s.reservePlacements(gs.name, len(free), g.Count)
			for _, idx := range free {
				s.place(gs, idx, false, s.job.Version, g.Spec, gs.depID, "", 0, KindCreate, ReasonPlaceNew)
				placed++
			}
		}
	}
	if canaryNeed > 0 {
		for _, idx := range s.canaryIndexes(gs, c, canaryNeed, lostCanaries, migCanaries, c.reschedNow, c.reschedLater) {
			s.place(gs, idx, true, s.job.Version, g.Spec, gs.depID, "", 0, KindCanary, ReasonPlaceCanary)
		}
	}

	// Destructive updates, in name order, as the budget allows.
	n, surged := 0, 0
	if placeReady && budget > 0 {
		if !s.system {
			// (A system job's node without an allocation, or whose
			// allocation failed, gets one outside max_parallel, as Nomad
			// places on such nodes at once: only destructive updates are
			// paced.)
			budget -= min(placed, budget)
		}
		if gs.strat.Surges() && gs.hasStrat {
			surge, replace := s.surgeBudget(gs, &c, budget, stopStart, placeStart)
			surged = s.capPlacements(min(surge, room))
			n = s.capPlacements(min(replace, room-surged))
		} else {
			n = s.capPlacements(min(len(c.destructive), budget, room))
		}
	}
	if surged > 0 {
		chosen := s.lowest(c.destructive, surged)
		// Placed beside their old namesakes, which run on until the new
		// ones are healthy; the next destructive updates come after them.
		for _, p := range chosen {
			s.place(gs, s.indexOf(p), false, s.job.Version, g.Spec, gs.depID, "", 0, KindSurge, ReasonPlaceSurge)
		}
		c.destructive = slices.DeleteFunc(c.destructive, func(p int32) bool { return slices.Contains(chosen[:surged], p) })
	}
	if n > 0 {
		s.updateDestructive(gs, s.lowest(c.destructive, n))
	}
	gs.plan.Ignore = c.ignore + len(c.destructive) - n + len(c.canaries) + len(c.reschedLater)

	// In-place updates: all at once, whatever the deployment's state, but
	// not while the job is frozen.
	inplace := c.inplace
	if frozen {
		gs.plan.Ignore += len(inplace)
		inplace = nil
	}
	s.out.InPlace = slices.Grow(s.out.InPlace, len(inplace))
	for _, p := range inplace {
		a := &s.in.Allocs[p]
		s.out.InPlace = append(s.out.InPlace, InPlaceUpdate{
			ID: a.ID, Group: gs.name, Name: a.Name(), JobVersion: s.job.Version, DeploymentID: gs.depID,
			Health: restartHealth(*s.healthOf(p), s.now, a.Client == ClientRunning, g), CreateTime: s.now, Kind: KindInPlace, Reason: ReasonInPlace,
		})
		gs.plan.InPlace++
		if gs.depID != "" && gs.depID == s.cur.ID {
			gs.placedNow++
			s.wakeTracker(gs, s.out.InPlace[len(s.out.InPlace)-1].Health, s.now)
		}
	}
	if ds != nil && s.cur.Status.Active() && ds.ProgressDeadline > 0 && ds.RequireProgressBy.IsZero() && gs.placedNow > 0 {
		ds.RequireProgressBy = s.now.Add(ds.ProgressDeadline)
	}

	work := len(c.destructive) + len(c.inplace) + len(c.reschedNow) + len(c.reschedLater) + len(lostRepl) + len(lostCanaries) + missing +
		len(c.migrate) + len(c.migrateCanaries) + len(c.migrateLeave)
	gs.complete = work == 0 && !canaryRequired && cur != nil
	if gs.complete && ds != nil {
		st := s.stats(gi)
		// Allocations of the deployment this step stops (excess, cancelled
		// canaries, a promoted canary's namesakes) are not waited for.
		stoppedUnknown := 0
		for _, p := range s.stoppedSince(stopStart) {
			if f := s.facts[p]; f&factInDep != 0 && f.live() && f.health() == "" {
				stoppedUnknown++
			}
		}
		gs.complete = st.healthy >= max(ds.DesiredTotal, ds.DesiredCanaries) && st.unknownLive-stoppedUnknown == 0 &&
			(ds.DesiredCanaries == 0 || ds.Promoted)
	}
}

// classify sorts the group's running allocations, leaving out victims.
func (s *stepper) classify(gs *groupState, cur *Deployment, ds *DeploymentGroup, canarying bool, victims map[int32]bool) classes {
	var c classes
	facts := s.facts
	g := gs.g
	failed := cur != nil && cur.Status == StatusFailed
	var curMember member
	if cur != nil {
		curMember = s.member(cur)
	}
	pairs := gs.surge.replaced != nil || gs.surge.waiting != nil || gs.surge.cancel != nil
	// plain: nothing but an allocation's facts decides its class. Then an
	// allocation that runs and serves (not lost, stopped, unhealthy or a
	// canary), the commonest, goes straight to its update below.
	plain := victims == nil && gs.shadow == nil && !pairs
	const serves = factRun | factComplete | factLost | factStopped | factUnhealthy | factCanary | factMigrate
	// destructive[:nd] are the allocations to replace: the scratch's, as a
	// group has no more (only one group's are used at a time).
	destructive, nd := s.sc.destructive[:len(gs.allocs)], 0
	var anyCurrent fact // factCurrent if an allocation served at that version
	// The loop reads each allocation's facts; it reads the Alloc only for
	// the few that are not simply running or waiting to be updated.
	for k, p := range gs.allocs {
		f := facts[p]
		var inCur, awaiting bool
		var status HealthStatus
		if plain && f&serves == factRun {
			// Without a branch on the facts, which in a store's order
			// follow no pattern: an allocation to update in place, the
			// rarer case, is the one branch.
			if f&(factCurrent|factSameSpec) == factSameSpec {
				inCur, status = curMember.has(p), f.health()
				goto update
			}
			c.occupants++
			c.curUnknown += b2i(curMember.has(p) && f&factHealthy == 0)
			c.ignore += b2i(f&factCurrent != 0)
			anyCurrent |= f
			destructive[nd] = p
			nd += b2i(f&factCurrent == 0)
			continue
		}
		if f&(factCurrent|factRun) == factCurrent|factRun {
			// The group ran this version (the allocation may have finished
			// or failed since; one the caller stopped does not count, as in
			// Nomad): no new deployment for repairs.
			c.anyCurrent = true
		}
		if f&(factRun|factComplete) != factRun || (victims != nil && victims[p]) {
			continue // stopped, finished, or stopped as excess
		}
		inCur = curMember.has(p)
		if f&factLost != 0 {
			c.lost = append(c.lost, p)
			continue
		}
		if f&factCanary != 0 && s.cancelCanary(gs, f, inCur, ds, failed) {
			c.cancel = append(c.cancel, p)
			continue
		}
		if gs.shadow != nil && gs.shadow.has(s.indexOf(p)) && !(inCur && f&factCanary != 0) {
			c.shadowed = append(c.shadowed, p)
			continue
		}
		if pairs {
			switch idx := s.indexOf(p); {
			case f&factInDep != 0 && f&factCanary == 0:
				if gs.surge.cancelled(p) {
					continue
				}
			case gs.surge.replaced.has(idx):
				c.replaced = append(c.replaced, p)
				continue
			case gs.surge.waiting.has(idx):
				if f&factMigrate != 0 {
					c.migrateLeave = append(c.migrateLeave, p) // its namesake takes over at once
				} else {
					c.ignore++ // beside its new namesake, until that one is healthy
				}
				continue
			}
		}
		awaiting = inCur && f&factCanary != 0 && canarying
		if f&factMigrate != 0 {
			// Moving off its node: it holds its slot until its
			// replacement, placed in this step, takes it.
			if awaiting {
				c.migrateCanaries = append(c.migrateCanaries, p)
			} else {
				c.migrate = append(c.migrate, p)
				// Its replacement is no healthier: the budget counts it,
				// and the rollout halts on an unhealthy one.
				c.hold(inCur, f.health())
			}
			continue
		}
		status = f.health()
		if inCur && failed && f&factStopped != 0 {
			if left, due := s.rescheduleDue(p, g); left && !due.After(s.now.Add(rescheduleWindow)) {
				// A failed allocation of the failed deployment, due to be
				// rescheduled: the deployment replaces nothing, and, as in
				// Nomad, the allocation neither holds its slot nor counts
				// as ignored.
				continue
			} else if left {
				s.wake(due.Add(-rescheduleWindow)) // when it is due (see rescheduleWindow)
			}
		}
		if (f&factStopped != 0 || (inCur && status == Unhealthy)) && !(inCur && failed) {
			left, due := s.rescheduleDue(p, g)
			if !left {
				// No attempts left: it stays as it is, holding its slot
				// (in a deployment, the watch has failed it).
				goto update
			}
			later := due.After(s.now.Add(rescheduleWindow))
			if later {
				s.wake(due.Add(-rescheduleWindow)) // the step that makes it, within the window
			}
			if later && f&factCurrent == 0 {
				// An older version waiting out its delay still needs the
				// new version: it is updated like any other (below), and
				// its replacement stays due at the end of the delay.
				goto update
			}
			if later {
				c.reschedLater = append(c.reschedLater, p)
			} else {
				c.reschedNow = append(c.reschedNow, p)
			}
			if awaiting {
				c.reschedCanary++
			} else {
				c.occupants++
				if inCur {
					c.curUnhealthy++
				}
			}
			continue
		}
		if awaiting {
			c.canaries = append(c.canaries, p)
			continue
		}
	update:
		c.hold(inCur, status)
		switch {
		case f&factCurrent != 0:
			c.ignore++
		case f&factSameSpec != 0:
			if c.inplace == nil { // sized once: the rest of the group at most
				c.inplace = make([]int32, 0, len(gs.allocs)-k)
			}
			c.inplace = append(c.inplace, p)
		default:
			destructive[nd] = p
			nd++
		}
	}
	if anyCurrent&factCurrent != 0 {
		c.anyCurrent = true
	}
	if nd > 0 {
		c.destructive = destructive[:nd]
	}
	return c
}

// hold counts an allocation that holds its slot, and, when it belongs to
// the current deployment, its health for the budget.
func (c *classes) hold(inCur bool, status HealthStatus) {
	c.occupants++
	if inCur {
		switch status {
		case "":
			c.curUnknown++
		case Unhealthy:
			c.curUnhealthy++
		}
	}
}

// b2i returns 1 for true and 0 for false, without a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cancelCanary reports whether a canary is stopped: it belongs to a
// previous deployment whose group was not promoted, or to the current
// deployment that failed before promoting it.
func (s *stepper) cancelCanary(gs *groupState, f fact, inCur bool, ds *DeploymentGroup, failed bool) bool {
	if inCur {
		return failed && ds != nil && ds.DesiredCanaries > 0 && !ds.Promoted
	}
	// s.old is the input deployment.
	return s.old != nil && f&factInDep != 0 && gs.oldUnpromoted
}

// rescheduleWindow: a replacement due this close to now is made now, as
// Nomad does, rather than at a step a moment later. A step wakes this long
// before each failed allocation it leaves waiting out its reschedule delay
// is due, whatever it decides for the allocation (an older version may be
// updated or replaced meanwhile), as Nomad sets a follow-up evaluation for
// each.
const rescheduleWindow = time.Second

// rescheduleDue reports whether allocation p has a reschedule attempt
// left, and when its replacement is due.
func (s *stepper) rescheduleDue(p int32, g *Group) (left bool, due time.Time) {
	a := &s.in.Allocs[p]
	failed, ranFor := failedAt(a, s.healthOf(p))
	if g.Reschedule.exhausted(a.Attempts, ranFor) {
		return false, time.Time{}
	}
	return true, failed.Add(g.Reschedule.delayAfter(a.Attempts, ranFor))
}

// failedAt returns when a failed or unhealthy allocation failed: when its
// node reported it (StatusTime; else its verdict, its last health event, or
// its creation), and how long it had run since its creation (when its slot
// was last replaced), 0 when that is unknown. The reschedule delay counts
// from that time, and the policy's reset and interval read the run.
func failedAt(a *Alloc, h *AllocHealth) (at time.Time, ranFor time.Duration) {
	if a.Client == ClientFailed {
		at = a.StatusTime
	}
	if at.IsZero() {
		at = h.Time
	}
	if at.IsZero() {
		at = h.LastEvent
	}
	if at.IsZero() {
		at = a.CreateTime
	}
	if !a.CreateTime.IsZero() {
		ranFor = max(0, at.Sub(a.CreateTime))
	}
	return at, ranFor
}

// promotedCanaryNames returns the indexes held by the live canaries of a
// promoted group: the old allocations with those names are stopped.
func (s *stepper) promotedCanaryNames(gs *groupState, cur *Deployment, ds *DeploymentGroup) indexSet {
	if cur != nil && cur.Status == StatusFailed {
		return nil
	}
	return s.canaryNames(gs, cur, ds)
}

// canaryNames returns the indexes that the live canaries of a promoted
// group hold, whatever the deployment's status.
func (s *stepper) canaryNames(gs *groupState, cur *Deployment, ds *DeploymentGroup) indexSet {
	if ds == nil || ds.DesiredCanaries == 0 || !ds.Promoted {
		return nil
	}
	var names []int
	inCur := s.member(cur)
	for _, p := range gs.allocs {
		if f := s.facts[p]; f&(factCanary|factRun|factLost|factComplete) == factCanary|factRun && inCur.has(p) {
			names = append(names, s.indexOf(p))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// scaleDown chooses the allocations to stop so that the group keeps its
// count: failed and unhealthy ones first, then old allocations whose name a
// promoted canary holds, then those moving off their node, then the highest
// indexes, older versions before the current one.
func (s *stepper) scaleDown(gs *groupState, cur *Deployment, ds *DeploymentGroup, canarying bool, remove int) map[int32]bool {
	allocs := s.in.Allocs
	failed := cur != nil && cur.Status == StatusFailed
	var cands []int32
	var curMember member
	if cur != nil {
		curMember = s.member(cur)
	}
	for _, p := range gs.allocs {
		f := s.facts[p]
		if f&(factRun|factLost|factComplete) != factRun {
			continue
		}
		inCur, canary := curMember.has(p), f&factCanary != 0
		if canary && (inCur && canarying || s.cancelCanary(gs, f, inCur, ds, failed)) {
			continue
		}
		if gs.shadow.has(s.indexOf(p)) && !(inCur && canary) {
			continue
		}
		if gs.surge.leaving(p, f, s.indexOf(p)) {
			continue // a surge pair's member that this step stops, or that waits
		}
		cands = append(cands, p)
	}
	// Failed allocations and unhealthy ones of the deployment (waiting for
	// a replacement) go first: stopping them costs no running allocation.
	broken := func(p int32) bool {
		f := s.facts[p]
		return f&factStopped != 0 || (f.health() == Unhealthy && curMember.has(p))
	}
	// Then old allocations whose name a promoted canary holds. (A running
	// deployment stops them anyway, outside the scale-down; a failed one
	// leaves them, and they are the excess its canaries made.)
	var held indexSet
	if failed {
		held = s.canaryNames(gs, cur, ds)
	}
	namesake := func(p int32) bool {
		return held != nil && s.facts[p]&factCanary == 0 && held.has(s.indexOf(p))
	}
	slices.SortFunc(cands, func(x, y int32) int {
		ax, ay := &allocs[x], &allocs[y]
		if c := cmp.Compare(b2i(broken(y)), b2i(broken(x))); c != 0 {
			return c
		}
		if c := cmp.Compare(b2i(namesake(y)), b2i(namesake(x))); c != 0 {
			return c
		}
		// Then allocations moving off their node: stopping one saves its
		// migration.
		if c := cmp.Compare(b2i(s.facts[y]&factMigrate != 0), b2i(s.facts[x]&factMigrate != 0)); c != 0 {
			return c
		}
		if c := cmp.Compare(ay.Index, ax.Index); c != 0 {
			return c
		}
		if cx, cy := ax.JobVersion == s.job.Version, ay.JobVersion == s.job.Version; cx != cy {
			if cy {
				return -1
			}
			return 1
		}
		return cmp.Compare(ay.ID, ax.ID)
	})
	victims := make(map[int32]bool, remove)
	for _, p := range cands[:min(remove, len(cands))] {
		victims[p] = true
		s.stop(gs, p, KindScaleDown, ReasonNotNeeded)
	}
	return victims
}

// join adds the group to the deployment this step creates.
func (s *stepper) join(gs *groupState, desiredTotal int, canarying bool) *DeploymentGroup {
	if s.cur == nil {
		s.cur = &Deployment{
			ID: s.newDeploymentID(), JobID: s.job.ID, JobVersion: s.job.Version,
			Status: StatusRunning, Description: DescRunning, CreateTime: s.now, ModifyTime: s.now,
			Groups: make([]DeploymentGroup, 0, len(s.job.Groups)),
		}
		s.created = true
		s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionCreated, DeploymentID: s.cur.ID, Reason: DescRunning})
	}
	ds := DeploymentGroup{
		Name: gs.name, AutoRevert: gs.strat.AutoRevert, AutoPromote: gs.strat.AutoPromote,
		ProgressDeadline: gs.strat.ProgressDeadline, DesiredTotal: desiredTotal,
	}
	if canarying {
		ds.DesiredCanaries = gs.strat.Canary
	}
	if st := &gs.strat; st.PauseAfter != "" || st.GateTimeout > 0 {
		ds.PauseAfter = st.PauseAfter.Resolve(desiredTotal)
		if st.GateTimeout > 0 {
			ds.GateTimeout, ds.OnGateTimeout = st.GateTimeout, cmp.Or(st.OnGateTimeout, GateFail)
		}
	}
	s.cur.Groups = append(s.cur.Groups, ds)
	gs.ds = len(s.cur.Groups) - 1
	gs.depID = s.cur.ID
	return &s.cur.Groups[gs.ds]
}

// replace places the replacement of allocation a in its slot. While the
// group awaits promotion or the job is frozen, a non-canary keeps its old
// version and spec.
func (s *stepper) replace(gs *groupState, a *Alloc, canarying bool, kind DecisionKind, reason string, attempts int) {
	version, spec, dep := s.job.Version, gs.g.Spec, gs.depID
	isCanary := canarying && a.Canary && s.cur != nil && !s.created && a.DeploymentID == s.cur.ID
	// While the job is frozen, a replacement is of the replaced version:
	// a freeze places nothing new.
	if (canarying || s.freeze != nil) && !isCanary {
		version, spec, dep = a.JobVersion, a.Spec, a.DeploymentID
	}
	s.place(gs, a.Index, isCanary, version, spec, dep, a.ID, attempts, kind, reason)
}

// replaceCanary places again, as a canary of the job's version under its
// name, canary p that leaves its node (lost or migrating).
func (s *stepper) replaceCanary(gs *groupState, p int32, reason string) {
	a := &s.in.Allocs[p]
	s.place(gs, a.Index, true, s.job.Version, gs.g.Spec, gs.depID, a.ID, a.Attempts, KindCanary, reason)
}

// capPlacements returns how many of n placements Input.MaxPlacements lets
// the step make now, recording when it holds some back.
func (s *stepper) capPlacements(n int) int {
	if limit := s.in.MaxPlacements; limit > 0 && len(s.out.Place)+n > limit {
		s.out.Capped = true
		return max(0, limit-len(s.out.Place))
	}
	return n
}

// place appends a placement.
func (s *stepper) place(gs *groupState, idx int, canary bool, version uint64, spec, dep, replaces string, attempts int, kind DecisionKind, reason string) {
	// Written in place: a Placement is large, and not copied.
	s.out.Place = append(s.out.Place, Placement{})
	pl := &s.out.Place[len(s.out.Place)-1]
	s.fillPlacement(pl, gs, idx, s.allocName(gs.name, idx), canary, version, spec, dep, replaces, attempts, kind, reason)
	s.countPlacements(gs, kind, dep, 1)
	if canary && s.inCurrent(dep) {
		gs.newCanaries = append(gs.newCanaries, *pl)
	}
}

// fillPlacement writes every field of pl, which may hold an earlier
// step's placement (a Stepper's memory).
func (s *stepper) fillPlacement(pl *Placement, gs *groupState, idx int, name string, canary bool, version uint64, spec, dep, replaces string, attempts int, kind DecisionKind, reason string) {
	pl.ID, pl.JobID, pl.Group, pl.Index, pl.Name, pl.NodeID = s.newAllocID(), s.job.ID, gs.name, idx, name, ""
	pl.JobVersion, pl.Spec, pl.Canary, pl.DeploymentID, pl.Replaces = version, spec, canary, dep, replaces
	pl.Attempts, pl.CreateTime, pl.Kind, pl.Reason = attempts, s.now, kind, reason
}

// inCurrent reports whether dep is the current deployment's ID.
func (s *stepper) inCurrent(dep string) bool {
	return dep != "" && s.cur != nil && dep == s.cur.ID
}

// countPlacements counts n placements of the kind into deployment dep in
// the group's plan and deployment state.
func (s *stepper) countPlacements(gs *groupState, kind DecisionKind, dep string, n int) {
	addKinds(&gs.plan.Placements, kind, n)
	switch kind { // the plan counts each decision once, by its kind
	case KindCanary:
		gs.plan.Canary += n
	case KindUpdate:
		gs.plan.Destructive += n
	case KindMigrate:
		gs.plan.Migrate += n
	default:
		gs.plan.Create += n
	}
	if s.inCurrent(dep) {
		gs.placedNow += n
		if !gs.placeWoken { // the same timer for every placement of the group
			gs.placeWoken = true
			s.wakeTracker(gs, AllocHealth{}, s.now)
		}
	}
}

// updateDestructive makes the destructive updates of chosen: each
// allocation is stopped and replaced by one of the job's version under its
// name. The output's lists grow once for them (no copies of a large list),
// and the stops and placements are written in place, in one loop, and
// counted once.
func (s *stepper) updateDestructive(gs *groupState, chosen []int32) {
	n := len(chosen)
	s.out.Stop, s.out.Place = slices.Grow(s.out.Stop, n), slices.Grow(s.out.Place, n)
	s.reservePlacements(gs.name, n, gs.g.Count)
	// Their IDs first, in a loop of independent loads: in a shuffled
	// input each is a cache miss, and these overlap.
	ids := resize(s.sc.chosenIDs, n)
	for k, p := range chosen {
		ids[k] = s.in.Allocs[p].ID
	}
	stops := s.out.Stop[len(s.out.Stop) : len(s.out.Stop)+n]
	places := s.out.Place[len(s.out.Place) : len(s.out.Place)+n]
	version, spec, dep := s.job.Version, gs.g.Spec, gs.depID
	for k, p := range chosen {
		idx := s.indexOf(p)
		name := s.allocName(gs.name, idx) // one slot, one name
		s.fillStop(&stops[k], gs, p, ids[k], name, KindUpdate, ReasonUpdating)
		s.fillPlacement(&places[k], gs, idx, name, false, version, spec, dep, ids[k], 0, KindUpdate, ReasonPlaceUpdate)
	}
	s.out.Stop, s.out.Place = s.out.Stop[:len(s.out.Stop)+n], s.out.Place[:len(s.out.Place)+n]
	addKinds(&gs.plan.Stops, KindUpdate, n) // with the placements as destructive updates
	s.countPlacements(gs, KindUpdate, dep, n)
	clear(ids) // the scratch keeps no input string alive
	s.sc.chosenIDs = ids[:0]
}

// addPlan adds the group's counts to the output: every group of the job,
// and a removed group whose allocations the step stops (as Nomad's plan
// lists it).
func (s *stepper) addPlan(gs *groupState) {
	if gs.g != nil || gs.plan.Destroy > 0 {
		s.out.Plan = append(s.out.Plan, gs.plan)
	}
}

// wakeTracker records the timer of a new or restarted allocation's health.
func (s *stepper) wakeTracker(gs *groupState, h AllocHealth, created time.Time) {
	if gs.g == nil || gs.strat.HealthCheck == HealthManual || !gs.hasStrat || !s.cur.Status.Active() {
		return
	}
	tr := newTracker(gs.strat, gs.g, created)
	s.wake(tr.next(&h))
}

// stop appends the stop of allocation p, named with the others in
// nameDecisions.
func (s *stepper) stop(gs *groupState, p int32, kind DecisionKind, reason string) {
	s.stopUncounted(gs, p, kind, reason)
	if kind != KindUpdate && kind != KindMigrate { // counted with its placement
		gs.plan.Destroy++
	}
}

// stopUncounted appends the stop of allocation p without counting it in
// the plan's Destroy.
func (s *stepper) stopUncounted(gs *groupState, p int32, kind DecisionKind, reason string) {
	s.out.Stop = append(s.out.Stop, StopDecision{})
	s.fillStop(&s.out.Stop[len(s.out.Stop)-1], gs, p, s.in.Allocs[p].ID, "", kind, reason)
	addKind(&gs.plan.Stops, kind)
}

// fillStop writes every field of st, the stop of allocation p whose ID is
// id: of the Alloc, only the ID is read, the facts and the slot say the
// rest. An empty name is left for nameDecisions.
func (s *stepper) fillStop(st *StopDecision, gs *groupState, p int32, id, name string, kind DecisionKind, reason string) {
	st.ID, st.Group, st.Index, st.Name = id, gs.name, s.indexOf(p), name
	st.Lost, st.Kind, st.Reason = s.facts[p]&factLost != 0, kind, reason
}

// deploymentCanary reports whether allocation p is a canary that the
// deployment cur keeps: one of cur's, unless cur failed before promoting
// its group (those canaries are cancelled).
func (s *stepper) deploymentCanary(p int32, cur *Deployment, ds *DeploymentGroup, failed bool) bool {
	return cur != nil && ds != nil && s.facts[p]&factCanary != 0 && s.in.Allocs[p].DeploymentID == cur.ID && (!failed || ds.Promoted)
}

// migrate makes the group's migrations: each allocation moving off its
// node is stopped and placed again under its name, in this step, whatever
// the budget, the deployment's state or a freeze (a drain waits for
// nobody; its pacing is the drainer's), as Nomad does. Its replacement is
// made as a lost allocation's: of the old version while the group awaits
// promotion. Of the canaries awaiting promotion that migrate, those in
// replaced are placed again as canaries (none while the deployment is
// paused); an old allocation beside its surge namesake is only stopped,
// the namesake taking its place.
func (s *stepper) migrate(gs *groupState, c *classes, replaced []int32, canarying bool) {
	for _, p := range c.migrate {
		a := &s.in.Allocs[p]
		s.stop(gs, p, KindMigrate, ReasonMigrating)
		s.replace(gs, a, canarying, KindMigrate, ReasonPlaceMigrate, a.Attempts)
	}
	for _, p := range c.migrateCanaries {
		s.stop(gs, p, KindMigrate, ReasonMigrating)
	}
	for _, p := range c.migrateLeave {
		s.stop(gs, p, KindMigrate, ReasonMigrating)
	}
	for _, p := range replaced {
		s.replaceCanary(gs, p, ReasonPlaceMigrate)
	}
}

// freeIndexes returns the n lowest indexes below the count that no
// allocation holds.
func (s *stepper) freeIndexes(gs *groupState, cancel []int32, n int, lostRepl []int32) []int {
	used := make([]bool, gs.g.Count)
	leaving := make(map[int32]bool, len(cancel))
	for _, p := range cancel {
		leaving[p] = true
	}
	mark := func(ps []int32) {
		for _, p := range ps {
			if idx := s.indexOf(p); idx < len(used) {
				used[idx] = true
			}
		}
	}
	for _, p := range gs.allocs {
		f, idx := s.facts[p], s.indexOf(p)
		if f&(factRun|factLost|factComplete) == factRun && idx < len(used) && !gs.victims[p] && !leaving[p] && !(gs.shadow.has(idx) && f&factCanary == 0) {
			used[idx] = true
		}
	}
	mark(lostRepl)
	out := make([]int, 0, n)
	for idx := 0; idx < len(used) && len(out) < n; idx++ {
		if !used[idx] {
			out = append(out, idx)
		}
	}
	return out
}

// canaryIndexes names new canaries as Nomad does: first the indexes of
// the allocations they will replace (destructive updates), in name order,
// that no canary holds (nor an allocation placed again, now or later,
// under its own name: replaced);
// then indexes below the count that no allocation of
// the group holds (live, pending, failed or lost); then indexes from the
// count up.
func (s *stepper) canaryIndexes(gs *groupState, c classes, n int, replaced ...[]int32) []int {
	taken := make(map[int]bool, len(c.canaries)+n)
	out := make([]int, 0, n)
	// The first n in name order whose index is free, from the lowest k:
	// k grows only when too many of them hold a taken index.
	for k := max(1, n+len(c.canaries)); ; k *= 2 {
		out = out[:0]
		clear(taken)
		for _, p := range c.canaries {
			taken[s.indexOf(p)] = true
		}
		for _, ps := range replaced {
			for _, p := range ps {
				taken[s.indexOf(p)] = true
			}
		}
		for _, p := range s.lowest(c.destructive, k) {
			if len(out) == n {
				return out
			}
			if idx := s.indexOf(p); !taken[idx] && idx < gs.g.Count {
				taken[idx] = true
				out = append(out, idx)
			}
		}
		if k >= len(c.destructive) {
			break
		}
	}
	if len(out) == n {
		return out
	}
	held := make([]bool, gs.g.Count)
	for _, p := range gs.allocs {
		f, idx := s.facts[p], s.indexOf(p)
		if f&(factRun|factComplete) == factRun && idx < len(held) && !gs.victims[p] {
			held[idx] = true
		}
	}
	for idx := 0; len(out) < n && idx < gs.g.Count; idx++ {
		if !taken[idx] && !held[idx] {
			taken[idx] = true
			out = append(out, idx)
		}
	}
	for idx := gs.g.Count; len(out) < n; idx++ {
		out = append(out, idx)
	}
	return out
}

// lowest returns the n allocations of ps first in name order, in that
// order, in memory of the step's scratch (valid until the next call).
// Allocations already in name order (a sorted input) cost one comparison
// each; otherwise a bounded heap selects a few (n at most a sixteenth of
// ps), comparing most with its top only, and a counting sort by index
// selects more in O(len(ps) + the largest index) when the indexes are
// dense, as a group's are, and the heap again when they are not.
func (s *stepper) lowest(ps []int32, n int) []int32 {
	n = min(n, len(ps))
	if n == 0 {
		return nil
	}
	out := s.sc.lowest[:0]
	defer func() { s.sc.lowest = out[:0] }()
	if s.sortedByIndex(ps) {
		return append(out, ps[:n]...)
	}
	if n <= len(ps)/16 {
		// A few of many: most are compared once, with the heap's top.
		return append(out, s.heapLowest(ps, n)...)
	}
	top := 0
	for _, p := range ps {
		top = max(top, int(s.slot[p]))
	}
	if top <= 4*len(ps)+1024 {
		return append(out, s.countingLowest(ps, n, top)...)
	}
	return append(out, s.heapLowest(ps, n)...)
}

// sortedByIndex reports whether ps is in name order.
func (s *stepper) sortedByIndex(ps []int32) bool {
	for k := 1; k < len(ps); k++ {
		a, b := s.slot[ps[k-1]], s.slot[ps[k]]
		if a > b || a == b && s.byIndex(ps[k-1], ps[k]) > 0 {
			return false
		}
	}
	return true
}

// countingLowest is lowest by a counting sort of the slots, all at most
// top: the allocations of the slots up to the n-th, then those of equal
// slots (and of slots too large for an int32) in name order.
func (s *stepper) countingLowest(ps []int32, n, top int) []int32 {
	starts := resize(s.sc.lowCounts, top+2)
	s.sc.lowCounts = starts
	clear(starts)
	for _, p := range ps {
		starts[s.slot[p]+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	sorted := resize(s.sc.lowSorted, len(ps))
	s.sc.lowSorted = sorted
	for _, p := range ps {
		v := s.slot[p]
		sorted[starts[v]] = p
		starts[v]++
	}
	// starts[v] is now the end of slot v's run: sort the runs of more than
	// one allocation that reach the first n, by name (the IDs decide).
	begin := 0
	for v := 0; v <= top && begin < n; v++ {
		end := int(starts[v])
		if end-begin > 1 {
			slices.SortFunc(sorted[begin:end], s.byIndex)
		}
		begin = end
	}
	return sorted[:n]
}

// heapLowest is lowest with a bounded max-heap, for a few or sparse indexes.
func (s *stepper) heapLowest(ps []int32, n int) []int32 {
	s.sc.lowSorted = resize(s.sc.lowSorted, n)
	heap := s.sc.lowSorted[:0]
	less := func(i, j int) bool { return s.byIndex(heap[i], heap[j]) > 0 } // max-heap
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(heap) && less(l, m) {
				m = l
			}
			if r := l + 1; r < len(heap) && less(r, m) {
				m = r
			}
			if m == i {
				return
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
	}
	for _, p := range ps {
		switch {
		case len(heap) < n:
			heap = append(heap, p)
			for i := len(heap) - 1; i > 0 && less(i, (i-1)/2); i = (i - 1) / 2 {
				heap[i], heap[(i-1)/2] = heap[(i-1)/2], heap[i]
			}
		case s.byIndex(p, heap[0]) < 0:
			heap[0] = p
			down(0)
		}
	}
	slices.SortFunc(heap, s.byIndex)
	return heap
}

func (s *stepper) byIndex(x, y int32) int {
	if c := cmp.Compare(s.indexOf(x), s.indexOf(y)); c != 0 {
		return c
	}
	return cmp.Compare(s.in.Allocs[x].ID, s.in.Allocs[y].ID)
}

// indexSet is a small set of indexes, sorted: those a group's promoted
// canaries hold.
type indexSet []int

// has reports whether the set holds index x.
func (set indexSet) has(x int) bool {
	if len(set) == 0 || x < set[0] || x > set[len(set)-1] {
		return false
	}
	_, ok := slices.BinarySearch(set, x)
	return ok
}

// byName orders two allocations by index then ID (by their IDs).
func (s *stepper) byName(x, y string) int {
	return s.byIndex(int32(s.ids.Find(x)), int32(s.ids.Find(y)))
}

// sortStops sorts stops by name (index, then ID). Most often they are
// made in that order already: the check costs one comparison each.
func sortStops(st []StopDecision) {
	if !inNameOrder(len(st), func(i int) (int, string) { return st[i].Index, st[i].ID }) {
		slices.SortFunc(st, func(a, b StopDecision) int {
			return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
		})
	}
}

// sortPlacements sorts placements by name (index, then ID), as sortStops.
func sortPlacements(pl []Placement) {
	if !inNameOrder(len(pl), func(i int) (int, string) { return pl[i].Index, pl[i].ID }) {
		slices.SortFunc(pl, func(a, b Placement) int {
			return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.ID, b.ID))
		})
	}
}

// inNameOrder reports whether the n decisions whose index and ID name
// returns are in name order. It reads each decision in place: a check by
// slices.IsSortedFunc would copy two of them for each comparison.
func inNameOrder(n int, name func(i int) (int, string)) bool {
	for i := 1; i < n; i++ {
		ai, aid := name(i - 1)
		bi, bid := name(i)
		if ai > bi || ai == bi && aid > bid {
			return false
		}
	}
	return true
}

// stoppedSince returns the allocations this step stops, from
// the stops appended since start.
func (s *stepper) stoppedSince(start int) []int32 {
	var ps []int32
	for i := start; i < len(s.out.Stop); i++ {
		if p := s.ids.Find(s.out.Stop[i].ID); p >= 0 {
			ps = append(ps, int32(p))
		}
	}
	return ps
}
