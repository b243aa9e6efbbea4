package rollout

import (
	"strconv"
	"strings"
	"time"
)

// DecisionKind says, for a program, why an allocation is placed, stopped
// or updated. Each decision also carries a Reason for a person.
type DecisionKind string

// Decision kinds.
const (
	// KindCreate places an allocation in an empty slot: a first run, a
	// scale-up, a missing allocation.
	KindCreate DecisionKind = "create"
	// KindUpdate replaces an allocation of an older version with a
	// different Spec (a destructive update: a Stop and a Placement).
	KindUpdate DecisionKind = "update"
	// KindCanary places a canary beside the old allocations.
	KindCanary DecisionKind = "canary"
	// KindLost stops an allocation whose node is down, and replaces it.
	KindLost DecisionKind = "lost"
	// KindReschedule stops a failed or unhealthy allocation and replaces it.
	KindReschedule DecisionKind = "reschedule"
	// KindScaleDown stops an allocation the group no longer needs.
	KindScaleDown DecisionKind = "scale-down"
	// KindPromoted stops an old allocation whose slot a promoted canary took.
	KindPromoted DecisionKind = "promoted"
	// KindCanaryCancelled stops a canary of a failed or superseded deployment.
	KindCanaryCancelled DecisionKind = "canary-cancelled"
	// KindJobStopped stops an allocation of a stopped job.
	KindJobStopped DecisionKind = "job-stopped"
	// KindGroupRemoved stops an allocation of a group that no longer exists.
	KindGroupRemoved DecisionKind = "group-removed"
	// KindInPlace updates an allocation to the new version where it runs.
	KindInPlace DecisionKind = "in-place"
	// KindSurge places an allocation of the new version beside the old
	// one it will replace, named as it (max_surge).
	KindSurge DecisionKind = "surge"
	// KindReplaced stops an old allocation whose namesake, placed beside
	// it by max_surge, is healthy.
	KindReplaced DecisionKind = "replaced"
	// KindMigrate stops an allocation that moves off its node
	// (Alloc.Migrate), and places it again under the same name.
	KindMigrate DecisionKind = "migrate"
	// KindSurgeCancelled stops an allocation placed by max_surge that is
	// not healthy when its deployment fails or is superseded: its old
	// namesake stays.
	KindSurgeCancelled DecisionKind = "surge-cancelled"
	// KindReconnected stops, of an allocation back from an unknown node and
	// the stand-in placed for it, the one the group's Disconnect.Reconcile
	// does not keep.
	KindReconnected DecisionKind = "reconnected"
)

// Reasons carried by decisions.
const (
	ReasonUpdating        = "alloc is being updated due to job update"
	ReasonNotNeeded       = "alloc not needed due to job update"
	ReasonLost            = "alloc is lost since its node is down"
	ReasonRescheduled     = "alloc was rescheduled because it failed"
	ReasonUnhealthy       = "alloc was rescheduled because it was unhealthy"
	ReasonJobStopped      = "alloc not needed as job is stopped"
	ReasonGroupRemoved    = "alloc not needed as task group was removed"
	ReasonInPlace         = "alloc updating in-place"
	ReasonPlaceNew        = "alloc placed for the job's count"
	ReasonPlaceCanary     = "canary placed for job update"
	ReasonPlaceLost       = "alloc replaces an alloc whose node is down"
	ReasonReconnected     = "alloc not needed as its namesake reconnected"
	ReasonPlaceStandIn    = "alloc stands in for an alloc whose node is disconnected"
	ReasonMigrating       = "alloc is being migrated"
	ReasonPlaceMigrate    = "alloc replaces an alloc that is being migrated"
	ReasonPlaceReschedule = "alloc replaces a failed or unhealthy alloc"
	ReasonPlaceUpdate     = "alloc replaces an alloc of an older version"
	ReasonPlaceSurge      = "alloc placed beside the alloc of an older version it will replace (max_surge)"
	ReasonReplaced        = "alloc replaced by a healthy alloc of the new version (max_surge)"
	ReasonSurgeCancelled  = "alloc not needed: its deployment ended before it was healthy (max_surge)"
)

// Placement asks the caller to start a new allocation, with exactly these
// fields. Its ID is derived deterministically (16 hexadecimal digits: the
// step's n-th identifier of a sequence seeded by the job, its version and
// Now, never an input allocation's ID), so a retried placement can be
// recognised and applied once.
type Placement struct {
	ID    string
	JobID string
	Group string
	Index int
	// Name is AllocName(job, Group, Index).
	Name string
	// NodeID is the node to place it on: set for a system job, empty for a
	// service job (the caller's scheduler picks the node).
	NodeID     string `json:",omitzero"`
	JobVersion uint64
	Spec       string
	Canary     bool
	// DeploymentID is the deployment it belongs to; "" for none.
	DeploymentID string
	// Replaces is the ID of the allocation it replaces (stopped in the same
	// Output); "" for none. Apply both or neither.
	Replaces string `json:",omitempty"`
	// StandsInFor is the ID of the unknown allocation this one stands in
	// for while its node is away (see Disconnect), which is not stopped;
	// record it on the allocation (Alloc.StandsInFor). A placement that
	// replaces a stand-in (a failed or lost one placed again) stands in
	// for the same allocation while that one is still to run.
	StandsInFor string `json:",omitempty"`
	// Attempts counts the earlier replacements of this slot.
	Attempts int `json:",omitempty"`
	// CreateTime is the step's Now: record it as the allocation's CreateTime.
	CreateTime time.Time
	Kind       DecisionKind
	Reason     string
}

// StopDecision asks the caller to stop an allocation.
type StopDecision struct {
	ID    string
	Group string
	Index int
	Name  string
	// Lost marks an allocation whose node is down: record its client
	// status as lost.
	Lost   bool `json:",omitempty"`
	Kind   DecisionKind
	Reason string
}

// InPlaceUpdate asks the caller to move an allocation to the new version
// where it runs, with its health tracking started afresh (Health) and its
// canary flag cleared: it joins the new deployment as an ordinary member.
type InPlaceUpdate struct {
	ID           string
	Group        string
	Name         string
	JobVersion   uint64
	DeploymentID string
	// Health is the allocation's new tracker state.
	Health AllocHealth
	// CreateTime is the step's Now: the healthy_deadline counts from it.
	CreateTime time.Time
	// Kind is always KindInPlace.
	Kind   DecisionKind
	Reason string
}

// HealthUpdate asks the caller to record an allocation's new health: a
// verdict reached in this step (Health.Status set: verdicts are final, so
// a set status in an update is always new), or tracker state that advanced
// (Health.Status still "").
type HealthUpdate struct {
	ID    string
	Group string
	// Name is the allocation's name.
	Name   string
	Health AllocHealth
}

// TransitionKind names a deployment-level decision.
type TransitionKind string

// Deployment-level decisions.
const (
	TransitionCreated   TransitionKind = "created"
	TransitionPromoted  TransitionKind = "promoted"
	TransitionPaused    TransitionKind = "paused"
	TransitionResumed   TransitionKind = "resumed"
	TransitionFailed    TransitionKind = "failed"
	TransitionSucceeded TransitionKind = "succeeded"
	TransitionCancelled TransitionKind = "cancelled"
	TransitionReverted  TransitionKind = "reverted"
	// TransitionFrozen: a Freeze command froze the job's rollouts.
	TransitionFrozen TransitionKind = "frozen"
	// TransitionUnfrozen: the freeze ended, by command or by expiry.
	TransitionUnfrozen TransitionKind = "unfrozen"
	// TransitionHeld: the freeze held back some of the groups' work (its
	// Groups) in this step; the reason is the freeze's.
	TransitionHeld TransitionKind = "held"
)

// Transition is a deployment-level decision of a step, with its reason.
type Transition struct {
	Kind         TransitionKind
	DeploymentID string
	// Groups are the groups it concerns, when it concerns some only.
	Groups []string `json:",omitempty"`
	Reason string
}

// Reason is one decision of a step, for a person and for a program.
type Reason struct {
	// Decision names the list it comes from: "stop", "place", "in-place",
	// "health" or "transition".
	Decision string
	// ID is the allocation's ID, or the deployment's for a transition.
	ID string
	// Name is the allocation's name; "" for a transition.
	Name string
	// Kind is the decision's kind: a DecisionKind, a HealthStatus for a
	// verdict, or a TransitionKind.
	Kind string
	// Text is the reason a person reads.
	Text string
}

// Reasons lists every decision of the step with its kind and reason, for
// logs and audit trails: the stops, placements, in-place updates and
// verdicts in their lists' order, then the transitions. It repeats what
// the lists hold (nothing needs applying from it) and builds the list on
// each call: a step that nobody logs does not pay for it.
func (o *Output) Reasons() []Reason {
	n := len(o.Stop) + len(o.Place) + len(o.InPlace) + len(o.Health) + len(o.Transitions)
	if n == 0 {
		return nil
	}
	r := make([]Reason, 0, n)
	for _, s := range o.Stop {
		r = append(r, Reason{Decision: "stop", ID: s.ID, Name: s.Name, Kind: string(s.Kind), Text: s.Reason})
	}
	for _, p := range o.Place {
		r = append(r, Reason{Decision: "place", ID: p.ID, Name: p.Name, Kind: string(p.Kind), Text: p.Reason})
	}
	for _, u := range o.InPlace {
		r = append(r, Reason{Decision: "in-place", ID: u.ID, Name: u.Name, Kind: string(u.Kind), Text: u.Reason})
	}
	for _, h := range o.Health {
		if h.Health.Status != "" {
			r = append(r, Reason{Decision: "health", ID: h.ID, Name: h.Name, Kind: string(h.Health.Status), Text: h.Health.Reason})
		}
	}
	for _, t := range o.Transitions {
		r = append(r, Reason{Decision: "transition", ID: t.DeploymentID, Kind: string(t.Kind), Text: t.Reason})
	}
	return r
}

// IgnoredEvent is an event Step did not apply, and why.
type IgnoredEvent struct {
	Event  Event
	Reason string
}

// GroupPlan counts a step's decisions for one group, as `nomad job plan`
// annotates them.
type GroupPlan struct {
	Group string
	// Create counts new allocations (not canaries, destructive
	// replacements or migrations); Destroy counts stops (not destructive
	// updates or migrations, nor, as in Nomad's plan, a lost canary that
	// its deployment keeps: one not cancelled by the deployment's failure).
	Create  int
	Destroy int
	// Migrate counts migrations (KindMigrate): each a stop and a
	// placement under the same name. A canary awaiting promotion that
	// migrates is placed again as a canary, counted in Canary.
	Migrate int `json:",omitempty"`
	// InPlace counts in-place updates; Destructive counts destructive
	// updates made now; Canary counts canaries placed.
	InPlace     int
	Destructive int
	Canary      int
	// Ignore counts running allocations left as they are, including
	// destructive updates that wait for a later step.
	Ignore int
	// Placements and Stops count the same decisions by kind, as they appear
	// in Output.Place and Output.Stop (fresh, lost and rescheduled
	// placements apart; destructive stops included), in the order the
	// kinds are first decided; a kind with none is left out.
	Placements, Stops []KindCount `json:",omitempty"`
}

// KindCount is how many decisions of one kind a step made for a group.
type KindCount struct {
	Kind DecisionKind
	N    int
}

// Placed returns how many placements of the kind the plan counts.
func (p *GroupPlan) Placed(kind DecisionKind) int { return countOf(p.Placements, kind) }

// Stopped returns how many stops of the kind the plan counts.
func (p *GroupPlan) Stopped(kind DecisionKind) int { return countOf(p.Stops, kind) }

func countOf(counts []KindCount, kind DecisionKind) int {
	for _, c := range counts {
		if c.Kind == kind {
			return c.N
		}
	}
	return 0
}

// addKind counts one decision of the kind.
func addKind(counts *[]KindCount, kind DecisionKind) { addKinds(counts, kind, 1) }

// addKinds counts n decisions of the kind.
func addKinds(counts *[]KindCount, kind DecisionKind, n int) {
	for i := range *counts {
		if (*counts)[i].Kind == kind {
			(*counts)[i].N += n
			return
		}
	}
	*counts = append(*counts, KindCount{Kind: kind, N: n})
}

// String formats the counts the way `nomad job plan` does:
// "2 create/destroy update, 4 ignore". Zero counts are left out.
func (p GroupPlan) String() string {
	var b strings.Builder
	add := func(n int, what string) {
		if n == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(n))
		b.WriteByte(' ')
		b.WriteString(what)
	}
	add(p.Create, "create")
	add(p.Destroy, "destroy")
	add(p.InPlace, "in-place update")
	add(p.Destructive, "create/destroy update")
	add(p.Migrate, "migrate")
	add(p.Canary, "canary")
	add(p.Ignore, "ignore")
	return b.String()
}
