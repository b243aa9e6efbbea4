package rollout

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Gates: the pause_after checkpoints and the gate timeouts of the update
// block's controls beyond Nomad. A group that sets none of them costs the
// step one test per group.

// gates opens and closes the groups' gates, pauses the deployment at the
// checkpoints reached, and acts on the gates that timed out. It runs in
// watch, after the failure checks and auto-promotion.
func (s *stepper) gates() {
	cur := s.cur
	var reached []string
	var counts []string
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil || (ds.GateTimeout == 0 && len(ds.PauseAfter) == 0) {
			continue
		}
		st := s.stats(gi)
		awaiting := ds.DesiredCanaries > 0 && !ds.Promoted
		switch {
		case awaiting && !ds.AutoPromote && cur.Status == StatusRunning:
			// A canary gate is open while every canary is healthy.
			if st.healthyCanaries >= ds.DesiredCanaries {
				if ds.GateOpenedAt.IsZero() {
					ds.GateOpenedAt = s.now
				}
			} else {
				ds.GateOpenedAt = time.Time{}
			}
		case !awaiting && cur.Status == StatusRunning:
			pause := false
			for next, ok := ds.nextCheckpoint(); ok && st.healthyLive >= next; next, ok = ds.nextCheckpoint() {
				ds.CheckpointsReached++
				// One the canaries met was their promotion's gate; one
				// at the whole group is the end, not a pause.
				if next > ds.DesiredCanaries && next < ds.DesiredTotal {
					pause = true
				}
			}
			if pause {
				ds.GateOpenedAt = s.now
				reached = append(reached, ds.Name)
				counts = append(counts, fmt.Sprintf("%s: checkpoint %d of %d reached, %d of %d allocations healthy",
					ds.Name, ds.CheckpointsReached, len(ds.PauseAfter), st.healthyLive, ds.DesiredTotal))
			}
		}
	}
	if len(reached) > 0 {
		s.startCheckpointAnalyses(reached)
		cur.Status, cur.Description = StatusPaused, DescPaused
		s.out.Transitions = append(s.out.Transitions, Transition{
			Kind: TransitionPaused, DeploymentID: cur.ID, Groups: reached,
			Reason: "paused at pause_after checkpoint (" + strings.Join(counts, "; ") + ")",
		})
		return
	}
	if s.freeze == nil {
		s.gateTimeouts()
	}
}

// gateTimeouts does on_gate_timeout for the gates open for gate_timeout:
// fail fails the deployment; promote and resume go on past the gate, a
// promotion at a canary gate and a resume at a checkpoint.
func (s *stepper) gateTimeouts() {
	cur := s.cur
	var fail, promote []string
	resume := false
	var why []string
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil || ds.GateTimeout == 0 || !ds.gateClockRuns(cur.Status) {
			continue
		}
		checkpoint := ds.atCheckpoint()
		due := ds.GateOpenedAt.Add(ds.GateTimeout)
		if s.now.Before(due) {
			continue
		}
		why = append(why, ds.Name+" waited "+ds.GateTimeout.String()+" at "+gateName(checkpoint)+", on_gate_timeout = "+string(ds.OnGateTimeout))
		switch {
		case ds.OnGateTimeout == GateFail:
			fail = append(fail, ds.Name)
		case checkpoint:
			resume = true
		default:
			promote = append(promote, ds.Name)
		}
	}
	reason := "gate timed out (" + strings.Join(why, "; ") + ")"
	switch {
	case len(fail) > 0:
		s.fail(DescGateTimeout, fail)
	case resume:
		s.resume(reason)
	case len(promote) > 0:
		for _, name := range promote {
			ds, _ := cur.Group(name)
			s.promoteGroup(ds)
		}
		s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionPromoted, DeploymentID: cur.ID, Groups: promote, Reason: reason})
	}
}

func gateName(checkpoint bool) string {
	if checkpoint {
		return "a checkpoint"
	}
	return "its canaries' promotion"
}

// gateClockRuns reports whether the group waits at a gate whose timeout
// is counting under the deployment's status: a canary gate while running,
// a checkpoint while paused.
func (ds *DeploymentGroup) gateClockRuns(status DeploymentStatus) bool {
	return !ds.GateOpenedAt.IsZero() && ds.atCheckpoint() == (status == StatusPaused)
}

// resume sets the deployment running again, as the Resume command does:
// its clocks restart and its checkpoint gates close.
func (s *stepper) resume(reason string) {
	s.cur.Status, s.cur.Description = StatusRunning, DescRunning
	s.restartClocks()
	s.leaveCheckpoints()
	s.out.Transitions = append(s.out.Transitions, Transition{Kind: TransitionResumed, DeploymentID: s.cur.ID, Reason: reason})
}

// leaveCheckpoints closes the checkpoint gates: the deployment resumes.
func (s *stepper) leaveCheckpoints() {
	for k := range s.cur.Groups {
		if ds := &s.cur.Groups[k]; ds.atCheckpoint() {
			ds.GateOpenedAt = time.Time{}
		}
	}
}

// wakeGates records when the open gates time out, and when the freeze
// expires.
func (s *stepper) wakeGates() {
	if f := s.freeze; f != nil && !f.Until.IsZero() {
		s.wake(f.Until)
	}
	cur := s.cur
	if cur == nil || !cur.Status.Active() || s.freeze != nil {
		return
	}
	for k := range cur.Groups {
		ds := &cur.Groups[k]
		if ds.GateTimeout > 0 && ds.gateClockRuns(cur.Status) {
			s.wake(ds.GateOpenedAt.Add(ds.GateTimeout))
		}
	}
}

// checkpointRoom returns how many more allocations group gi may place into
// the current deployment before its next checkpoint: no limit without one,
// or while its canaries await promotion.
func (s *stepper) checkpointRoom(gi int, ds *DeploymentGroup) int {
	if ds == nil || (ds.DesiredCanaries > 0 && !ds.Promoted) {
		return math.MaxInt
	}
	next, ok := ds.nextCheckpoint()
	if !ok {
		return math.MaxInt
	}
	st := s.stats(gi)
	return max(0, next-(st.healthyLive+st.unknownLive+s.groups[gi].placedNow))
}
