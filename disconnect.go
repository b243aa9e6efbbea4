package rollout

import "time"

// Disconnect is a group's disconnect block (Nomad 1.8 and later): what Step
// does with an allocation whose node stops heartbeating, which the caller
// reports as ClientUnknown with its StatusTime the time it went unknown.
//
// Without the block (nil), or with LostAfter 0, such an allocation is lost
// at once: stopped and replaced as on a down node. With LostAfter, it stays
// unknown for that long: it is not stopped, and with Replace (the default)
// a stand-in is placed under its name at once (Placement.StandsInFor);
// without, its slot waits for it. Past LostAfter it is lost: stopped, and
// replaced unless its stand-in holds the slot. When it reconnects (the
// caller reports it running again) while its stand-in runs, Reconcile picks
// the one that stays; the other is stopped (KindReconnected).
//
// Nomad's older group fields load into it: max_client_disconnect is
// LostAfter (with Replace), prevent_reschedule_on_lost = true is Replace
// false.
type Disconnect struct {
	// LostAfter is how long an unknown allocation may stay away before it
	// is lost; 0 means lost at once.
	LostAfter time.Duration
	// Replace places a stand-in for an unknown allocation while it is
	// away; nil means true, as in Nomad.
	Replace *bool
	// Reconcile picks, at reconnection, which of the allocation and its
	// stand-in stays; "" means ReconcileBestScore.
	Reconcile ReconcileStrategy
	// StopOnClientAfter is how long the node's client keeps an unknown
	// allocation running before it stops it itself; it is the client's
	// setting, validated and otherwise not read by Step (the caller's
	// agents apply it). It excludes LostAfter, as in Nomad.
	StopOnClientAfter time.Duration
}

// ReconcileStrategy picks which of a reconnected allocation and its
// stand-in stays, as Nomad's disconnect.reconcile names it.
type ReconcileStrategy string

// Reconcile strategies.
const (
	// ReconcileBestScore keeps the allocation with the better placement
	// score; rollout has no scores, so the original stays (as in Nomad
	// when neither has one), unless the stand-in runs a newer version.
	ReconcileBestScore ReconcileStrategy = "best_score"
	// ReconcileKeepOriginal keeps the reconnected allocation.
	ReconcileKeepOriginal ReconcileStrategy = "keep_original"
	// ReconcileKeepReplacement keeps the stand-in.
	ReconcileKeepReplacement ReconcileStrategy = "keep_replacement"
	// ReconcileLongestRunning keeps the one created first.
	ReconcileLongestRunning ReconcileStrategy = "longest_running"
)

// replaces reports whether an unknown allocation gets a stand-in.
func (d *Disconnect) replaces() bool { return d == nil || d.Replace == nil || *d.Replace }

// lostAfter returns how long an unknown allocation may stay away.
func (d *Disconnect) lostAfter() time.Duration {
	if d == nil {
		return 0
	}
	return d.LostAfter
}

// check reports each problem of the block to bad, naming the field.
func (d *Disconnect) check(bad func(field string, value any, problem string)) {
	if d.LostAfter < 0 {
		bad("lost_after", d.LostAfter, "must not be negative")
	}
	if d.StopOnClientAfter < 0 {
		bad("stop_on_client_after", d.StopOnClientAfter, "must not be negative")
	}
	if d.LostAfter > 0 && d.StopOnClientAfter > 0 {
		bad("stop_on_client_after", d.StopOnClientAfter, "cannot be set with lost_after")
	}
	switch d.Reconcile {
	case "", ReconcileBestScore, ReconcileKeepOriginal, ReconcileKeepReplacement, ReconcileLongestRunning:
	default:
		bad("reconcile", string(d.Reconcile), `must be one of "best_score", "keep_original", "keep_replacement", "longest_running"`)
	}
}

// disconnects decides, before the watch and the groups' passes, what each
// unknown allocation is this step, and which of a reconnected allocation
// and its stand-in stays; the facts then say it to the later phases:
//
//   - unknown with no LostAfter, or away past it: lost (stopped, and
//     replaced while the group is short);
//   - unknown within LostAfter, whose stand-in runs: out of the group's
//     count, left as it is (its stand-in holds the slot);
//   - unknown within LostAfter, with Replace and no stand-in yet: lost but
//     not stopped: its replacement is its stand-in;
//   - unknown within LostAfter without Replace: holds its slot, left as it
//     is, not updated while away.
//
// Step wakes when an unknown allocation's LostAfter ends.
func (s *stepper) disconnects() {
	for gi := range s.groups {
		gs := &s.groups[gi]
		if gs.g == nil || !gs.hasUnknown {
			if gs.g != nil && gs.hasStandIns {
				s.reconnects(gs)
			}
			continue
		}
		d := gs.g.Disconnect
		standIns := s.standIns(gs)
		for _, p := range gs.allocs {
			f := s.facts[p]
			if f&(factRun|factUnknown) != factRun|factUnknown {
				continue
			}
			a := &s.in.Allocs[p]
			expires := a.StatusTime.Add(d.lostAfter())
			if d.lostAfter() == 0 || !s.now.Before(expires) {
				s.facts[p] = f&^factUnknown | factLost
				continue
			}
			s.wake(expires)
			switch _, standIn := standIns[a.ID]; {
			case standIn:
				s.facts[p] = f &^ factRun
				gs.plan.Ignore++
			case d.replaces():
				s.facts[p] = f | factLost
			default:
				// Held as it is: ignored like an allocation of the job's
				// version, neither updated nor replaced while away.
				s.facts[p] = f&^factSameSpec | factCurrent
			}
		}
		if gs.hasStandIns {
			s.reconnects(gs)
		}
	}
}

// standIns maps the ID of each allocation that a stand-in of the group
// stands in for to that stand-in: one still to run that has not finished
// (a failed or lost one too, which its own replacement takes over, as
// Nomad skips only replacements the server stopped).
func (s *stepper) standIns(gs *groupState) map[string]int32 {
	m := map[string]int32{}
	for _, p := range gs.allocs {
		if a := &s.in.Allocs[p]; a.StandsInFor != "" && s.facts[p]&(factRun|factComplete) == factRun {
			m[a.StandsInFor] = p
		}
	}
	return m
}

// reconnects stops, for each allocation that is back (not unknown, still
// to run) while its stand-in runs, the one of the two that Reconcile does
// not keep; one that came back failed or finished is stopped.
func (s *stepper) reconnects(gs *groupState) {
	standIns := s.standIns(gs)
	if len(standIns) == 0 {
		return
	}
	for _, p := range gs.allocs {
		f := s.facts[p]
		if f&(factRun|factUnknown|factLost) != factRun {
			continue
		}
		a := &s.in.Allocs[p]
		q, ok := standIns[a.ID]
		if !ok {
			continue
		}
		loser := q
		if f&factStopped != 0 || s.keepStandIn(gs.g, a, &s.in.Allocs[q]) {
			loser = p
		}
		gs.reconnected = append(gs.reconnected, loser)
		s.facts[loser] &^= factRun
	}
}

// keepStandIn reports whether the stand-in stays rather than the
// reconnected original: one of a newer version does (the original is then
// out of date), else as the strategy says.
func (s *stepper) keepStandIn(g *Group, orig, standIn *Alloc) bool {
	if standIn.JobVersion > orig.JobVersion || orig.JobVersion < s.job.Version {
		return true
	}
	var r ReconcileStrategy
	if g.Disconnect != nil {
		r = g.Disconnect.Reconcile
	}
	switch r {
	case ReconcileKeepReplacement:
		return true
	case ReconcileLongestRunning:
		return standIn.CreateTime.Before(orig.CreateTime)
	}
	return false
}
