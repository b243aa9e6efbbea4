package rollout

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/rollout-go/rollout/internal/index"
)

// stepper holds one step's working state. Nothing in it outlives Step.
type stepper struct {
	in  *Input
	job *JobVersion
	now time.Time
	out Output
	ids *index.Keys

	groups   []groupState     // the job's groups, then removed groups by name
	groupOf  []int32          // per allocation: its position in groups
	groupIdx map[string]int32 // group name → position in groups
	// groupSlots finds a job group without a map lookup, most often.
	groupSlots groupSlots
	facts      []fact   // per allocation: what the loops test
	slot       []int32  // per allocation: its Index (see indexOf)
	sc         *scratch // the memory of ids, groupOf, facts and the groups' allocs
	// removed lists the groups no longer in the job, in order met.
	removed []string
	// pending lists, in allocation order, the allocations of the input
	// deployment whose input health has no verdict: the only ones whose
	// health timers can fire (a verdict is final). Usually about
	// max_parallel per group, so the timer loops need not visit them all.
	pending []int32
	// otherDeps lists the DeploymentIDs of the allocations that are not
	// the input deployment's, without the repeats of consecutive ones: the
	// IDs a new deployment must avoid.
	otherDeps []string

	cur       *Deployment // the current deployment, a working copy; nil if none
	old       *Deployment // the previous deployment (input), when not current
	created   bool        // cur was created by this step
	cancelled *Deployment // the previous deployment, cancelled by this step

	// health holds the health this step changed (factChanged marks them),
	// and changed lists them in change order.
	health     map[int32]*AllocHealth
	changed    []int32
	next       time.Time // earliest wake-up found so far
	seq        int       // placements made, for IDs
	skipCanary bool      // a revert to a Stable version: no canaries
	// idArena derives the placement IDs and holds their bytes. idLenSeen: an input ID
	// has their length, so one of them may be taken (see newAllocID).
	idArena   index.Arena
	idLenSeen bool
	// names holds the bytes of the decisions' names (see allocName).
	names []byte
	// namePrefix is `<job>.<nameGroup>[`, the start of that group's names.
	namePrefix []byte
	nameGroup  string
	// freeze is the job's freeze as this step leaves it (a copy); held
	// lists the groups whose work it held back.
	freeze *FreezeState
	held   []string
	// system: the input is a system job's service-shaped copy (see
	// stepSystem), its job validated already with the system rules.
	system bool
}

// groupState is one group's part of a step.
type groupState struct {
	name     string
	g        *Group // nil for a group no longer in the job
	strat    UpdateStrategy
	hasStrat bool // a strategy that deploys (max_parallel > 0)
	allocs   []int32
	ds       int // index of the group in cur.Groups, or -1
	depID    string
	plan     GroupPlan
	complete bool
	victims  map[int32]bool // allocations stopped by scale-down
	shadow   indexSet       // indexes held by promoted canaries
	surge    surgeState     // the surge pairs (max_surge, max_unavailable)
	// oldUnpromoted: the previous deployment had the group and did not
	// promote it, so its canaries are stopped.
	oldUnpromoted bool
	// placedNow counts this step's placements and in-place updates into the
	// current deployment; newCanaries lists its new canaries' IDs.
	placedNow   int
	placeWoken  bool // the timer of its new allocations' health is recorded
	newCanaries []Placement
	// stats caches the group's counts in statsFor (see stepper.stats).
	stats    groupStats
	statsOK  bool
	statsFor *Deployment
	// inputHealthy is the latest verdict time of the group's allocations
	// that are healthy in the input deployment (a verdict is final, so it
	// stands for them in every tally).
	inputHealthy time.Time
	// hasUnknown: an allocation of the group is unknown; hasStandIns: one
	// stands in for an unknown one; reconnected are the allocations
	// stopped because their namesake reconnected (see disconnects).
	hasUnknown, hasStandIns bool
	reconnected             []int32
}

// run makes the step's decisions, in the order the package documentation describes.
func (s *stepper) run() error {
	s.index()
	s.resolveDeployment()
	if s.job.Stop {
		s.stopJob()
		s.finish()
		return nil
	}
	s.disconnects()
	s.trackHealth()
	s.expireFreeze()
	if err := s.applyCommands(); err != nil {
		return err
	}
	s.watch()
	for gi := range s.groups {
		s.reconcile(gi)
	}
	s.reportHeld()
	s.finish()
	return nil
}

// resolveDeployment decides which deployment is current: the input's, if it
// deploys this job version and has not succeeded or been cancelled.
func (s *stepper) resolveDeployment() {
	d := s.in.Deployment
	if d == nil {
		return
	}
	switch {
	case s.job.Stop || d.JobVersion != s.job.Version:
		s.old = d
		for k := range d.Groups {
			if gi, ok := s.groupIdx[d.Groups[k].Name]; ok {
				s.groups[gi].oldUnpromoted = d.Groups[k].DesiredCanaries > 0 && !d.Groups[k].Promoted
			}
		}
		if d.Status.Active() {
			c := d.Clone()
			desc := DescNewerJob
			if s.job.Stop {
				desc = DescStoppedJob
			}
			s.end(c, StatusCancelled, desc, TransitionCancelled)
			s.cancelled = c
		}
	case d.Status == StatusSuccessful || d.Status == StatusCancelled:
		s.old = d
	default:
		s.cur = d.Clone()
		for k := range s.cur.Groups {
			if gi, ok := s.groupIdx[s.cur.Groups[k].Name]; ok {
				s.groups[gi].ds = k
				s.groups[gi].depID = s.cur.ID
			}
		}
	}
}

// end moves d to a terminal status and records the transition.
func (s *stepper) end(d *Deployment, status DeploymentStatus, desc string, kind TransitionKind) {
	d.Status, d.Description = status, desc
	s.out.Transitions = append(s.out.Transitions, Transition{Kind: kind, DeploymentID: d.ID, Reason: desc})
}

// stopJob stops every allocation of a stopped job.
func (s *stepper) stopJob() {
	for gi := range s.groups {
		gs := &s.groups[gi]
		gs.plan.Group = gs.name
		start := len(s.out.Stop)
		for _, p := range gs.allocs {
			// An allocation that already failed or finished needs no stop.
			if s.facts[p]&(factRun|factStopped) == factRun {
				s.stop(gs, p, KindJobStopped, ReasonJobStopped)
			}
		}
		sortStops(s.out.Stop[start:])
		s.addPlan(gs)
	}
}

// healthOf returns the allocation's health as this step sees it.
func (s *stepper) healthOf(p int32) *AllocHealth {
	if s.facts[p]&factChanged != 0 {
		return s.health[p]
	}
	return &s.in.Allocs[p].Health
}

// setHealth records a health change made by this step.
func (s *stepper) setHealth(p int32, h AllocHealth) {
	s.groups[s.groupOf[p]].statsOK = false
	s.facts[p] = s.facts[p].withHealth(h.Status)
	if s.facts[p]&factChanged != 0 {
		*s.health[p] = h
		return
	}
	if s.health == nil {
		s.health = make(map[int32]*AllocHealth)
	}
	s.health[p] = &h
	s.facts[p] |= factChanged
	s.changed = append(s.changed, p)
}

// wake records a time at which Step must run again.
func (s *stepper) wake(t time.Time) {
	if t.After(s.now) && (s.next.IsZero() || t.Before(s.next)) {
		s.next = t
	}
}

// inCur reports whether allocation p belongs to the current deployment.
func (s *stepper) inCur(p int32) bool {
	return s.cur != nil && s.member(s.cur).has(p)
}

// member tests whether allocations belong to one deployment, from their
// facts. Only the input deployment (and cur, old and cancelled, which are
// copies of it) has allocations: a deployment this step creates has none,
// since its ID is none of theirs (see newDeploymentID).
type member struct {
	facts []fact // nil for a deployment without allocations
}

func (s *stepper) member(d *Deployment) member {
	if s.in.Deployment != nil && d.ID == s.in.Deployment.ID {
		return member{facts: s.facts}
	}
	return member{}
}

// has reports whether allocation p belongs to the deployment.
func (m member) has(p int32) bool {
	return m.facts != nil && m.facts[p]&factInDep != 0
}

// noVerdict returns, in allocation order, the allocations of deployment d
// whose input health has no verdict.
func (s *stepper) noVerdict(d *Deployment) []int32 {
	if s.member(d).facts == nil {
		return nil
	}
	return s.pending
}

// indexOf returns allocation p's Index, from the scratch copy that the
// loops read instead of the Alloc.
func (s *stepper) indexOf(p int32) int {
	if v := s.slot[p]; v != math.MaxInt32 {
		return int(v)
	}
	return s.in.Allocs[p].Index
}

// dgroup returns the current deployment's state for group gi, or nil.
func (s *stepper) dgroup(gi int) *DeploymentGroup {
	if k := s.groups[gi].ds; k >= 0 {
		return &s.cur.Groups[k]
	}
	return nil
}

// newAllocID derives the ID of the step's next placement, unique among the
// allocations: the n-th identifier of a sequence seeded once per step by
// the job, its version and Now (see index.Arena), skipping any an input
// allocation holds.
func (s *stepper) newAllocID() string {
	s.seq++
	if !s.idArena.Seeded() {
		var buf [256]byte // the seed's input, built in place
		b := index.AppendPart(buf[:0], "alloc")
		b = index.AppendPart(b, s.job.ID)
		b = append(strconv.AppendUint(b, s.job.Version, 10), 0)
		b = index.AppendPart(b, s.now.UTC().Format(time.RFC3339Nano))
		s.idArena.Seed(b)
	}
	// seq stays far below 2^32: a salt above it never meets another seq.
	for salt := uint64(0); ; salt++ {
		id := s.idArena.Next(uint64(s.seq) | salt<<32)
		// Only an input ID of the same length can be taken: with none,
		// the lookup is left out.
		if !s.idLenSeen || s.ids.Find(id) < 0 {
			return id
		}
	}
}

// newDeploymentID derives the ID of the deployment this step creates.
func (s *stepper) newDeploymentID() string {
	prev := ""
	if s.in.Deployment != nil {
		prev = s.in.Deployment.ID
	}
	id := index.ID("deployment", s.job.ID, strconv.FormatUint(s.job.Version, 10), s.now.UTC().Format(time.RFC3339Nano), prev)
	// Unique among the deployments the allocations remember.
	for s.deploymentIDUsed(id, prev) {
		id = index.ID("deployment", id)
	}
	return id
}

// deploymentIDUsed reports whether id names the previous deployment or one
// that an allocation belongs to.
func (s *stepper) deploymentIDUsed(id, prev string) bool {
	return id == prev || slices.Contains(s.otherDeps, id)
}
