package rollout

import "time"

// Input is everything Step knows. Step reads it and never changes it.
type Input struct {
	// Now is the only clock Step knows: timers and deadlines are compared
	// with it. It must not be earlier than Deployment.ModifyTime.
	Now time.Time
	// Job is the job version being deployed (the newest version).
	Job JobVersion
	// History holds earlier retained versions, for reverts. It may include
	// Job itself; order does not matter.
	History []JobVersion
	// Deployment is the job's latest deployment as last returned in
	// Output.Deployment; nil when the job has none yet.
	Deployment *Deployment
	// Allocs holds every allocation of the job, of any version or status.
	Allocs []Alloc
	// Events are health events that arrived since the last step.
	Events []Event
	// Commands are operator commands, applied in order after the events.
	Commands []Command
	// Freeze is the job's freeze as the last Output.Freeze returned it;
	// nil when the job's rollouts are not frozen.
	Freeze *FreezeState
	// MaxPlacements, when above zero, caps the placements of one step
	// (opt-in: 0, the default, places everything due). New allocations for
	// empty slots and destructive updates beyond the cap are left for the
	// next steps, and Output.Capped says so; replacements of lost, failed,
	// unhealthy and migrating allocations, and canaries, are always placed
	// (they count toward the cap). It keeps the output of a huge first deployment (a
	// million allocations) to a size the caller chooses.
	MaxPlacements int
	// Nodes are the cluster's nodes, for a system job (JobVersion.Type
	// JobSystem): each group wants one allocation on every node that is
	// Eligible and not Draining. Ignored for a service job.
	Nodes []Node
	// Analysis are canary analysis results that arrived since the last
	// step (see Analysis); a CmdAnalysis command carries them too.
	Analysis []AnalysisResult `json:",omitempty"`
}

// Output is what one step decided. The caller must persist Deployment
// (and Cancelled, Job, Revert when set), then apply Stop, Place and InPlace
// through its driver and record Health on its allocations (Apply does all
// of it on a slice of allocations), and call Step again when new events
// arrive or at NextStep at the latest.
//
// Every list is sorted by group (in the job's group order, removed groups
// last by name), then by allocation index, then by ID.
type Output struct {
	// Deployment is the job's latest deployment after this step: created,
	// updated or ended by it. Nil when the job has none. Persist it and pass
	// it back as Input.Deployment.
	Deployment *Deployment
	// Cancelled is the previous deployment when this step cancelled it and
	// created a new one in its place; persist it too.
	Cancelled *Deployment
	// Job is the input job version marked Stable, when this step's
	// deployment succeeded; store it in place of the version.
	Job *JobVersion
	// Freeze is the job's freeze after this step (see Freeze): nil when
	// its rollouts are not frozen. Persist it and pass it back as
	// Input.Freeze.
	Freeze *FreezeState `json:",omitempty"`
	// Revert is a new job version to submit: an auto-revert after a
	// failure, or a Revert command. Submit it and call Step with it as Job.
	Revert *JobVersion
	// Stop lists the allocations to stop. A stop paired with a placement
	// (Placement.Replaces) is a destructive update: apply both or neither.
	Stop []StopDecision
	// Place lists the allocations to create, each with all its fields.
	Place []Placement
	// InPlace lists the allocations to update in place.
	InPlace []InPlaceUpdate
	// Health lists tracker state and verdicts to record on allocations.
	Health []HealthUpdate
	// Transitions lists the deployment-level decisions, in the order made.
	Transitions []Transition
	// Plan counts the decisions per group: every group of the job, in the
	// job's order, then each removed group whose allocations the step
	// stops, by name.
	Plan []GroupPlan
	// Capped reports that Input.MaxPlacements held placements back: apply
	// this output, then call Step again at once for the rest.
	Capped bool `json:",omitempty"`
	// Ignored lists the events that were not applied, and why.
	Ignored []IgnoredEvent
	// IgnoredAnalysis lists the analysis results that were not applied,
	// and why.
	IgnoredAnalysis []IgnoredAnalysis `json:",omitempty"`
	// NextStep is when Step must be called again if no event arrives first:
	// the earliest timer or deadline after Now (a second before a failed
	// allocation's reschedule delay ends, for each one waiting, as Nomad
	// sets a follow-up evaluation for each). Zero when nothing is timed.
	NextStep time.Time
}

// Step decides what to do next for a job: which allocations to place, stop
// or update in place, which health verdicts to record, and what becomes of
// the deployment. It is pure: it reads no clock, starts no goroutine, calls
// no user code and does not change its input; the same input gives the same
// output. An invalid input or a refused command returns an error (a
// go-multierror of *FieldError, or a *CommandError) and decides nothing.
func Step(in Input) (Output, error) {
	if in.Job.Type == JobSystem {
		return stepSystem(in)
	}
	return stepCore(in, false, nil)
}

// stepCore is Step on a service-shaped input. system: the input is a
// system job's (see stepSystem), its job validated already with the system
// rules. A non-nil reuse lends the output its lists (Stepper).
func stepCore(in Input, system bool, reuse *Stepper) (Output, error) {
	sc := getScratch(len(in.Allocs))
	defer sc.release()
	s := stepper{in: &in, job: &in.Job, now: in.Now, sc: sc, system: system}
	if in.Freeze != nil {
		f := *in.Freeze
		s.freeze = &f
	}
	if reuse != nil {
		reuse.lend(&s.out)
	}
	err := s.validate()
	if err == nil {
		err = s.run()
	}
	if reuse != nil {
		reuse.keep(&s.out)
	}
	if err != nil {
		return Output{}, err
	}
	return s.out, nil
}

// Plan returns the per-group counts of what Step would decide for the input
// (a proposed job version against the current allocations), deciding
// nothing: the `nomad job plan` view.
func Plan(in Input) ([]GroupPlan, error) {
	out, err := Step(in)
	if err != nil {
		return nil, err
	}
	return out.Plan, nil
}
