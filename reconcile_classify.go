package rollout

// Reconcile, phase 2 of a group's pass (see reconcile.go): the classes.
// classify sorts the group's running allocations into the classes that
// the later phases decide on. Before it, reconcile has found the names
// the promoted canaries hold and the surge pairs; after it comes the
// scale-down (reconcile_scale.go), which makes the classes again without
// its victims. When a failed allocation is due to be rescheduled is
// rescheduleDue's (reconcile_lost.go); which canaries are cancelled,
// cancelCanary's (reconcile_canary.go).

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
		inCur = curMember.has(p)
		if f&(factRun|factComplete|factCanary) == factRun|factComplete|factCanary && s.cancelCanary(gs, f, inCur, ds, failed) {
			// A finished canary of a cancelled or failed deployment is
			// stopped as the others are, as Nomad stops every placed
			// canary of such a deployment that is still desired to run.
			c.cancel = append(c.cancel, p)
			continue
		}
		if f&(factRun|factComplete) != factRun || (victims != nil && victims[p]) {
			continue // stopped, finished, or stopped as excess
		}
		// A canary cancelled in this step is only stopped, lost or not:
		// as in Nomad, it is neither replaced nor holds its name.
		if f&factCanary != 0 && s.cancelCanary(gs, f, inCur, ds, failed) {
			c.cancel = append(c.cancel, p)
			continue
		}
		if f&factLost != 0 {
			c.lost = append(c.lost, p)
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
