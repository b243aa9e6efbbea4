package rollout

import "time"

// Reconcile, lost, rescheduled and migrating allocations (see
// reconcile.go). The classes (phase 2, reconcile_classify.go) read when a
// failed allocation's replacement is due (rescheduleDue); phase 4, in
// reconcile itself, chooses the lost allocations placed again. Phase 8,
// after the deployment and its budget and before the missing allocations
// and new canaries are placed (reconcile_scale.go, reconcile_canary.go):
// each is stopped and placed again under its name (replace, replaceCanary,
// migrate).

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

// deploymentCanary reports whether allocation p is a canary that the
// deployment cur keeps: one of cur's, unless cur failed before promoting
// its group (those canaries are cancelled).
func (s *stepper) deploymentCanary(p int32, cur *Deployment, ds *DeploymentGroup, failed bool) bool {
	return cur != nil && ds != nil && s.facts[p]&factCanary != 0 && s.in.Allocs[p].DeploymentID == cur.ID && (!failed || ds.Promoted)
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

// replaceCanary places again, as a canary of the job's version at index
// idx, canary p that leaves its node (lost or migrating): a lost one is
// named as a new canary is (canaryIndexes), as in Nomad; a migrating one
// keeps its name.
func (s *stepper) replaceCanary(gs *groupState, p int32, idx int, reason string) {
	a := &s.in.Allocs[p]
	s.place(gs, idx, true, s.job.Version, gs.g.Spec, gs.depID, a.ID, a.Attempts, KindCanary, reason)
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
		s.replaceCanary(gs, p, s.indexOf(p), ReasonPlaceMigrate)
	}
}
