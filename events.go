package rollout

import (
	"slices"
	"time"
)

// EventKind says what happened to an allocation's task or check.
type EventKind string

// Health event kinds, as a node reports them.
const (
	// TaskStarted: the task is running (first start).
	TaskStarted EventKind = "task-started"
	// TaskRestarted: the task restarted; min_healthy_time starts over.
	TaskRestarted EventKind = "task-restarted"
	// TaskFailed: the task failed; the allocation is unhealthy at once.
	TaskFailed EventKind = "task-failed"
	// TaskFinished: the task exited; the allocation is unhealthy at once.
	TaskFinished EventKind = "task-finished"
	// CheckPassing: a service check passes.
	CheckPassing EventKind = "check-passing"
	// CheckFailing: a service check fails; min_healthy_time starts over.
	CheckFailing EventKind = "check-failing"
)

// Event is a health event of one allocation, at a time no later than
// Input.Now. Events of an allocation are applied in time order; an event
// older than one already applied is ignored (see Output.Ignored), and a
// repeated event changes nothing.
type Event struct {
	Time  time.Time
	Alloc string
	Kind  EventKind
	// Task names the task of a task event ("" for a one-task group).
	Task string `json:",omitempty"`
	// Check names the check of a check event.
	Check string `json:",omitempty"`
}

// CommandKind names an operator command.
type CommandKind string

// Operator commands.
const (
	// CmdPromote promotes the canaries of Command.Groups (all when empty).
	CmdPromote CommandKind = "promote"
	// CmdPause pauses the deployment: no canaries, no scale-up placements
	// and no destructive updates until CmdResume. Lost allocations and
	// failed ones (after their reschedule delay) are still replaced, and
	// in-place updates still happen, as in Nomad. A paused deployment
	// never fails by its progress deadline and never auto-promotes.
	CmdPause CommandKind = "pause"
	// CmdResume resumes a paused deployment and resets its progress deadline.
	CmdResume CommandKind = "resume"
	// CmdFail fails the deployment ("Deployment marked as failed"); auto
	// revert then applies.
	CmdFail CommandKind = "fail"
	// CmdSetHealth sets the health of Command.Allocs to Command.Healthy.
	CmdSetHealth CommandKind = "set-health"
	// CmdRevert makes a new version with the specification of
	// Command.Version (see Output.Revert).
	CmdRevert CommandKind = "revert"
	// CmdFreeze freezes the job's rollouts for Command.Reason until
	// Command.Until (see Freeze). It applies with or without a deployment.
	CmdFreeze CommandKind = "freeze"
	// CmdUnfreeze ends the job's freeze; without one it does nothing.
	CmdUnfreeze CommandKind = "unfreeze"
	// CmdAnalysis hands Command.Analysis to Step, as Input.Analysis does
	// (rollout's own, for an analysis provider): it needs an active
	// deployment, and results that do not apply are listed in
	// Output.IgnoredAnalysis rather than refused.
	CmdAnalysis CommandKind = "analysis"
)

// Command is an operator command. Use the constructors (Promote, Pause,
// ...). A command that does not apply is refused: Step returns a
// *CommandError and decides nothing.
type Command struct {
	Kind CommandKind
	// Groups are the groups to promote; empty means all.
	Groups []string `json:",omitempty"`
	// Allocs are the allocations whose health is set.
	Allocs []string `json:",omitempty"`
	// Healthy is the health to set.
	Healthy bool `json:",omitempty"`
	// Version is the version to revert to.
	Version uint64 `json:",omitempty"`
	// Reason says why the rollouts are frozen (CmdFreeze).
	Reason string `json:",omitempty"`
	// Until is when a freeze ends by itself; zero means at CmdUnfreeze.
	Until time.Time `json:",omitzero"`
	// Analysis are the results a CmdAnalysis command carries.
	Analysis []AnalysisResult `json:",omitempty"`
}

// RecordAnalysis hands analysis results to Step as a command (see
// CmdAnalysis), the way an analysis provider reaches a Runner.
func RecordAnalysis(results ...AnalysisResult) Command {
	return Command{Kind: CmdAnalysis, Analysis: slices.Clone(results)}
}

// Promote promotes the canaries of the named groups, or of all groups.
func Promote(groups ...string) Command {
	return Command{Kind: CmdPromote, Groups: slices.Clone(groups)}
}

// Pause pauses the deployment (see CmdPause).
func Pause() Command { return Command{Kind: CmdPause} }

// Resume resumes a paused deployment.
func Resume() Command { return Command{Kind: CmdResume} }

// Fail marks the deployment as failed.
func Fail() Command { return Command{Kind: CmdFail} }

// SetHealth sets the health of allocations of the deployment, as
// health_check = "manual" requires.
func SetHealth(healthy bool, allocs ...string) Command {
	return Command{Kind: CmdSetHealth, Healthy: healthy, Allocs: slices.Clone(allocs)}
}

// Revert reverts the job to the specification of a retained version.
func Revert(version uint64) Command { return Command{Kind: CmdRevert, Version: version} }
