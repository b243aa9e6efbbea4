package rollout

import (
	"fmt"
	"time"
)

// DeploymentStatus is the state of a deployment.
type DeploymentStatus string

// Deployment statuses. Failed, successful and cancelled are terminal: a
// terminal deployment refuses every command and its status never changes
// again; a failed one stays the job's current deployment until a newer
// version, and its counters keep following its allocations.
const (
	StatusRunning    DeploymentStatus = "running"
	StatusPaused     DeploymentStatus = "paused"
	StatusFailed     DeploymentStatus = "failed"
	StatusSuccessful DeploymentStatus = "successful"
	StatusCancelled  DeploymentStatus = "cancelled"
)

// Terminal reports whether the status is final.
func (s DeploymentStatus) Terminal() bool {
	return s == StatusFailed || s == StatusSuccessful || s == StatusCancelled
}

// Active reports whether the deployment is running or paused.
func (s DeploymentStatus) Active() bool { return s == StatusRunning || s == StatusPaused }

func (s DeploymentStatus) valid() bool { return s.Active() || s.Terminal() }

// Status descriptions, exactly as Nomad writes them.
const (
	DescRunning               = "Deployment is running"
	DescRunningNeedsPromotion = "Deployment is running but requires manual promotion"
	DescRunningAutoPromotion  = "Deployment is running pending automatic promotion"
	DescPaused                = "Deployment is paused"
	DescSuccessful            = "Deployment completed successfully"
	DescStoppedJob            = "Cancelled because job is stopped"
	DescNewerJob              = "Cancelled due to newer version of job"
	DescFailedAllocations     = "Failed due to unhealthy allocations"
	DescProgressDeadline      = "Failed due to progress deadline"
	DescFailedByUser          = "Deployment marked as failed"
	// DescGateTimeout is rollout's own (Nomad has no gate timeouts): a
	// gate_timeout passed with on_gate_timeout = "fail".
	DescGateTimeout        = "Failed due to gate timeout"
	descRollbackFormat     = "%s - rolling back to job version %d"
	descNoRollbackSameSpec = "%s - not rolling back to stable job version %d as current job has same specification"
	descNoRollbackNoStable = "%s - no stable job version to auto revert to"
)

// DescRollingBack returns a failure description with the auto-revert suffix.
func DescRollingBack(base string, version uint64) string {
	return fmt.Sprintf(descRollbackFormat, base, version)
}

// DescNotRollingBack returns a failure description whose revert target has
// the failed version's specification.
func DescNotRollingBack(base string, version uint64) string {
	return fmt.Sprintf(descNoRollbackSameSpec, base, version)
}

// DescNoStable returns a failure description when no version is Stable.
func DescNoStable(base string) string { return fmt.Sprintf(descNoRollbackNoStable, base) }

// Deployment tracks the rollout of one job version. Step creates it,
// returns it updated in every Output, and ends it; the caller persists it
// and passes it back in Input.Deployment.
type Deployment struct {
	// ID is derived deterministically from the job, version and creation time.
	ID string
	// JobID and JobVersion name the version being deployed.
	JobID      string
	JobVersion uint64
	// Status and Description say where it stands (see the Desc constants).
	Status      DeploymentStatus
	Description string
	// Groups holds the state of each group that has an update strategy, in
	// the job's group order.
	Groups []DeploymentGroup
	// CreateTime is when it was created; ModifyTime when it last changed.
	// A later Input.Now than ModifyTime is required.
	CreateTime time.Time
	ModifyTime time.Time
}

// DeploymentGroup is a deployment's state for one group.
type DeploymentGroup struct {
	// Name is the group's name.
	Name string
	// AutoRevert, AutoPromote and ProgressDeadline are copied from the
	// group's strategy when the deployment is created.
	AutoRevert       bool
	AutoPromote      bool
	ProgressDeadline time.Duration
	// DesiredTotal is how many allocations the group must have healthy.
	DesiredTotal int
	// DesiredCanaries is how many canaries it places before promotion.
	DesiredCanaries int
	// PlacedCanaries lists the IDs of its canaries, in name order.
	PlacedCanaries []string `json:",omitempty"`
	// Placed, Healthy and Unhealthy count the allocations of this
	// deployment in the group: placed or updated in place, and their
	// verdicts. They are derived from Input.Allocs at every step.
	Placed    int
	Healthy   int
	Unhealthy int
	// Promoted is set once its canaries are promoted.
	Promoted bool
	// RequireProgressBy is the group's progress deadline: an allocation
	// must turn healthy by then. Zero when not started or with
	// progress_deadline 0.
	RequireProgressBy time.Time `json:",omitzero"`

	// The fields below hold the controls beyond Nomad's update block; they
	// stay zero for a group that sets none.

	// PauseAfter holds the group's pause_after checkpoints resolved at
	// creation against DesiredTotal: the numbers of healthy allocations
	// after which the deployment pauses.
	PauseAfter []int `json:",omitempty"`
	// CheckpointsReached counts the checkpoints of PauseAfter reached.
	CheckpointsReached int `json:",omitzero"`
	// GateTimeout and OnGateTimeout are copied from the group's strategy
	// (OnGateTimeout resolved: GateFail when unset).
	GateTimeout   time.Duration `json:",omitzero"`
	OnGateTimeout GateAction    `json:",omitempty"`
	// GateOpenedAt is when the group began waiting at a gate for an
	// operator: its canaries all healthy and waiting for a manual
	// promotion, or a checkpoint reached. Zero when it is not waiting.
	GateOpenedAt time.Time `json:",omitzero"`
	// Analysis holds the group's canary analysis runs, one per gate it
	// reached, oldest first (see AnalysisRun). Empty without an analysis
	// block.
	Analysis []AnalysisRun `json:",omitempty"`
}

// atCheckpoint reports whether the group waits at a checkpoint (rather
// than at its canaries' promotion).
func (ds *DeploymentGroup) atCheckpoint() bool {
	return !ds.GateOpenedAt.IsZero() && !(ds.DesiredCanaries > 0 && !ds.Promoted)
}

// nextCheckpoint returns the next checkpoint the group has to reach, and
// false when none is left.
func (ds *DeploymentGroup) nextCheckpoint() (int, bool) {
	if ds.CheckpointsReached >= len(ds.PauseAfter) {
		return 0, false
	}
	return ds.PauseAfter[ds.CheckpointsReached], true
}

// Group returns the state of the named group.
func (d *Deployment) Group(name string) (*DeploymentGroup, bool) {
	for i := range d.Groups {
		if d.Groups[i].Name == name {
			return &d.Groups[i], true
		}
	}
	return nil, false
}

// RequiresPromotion reports whether the deployment is running and some
// group has canaries that are not promoted.
func (d *Deployment) RequiresPromotion() bool {
	if d.Status != StatusRunning {
		return false
	}
	for i := range d.Groups {
		if d.Groups[i].DesiredCanaries > 0 && !d.Groups[i].Promoted {
			return true
		}
	}
	return false
}

// HasAutoPromote reports whether every group with canaries auto-promotes.
func (d *Deployment) HasAutoPromote() bool {
	for i := range d.Groups {
		if d.Groups[i].DesiredCanaries > 0 && !d.Groups[i].AutoPromote {
			return false
		}
	}
	return true
}

// Clone returns a deep copy: the group list is copied, not shared.
func (d *Deployment) Clone() *Deployment {
	c := *d
	c.Groups = make([]DeploymentGroup, len(d.Groups))
	copy(c.Groups, d.Groups)
	for i := range c.Groups {
		c.Groups[i].PlacedCanaries = append([]string(nil), d.Groups[i].PlacedCanaries...)
		c.Groups[i].PauseAfter = append([]int(nil), d.Groups[i].PauseAfter...)
		if runs := d.Groups[i].Analysis; runs != nil {
			c.Groups[i].Analysis = make([]AnalysisRun, len(runs))
			for k := range runs {
				c.Groups[i].Analysis[k] = runs[k].clone()
			}
		}
	}
	return &c
}
