package rollout

import (
	"cmp"
	"slices"
)

// finish derives the deployment's counters, marks success, sets the
// description and modify time, and computes NextStep.
func (s *stepper) finish() {
	cur := s.cur
	if cur != nil {
		s.count()
		allComplete := true
		for gi := range s.groups {
			allComplete = allComplete && s.groups[gi].complete
		}
		if !s.created && cur.Status.Active() && allComplete && !s.job.Stop {
			s.end(cur, StatusSuccessful, DescSuccessful, TransitionSucceeded)
			j := s.job.Clone()
			j.Stable = true
			s.out.Job = &j
		}
		if cur.Status == StatusRunning {
			cur.Description = DescRunning
			if cur.RequiresPromotion() {
				cur.Description = DescRunningNeedsPromotion
				if cur.HasAutoPromote() {
					cur.Description = DescRunningAutoPromotion
				}
			}
		}
		if !s.created && !deploymentEqual(cur, s.in.Deployment) {
			cur.ModifyTime = s.now
		}
		s.out.Deployment = cur
		if s.created {
			s.out.Cancelled = s.cancelled
		}
		s.wakeDeadlines()
	} else if s.cancelled != nil {
		s.out.Deployment = s.cancelled
	} else if s.in.Deployment != nil {
		s.out.Deployment = s.in.Deployment.clone()
	}

	slices.SortFunc(s.changed, func(x, y int32) int {
		if c := cmp.Compare(s.groupOf[x], s.groupOf[y]); c != 0 {
			return c
		}
		return s.byIndex(x, y)
	})
	for _, p := range s.changed {
		a := &s.in.Allocs[p]
		s.out.Health = append(s.out.Health, HealthUpdate{ID: a.ID, Group: a.Group, Health: cloneHealth(*s.health[p])})
	}
	s.out.NextStep = s.next
}

// count derives each group's counters from the allocations, as they stand
// after this step's decisions.
func (s *stepper) count() {
	cur := s.cur
	for gi := range s.groups {
		gs := &s.groups[gi]
		if gs.ds < 0 {
			continue
		}
		ds := &cur.Groups[gs.ds]
		st := s.stats(gi)
		ds.Placed = st.placed + gs.placedNow
		ds.Healthy, ds.Unhealthy = st.healthy, st.unhealthy
		var canaries []int32
		for _, p := range gs.allocs {
			if a := &s.in.Allocs[p]; a.Canary && a.DeploymentID == cur.ID {
				canaries = append(canaries, p)
			}
		}
		slices.SortFunc(canaries, s.byIndex)
		ids := make([]string, 0, len(canaries)+len(gs.newCanaries))
		for _, p := range canaries {
			ids = append(ids, s.in.Allocs[p].ID)
		}
		ds.PlacedCanaries = append(ids, gs.newCanaries...)
		if len(ds.PlacedCanaries) == 0 {
			ds.PlacedCanaries = nil
		}
	}
}

// wakeDeadlines records the health timers of the deployment's allocations
// and the progress deadlines of its unfinished groups.
func (s *stepper) wakeDeadlines() {
	cur := s.cur
	if !cur.Status.Active() {
		return
	}
	for gi := range s.groups {
		gs := &s.groups[gi]
		if gs.ds < 0 {
			continue
		}
		if !s.created && gs.hasStrat && gs.strat.HealthCheck != HealthManual {
			for _, p := range gs.allocs {
				a := &s.in.Allocs[p]
				if a.DeploymentID != cur.ID || a.Desired != DesiredRun {
					continue
				}
				if h := s.healthOf(p); h.Status == "" {
					tr := newTracker(gs.strat, gs.g, a.CreateTime)
					s.wake(tr.next(h))
				}
			}
		}
		ds := &cur.Groups[gs.ds]
		if cur.Status == StatusRunning && ds.ProgressDeadline > 0 && !ds.RequireProgressBy.IsZero() && !groupDone(ds, s.stats(gi)) {
			s.wake(ds.RequireProgressBy)
		}
	}
}

// deploymentEqual compares a working copy with the input deployment,
// ignoring the modify time.
func deploymentEqual(a, b *Deployment) bool {
	if b == nil {
		return false
	}
	if a.ID != b.ID || a.Status != b.Status || a.Description != b.Description || len(a.Groups) != len(b.Groups) {
		return false
	}
	for i := range a.Groups {
		x, y := &a.Groups[i], &b.Groups[i]
		if x.Name != y.Name || x.DesiredTotal != y.DesiredTotal || x.DesiredCanaries != y.DesiredCanaries ||
			x.Placed != y.Placed || x.Healthy != y.Healthy || x.Unhealthy != y.Unhealthy || x.Promoted != y.Promoted ||
			!x.RequireProgressBy.Equal(y.RequireProgressBy) || !slices.Equal(x.PlacedCanaries, y.PlacedCanaries) ||
			x.AutoRevert != y.AutoRevert || x.AutoPromote != y.AutoPromote || x.ProgressDeadline != y.ProgressDeadline {
			return false
		}
	}
	return true
}
