package main

import (
	"fmt"
	"io"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// What simulate prints for the groups that no deployment tracks: a group
// without an update block is replaced all at once (every allocation of the
// old version stopped and placed anew in one step), and its failures are
// rescheduled with no deployment to fail, so nothing ends them.

// printUntracked prints the decisions a step makes for the groups of its
// job that have no update strategy, each group as the plan counts it, then
// its stops and placements. It prints nothing for a step that makes none.
func printUntracked(w io.Writer, at string, info *rollouttest.StepInfo) {
	job := &info.Input.Job
	versionOf := make(map[string]uint64, len(info.Input.Allocs))
	for _, a := range info.Input.Allocs {
		versionOf[a.ID] = a.JobVersion
	}
	for _, p := range info.Output.Plan {
		if _, tracked := job.Strategy(p.Group); tracked {
			continue
		}
		var stops []rollout.StopDecision
		for _, s := range info.Output.Stop {
			if s.Group == p.Group {
				stops = append(stops, s)
			}
		}
		var places []rollout.Placement
		for _, pl := range info.Output.Place {
			if pl.Group == p.Group {
				places = append(places, pl)
			}
		}
		if len(stops)+len(places) == 0 {
			continue
		}
		fmt.Fprintf(w, "[%s] group %q of version %d has no update block, and no deployment tracks it:\n", at, p.Group, job.Version)
		fmt.Fprintf(w, "    Task Group: %q (%s)\n", p.Group, p.String())
		if replaced, old := allAtOnce(info, p.Group, stops); replaced > 0 {
			fmt.Fprintf(w, "    all at once: the %d allocation(s) of version %d are stopped and placed anew in this one step\n", replaced, old)
		}
		for _, s := range stops {
			fmt.Fprintf(w, "    - stop  %s (%s, version %d): %s\n", s.Name, short(s.ID), versionOf[s.ID], s.Reason)
		}
		for _, pl := range places {
			fmt.Fprintf(w, "    + place %s (%s, version %d): %s\n", pl.Name, short(pl.ID), pl.JobVersion, pl.Reason)
		}
	}
}

// allAtOnce reports, when the step replaces (KindUpdate) every running
// allocation that the group had of one older version, how many there were
// and of which version.
func allAtOnce(info *rollouttest.StepInfo, group string, stops []rollout.StopDecision) (int, uint64) {
	updated := map[string]bool{}
	for _, s := range stops {
		if s.Kind == rollout.KindUpdate {
			updated[s.ID] = true
		}
	}
	if len(updated) == 0 {
		return 0, 0
	}
	n, version := 0, uint64(0)
	for _, a := range info.Input.Allocs {
		if a.Group != group || a.Desired != rollout.DesiredRun || a.JobVersion == info.Input.Job.Version {
			continue
		}
		if !updated[a.ID] {
			return 0, 0 // some of the old version stay for a later step
		}
		if n > 0 && a.JobVersion != version {
			return 0, 0
		}
		n, version = n+1, a.JobVersion
	}
	return n, version
}

// keepFailingRounds is how many times each allocation slot of a failing
// version that no deployment tracks is rescheduled before simulate says
// that it keeps failing and stops waiting for it.
const keepFailingRounds = 2

// untrackedFailures counts the reschedules of the failing version's
// allocations in the groups that no deployment tracks: with no deployment
// to fail and revert, nothing ends them but a new version.
type untrackedFailures struct {
	version uint64
	// bySlot counts the reschedules of each allocation name.
	bySlot map[string]int
}

func newUntrackedFailures(version int) *untrackedFailures {
	if version < 0 {
		return nil
	}
	return &untrackedFailures{version: uint64(version), bySlot: map[string]int{}}
}

// observe counts the step's reschedules of the failing version's
// allocations in groups without an update strategy.
func (u *untrackedFailures) observe(info *rollouttest.StepInfo) {
	if u == nil || info.Input.Job.Version != u.version {
		return
	}
	versionOf := make(map[string]uint64, len(info.Input.Allocs))
	for _, a := range info.Input.Allocs {
		versionOf[a.ID] = a.JobVersion
	}
	for _, s := range info.Output.Stop {
		if _, tracked := info.Input.Job.Strategy(s.Group); tracked || s.Kind != rollout.KindReschedule || versionOf[s.ID] != u.version {
			continue
		}
		u.bySlot[s.Name]++
	}
}

// keepsFailing holds when the job's version is the failing one and each
// of its slots that failed has been rescheduled keepFailingRounds times.
func (u *untrackedFailures) keepsFailing(c *rollouttest.Cluster) bool {
	if u == nil || len(u.bySlot) == 0 {
		return false
	}
	if job, ok := c.Job(); !ok || job.Version != u.version {
		return false
	}
	for _, n := range u.bySlot {
		if n < keepFailingRounds {
			return false
		}
	}
	return true
}

// settle reports whether version v is the failing one and some of its
// allocations that no deployment tracks failed. When its reschedules
// ended by themselves (its reschedule policy's attempts are spent), it
// says so.
func (u *untrackedFailures) settle(w io.Writer, at string, c *rollouttest.Cluster, v uint64) bool {
	if u == nil || v != u.version || len(u.bySlot) == 0 {
		return false
	}
	if !u.keepsFailing(c) {
		fmt.Fprintf(w, "[%s] version %d failed and no deployment tracks it: its allocations were rescheduled %d time(s) and are not rescheduled again (their reschedule attempts are spent)\n", at, u.version, u.total())
	}
	return true
}

func (u *untrackedFailures) total() int {
	total := 0
	for _, n := range u.bySlot {
		total += n
	}
	return total
}

// report says that the failing version keeps failing with nothing to end
// it, and after how many reschedules simulate stopped waiting.
func (u *untrackedFailures) report(w io.Writer, at string, last bool) {
	next := "the simulation ends here"
	if !last {
		next = "the next file replaces it"
	}
	fmt.Fprintf(w, "[%s] version %d keeps failing and no deployment tracks it: nothing will end it (its allocations are rescheduled for ever, with no deployment to fail or revert); stopped after %d reschedules of its %d allocation(s); %s\n",
		at, u.version, u.total(), len(u.bySlot), next)
}
