package view

import (
	"fmt"
	"slices"
	"time"

	"github.com/rollout-go/rollout"
)

// recordedBuckets bounds how many samples Recorded takes: about one per
// two pixels of the plot, so that a job of a thousand allocations draws as
// fast and reads as well as one of ten.
const recordedBuckets = 440

// Recorded rebuilds a job's timeline from what a store keeps of it, for a
// process that did not watch the rollout step by step (a dashboard): its
// versions (oldest first; each submit marked with its own version number,
// a revert with the version it restores), its deployments (oldest first;
// their phases, the promotion, and how each ended) and its allocation
// records, up to now. The records hold times, not a log, so the picture
// is reconstructed: an allocation holds its slot from its CreateTime, runs
// from its StatusTime (when the client reported running), has its verdict
// from the verdict's time, and stops when its slot's next allocation is
// placed or, when terminal, at its StatusTime; a deployment with canaries
// is promoted when its first allocation that is not a canary is placed
// (or, when those were updated since, once its last canary was healthy).
func Recorded(title string, versions []rollout.JobVersion, deps []rollout.Deployment, allocs []rollout.Alloc, now time.Time) *Timeline {
	start := now
	for _, v := range versions {
		if !v.SubmitTime.IsZero() && v.SubmitTime.Before(start) {
			start = v.SubmitTime
		}
	}
	for _, a := range allocs {
		if !a.CreateTime.IsZero() && a.CreateTime.Before(start) {
			start = a.CreateTime
		}
	}
	t := NewTimeline(title, start)
	for _, v := range versions {
		label := fmt.Sprintf("v%d", v.Version)
		if v.RevertOf != nil {
			label = fmt.Sprintf("v%d (revert to v%d)", v.Version, *v.RevertOf)
		}
		t.Mark(v.SubmitTime, MarkSubmit, label)
	}
	recordDeployments(t, versions, deps, allocs)
	stops := stopTimes(allocs, now)
	for _, at := range sampleTimes(start, now, versions, deps, allocs) {
		t.Sample(at, newestAt(versions, at), allocsAt(allocs, stops, at))
	}
	return t
}

// recordDeployments marks each deployment's phases and end.
func recordDeployments(t *Timeline, versions []rollout.JobVersion, deps []rollout.Deployment, allocs []rollout.Alloc) {
	for i, d := range deps {
		end := time.Time{}
		if d.Status.Terminal() {
			end = d.ModifyTime
		}
		canaries := slices.ContainsFunc(d.Groups, func(g rollout.DeploymentGroup) bool { return g.DesiredCanaries > 0 })
		promoted := time.Time{}
		if canaries {
			for _, a := range allocs {
				if a.DeploymentID == d.ID && !a.Canary && (promoted.IsZero() || a.CreateTime.Before(promoted)) {
					promoted = a.CreateTime
				}
			}
			if promoted.IsZero() && slices.ContainsFunc(d.Groups, func(g rollout.DeploymentGroup) bool { return g.Promoted }) {
				promoted = canariesHealthy(d, allocs) // the earliest it can have been
			}
		}
		kind := PhaseRolling
		if canaries {
			kind = PhaseCanary
		}
		t.startPhase(d.CreateTime.Sub(t.start), kind)
		if !promoted.IsZero() {
			t.Mark(promoted, MarkPromote, "promoted")
			t.startPhase(promoted.Sub(t.start), PhaseRolling)
		}
		if d.Status == rollout.StatusPaused && i == len(deps)-1 {
			t.startPhase(d.ModifyTime.Sub(t.start), PhasePaused)
		}
		switch d.Status {
		case rollout.StatusSuccessful:
			t.Mark(end, MarkSuccess, "successful")
		case rollout.StatusFailed:
			t.Mark(end, MarkFail, "failed")
			for _, v := range versions {
				if v.RevertOf != nil && v.Version > d.JobVersion && !v.SubmitTime.Before(end) && v.SubmitTime.Sub(end) < time.Minute {
					t.Mark(end, MarkRevert, fmt.Sprintf("revert: v%d", v.Version))
					break
				}
			}
		case rollout.StatusCancelled:
			t.Mark(end, MarkCancel, "cancelled")
		}
		if !end.IsZero() {
			t.endPhase(end.Sub(t.start))
		} else if i < len(deps)-1 {
			t.endPhase(deps[i+1].CreateTime.Sub(t.start))
		}
	}
}

// canariesHealthy is when the last of the deployment's canaries was
// found healthy (zero when none is known).
func canariesHealthy(d rollout.Deployment, allocs []rollout.Alloc) time.Time {
	var at time.Time
	for _, a := range allocs {
		if a.DeploymentID == d.ID && a.Canary && a.Health.Status == rollout.Healthy && a.Health.Time.After(at) {
			at = a.Health.Time
		}
	}
	return at
}

// stopTimes returns, per allocation that is stopped or replaced, when it
// left its slot: its slot's next placement, else its terminal status
// time, else now.
func stopTimes(allocs []rollout.Alloc, now time.Time) map[string]time.Time {
	bySlot := map[slot][]int{}
	for i, a := range allocs {
		s := slot{a.Group, a.Index}
		bySlot[s] = append(bySlot[s], i)
	}
	out := map[string]time.Time{}
	for i, a := range allocs {
		var next time.Time
		for _, j := range bySlot[slot{a.Group, a.Index}] {
			if c := allocs[j].CreateTime; j != i && c.After(a.CreateTime) && (next.IsZero() || c.Before(next)) {
				next = c
			}
		}
		switch {
		case !next.IsZero() && (a.Desired != rollout.DesiredRun || a.Client.Terminal()):
			out[a.ID] = next
		case a.Client.Terminal() && !a.StatusTime.IsZero():
			out[a.ID] = a.StatusTime
		case a.Desired != rollout.DesiredRun:
			out[a.ID] = now
		}
	}
	return out
}

// allocsAt returns the allocations as they stood at a time.
func allocsAt(allocs []rollout.Alloc, stops map[string]time.Time, at time.Time) []rollout.Alloc {
	var out []rollout.Alloc
	for _, a := range allocs {
		if a.CreateTime.After(at) {
			continue
		}
		b := rollout.Alloc{ID: a.ID, Group: a.Group, Index: a.Index, JobVersion: a.JobVersion, Desired: rollout.DesiredRun, Client: rollout.ClientPending, Canary: a.Canary}
		if stop, ok := stops[a.ID]; ok && !stop.After(at) {
			b.Desired, b.Client = rollout.DesiredStop, rollout.ClientComplete
			if a.Client == rollout.ClientFailed {
				b.Desired, b.Client = rollout.DesiredRun, rollout.ClientFailed
			}
		} else if a.StatusTime.IsZero() || !a.StatusTime.After(at) {
			switch {
			case a.Client.Terminal() && a.Client != rollout.ClientFailed:
				b.Client = rollout.ClientRunning
			case a.Client.Terminal() || a.Client == rollout.ClientRunning || a.Client == rollout.ClientPending:
				b.Client = a.Client
			}
		} else if a.Client.Terminal() && a.Health.Status == rollout.Healthy {
			b.Client = rollout.ClientRunning
		}
		if a.Health.Status != "" && (a.Health.Time.IsZero() || !a.Health.Time.After(at)) {
			b.Health.Status = a.Health.Status
		}
		out = append(out, b)
	}
	return out
}

// newestAt is the newest version submitted by a time.
func newestAt(versions []rollout.JobVersion, at time.Time) uint64 {
	var v uint64
	for _, jv := range versions {
		if !jv.SubmitTime.After(at) {
			v = max(v, jv.Version)
		}
	}
	return v
}

// sampleTimes returns the moments something changed, at most
// recordedBuckets of them (the last of each bucket), in order.
func sampleTimes(start, now time.Time, versions []rollout.JobVersion, deps []rollout.Deployment, allocs []rollout.Alloc) []time.Time {
	var ts []time.Time
	add := func(t time.Time) {
		if !t.IsZero() && !t.Before(start) && !t.After(now) {
			ts = append(ts, t)
		}
	}
	for _, v := range versions {
		add(v.SubmitTime)
	}
	for _, d := range deps {
		add(d.CreateTime)
		add(d.ModifyTime)
	}
	for _, a := range allocs {
		add(a.CreateTime)
		add(a.StatusTime)
		add(a.Health.Time)
	}
	add(now)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	ts = slices.Compact(ts)
	span := now.Sub(start)
	if span <= 0 || len(ts) <= recordedBuckets {
		return ts
	}
	var out []time.Time
	bucket := func(t time.Time) int { return int(float64(t.Sub(start)) / float64(span) * recordedBuckets) }
	for i, t := range ts {
		if i+1 == len(ts) || bucket(ts[i+1]) != bucket(t) {
			out = append(out, t)
		}
	}
	return out
}
