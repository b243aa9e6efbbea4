package rollout

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// trackHealth applies the step's health events and the timers due by now to
// the allocations of the active deployment.
func (s *stepper) trackHealth() {
	cur := s.cur
	active := cur != nil && cur.Status.Active()
	allocs := s.in.Allocs
	events := s.in.Events

	// Events that can apply, grouped by allocation in time order.
	type evRef struct{ p, i int32 }
	var evs []evRef
	for i := range events {
		ev := &events[i]
		p := int32(s.ids.Find(ev.Alloc))
		a := &allocs[p]
		reason := ""
		switch gs := &s.groups[s.groupOf[p]]; {
		case !active:
			reason = "no active deployment"
		case !s.member(cur).has(p):
			reason = "allocation is not part of the active deployment"
		case a.Desired != DesiredRun:
			reason = "allocation is stopped"
		case gs.ds < 0:
			reason = "group is not part of the deployment"
		case gs.strat.HealthCheck == HealthManual:
			reason = "health_check is manual: health comes from set-health commands"
		}
		if reason != "" {
			s.ignore(ev, reason)
			continue
		}
		evs = append(evs, evRef{p, int32(i)})
	}
	if len(evs) > 1 {
		slices.SortStableFunc(evs, func(x, y evRef) int {
			if c := cmp.Compare(x.p, y.p); c != 0 {
				return c
			}
			return events[x.i].Time.Compare(events[y.i].Time)
		})
	}
	for k := 0; k < len(evs); {
		p := evs[k].p
		a := &allocs[p]
		gs := &s.groups[s.groupOf[p]]
		tr := newTracker(gs.strat, gs.g, a.CreateTime)
		h := cloneHealth(a.Health)
		for ; k < len(evs) && evs[k].p == p; k++ {
			ev := &events[evs[k].i]
			if ev.Time.Before(h.LastEvent) {
				s.ignore(ev, "older than an event already applied ("+h.LastEvent.Format(time.RFC3339Nano)+")")
				continue
			}
			if r := tr.apply(&h, ev); r != "" {
				s.ignore(ev, r)
			}
		}
		s.settleClient(&tr, a, &h)
		if !healthEqual(&h, &a.Health) {
			s.setHealth(p, h)
		}
	}
	if !active {
		return
	}
	// Timers due by now, for allocations without events in this step: only
	// allocations of the deployment without a verdict can have one.
	inCur := s.member(cur)
	for _, p := range s.noVerdict(cur) {
		gs := &s.groups[s.groupOf[p]]
		if gs.ds < 0 || gs.strat.HealthCheck == HealthManual {
			continue
		}
		a := &allocs[p]
		if a.Health.Status != "" || !inCur.has(p) || a.Desired != DesiredRun {
			continue
		}
		if _, done := s.health[p]; done {
			continue
		}
		tr := newTracker(gs.strat, gs.g, a.CreateTime)
		due := tr.next(&a.Health)
		if (due.IsZero() || due.After(s.now)) && !a.Client.Terminal() {
			continue
		}
		h := cloneHealth(a.Health)
		s.settleClient(&tr, a, &h)
		if !healthEqual(&h, &a.Health) {
			s.setHealth(p, h)
		}
	}
}

// settleClient reaches the verdict due by now, and makes an allocation whose
// node reports it failed or complete unhealthy.
func (s *stepper) settleClient(tr *tracker, a *Alloc, h *AllocHealth) {
	tr.settle(h, s.now)
	if h.Status == "" && (a.Client == ClientFailed || a.Client == ClientComplete) {
		h.Status, h.Time, h.Reason = Unhealthy, s.now, "allocation "+string(a.Client)
	}
}

func (s *stepper) ignore(ev *Event, reason string) {
	s.out.Ignored = append(s.out.Ignored, IgnoredEvent{Event: *ev, Reason: reason})
}

// groupStats are the counts of one group's allocations in the current
// deployment, as this step sees their health.
type groupStats struct {
	placed, healthy, unhealthy int
	healthyCanaries            int  // live, healthy canaries
	healthyLive                int  // live, healthy allocations
	unhealthyLive              int  // live, unhealthy allocations
	unknownLive                int  // live, health not yet known
	exhausted                  bool // an unhealthy one has no reschedule attempts left
	lastHealthy                time.Time
	canaries                   []int32 // canaries, in allocation order
}

// stats returns the group's counts in the current deployment, computed
// once per step and again only after a health change.
func (s *stepper) stats(gi int) groupStats {
	gs := &s.groups[gi]
	if !gs.statsOK || gs.statsFor != s.cur {
		gs.stats, gs.statsOK, gs.statsFor = s.tally(gi, s.cur), true, s.cur
	}
	return gs.stats
}

// tally counts the group's allocations in deployment d, from their facts.
func (s *stepper) tally(gi int, d *Deployment) groupStats {
	var st groupStats
	if d == nil || s.member(d).facts == nil {
		return st // none, or one this step created: no allocations yet
	}
	gs := &s.groups[gi]
	// Verdicts are final, so the input's healthy allocations are healthy
	// still; those that became healthy in this step add their times.
	st.lastHealthy = gs.inputHealthy
	// The counts come from a histogram of the facts they depend on: one
	// increment per allocation and no branch on its facts, which in a
	// store's order follow no pattern. The rarer canaries, health changed
	// by this step and unhealthy allocations are also looked at one by one.
	var hist [tallyKeys]int32
	const rare = factCanary | factChanged | factUnhealthy
	for _, p := range gs.allocs {
		f := s.facts[p]
		hist[tallyKey(f)]++
		if f&rare != 0 && f&factInDep != 0 {
			s.tallyRare(&st, gs, p, f)
		}
	}
	for k, n := range hist {
		f := tallyFact(k)
		if n == 0 || f&factInDep == 0 {
			continue
		}
		m, live := int(n), f.live()
		st.placed += m
		switch {
		case f&factHealthy != 0:
			st.healthy += m
			if live {
				st.healthyLive += m
			}
		case f&factUnhealthy != 0:
			st.unhealthy += m
			if f&(factRun|factLost) == factRun {
				st.unhealthyLive += m
			}
		case live:
			st.unknownLive += m
		}
	}
	return st
}

// tallyRare counts what the histogram of tally does not for allocation p
// of the deployment, with facts f: a canary, a verdict of this step, an
// unhealthy allocation out of reschedule attempts.
func (s *stepper) tallyRare(st *groupStats, gs *groupState, p int32, f fact) {
	if f&factCanary != 0 {
		st.canaries = append(st.canaries, p)
		if f&factHealthy != 0 && f.live() {
			st.healthyCanaries++
		}
	}
	if f&(factHealthy|factChanged) == factHealthy|factChanged {
		st.lastHealthy = later(st.lastHealthy, s.health[p].Time)
	}
	if f&(factUnhealthy|factRun|factLost) == factUnhealthy|factRun {
		if a := &s.in.Allocs[p]; gs.g != nil {
			if _, ranFor := failedAt(a, s.healthOf(p)); gs.g.Reschedule.exhausted(a.Attempts, ranFor) {
				st.exhausted = true
			}
		}
	}
}

// tallyKeys is the number of tallyKey's values.
const tallyKeys = 64

// tallyKey packs the facts that tally counts by (in the deployment, run,
// lost, stopped, healthy, unhealthy: bits 0, 1 and 5 to 8) into 6 bits.
func tallyKey(f fact) int { return int(f&(factRun|factInDep)) | int(f>>3)&0x3c }

// tallyFact unpacks a tallyKey.
func tallyFact(k int) fact { return fact(k&3) | fact(k&0x3c)<<3 }

// watch does what Nomad's deployment watcher does: it extends progress
// deadlines, fails the deployment on unhealthy allocations or an expired
// deadline, and auto-promotes.
func (s *stepper) watch() {
	cur := s.cur
	if cur == nil || !cur.Status.Active() {
		s.ignoreAnalysis("no active deployment")
		return
	}
	var unhealthy, late []string
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil {
			continue
		}
		st := s.stats(gi)
		if ds.ProgressDeadline > 0 && !st.lastHealthy.IsZero() {
			ds.RequireProgressBy = later(ds.RequireProgressBy, st.lastHealthy.Add(ds.ProgressDeadline))
		}
		if st.unhealthyLive > 0 && (ds.ProgressDeadline == 0 || st.exhausted) {
			unhealthy = append(unhealthy, ds.Name)
			continue
		}
		if cur.Status == StatusRunning && s.freeze == nil && ds.ProgressDeadline > 0 && !ds.RequireProgressBy.IsZero() &&
			!s.now.Before(ds.RequireProgressBy) && !groupDone(ds, st) {
			late = append(late, ds.Name)
		}
	}
	switch {
	case len(unhealthy) > 0:
		s.fail(DescFailedAllocations, unhealthy)
		return
	case len(late) > 0:
		s.fail(DescProgressDeadline, late)
		return
	}
	if s.analyse() {
		return
	}
	s.autoPromote()
	s.gates()
}

// groupDone reports whether a group cannot fail by its progress deadline:
// enough live healthy allocations, or enough healthy canaries awaiting
// promotion. Healthy allocations that later failed do not count, so a slot
// that keeps failing still meets the deadline.
func groupDone(ds *DeploymentGroup, st groupStats) bool {
	if ds.DesiredCanaries > 0 && !ds.Promoted {
		return st.healthyCanaries >= ds.DesiredCanaries
	}
	return st.healthyLive >= ds.DesiredTotal
}

// fail fails the current deployment, and reverts the job if one of the
// groups responsible has auto_revert.
func (s *stepper) fail(base string, groups []string) {
	revert := false
	for _, name := range groups {
		if ds, ok := s.cur.Group(name); ok && ds.AutoRevert {
			revert = true
		}
	}
	desc := base
	if revert && s.out.Revert == nil {
		desc = s.autoRevert(base)
	}
	tr := Transition{Kind: TransitionFailed, DeploymentID: s.cur.ID, Groups: groups, Reason: desc}
	s.cur.Status, s.cur.Description = StatusFailed, desc
	s.out.Transitions = append(s.out.Transitions, tr)
	if s.out.Revert != nil && revert {
		s.out.Transitions = append(s.out.Transitions, Transition{
			Kind: TransitionReverted, DeploymentID: s.cur.ID,
			Reason: fmt.Sprintf("job version %d submitted with the specification of version %d", s.out.Revert.Version, *s.out.Revert.RevertOf),
		})
	}
}

// autoPromote promotes every group once each group with canaries has
// auto_promote and enough healthy canaries.
func (s *stepper) autoPromote() {
	cur := s.cur
	if cur.Status != StatusRunning || !cur.RequiresPromotion() || !cur.HasAutoPromote() {
		return
	}
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil || ds.DesiredCanaries == 0 || ds.Promoted {
			continue
		}
		if s.stats(gi).healthyCanaries < ds.DesiredCanaries || s.analysisBlocks(gi, ds) != "" {
			return
		}
	}
	var promoted []string
	for gi := range s.groups {
		if ds := s.dgroup(gi); ds != nil && ds.DesiredCanaries > 0 && !ds.Promoted {
			s.promoteGroup(ds)
			promoted = append(promoted, ds.Name)
		}
	}
	s.out.Transitions = append(s.out.Transitions, Transition{
		Kind: TransitionPromoted, DeploymentID: cur.ID, Groups: promoted,
		Reason: "canaries healthy: promoted automatically (auto_promote)",
	})
}

func (s *stepper) promoteGroup(ds *DeploymentGroup) {
	ds.Promoted, ds.GateOpenedAt = true, time.Time{}
	if ds.ProgressDeadline > 0 {
		ds.RequireProgressBy = s.now.Add(ds.ProgressDeadline)
	}
}

func healthEqual(a, b *AllocHealth) bool {
	return a.Status == b.Status && a.Time.Equal(b.Time) && a.Reason == b.Reason &&
		a.LastEvent.Equal(b.LastEvent) && slices.EqualFunc(a.Tasks, b.Tasks, func(x, y TaskHealth) bool {
		return x.Name == y.Name && x.State == y.State && x.Since.Equal(y.Since) && x.Restarts == y.Restarts
	}) && slices.EqualFunc(a.Checks, b.Checks, func(x, y CheckHealth) bool {
		return x.Name == y.Name && x.Passing == y.Passing && x.Since.Equal(y.Since)
	})
}
