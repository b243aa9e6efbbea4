package rollout

import (
	"cmp"
	"math"
	"slices"
)

// Reconcile: one group's decisions in a step, after the watch (watch.go)
// has judged the deployment and before finish (finish.go) derives its
// counters and NextStep. reconcile, the driver below, runs these phases in
// order; the file named with a phase holds its helpers:
//
//  1. A removed group, or one scaled to zero: its allocations stopped.
//  2. The classes: the group's running allocations sorted into lost,
//     rescheduled, canaries, in-place and destructive updates, migrations
//     and those to stop (reconcile_classify.go; when a failed allocation
//     is due, reconcile_lost.go; which canaries are cancelled and which
//     names the promoted canaries hold, reconcile_canary.go).
//  3. The scale-down: the excess over the count stopped, and the classes
//     made again without it (reconcile_scale.go); then the cancelled
//     canaries, the promoted canaries' namesakes and the surge pairs'
//     replaced or cancelled members stopped (surge.go).
//  4. Lost allocations: which are placed again while the group is short.
//  5. Canaries: how many a destructive change places.
//  6. The deployment the group's decisions belong to: the current one, or
//     one this step creates (join, below).
//  7. The budget: how many destructive updates may start now (with
//     max_surge, surge.go's surgeBudget), and what a freeze holds back
//     (freeze.go).
//  8. Replacements: rescheduled, lost and migrating allocations stopped
//     and placed again under their names (reconcile_lost.go).
//  9. Placements: the missing allocations at the free indexes
//     (reconcile_scale.go), up to the next checkpoint (gates.go); the new
//     canaries at theirs (reconcile_canary.go).
//  10. Destructive updates, in name order, as the budget allows
//     (reconcile_destructive.go; surge placements beside their namesakes).
//  11. In-place updates: all at once, unless the job is frozen.
//  12. Completion: whether the group's part of the deployment is done.
//
// Every phase writes its stops and placements through
// reconcile_decisions.go, which also sorts them by name and adds the
// group's plan to the output when the pass ends.

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
		// Every allocation stops: none is ignored, not even an unknown
		// one that disconnects counted beside its stand-in.
		gs.plan.Ignore = 0
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

	// Reconnected allocations and stand-ins that Disconnect.Reconcile does
	// not keep (see disconnects).
	for _, p := range gs.reconnected {
		s.stop(gs, p, KindReconnected, ReasonReconnected)
	}
	gs.shadow = s.promotedCanaryNames(gs, cur, ds)
	gs.surge = s.surgePairs(gs, cur)
	c := s.classify(gs, cur, ds, canarying, nil)
	if remove := c.occupants - g.Count; remove > 0 {
		gs.victims = s.scaleDown(gs, cur, ds, canarying, remove)
		c = s.classify(gs, cur, ds, canarying, gs.victims)
	}
	for _, p := range c.cancel {
		if s.facts[p]&factLost != 0 {
			s.stop(gs, p, KindLost, ReasonLost) // cancelled, and stopped as lost
		} else {
			s.stop(gs, p, KindCanaryCancelled, ReasonNotNeeded)
		}
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
			// place canaries (not while paused or failed), and only while
			// the canaries left are fewer than the group's: as in Nomad,
			// the deployment places its canaries, not one per lost one.
			// An unknown one gets its stand-in whatever the count, as
			// Nomad replaces a disconnecting canary.
			if !paused && !failed && (s.facts[p]&factUnknown != 0 || !gs.hasStrat || liveCanaries < gs.strat.Canary) {
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
	// As Nomad's: what is updated and what is placed now, not the failed
	// allocations waiting out their reschedule delay.
	desiredTotal := len(c.destructive) + len(c.inplace) + len(c.reschedNow) + len(lostRepl) + missing + len(c.migrate)
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
		if s.facts[p]&factUnknown != 0 {
			continue // away, not stopped: its replacement stands in for it
		}
		if s.deploymentCanary(p, cur, ds, failed) {
			// As in Nomad's plan, a lost canary of the deployment is not
			// counted as destroyed: its slot stays the deployment's.
			s.stopUncounted(gs, p, KindLost, ReasonLost)
		} else {
			s.stop(gs, p, KindLost, ReasonLost)
		}
	}
	// Lost canaries are placed again as new canaries are named
	// (canaryIndexes): as in Nomad, the lowest free index of those the
	// canaries will replace, not their own. Migrating ones keep theirs (a
	// drain moves an allocation, name and all).
	canaryIdx := s.canaryIndexes(gs, c, len(lostCanaries)+canaryNeed, migCanaries, c.reschedNow, c.reschedLater)
	for i, p := range lostCanaries {
		s.replaceCanary(gs, p, canaryIdx[i], ReasonPlaceLost)
	}
	canaryIdx = canaryIdx[len(lostCanaries):]
	for _, p := range lostRepl {
		a := &s.in.Allocs[p]
		reason := ReasonPlaceLost
		if s.facts[p]&factUnknown != 0 {
			reason = ReasonPlaceStandIn
		}
		s.replace(gs, a, canarying, KindLost, reason, a.Attempts)
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
		for _, idx := range canaryIdx {
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
	gs.plan.Ignore += c.ignore + len(c.destructive) - n + len(c.canaries) + len(c.reschedLater)

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
