package rollouttest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// DefaultStart is when a Cluster's simulated time starts unless
// Config.Start says otherwise.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultMaxSteps bounds one Run, RunFor or RunUntil call unless
// Config.MaxSteps says otherwise.
const DefaultMaxSteps = 10000

// Errors of a Cluster.
var (
	// ErrNoJob: the cluster has no job version yet; Submit one.
	ErrNoJob = errors.New("rollouttest: no job submitted")
	// ErrSettled: RunUntil's condition never held and nothing more will
	// happen.
	ErrSettled = errors.New("rollouttest: settled before the condition held")
	// ErrTooManySteps: a run took more steps than Config.MaxSteps; the
	// script never settles (a crash loop, checks that flap forever).
	ErrTooManySteps = errors.New("rollouttest: too many steps")
)

// Behavior scripts how the allocations of one group Spec behave on their
// nodes, in simulated time counted from their placement. The zero value is
// a healthy allocation: its tasks start at once and its checks pass at once.
//
// The cluster reports what happens as health events (task started, task
// failed, check passing, check failing) and client statuses (running,
// failed), exactly as a real node would; Step decides health from them.
type Behavior struct {
	// StartAfter is how long after its placement an allocation's tasks
	// start: the client reports running and a task-started event is sent
	// for each task of the group.
	StartAfter time.Duration
	// Spread delays each further placement of the same step by this much
	// more, so that allocations placed together do not all start at once:
	// the k-th placement (from 0, in decision order) starts at StartAfter +
	// k*Spread.
	Spread time.Duration
	// HealthyAfter is how long after the start every check of the group
	// first passes (with health_check = "checks"; a group without checks
	// is healthy min_healthy_time after its tasks start).
	HealthyAfter time.Duration
	// NeverStarts leaves the allocation pending for ever: it turns
	// unhealthy at its healthy_deadline.
	NeverStarts bool
	// FailsAfter, when greater than zero, makes the allocation fail this
	// long after its placement, started or not: the client reports failed
	// and a task-failed event is sent.
	FailsAfter time.Duration
	// ChecksFlap, when greater than zero, makes the checks fail ChecksFlap
	// after they pass, and pass again ChecksFlap later, over and over while
	// the allocation has no verdict: with ChecksFlap below
	// min_healthy_time it never turns healthy.
	ChecksFlap time.Duration
}

// Config configures a Cluster. The zero value is usable.
type Config struct {
	// Start is the simulated time at which the cluster starts; zero means
	// DefaultStart.
	Start time.Time
	// Nodes names the cluster's nodes; empty means node-1, node-2, node-3.
	// A system job runs one allocation on each that is up (LoseNode).
	// A placement goes to the node up with the fewest running allocations
	// (the first such node in this order).
	Nodes []string
	// Behaviors scripts the allocations of each group Spec.
	Behaviors map[string]Behavior
	// Default is the behaviour of a Spec missing from Behaviors.
	Default Behavior
	// VersionBehaviors scripts the allocations placed for one version of
	// the job, of one group (Group "" for every group of the version), over
	// Behaviors: a failure of that version only, whatever its Spec.
	VersionBehaviors map[VersionGroup]Behavior
	// MaxSteps bounds each run; zero means DefaultMaxSteps.
	MaxSteps int
}

// VersionGroup names the allocations of one version of a job, of one
// group or ("") of all of them, for Config.VersionBehaviors.
type VersionGroup struct {
	Version uint64
	Group   string
}

// behaviorOf is the behaviour of an allocation of a version, group and
// Spec.
func (c *Cluster) behaviorOf(version uint64, group, spec string) Behavior {
	if b, ok := c.versioned[VersionGroup{version, group}]; ok {
		return b
	}
	if b, ok := c.versioned[VersionGroup{Version: version}]; ok {
		return b
	}
	if b, ok := c.behaviors[spec]; ok {
		return b
	}
	return c.def
}

// StepInfo is one step the cluster made, as observers see it. Input and
// Output share memory with the cluster: read them during the callback
// only, and do not change them.
type StepInfo struct {
	// N counts the cluster's steps, from 1.
	N      int
	Input  rollout.Input
	Output rollout.Output
}

// Cluster is a deterministic simulated cluster running one job's rollouts
// in simulated time: no real time passes, and the same script gives the
// same steps, IDs and output on every run.
//
// Drive it with Submit, Command, Run, RunFor and RunUntil, and script it
// with Behavior, At, After, LoseNode, DisconnectNode and Observe; or use it as the Driver
// and HealthSource of a controller.Runner and move its time with Advance. Do
// not mix the two ways on one Cluster.
//
// Its methods are safe for concurrent use; hooks and observers are called
// without any lock held, from the goroutine that runs the cluster.
type Cluster struct {
	mu        sync.Mutex
	now       time.Time
	behaviors map[string]Behavior
	versioned map[VersionGroup]Behavior
	def       Behavior
	maxSteps  int

	nodes  []node
	nodeOf map[string]int // alloc ID -> index in nodes
	pos    map[string]int // alloc ID -> index in its job's allocs

	jobID  string // the simulated job, set by the first Submit
	state  controller.State
	allocs map[string][]rollout.Alloc // by job ID
	groups map[string]groupDef        // by Spec: the tasks and checks events name
	system map[string]bool            // the IDs of the system jobs it was told of

	next    time.Time       // the last step's NextStep
	dirty   bool            // something changed that Step has not seen
	pending []rollout.Event // due events not yet given to Step

	queue []happening // scripted happenings, by time then seq
	seq   int

	hooks     []hook
	observers []func(*Cluster, StepInfo)
	steps     int

	subs []*subscriber
}

type node struct {
	name     string
	down     bool
	draining bool
	away     bool // disconnected (DisconnectNode) until ReconnectNode
}

type groupDef struct {
	tasks, checks []string
}

type happeningKind int

const (
	hStart happeningKind = iota
	hCheckPass
	hCheckFail
	hFail
)

type happening struct {
	at    time.Time
	seq   int
	job   string
	alloc string
	kind  happeningKind
}

type hook struct {
	at time.Time
	fn func(*Cluster)
}

var (
	_ controller.Driver       = (*Cluster)(nil)
	_ controller.HealthSource = (*Cluster)(nil)
)

// NewCluster returns a cluster with no job, at cfg.Start.
func NewCluster(cfg Config) *Cluster {
	c := &Cluster{
		now:       cfg.Start,
		behaviors: map[string]Behavior{},
		def:       cfg.Default,
		maxSteps:  cfg.MaxSteps,
		nodeOf:    map[string]int{},
		pos:       map[string]int{},
		allocs:    map[string][]rollout.Alloc{},
		groups:    map[string]groupDef{},
		system:    map[string]bool{},
	}
	if c.now.IsZero() {
		c.now = DefaultStart
	}
	if c.maxSteps <= 0 {
		c.maxSteps = DefaultMaxSteps
	}
	for k, v := range cfg.Behaviors {
		c.behaviors[k] = v
	}
	c.versioned = maps.Clone(cfg.VersionBehaviors)
	names := cfg.Nodes
	if len(names) == 0 {
		names = []string{"node-1", "node-2", "node-3"}
	}
	for _, n := range names {
		c.nodes = append(c.nodes, node{name: n})
	}
	return c
}

// SetBehavior scripts the allocations of a group Spec placed from now on.
func (c *Cluster) SetBehavior(spec string, b Behavior) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.behaviors[spec] = b
}

// Now returns the simulated time.
func (c *Cluster) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Steps returns how many steps the cluster has made.
func (c *Cluster) Steps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.steps
}

// Job returns the job's latest version.
func (c *Cluster) Job() (rollout.JobVersion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.state.History.Latest()
	return j.Clone(), ok
}

// History returns a copy of the job's retained versions.
func (c *Cluster) History() rollout.History {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state.Clone()
	return st.History
}

// Deployment returns a copy of the job's latest deployment, or nil.
func (c *Cluster) Deployment() *rollout.Deployment {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.Deployment()
}

// Deployments returns copies of every deployment of the job, oldest first.
func (c *Cluster) Deployments() []rollout.Deployment {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state.Clone()
	return st.Deployments
}

// Freeze returns a copy of the job's freeze (see rollout.Freeze), or nil.
func (c *Cluster) Freeze() *rollout.FreezeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Freeze == nil {
		return nil
	}
	f := *c.state.Freeze
	return &f
}

// Allocations returns a copy of the allocations of the job given to Submit,
// in placement order. (A Cluster used as a Driver lists any job's with
// Allocs.)
func (c *Cluster) Allocations() []rollout.Alloc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneAllocs(c.allocs[c.jobID])
}

// Node returns the node an allocation was placed on ("" when unknown).
func (c *Cluster) Node(allocID string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.nodeOf[allocID]; ok {
		return c.nodes[n].name
	}
	return ""
}

// Observe calls fn after every step the cluster makes, with the state
// after that step.
func (c *Cluster) Observe(fn func(*Cluster, StepInfo)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.observers = append(c.observers, fn)
}

// At calls fn once the simulated time reaches t, during a run, after the
// step made at t. fn may submit versions, issue commands, lose nodes and
// read the state; hooks due at the same time run in the order given.
func (c *Cluster) At(t time.Time, fn func(*Cluster)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks = append(c.hooks, hook{at: t, fn: fn})
	slices.SortStableFunc(c.hooks, func(a, b hook) int { return a.at.Compare(b.at) })
}

// After calls fn once d of simulated time has passed from now (see At).
func (c *Cluster) After(d time.Duration, fn func(*Cluster)) { c.At(c.Now().Add(d), fn) }

// Define tells the cluster the tasks and checks of a job's groups, so that
// its health events name them. Submit does it; a Cluster used as a Driver
// needs it for groups that name tasks or checks.
func (c *Cluster) Define(job rollout.JobVersion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.define(&job)
}

func (c *Cluster) define(job *rollout.JobVersion) {
	if job.Type == rollout.JobSystem {
		c.system[job.ID] = true
	}
	for _, g := range job.Groups {
		c.groups[g.Spec] = groupDef{tasks: slices.Clone(g.Tasks), checks: slices.Clone(g.Checks)}
	}
}

// Submit records a version of the job (see rollout.History.Submit: an
// identical resubmission makes no version) and makes a step at once, so the
// rollout starts now. Every version must have the ID of the first. It
// returns the job's latest version, or Step's error, in which case the
// version is not recorded.
func (c *Cluster) Submit(job rollout.JobVersion) (rollout.JobVersion, error) {
	c.mu.Lock()
	if c.jobID != "" && job.ID != c.jobID {
		c.mu.Unlock()
		return rollout.JobVersion{}, fmt.Errorf("rollouttest: submit job %q to the cluster of job %q", job.ID, c.jobID)
	}
	prevID, prev := c.jobID, c.state.History
	c.state.History = c.state.Clone().History
	v, _ := c.state.History.Submit(job, c.now)
	c.jobID = job.ID
	c.define(&v)
	info, revert, err := c.stepLocked(nil)
	if err != nil {
		c.jobID, c.state.History = prevID, prev
		c.mu.Unlock()
		return rollout.JobVersion{}, err
	}
	c.mu.Unlock()
	c.notify(info)
	if revert {
		if err := c.step(nil); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Command makes a step at once with an operator command. It returns Step's
// *rollout.CommandError when the command is refused; nothing changes then.
func (c *Cluster) Command(cmd rollout.Command) error {
	return c.step([]rollout.Command{cmd})
}

// Step makes one step now, with the events due, and returns its output.
func (c *Cluster) Step() (rollout.Output, error) {
	var out rollout.Output
	c.mu.Lock()
	info, revert, err := c.stepLocked(nil)
	c.mu.Unlock()
	if err != nil {
		return out, err
	}
	c.notify(info)
	if revert {
		return info.Output, c.step(nil)
	}
	return info.Output, nil
}

// Plan returns what Step would decide, per group, if job were submitted
// now, deciding nothing: the `nomad job plan` counts.
func (c *Cluster) Plan(job rollout.JobVersion) ([]rollout.GroupPlan, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.state.Clone().History
	v, _ := h.Submit(job, c.now)
	return rollout.Plan(rollout.Input{
		Now: c.now, Job: v, History: h.Versions, Deployment: c.state.Deployment(), Allocs: c.allocs[job.ID],
		Nodes: c.inputNodes(v),
	})
}

// LoseNode marks a node down now: its allocations that still run are lost
// (client status lost), and nothing is placed on it any more. The next
// step stops and replaces them.
func (c *Cluster) LoseNode(name string) error {
	return c.nodeChange(name, func(n *node) { n.down = true }, func(_ string, a *rollout.Alloc) {
		a.Client = rollout.ClientLost
		c.cancel(a.ID)
	})
}

// DrainNode starts draining a node now, as an operator's node drain does:
// nothing is placed on it any more, and its allocations of service jobs
// that still run are marked to move (Alloc.Migrate), all at once. The next
// step stops each and places it again elsewhere. The cluster's own system
// job stops its allocation there (the node is Draining in its steps'
// Input.Nodes).
func (c *Cluster) DrainNode(name string) error {
	return c.nodeChange(name, func(n *node) { n.draining = true }, func(job string, a *rollout.Alloc) {
		if a.Desired == rollout.DesiredRun && !c.system[job] {
			a.Migrate = true
		}
	})
}

// nodeChange changes the named node (mark), then each allocation that
// still runs there (change, under the cluster's lock), and wakes the
// runners of the jobs it touched: they list the allocations again.
func (c *Cluster) nodeChange(name string, mark func(*node), change func(job string, a *rollout.Alloc)) error {
	c.mu.Lock()
	n := slices.IndexFunc(c.nodes, func(x node) bool { return x.name == name })
	if n < 0 {
		c.mu.Unlock()
		return fmt.Errorf("rollouttest: no node %q", name)
	}
	mark(&c.nodes[n])
	touched := map[string]bool{}
	for job, allocs := range c.allocs {
		for i := range allocs {
			if a := &allocs[i]; c.nodeOf[a.ID] == n && !terminal(a.Client) {
				change(job, a)
				touched[job] = true
			}
		}
	}
	c.dirty = true
	subs := c.subsFor(touched)
	c.mu.Unlock()
	for _, s := range subs {
		s.send(nil)
	}
	return nil
}

// GC forgets the job's stopped allocations (desired stop, client status
// terminal) that are not part of its latest deployment, as a scheduler's
// garbage collection does, and returns how many it forgot.
func (c *Cluster) GC() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	latest := ""
	if d := c.state.Deployment(); d != nil {
		latest = d.ID
	}
	allocs := c.allocs[c.jobID]
	kept := allocs[:0:0]
	for _, a := range allocs {
		if a.Desired == rollout.DesiredStop && terminal(a.Client) && (latest == "" || a.DeploymentID != latest) {
			delete(c.nodeOf, a.ID)
			continue
		}
		kept = append(kept, a)
	}
	c.allocs[c.jobID] = kept
	c.reindex(c.jobID)
	return len(allocs) - len(kept)
}

// Run runs the cluster until nothing more will happen: no scripted
// happening, hook or Output.NextStep is left. A deployment awaiting manual
// promotion with healthy canaries waits for ever, so Run returns then.
func (c *Cluster) Run() error { return c.run(time.Time{}, nil) }

// RunFor runs the cluster for d of simulated time, and makes a step at the
// end so that the state is as of then.
func (c *Cluster) RunFor(d time.Duration) error { return c.run(c.Now().Add(d), nil) }

// RunUntil runs the cluster until cond holds after a step. It returns
// ErrSettled when nothing more will happen and cond never held.
func (c *Cluster) RunUntil(cond func(*Cluster) bool) error {
	if cond(c) {
		return nil
	}
	return c.run(time.Time{}, cond)
}

func (c *Cluster) run(until time.Time, cond func(*Cluster) bool) error {
	for n := 0; ; n++ {
		if n >= c.maxSteps {
			return fmt.Errorf("%w: %d steps", ErrTooManySteps, n)
		}
		c.mu.Lock()
		if c.jobID == "" {
			c.mu.Unlock()
			return ErrNoJob
		}
		next := c.wakeLocked()
		if next.IsZero() || (!until.IsZero() && next.After(until)) {
			if until.IsZero() || !c.now.Before(until) {
				c.mu.Unlock()
				if cond != nil {
					return ErrSettled
				}
				return nil
			}
			next = until // one last step at the end of RunFor
		}
		if next.After(c.now) {
			c.now = next
		}
		events, _ := c.fire(c.now)
		c.pending = append(c.pending, events...)
		c.mu.Unlock()
		if err := c.step(nil); err != nil {
			return err
		}
		c.runHooks()
		if cond != nil && cond(c) {
			return nil
		}
	}
}

// wakeLocked returns when something happens next: now when something is
// pending, else the earliest of NextStep, a happening and a hook.
func (c *Cluster) wakeLocked() time.Time {
	if c.dirty || len(c.pending) > 0 {
		return c.now
	}
	next := c.next
	earlier := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if len(c.queue) > 0 {
		earlier(c.queue[0].at)
	}
	if len(c.hooks) > 0 {
		earlier(c.hooks[0].at)
	}
	return next
}

// runHooks runs the hooks due by now, in order, without the lock.
func (c *Cluster) runHooks() {
	for {
		c.mu.Lock()
		if len(c.hooks) == 0 || c.hooks[0].at.After(c.now) {
			c.mu.Unlock()
			return
		}
		h := c.hooks[0]
		c.hooks = c.hooks[1:]
		c.mu.Unlock()
		h.fn(c)
	}
}

// step makes a step, and the step that deploys a revert it submits.
func (c *Cluster) step(cmds []rollout.Command) error {
	for {
		c.mu.Lock()
		info, revert, err := c.stepLocked(cmds)
		c.mu.Unlock()
		if err != nil {
			return err
		}
		c.notify(info)
		if !revert {
			return nil
		}
		cmds = nil
	}
}

func (c *Cluster) notify(info StepInfo) {
	c.mu.Lock()
	obs := slices.Clone(c.observers)
	c.mu.Unlock()
	for _, fn := range obs {
		fn(c, info)
	}
}

// stepLocked calls Step with the cluster's state and the due events, and
// applies its output. It reports whether the output submitted a revert.
func (c *Cluster) stepLocked(cmds []rollout.Command) (StepInfo, bool, error) {
	job, ok := c.state.History.Latest()
	if !ok {
		return StepInfo{}, false, ErrNoJob
	}
	allocs := c.allocs[c.jobID]
	known := make(map[string]bool, len(allocs))
	for i := range allocs {
		known[allocs[i].ID] = true
	}
	var events []rollout.Event
	for _, ev := range c.pending {
		if known[ev.Alloc] {
			events = append(events, ev)
		}
	}
	in := rollout.Input{
		Now: c.now, Job: job, History: c.state.History.Versions, Deployment: c.state.Deployment(),
		Allocs: allocs, Events: events, Commands: cmds, Freeze: c.state.Freeze, Nodes: c.inputNodes(job),
	}
	out, err := rollout.Step(in)
	if err != nil {
		return StepInfo{}, false, err
	}
	c.pending, c.dirty = nil, false
	d := rollout.DecisionsOf(c.jobID, &out)
	c.apply(&d)
	if out.Cancelled != nil {
		c.state.RecordDeployment(out.Cancelled)
	}
	if out.Deployment != nil {
		c.state.RecordDeployment(out.Deployment)
	}
	c.state.Freeze = out.Freeze
	if out.Job != nil {
		c.state.History.Record(*out.Job)
	}
	if out.Revert != nil {
		c.state.History.Record(*out.Revert)
		c.define(out.Revert)
	}
	c.next = out.NextStep
	c.steps++
	return StepInfo{N: c.steps, Input: in, Output: out}, out.Revert != nil, nil
}

// apply carries out decisions idempotently and sets the placements'
// behaviour going.
func (c *Cluster) apply(d *rollout.Decisions) {
	allocs, placed := applyDecisions(c.allocs[d.JobID], d)
	c.allocs[d.JobID] = allocs
	c.reindex(d.JobID)
	for _, st := range d.Stop {
		if a := c.find(d.JobID, st.ID); a != nil {
			if a.Client == rollout.ClientUnknown {
				a.Client = rollout.ClientLost // stopped while away: it never comes back
			} else if !terminal(a.Client) {
				a.Client = rollout.ClientComplete
			}
			c.cancel(st.ID)
		}
	}
	if len(placed) == 0 {
		return
	}
	load := make([]int, len(c.nodes))
	for _, a := range allocs {
		if n, ok := c.nodeOf[a.ID]; ok && !terminal(a.Client) {
			load[n]++
		}
	}
	for k, p := range placed {
		c.place(d.JobID, &p, k, load)
	}
}

func (c *Cluster) reindex(job string) {
	for i, a := range c.allocs[job] {
		c.pos[a.ID] = i
	}
}

// inputNodes returns the nodes a step of job is given: for a system job,
// the cluster's nodes that are up, eligible and not draining; none for a
// service job, which the cluster places itself.
func (c *Cluster) inputNodes(job rollout.JobVersion) []rollout.Node {
	if job.Type != rollout.JobSystem {
		return nil
	}
	var nodes []rollout.Node
	for _, n := range c.nodes {
		if !n.down && !n.away {
			nodes = append(nodes, rollout.Node{ID: n.name, Eligible: !n.draining, Draining: n.draining})
		}
	}
	return nodes
}

// place puts a new allocation on a node, the one it names (a system job's)
// or the least loaded, and schedules its behaviour.
func (c *Cluster) place(job string, p *rollout.Placement, k int, load []int) {
	best := -1
	for n := range c.nodes {
		switch {
		case c.nodes[n].down, c.nodes[n].draining, c.nodes[n].away:
		case p.NodeID != "":
			if c.nodes[n].name == p.NodeID {
				best = n
			}
		case best < 0 || load[n] < load[best]:
			best = n
		}
	}
	if best < 0 {
		return // no node up: it stays pending
	}
	load[best]++
	c.nodeOf[p.ID] = best
	b := c.behaviorOf(p.JobVersion, p.Group, p.Spec)
	if b.FailsAfter > 0 {
		c.schedule(p.CreateTime.Add(b.FailsAfter), job, p.ID, hFail)
	}
	if !b.NeverStarts {
		start := p.CreateTime.Add(b.StartAfter + time.Duration(k)*b.Spread)
		if b.FailsAfter <= 0 || start.Before(p.CreateTime.Add(b.FailsAfter)) {
			c.schedule(start, job, p.ID, hStart)
		}
	}
}

func (c *Cluster) schedule(at time.Time, job, alloc string, kind happeningKind) {
	c.seq++
	h := happening{at: at, seq: c.seq, job: job, alloc: alloc, kind: kind}
	i, _ := slices.BinarySearchFunc(c.queue, h, func(x, y happening) int {
		if r := x.at.Compare(y.at); r != 0 {
			return r
		}
		return x.seq - y.seq
	})
	c.queue = slices.Insert(c.queue, i, h)
}

// cancel drops the happenings of an allocation.
func (c *Cluster) cancel(alloc string) {
	c.queue = slices.DeleteFunc(c.queue, func(h happening) bool { return h.alloc == alloc })
}

// fire carries out the happenings due by t and returns their events, and
// the job of each.
func (c *Cluster) fire(t time.Time) (events []rollout.Event, jobs []string) {
	for len(c.queue) > 0 && !c.queue[0].at.After(t) {
		h := c.queue[0]
		c.queue = c.queue[1:]
		a := c.find(h.job, h.alloc)
		if a == nil || terminal(a.Client) {
			continue
		}
		def := c.groups[a.Spec]
		b := c.behaviorOf(a.JobVersion, a.Group, a.Spec)
		ev := func(kind rollout.EventKind, task, check string) {
			events = append(events, rollout.Event{Time: h.at, Alloc: a.ID, Kind: kind, Task: task, Check: check})
			jobs = append(jobs, h.job)
		}
		switch h.kind {
		case hStart:
			a.Client = rollout.ClientRunning
			tasks := def.tasks
			if len(tasks) == 0 {
				tasks = []string{""}
			}
			for _, task := range tasks {
				ev(rollout.TaskStarted, task, "")
			}
			if len(def.checks) > 0 {
				c.schedule(h.at.Add(b.HealthyAfter), h.job, a.ID, hCheckPass)
			}
		case hCheckPass, hCheckFail:
			kind := rollout.CheckPassing
			next := hCheckFail
			if h.kind == hCheckFail {
				kind, next = rollout.CheckFailing, hCheckPass
			}
			for _, check := range def.checks {
				ev(kind, "", check)
			}
			if b.ChecksFlap > 0 && c.undecided(a) {
				c.schedule(h.at.Add(b.ChecksFlap), h.job, a.ID, next)
			}
		case hFail:
			a.Client, a.StatusTime = rollout.ClientFailed, h.at
			task := ""
			if len(def.tasks) > 0 {
				task = def.tasks[0]
			}
			ev(rollout.TaskFailed, task, "")
			c.cancel(a.ID)
		}
	}
	return events, jobs
}

// undecided reports whether an allocation's health may still change: it
// has no verdict and belongs to a deployment that may still decide one
// (for a Cluster used as a Driver, any deployment).
func (c *Cluster) undecided(a *rollout.Alloc) bool {
	if a.Health.Status != "" || a.DeploymentID == "" {
		return false
	}
	if a.JobID != c.jobID {
		return true
	}
	d := c.state.Deployment()
	return d != nil && d.ID == a.DeploymentID && d.Status.Active()
}

func (c *Cluster) find(job, id string) *rollout.Alloc {
	allocs := c.allocs[job]
	if i, ok := c.pos[id]; ok && i < len(allocs) && allocs[i].ID == id {
		return &allocs[i]
	}
	return nil
}

// NextEvent returns when the next scripted happening is due, if any.
func (c *Cluster) NextEvent() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return time.Time{}, false
	}
	return c.queue[0].at, true
}

// Allocs implements controller.Driver: a copy of the job's allocations.
func (c *Cluster) Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneAllocs(c.allocs[jobID]), nil
}

// Apply implements controller.Driver: it carries out the decisions at once,
// idempotently, and sets the new allocations' behaviour going from their
// CreateTime.
func (c *Cluster) Apply(ctx context.Context, d rollout.Decisions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.apply(&d)
	return nil
}

// Events implements controller.HealthSource: Advance sends the events of the
// job's allocations on the channel, one batch per call, until ctx is done.
func (c *Cluster) Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error) {
	s := &subscriber{job: jobID, ch: make(chan []rollout.Event), signal: make(chan struct{}, 1)}
	c.mu.Lock()
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	go func() {
		s.forward(ctx)
		c.mu.Lock()
		c.subs = slices.DeleteFunc(c.subs, func(x *subscriber) bool { return x == s })
		c.mu.Unlock()
	}()
	return s.ch, nil
}

// Advance moves the simulated time to t (never back), carries out the
// scripted happenings due by then, and sends their events, one batch per
// job, to the subscribers of Events. It returns how many events it sent.
// Use it when a controller.Runner drives the cluster.
func (c *Cluster) Advance(t time.Time) int {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	events, jobs := c.fire(c.now)
	byJob := map[string][]rollout.Event{}
	for i, ev := range events {
		byJob[jobs[i]] = append(byJob[jobs[i]], ev)
	}
	var sends []func()
	sent := 0
	for _, s := range c.subs {
		if batch := byJob[s.job]; len(batch) > 0 {
			sent += len(batch)
			sends = append(sends, func() { s.send(batch) })
		}
	}
	c.mu.Unlock()
	for _, f := range sends {
		f()
	}
	return sent
}

func (c *Cluster) subsFor(jobs map[string]bool) []*subscriber {
	var out []*subscriber
	for _, s := range c.subs {
		if jobs[s.job] {
			out = append(out, s)
		}
	}
	return out
}

// subscriber forwards batches to a HealthSource channel without ever
// blocking the cluster.
type subscriber struct {
	job    string
	ch     chan []rollout.Event
	signal chan struct{}
	mu     sync.Mutex
	queue  [][]rollout.Event
}

func (s *subscriber) send(batch []rollout.Event) {
	s.mu.Lock()
	s.queue = append(s.queue, slices.Clone(batch))
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *subscriber) forward(ctx context.Context) {
	defer close(s.ch)
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			b := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			select {
			case s.ch <- b:
			case <-ctx.Done():
				return
			}
			continue
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-ctx.Done():
			return
		}
	}
}

func terminal(s rollout.ClientStatus) bool {
	return s == rollout.ClientComplete || s == rollout.ClientFailed || s == rollout.ClientLost
}

func cloneAllocs(allocs []rollout.Alloc) []rollout.Alloc {
	out := make([]rollout.Alloc, len(allocs))
	for i, a := range allocs {
		a.Health.Tasks = slices.Clone(a.Health.Tasks)
		a.Health.Checks = slices.Clone(a.Health.Checks)
		out[i] = a
	}
	return out
}

// applyDecisions applies d to allocs idempotently with Output.Apply: a
// placement whose ID is already present is skipped. It returns the new
// list and the placements made.
func applyDecisions(allocs []rollout.Alloc, d *rollout.Decisions) ([]rollout.Alloc, []rollout.Placement) {
	have := make(map[string]bool, len(allocs)+len(d.Place))
	for i := range allocs {
		have[allocs[i].ID] = true
	}
	var fresh []rollout.Placement
	for _, p := range d.Place {
		if !have[p.ID] {
			have[p.ID] = true
			fresh = append(fresh, p)
		}
	}
	out := rollout.Output{Stop: d.Stop, Place: fresh, InPlace: d.InPlace, Health: d.Health}
	return out.Apply(allocs), fresh
}
