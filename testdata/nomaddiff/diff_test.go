package nomaddiff

// TestDiff runs Nomad's service-job reconciler and rollout.Step on the same
// random inputs and reports where their decisions differ: per group, the
// plan's counts; the names placed (canaries marked *), the allocations
// stopped (by name and version) and updated in place; the deployment
// created, with its desired totals; and the deployments' status changes.
// It lists the differences by kind, with a few seeds of each; -only SEED
// prints one case in full. See README.md.

import (
	"flag"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	log "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/scheduler/reconciler"
	"github.com/rollout-go/rollout"
)

var (
	nCases     = flag.Int("cases", 5000, "random cases")
	seed0      = flag.Int64("seed", 1, "first seed")
	show       = flag.Int("show", 2, "cases shown per signature")
	only       = flag.Int64("only", -1, "run only this seed, verbosely")
	lost       = flag.Bool("lost", true, "generate lost allocations")
	unh        = flag.Bool("unhealthy", true, "generate unhealthy allocations")
	term       = flag.Bool("terminal", true, "generate complete allocations")
	remove     = flag.Bool("remove", true, "remove groups")
	unhFailed  = flag.Bool("unhealthy-failed", true, "give Nomad an unhealthy allocation as failed and marked for rescheduling")
	drain      = flag.Bool("drain", true, "generate allocations marked to migrate off a draining node")
	stopJob    = flag.Bool("stop", true, "stop the job in some cases")
	maxCount   = flag.Int("max-count", 5, "the largest count of a group")
	maxGroups  = flag.Int("max-groups", 2, "the most groups of a job")
	maxVersion = flag.Int("max-version", 2, "the highest job version")
	failed     = flag.Bool("failed", false, "generate failed allocations outside the unhealthy ones of a deployment")
	delays     = flag.Bool("delays", false, "fail allocations at various times, after earlier reschedules, and compare when their replacements are due")
	attempts   = flag.Int("attempts", 0, "limit each group's reschedules to this many (in Nomad: within a day); 0 for unlimited")
	delayFn    = flag.String("delay-function", "exponential", "each group's reschedule delay function: exponential, constant or fibonacci")
	noResched  = flag.Bool("no-reschedule", false, "turn rescheduling off (Nomad: attempts 0, unlimited false; rollout: Disabled)")
	maxDelay   = flag.Duration("max-delay", time.Hour, "each group's reschedule max_delay (Nomad's default 1h)")
	interval   = flag.Duration("interval", 24*time.Hour, "with -attempts, the interval the attempts count in")
	disconnect = flag.Bool("disconnect", false, "give groups disconnect blocks and put allocations on disconnected nodes, some reconnecting beside their stand-ins")
	lostCanary = flag.Bool("lost-canary", false, "lose many canaries and allocations of canarying groups, in current and older deployments")
)

// ifAttempts returns d when -attempts limits the reschedules, else 0.
func ifAttempts(d time.Duration) time.Duration {
	if *attempts > 0 {
		return d
	}
	return 0
}

// trackerDelay is the delay of a slot's i-th earlier reschedule (from 0),
// as Nomad's reschedule tracker records it under -delay-function, from
// Nomad's default delay of 30s.
func trackerDelay(i int) time.Duration {
	const d = 30 * time.Second
	switch *delayFn {
	case "constant":
		return d
	case "fibonacci":
		prev, cur := d, d
		for range i - 1 {
			prev, cur = cur, prev+cur
		}
		return min(cur, *maxDelay)
	}
	return min(d<<i, *maxDelay)
}

var (
	t0  = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	now = t0.Add(time.Hour)
)

const jobID = "example"

type grp struct {
	name    string
	counts  []int    // per version
	specs   []string // per version
	present []bool   // per version
	noUp    bool
	mp      int
	canary  int
	disc    *discBlock // with -disconnect
}

// discBlock is a group's disconnect block.
type discBlock struct {
	lostAfter time.Duration
	replace   *bool
	reconcile string
}

type alloc struct {
	id      string
	group   string
	index   int
	version int
	desired string // run, stop
	client  string // pending running complete lost
	canary  bool
	dep     string
	health  string // "", healthy, unhealthy
	migrate bool   // on a draining node, marked to migrate
	// failedAgo is how long ago a failed allocation failed, after
	// attempts earlier reschedules of its slot.
	failedAgo time.Duration
	attempts  int
	// With -disconnect: away is "" (on a node up), "unknown" (on a
	// disconnected node, unknown since awayAgo; 0 is the evaluation that
	// finds the node disconnected, where Nomad still has it running) or
	// "reconnect" (running again on a node up, after an unknown state
	// awayAgo). standInFor is the ID of the allocation a stand-in was
	// placed for, next the ID of its stand-in; createdAgo is when it was
	// placed (0: a minute ago).
	away       string
	awayAgo    time.Duration
	standInFor string
	next       string
	createdAgo time.Duration
}

type dep struct {
	id       string
	version  int
	status   string
	promoted map[string]bool
}

type scenario struct {
	stop   bool // the job is stopped
	V      int
	groups []*grp
	dep    *dep
	allocs []alloc
}

func (s *scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job v%d stop=%v\n", s.V, s.stop)
	for _, g := range s.groups {
		fmt.Fprintf(&b, "  group %s counts=%v specs=%v present=%v", g.name, g.counts, g.specs, g.present)
		if g.noUp {
			b.WriteString(" no update\n")
		} else {
			fmt.Fprintf(&b, " max_parallel=%d canary=%d\n", g.mp, g.canary)
		}
		if d := g.disc; d != nil {
			rep := "nil"
			if d.replace != nil {
				rep = fmt.Sprint(*d.replace)
			}
			fmt.Fprintf(&b, "    disconnect lost_after=%v replace=%s reconcile=%q\n", d.lostAfter, rep, d.reconcile)
		}
	}
	if s.dep != nil {
		fmt.Fprintf(&b, "  deployment %s v%d %s promoted=%v\n", s.dep.id, s.dep.version, s.dep.status, s.dep.promoted)
	}
	for _, a := range s.allocs {
		fmt.Fprintf(&b, "  alloc %s %s[%d] v%d %s/%s canary=%v dep=%q health=%q migrate=%v", a.id, a.group, a.index, a.version, a.desired, a.client, a.canary, a.dep, a.health, a.migrate)
		if a.client == "failed" {
			fmt.Fprintf(&b, " failed %v ago after %d reschedules", a.failedAgo, a.attempts)
		}
		if a.away != "" {
			fmt.Fprintf(&b, " %s since %v ago", a.away, a.awayAgo)
		}
		if a.standInFor != "" {
			fmt.Fprintf(&b, " stands in for %s", a.standInFor)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func gen(r *rand.Rand) *scenario {
	s := &scenario{V: 1 + r.Intn(*maxVersion)}
	s.stop = *stopJob && r.Intn(25) == 0
	ng := 1 + r.Intn(*maxGroups)
	for gi := range ng {
		g := &grp{name: string(rune('a' + gi))}
		spec := "A"
		for v := 0; v <= s.V; v++ {
			g.counts = append(g.counts, r.Intn(*maxCount+1))
			if v > 0 && r.Intn(2) == 0 {
				spec = string(rune(spec[0] + 1))
			}
			g.specs = append(g.specs, spec)
			g.present = append(g.present, true)
		}
		if *remove && gi == 1 && r.Intn(6) == 0 {
			g.present[s.V] = false
			g.counts[s.V] = 0
		}
		if r.Intn(10) == 0 {
			g.noUp = true
		} else {
			g.mp = 1 + r.Intn(max(3, *maxCount/3))
			minCount := slices.Min(g.counts)
			if minCount > 0 && r.Intn(2) == 0 {
				g.canary = 1 + r.Intn(min(minCount, max(3, *maxCount/3)))
			}
		}
		if *disconnect && r.Intn(4) != 0 {
			g.disc = &discBlock{lostAfter: []time.Duration{0, 5 * time.Minute, 30 * time.Minute}[r.Intn(3)],
				reconcile: pick(r, "", "best_score", "keep_original", "keep_replacement", "longest_running")}
			if k := r.Intn(3); k > 0 {
				g.disc.replace = ptr(k == 1)
			}
		}
		s.groups = append(s.groups, g)
	}
	// The deployment.
	switch r.Intn(4) {
	case 0:
	case 1:
		s.dep = &dep{id: "dep-old", version: s.V - 1, status: pick(r, "running", "successful", "failed", "paused")}
	default:
		s.dep = &dep{id: "dep-cur", version: s.V, status: pick(r, "running", "running", "running", "paused", "failed", "successful")}
	}
	if s.dep != nil {
		s.dep.promoted = map[string]bool{}
	}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("a%02d", n) }
	for _, g := range s.groups {
		if s.dep != nil && !g.noUp && g.canary > 0 && (r.Intn(2) == 0 || s.dep.status == "successful") {
			s.dep.promoted[g.name] = true
		}
		count := g.counts[s.V]
		if !g.present[s.V] {
			count = g.counts[s.V-1]
		}
		num := r.Intn(count + 3)
		if r.Intn(3) == 0 {
			num = count
		}
		canaryPhase := s.dep != nil && s.dep.version == s.V && !g.noUp && g.canary > 0 && g.present[s.V]
		var oldVersions []int // versions whose spec differs from the current one
		for v := 0; v < s.V; v++ {
			if g.present[v] && g.specs[v] != g.specs[s.V] {
				oldVersions = append(oldVersions, v)
			}
		}
		if len(oldVersions) == 0 {
			canaryPhase = false
		}
		nCanaries := 0
		if canaryPhase {
			nCanaries = r.Intn(g.canary + 1)
		}
		// With -lost-canary, an older deployment's canaries too: the
		// deployment of the previous version, whose spec differs from an
		// earlier one's.
		oldCanaries := *lostCanary && s.dep != nil && s.dep.version == s.V-1 && !g.noUp && g.canary > 0 &&
			g.present[s.V-1] && slices.ContainsFunc(g.specs[:s.V-1], func(sp string) bool { return sp != g.specs[s.V-1] })
		if oldCanaries {
			nCanaries = 1 + r.Intn(g.canary)
		}
		lostRate := 20
		if *lostCanary && g.canary > 0 && s.dep != nil {
			lostRate = 5
		}
		for i := range num {
			a := alloc{id: newID(), group: g.name, index: i, desired: "run", client: "running"}
			a.version = r.Intn(s.V + 1)
			if canaryPhase && (a.version == s.V && (!s.dep.promoted[g.name] || i < nCanaries) || a.version < s.V && g.specs[a.version] == g.specs[s.V]) {
				a.version = oldVersions[r.Intn(len(oldVersions))]
			}
			if !g.present[a.version] {
				a.version = s.V - 1
			}
			switch k := r.Intn(20); {
			case k == 0 && *lost || *lostCanary && r.Intn(lostRate) == 0:
				a.client = "lost"
			case k == 1 && *term:
				a.client = "complete"
			case k == 2 && *term:
				a.client, a.desired = "complete", "stop"
			case k == 3:
				a.client = "pending"
			case k == 4 && *drain:
				a.migrate = true
			case k == 5 && *failed:
				a.client = "failed"
			}
			if g.noUp {
				if a.version < s.V {
					a.dep, a.health = "dep-older", "healthy"
				}
			} else {
				s.place(r, &a)
			}
			s.fail(r, &a, g)
			s.allocs = append(s.allocs, a)
		}
		if *disconnect {
			s.disconnect(r, g, newID, canaryPhase)
		}
		for i := range nCanaries {
			a := alloc{id: newID(), group: g.name, index: i, version: s.V, desired: "run", client: "running", canary: true}
			if oldCanaries {
				a.version = s.V - 1
			}
			if k := r.Intn(20); k == 0 && *lost || *lostCanary && r.Intn(3) == 0 {
				a.client = "lost"
			} else if k == 1 && *drain {
				a.migrate = true
			}
			s.place(r, &a)
			s.fail(r, &a, g)
			s.allocs = append(s.allocs, a)
		}
	}
	return s
}

// disconnect puts some of the group's running allocations on disconnected
// nodes, unknown for a while, or back from one, and places stand-ins for
// some of them, as Nomad would have when their nodes disconnected.
func (s *scenario) disconnect(r *rand.Rand, g *grp, newID func() string, canaryPhase bool) {
	n := len(s.allocs)
	for i := range n {
		a := &s.allocs[i]
		if a.group != g.name || a.canary || a.desired != "run" || a.client != "running" || a.migrate || r.Intn(4) != 0 {
			continue
		}
		a.createdAgo = time.Hour
		// A stand-in was placed only with replace (Nomad: when the
		// follow-up evaluation the disconnect scheduled ran).
		replace := g.disc == nil || g.disc.replace == nil || *g.disc.replace
		standIn := false
		if r.Intn(4) == 0 {
			a.away, a.awayAgo = "reconnect", []time.Duration{2 * time.Minute, 10 * time.Minute}[r.Intn(2)]
			standIn = replace
		} else {
			a.away, a.awayAgo = "unknown", []time.Duration{0, 2 * time.Minute, 10 * time.Minute, 45 * time.Minute}[r.Intn(4)]
			standIn = replace && a.awayAgo > 0 && r.Intn(4) != 0
		}
		if !standIn {
			continue
		}
		b := alloc{id: newID(), group: g.name, index: a.index, version: s.V, desired: "run", client: pick(r, "running", "running", "pending"),
			standInFor: a.id, createdAgo: a.awayAgo / 2}
		if r.Intn(2) == 0 || canaryPhase && !(s.dep != nil && s.dep.promoted[g.name]) || !g.present[s.V] {
			b.version = a.version
		}
		a.next = b.id
		if g.noUp {
			if b.version < s.V {
				b.dep, b.health = "dep-older", "healthy"
			}
		} else {
			s.place(r, &b)
		}
		s.allocs = append(s.allocs, b)
	}
}

// fail sets when a failed allocation failed, and after how many earlier
// reschedules of its slot; a failed allocation of an active deployment is
// unhealthy in it, as the deployment watcher marks it.
func (s *scenario) fail(r *rand.Rand, a *alloc, g *grp) {
	if a.client != "failed" {
		return
	}
	if a.version == s.V && a.dep == "" && !g.noUp {
		// No history places the job's version outside a deployment.
		a.client = "running"
		return
	}
	a.failedAgo = time.Minute
	if *delays {
		a.failedAgo = []time.Duration{10 * time.Second, 29 * time.Second, 30 * time.Second, 31 * time.Second,
			45 * time.Second, 61 * time.Second, 2 * time.Minute, 5 * time.Minute}[r.Intn(8)]
		a.attempts = r.Intn(3)
	}
	if s.dep != nil && a.dep == s.dep.id && (s.dep.status == "running" || s.dep.status == "paused") {
		a.health = "unhealthy"
	}
}

// over reports whether the group holds more allocations to run (failed
// ones included, canaries only once promoted) than its count in the job's
// version.
func (s *scenario) over(group string) bool {
	count := 0
	for _, g := range s.groups {
		if g.name == group && g.present[s.V] {
			count = g.counts[s.V]
		}
	}
	n := 0
	for _, a := range s.allocs {
		promoted := s.dep != nil && s.dep.promoted[group]
		if a.group == group && a.desired == "run" && (!a.canary || promoted) && a.client != "complete" && a.client != "lost" {
			n++
		}
	}
	return n > count
}

// place sets a's deployment and health.
func (s *scenario) place(r *rand.Rand, a *alloc) {
	if s.dep != nil && a.version == s.dep.version {
		a.dep = s.dep.id
		if a.client == "running" || a.client == "lost" {
			switch k := r.Intn(20); {
			case k < 12:
				a.health = "healthy"
			case k == 12 && *unh && a.client == "running" && a.version == s.V:
				a.health = "unhealthy"
				if *unhFailed {
					a.client = "failed"
				}
			}
		}
		if s.dep.status == "successful" && a.client == "running" {
			a.health = "healthy"
		}
	} else if a.version < s.V {
		a.dep = "dep-older"
		a.health = "healthy"
	}
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.Intn(len(xs))] }

// group returns the scenario's group of that name.
func (s *scenario) group(name string) *grp {
	for _, g := range s.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

// replaces reports whether the group replaces an allocation while its node
// is disconnected.
func (s *scenario) replaces(group string) bool {
	d := s.group(group).disc
	return d == nil || d.replace == nil || *d.replace
}

// within reports whether a is unknown and not yet past its lost_after.
func (s *scenario) within(a alloc) bool {
	d := s.group(a.group).disc
	return a.away == "unknown" && d != nil && d.lostAfter > 0 && a.awayAgo < d.lostAfter
}

// onlyIgnore reports whether the plans differ only in their ignore counts.
func onlyIgnore(n, r result) bool {
	strip := func(m map[string]string) string {
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			if i := strings.Index(v, " ignore="); i >= 0 {
				v = v[:i]
			}
			b.WriteString(k + ":" + v + ";")
		}
		return b.String()
	}
	if strip(n.plan) != strip(r.plan) {
		return false
	}
	n.plan, r.plan = nil, nil
	return signature(n, r) == ""
}

// createdAgo is how long ago a was placed.
func createdAgo(a alloc) time.Duration {
	if a.createdAgo > 0 {
		return a.createdAgo
	}
	return time.Minute
}

// depCounts counts what the scenario's deployment holds of a group: its
// allocations placed, healthy and unhealthy, and its canaries' IDs (the
// same on both sides).
func (s *scenario) depCounts(group string) (placed, healthy, unhealthy int, canaries []string) {
	for _, a := range s.allocs {
		if a.group != group || a.dep != s.dep.id {
			continue
		}
		placed++
		if a.canary {
			canaries = append(canaries, a.id)
		}
		healthy += b2i(a.health == "healthy")
		unhealthy += b2i(a.health == "unhealthy")
	}
	return placed, healthy, unhealthy, canaries
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- Nomad's side ----

func nomadJob(s *scenario, v int) *structs.Job {
	j := &structs.Job{
		Region: "global", Namespace: structs.DefaultNamespace, ID: jobID, Name: jobID,
		Type: structs.JobTypeService, Priority: 50, Datacenters: []string{"dc1"}, NodePool: structs.NodePoolDefault,
		Version: uint64(v), Status: structs.JobStatusRunning,
		CreateIndex: 10, ModifyIndex: 100 * uint64(v+1), JobModifyIndex: 100 * uint64(v+1), SubmitTime: t0.UnixNano(),
	}
	for _, g := range s.groups {
		if !g.present[v] {
			continue
		}
		tg := &structs.TaskGroup{
			Name: g.name, Count: g.counts[v],
			Tasks: []*structs.Task{{
				Name: "app", Driver: "docker",
				Config:    map[string]any{"image": g.specs[v]},
				Resources: &structs.Resources{CPU: 500, MemoryMB: 256},
			}},
		}
		if !g.noUp {
			tg.Update = &structs.UpdateStrategy{
				Stagger: 30 * time.Second, MaxParallel: g.mp, HealthCheck: structs.UpdateStrategyHealthCheck_Checks,
				MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute,
				Canary: g.canary,
			}
		}
		if d := g.disc; d != nil {
			tg.Disconnect = &structs.DisconnectStrategy{LostAfter: d.lostAfter, Replace: d.replace, Reconcile: d.reconcile}
		}
		j.TaskGroups = append(j.TaskGroups, tg)
	}
	j.Canonicalize()
	for _, tg := range j.TaskGroups {
		tg.ReschedulePolicy.DelayFunction, tg.ReschedulePolicy.MaxDelay = *delayFn, *maxDelay
		if *attempts > 0 {
			tg.ReschedulePolicy.Attempts, tg.ReschedulePolicy.Interval, tg.ReschedulePolicy.Unlimited = *attempts, *interval, false
		}
		if *noResched {
			tg.ReschedulePolicy.Attempts, tg.ReschedulePolicy.Unlimited = 0, false
		}
	}
	return j
}

func nomadDeployment(s *scenario, job *structs.Job) *structs.Deployment {
	if s.dep == nil {
		return nil
	}
	d := &structs.Deployment{
		ID: s.dep.id, Namespace: structs.DefaultNamespace, JobID: jobID, JobVersion: uint64(s.dep.version),
		JobModifyIndex: job.JobModifyIndex, JobSpecModifyIndex: job.JobModifyIndex, JobCreateIndex: job.CreateIndex,
		Status: s.dep.status, TaskGroups: map[string]*structs.DeploymentState{},
	}
	for _, g := range s.groups {
		if g.noUp || !g.present[s.dep.version] {
			continue
		}
		ds := &structs.DeploymentState{
			Promoted: s.dep.promoted[g.name], ProgressDeadline: 10 * time.Minute,
			RequireProgressBy: now.Add(9 * time.Minute), DesiredTotal: g.counts[s.dep.version],
		}
		if g.canary > 0 {
			ds.DesiredCanaries = g.canary
		}
		ds.PlacedAllocs, ds.HealthyAllocs, ds.UnhealthyAllocs, ds.PlacedCanaries = s.depCounts(g.name)
		d.TaskGroups[g.name] = ds
	}
	return d
}

func nomadAllocs(s *scenario, jobs []*structs.Job) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range s.allocs {
		na := &structs.Allocation{
			ID: a.id, Namespace: structs.DefaultNamespace, EvalID: "eval0",
			Name: structs.AllocName(jobID, a.group, uint(a.index)), NodeID: "node-up",
			JobID: jobID, Job: jobs[a.version], TaskGroup: a.group,
			DesiredStatus: a.desired, ClientStatus: a.client, DeploymentID: a.dep,
			CreateTime: now.Add(-createdAgo(a)).UnixNano(), ModifyTime: now.Add(-time.Minute).UnixNano(),
			TaskStates:         map[string]*structs.TaskState{"app": {State: structs.TaskStateRunning, StartedAt: now.Add(-createdAgo(a))}},
			PreviousAllocation: a.standInFor, NextAllocation: a.next,
		}
		switch a.away {
		case "unknown":
			na.NodeID = "node-disc"
			if a.awayAgo > 0 {
				na.ClientStatus = structs.AllocClientStatusUnknown
				na.AllocStates = []*structs.AllocState{{Field: structs.AllocStateFieldClientStatus, Value: structs.AllocClientStatusUnknown, Time: now.Add(-a.awayAgo)}}
				if a.next == "" && s.replaces(a.group) {
					// Still without a stand-in: this evaluation is the
					// follow-up the disconnect scheduled, due at the
					// reschedule delay, which places one.
					na.FollowupEvalID = "eval1"
				}
			}
		case "reconnect":
			na.AllocStates = []*structs.AllocState{{Field: structs.AllocStateFieldClientStatus, Value: structs.AllocClientStatusUnknown, Time: now.Add(-a.awayAgo)}}
		}
		if a.client == "failed" {
			// rollout replaces an unhealthy allocation of its deployment; in
			// Nomad the watcher marks it for rescheduling and it fails.
			na.ClientStatus = "failed"
			na.DesiredTransition.Reschedule = pointer(true)
			failedAt := now.Add(-a.failedAgo)
			na.TaskStates["app"] = &structs.TaskState{State: structs.TaskStateDead, Failed: true, StartedAt: failedAt.Add(-time.Minute), FinishedAt: failedAt}
			na.ModifyTime = failedAt.UnixNano()
			if a.attempts > 0 {
				na.RescheduleTracker = &structs.RescheduleTracker{}
				for i := range a.attempts {
					na.RescheduleTracker.Events = append(na.RescheduleTracker.Events, &structs.RescheduleEvent{
						RescheduleTime: failedAt.Add(-time.Duration(a.attempts-i) * 10 * time.Minute).UnixNano(),
						PrevAllocID:    fmt.Sprintf("%s-prev%d", a.id, i), Delay: trackerDelay(i),
					})
				}
			}
		}
		if a.client == "lost" {
			na.NodeID, na.ClientStatus = "node-down", "running"
		}
		if a.migrate && a.client != "lost" {
			na.NodeID = "node-drain"
			na.DesiredTransition.Migrate = pointer(true)
		}
		if a.client == "complete" {
			na.TaskStates["app"] = &structs.TaskState{State: structs.TaskStateDead, StartedAt: now.Add(-time.Minute), FinishedAt: now.Add(-30 * time.Second)}
		}
		if a.dep != "" && (a.health != "" || a.canary) {
			na.DeploymentStatus = &structs.AllocDeploymentStatus{Canary: a.canary, Timestamp: now.Add(-30 * time.Second)}
			if a.health != "" {
				h := a.health == "healthy"
				na.DeploymentStatus.Healthy = &h
			}
		}
		out = append(out, na)
	}
	return out
}

func updateFn(existing *structs.Allocation, newJob *structs.Job, newTG *structs.TaskGroup) (bool, bool, *structs.Allocation) {
	if existing.Job.JobModifyIndex == newJob.JobModifyIndex {
		return true, false, nil
	}
	old := existing.Job.LookupTaskGroup(newTG.Name)
	if old == nil || old.Tasks[0].Config["image"] != newTG.Tasks[0].Config["image"] {
		return false, true, nil
	}
	u := existing.Copy()
	u.Job = newJob
	return false, false, u
}

type result struct {
	plan    map[string]string // group -> counts
	place   []string          // name(+canary)
	stop    []string          // ids
	inplace []string
	created string // desired totals of a created deployment
	updates []string
	later   string // with -delays: when the earliest replacement left for later is due
}

func (r result) String() string {
	var keys []string
	for k := range r.plan {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  plan %s: %s\n", k, r.plan[k])
	}
	fmt.Fprintf(&b, "  place %v\n  stop %v\n  inplace %v\n  created %q\n  updates %v\n", r.place, r.stop, r.inplace, r.created, r.updates)
	if r.later != "" {
		fmt.Fprintf(&b, "  later %s\n", r.later)
	}
	return b.String()
}

func planString(place, stop, migrate, inplace, destructive, canary, ignore int) string {
	return fmt.Sprintf("place=%d stop=%d migrate=%d inplace=%d destructive=%d canary=%d ignore=%d", place, stop, migrate, inplace, destructive, canary, ignore)
}

func runNomad(s *scenario) result {
	var jobs []*structs.Job
	for v := 0; v <= s.V; v++ {
		jobs = append(jobs, nomadJob(s, v))
	}
	job := jobs[s.V]
	if s.stop {
		job = job.Copy()
		job.Stop = true
	}
	var depJob *structs.Job
	if s.dep != nil {
		depJob = jobs[s.dep.version]
	}
	d := nomadDeployment(s, depJob)
	tainted := map[string]*structs.Node{
		"node-down":  {ID: "node-down", Status: structs.NodeStatusDown},
		"node-drain": {ID: "node-drain", Status: structs.NodeStatusReady, DrainStrategy: &structs.DrainStrategy{}},
		"node-disc":  {ID: "node-disc", Status: structs.NodeStatusDisconnected},
	}
	rec := reconciler.NewAllocReconciler(log.NewNullLogger(), updateFn,
		reconciler.ReconcilerState{Job: job, JobID: jobID, DeploymentCurrent: d, ExistingAllocs: nomadAllocs(s, jobs), EvalID: "eval1", EvalPriority: 50},
		reconciler.ClusterState{TaintedNodes: tainted, Now: now})
	res := rec.Compute()
	out := result{plan: map[string]string{}}
	for g, u := range res.DesiredTGUpdates {
		if u.Place+u.Stop+u.Migrate+u.InPlaceUpdate+u.DestructiveUpdate+u.Canary+u.Ignore == 0 {
			continue
		}
		out.plan[g] = planString(int(u.Place), int(u.Stop), int(u.Migrate), int(u.InPlaceUpdate), int(u.DestructiveUpdate), int(u.Canary), int(u.Ignore))
	}
	for _, p := range res.Place {
		out.place = append(out.place, placeName(p.Name(), p.Canary()))
	}
	for _, p := range res.DestructiveUpdate {
		out.place = append(out.place, placeName(p.Name(), false))
		out.stop = append(out.stop, stopName(s, p.PreviousAllocation().ID))
	}
	for _, st := range res.Stop {
		out.stop = append(out.stop, stopName(s, st.Alloc.ID))
	}
	for _, a := range res.InplaceUpdate {
		out.inplace = append(out.inplace, a.ID)
	}
	if res.Deployment != nil && (d == nil || res.Deployment.ID != d.ID) {
		var parts []string
		for g, ds := range res.Deployment.TaskGroups {
			parts = append(parts, fmt.Sprintf("%s:%d/%d", g, ds.DesiredTotal, ds.DesiredCanaries))
		}
		out.created = createdString(res.Deployment.JobVersion, parts)
	}
	for _, u := range res.DeploymentUpdates {
		id := u.DeploymentID
		if d == nil || id != d.ID {
			id = "new"
		} else if !d.Active() {
			continue // Nomad's state store refuses to update a terminal deployment
		}
		out.updates = append(out.updates, id+":"+u.Status)
	}
	if *delays {
		var first time.Time
		for _, evals := range res.DesiredFollowupEvals {
			for _, e := range evals {
				if first.IsZero() || e.WaitUntil.Before(first) {
					first = e.WaitUntil
				}
			}
		}
		out.later = laterString(first)
	}
	out.sort()
	return out
}

// sameLater reports whether Nomad's follow-up evaluation (n) and rollout's
// next step (r) agree: rollout asks to be called up to a second before a
// replacement is due, since it makes one due within a second at once.
func sameLater(n, r string) bool {
	if n == r {
		return true
	}
	dn, errN := time.ParseDuration(strings.TrimPrefix(n, "+"))
	dr, errR := time.ParseDuration(strings.TrimPrefix(r, "+"))
	return errN == nil && errR == nil && dr <= dn && dn-dr <= time.Second
}

// laterString is when a replacement left for later is due, after now: ""
// for none (rollout's other timers, its deadlines, are minutes away).
func laterString(t time.Time) string {
	if t.IsZero() || !t.Before(now.Add(8*time.Minute)) {
		return ""
	}
	return "+" + t.Sub(now).String()
}

func placeName(name string, canary bool) string {
	if canary {
		return name + "*"
	}
	return name
}

func createdString(v uint64, parts []string) string {
	sort.Strings(parts)
	return fmt.Sprintf("v%d %s", v, strings.Join(parts, " "))
}

func (r *result) sort() {
	sort.Strings(r.place)
	sort.Strings(r.stop)
	sort.Strings(r.inplace)
	sort.Strings(r.updates)
}

// ---- rollout's side ----

func ptr[T any](v T) *T { return &v }

func rolloutJob(s *scenario, v int) rollout.JobVersion {
	j := rollout.JobVersion{ID: jobID, Version: uint64(v), SubmitTime: t0, Stable: v < s.V}
	for _, g := range s.groups {
		if !g.present[v] {
			continue
		}
		rg := rollout.Group{Name: g.name, Count: g.counts[v], Spec: g.specs[v], Reschedule: rollout.ReschedulePolicy{
			Attempts: *attempts, DelayFunction: rollout.DelayFunction(*delayFn), Disabled: *noResched, MaxDelay: *maxDelay,
			Interval: ifAttempts(*interval),
		}}
		if !g.noUp {
			rg.Update = &rollout.UpdateBlock{
				MaxParallel: ptr(g.mp), Canary: ptr(g.canary), HealthCheck: ptr(rollout.HealthManual),
				MinHealthyTime: ptr(10 * time.Second), HealthyDeadline: ptr(5 * time.Minute), ProgressDeadline: ptr(10 * time.Minute),
				AutoRevert: ptr(false), AutoPromote: ptr(false),
			}
		}
		if d := g.disc; d != nil {
			rg.Disconnect = &rollout.Disconnect{LostAfter: d.lostAfter, Replace: d.replace, Reconcile: rollout.ReconcileStrategy(d.reconcile)}
		}
		j.Groups = append(j.Groups, rg)
	}
	return j
}

func runRollout(s *scenario) (result, error) {
	in := rolloutInput(s)
	out, err := rollout.Step(in)
	if err != nil {
		return result{}, err
	}
	return resultOf(s, in, out), nil
}

// rolloutInput is the scenario as rollout's input.
func rolloutInput(s *scenario) rollout.Input {
	var hist []rollout.JobVersion
	for v := 0; v < s.V; v++ {
		hist = append(hist, rolloutJob(s, v))
	}
	job := rolloutJob(s, s.V)
	job.Stop = s.stop
	in := rollout.Input{Now: now, Job: job, History: hist}
	if s.dep != nil {
		d := &rollout.Deployment{ID: s.dep.id, JobID: jobID, JobVersion: uint64(s.dep.version),
			Status: rollout.DeploymentStatus(s.dep.status), CreateTime: now.Add(-2 * time.Minute), ModifyTime: now.Add(-time.Minute)}
		d.Description = map[string]string{"running": "Deployment is running", "paused": "Deployment is paused",
			"failed": "Failed due to unhealthy allocations", "successful": "Deployment completed successfully"}[s.dep.status]
		for _, g := range s.groups {
			if g.noUp || !g.present[s.dep.version] {
				continue
			}
			dg := rollout.DeploymentGroup{Name: g.name, Promoted: s.dep.promoted[g.name], ProgressDeadline: 10 * time.Minute,
				RequireProgressBy: now.Add(9 * time.Minute), DesiredTotal: g.counts[s.dep.version], DesiredCanaries: g.canary}
			dg.Placed, dg.Healthy, dg.Unhealthy, dg.PlacedCanaries = s.depCounts(g.name)
			d.Groups = append(d.Groups, dg)
		}
		in.Deployment = d
	}
	for _, a := range s.allocs {
		ra := rollout.Alloc{ID: a.id, JobID: jobID, Group: a.group, Index: a.index, JobVersion: uint64(a.version),
			Spec: specOf(s, a), Desired: rollout.DesiredStatus(a.desired), Client: rollout.ClientStatus(a.client),
			Canary: a.canary, DeploymentID: a.dep, CreateTime: now.Add(-createdAgo(a)), Migrate: a.migrate && a.client != "lost",
			StandsInFor: a.standInFor}
		if a.away == "unknown" {
			ra.Client, ra.StatusTime = rollout.ClientUnknown, now.Add(-a.awayAgo)
		}
		if a.health != "" {
			ra.Health = rollout.AllocHealth{Status: rollout.HealthStatus(a.health), Time: now.Add(-30 * time.Second)}
		}
		if a.client == "complete" {
			ra.StatusTime = now.Add(-30 * time.Second)
		}
		if a.client == "failed" {
			ra.StatusTime = now.Add(-a.failedAgo)
			ra.Attempts = a.attempts
			if a.attempts > 0 {
				// Placed by its slot's last reschedule, 10 minutes before
				// it failed (Nomad: the tracker's last event).
				ra.CreateTime = ra.StatusTime.Add(-10 * time.Minute)
			}
			if a.health != "" {
				ra.Health.Time = now.Add(-a.failedAgo)
			}
		}
		in.Allocs = append(in.Allocs, ra)
	}
	return in
}

// stepRollout builds the scenario's rollout input and steps it.
func stepRollout(s *scenario) (rollout.Output, rollout.Input, error) {
	in := rolloutInput(s)
	out, err := rollout.Step(in)
	return out, in, err
}

// resultOf is what the harness compares of rollout's output.
func resultOf(s *scenario, in rollout.Input, out rollout.Output) result {
	res := result{plan: map[string]string{}}
	for _, p := range out.Plan {
		if p.Create+p.Destroy+p.Migrate+p.InPlace+p.Destructive+p.Canary+p.Ignore == 0 {
			continue
		}
		res.plan[p.Group] = planString(p.Create, p.Destroy, p.Migrate, p.InPlace, p.Destructive, p.Canary, p.Ignore)
	}
	for _, p := range out.Place {
		res.place = append(res.place, placeName(p.Name, p.Canary))
	}
	for _, st := range out.Stop {
		res.stop = append(res.stop, stopName(s, st.ID))
	}
	for _, u := range out.InPlace {
		res.inplace = append(res.inplace, u.ID)
	}
	if out.Deployment != nil && (in.Deployment == nil || out.Deployment.ID != in.Deployment.ID) {
		var parts []string
		for _, g := range out.Deployment.Groups {
			parts = append(parts, fmt.Sprintf("%s:%d/%d", g.Name, g.DesiredTotal, g.DesiredCanaries))
		}
		res.created = createdString(out.Deployment.JobVersion, parts)
	}
	if out.Cancelled != nil {
		res.updates = append(res.updates, out.Cancelled.ID+":"+string(out.Cancelled.Status))
	}
	if out.Deployment != nil {
		id := out.Deployment.ID
		if in.Deployment == nil || id != in.Deployment.ID {
			id = "new"
		}
		if in.Deployment == nil || id == "new" || in.Deployment.Status != out.Deployment.Status {
			if out.Deployment.Status != rollout.StatusRunning || id != "new" {
				res.updates = append(res.updates, id+":"+string(out.Deployment.Status))
			}
		}
	}
	if *delays {
		res.later = laterString(out.NextStep)
	}
	res.sort()
	return res
}

func specOf(s *scenario, a alloc) string {
	for _, g := range s.groups {
		if g.name == a.group {
			return g.specs[a.version]
		}
	}
	return ""
}

// signature classifies a difference coarsely.
func signature(n, r result) string {
	var parts []string
	if fmt.Sprint(n.plan) != fmt.Sprint(r.plan) {
		parts = append(parts, "plan")
	}
	if !slices.Equal(n.place, r.place) {
		parts = append(parts, fmt.Sprintf("place(%d/%d)", len(n.place), len(r.place)))
	}
	if !slices.Equal(n.stop, r.stop) {
		parts = append(parts, fmt.Sprintf("stop(%d/%d)", len(n.stop), len(r.stop)))
	}
	if !slices.Equal(n.inplace, r.inplace) {
		parts = append(parts, "inplace")
	}
	if n.created != r.created {
		parts = append(parts, "created")
	}
	if !slices.Equal(n.updates, r.updates) {
		parts = append(parts, "updates:"+strings.Join(n.updates, ",")+"|"+strings.Join(r.updates, ","))
	}
	if !sameLater(n.later, r.later) { // with -delays
		parts = append(parts, "later:"+n.later+"|"+r.later)
	}
	return strings.Join(parts, " ")
}

func TestDiff(t *testing.T) {
	type bucket struct {
		n     int
		seeds []int64
	}
	buckets := map[string]*bucket{}
	refused := map[string]int{}
	first, last := *seed0, *seed0+int64(*nCases)
	if *only >= 0 {
		first, last = *only, *only+1
	}
	same, random := 0, 0
	for seed := first; seed < last; seed++ {
		s := gen(rand.New(rand.NewSource(seed)))
		rr, err := runRollout(s)
		if err != nil {
			msg := err.Error()
			if i := strings.IndexAny(msg, "0123456789\""); i > 0 {
				msg = msg[:i]
			}
			refused[msg]++
			if *only >= 0 {
				t.Logf("seed %d refused: %v\n%s", seed, err, s)
			}
			continue
		}
		nr := runNomad(s)
		sig := signature(nr, rr)
		for k := 0; k < 16 && sig != ""; k++ {
			// Nomad picks among allocations of one name in map order: any
			// of its answers will do.
			if alt := runNomad(s); signature(alt, rr) == "" {
				sig = ""
				random++
			}
		}
		if sig == "" {
			same++
			if *only >= 0 {
				t.Logf("seed %d same\n%s\nnomad:\n%s", seed, s, nr)
			}
			continue
		}
		if k := known(s, nr, rr); k != "" {
			sig = "(known: " + k + ") " + sig
		}
		b := buckets[sig]
		if b == nil {
			b = &bucket{}
			buckets[sig] = b
		}
		b.n++
		if len(b.seeds) < *show || *only >= 0 {
			b.seeds = append(b.seeds, seed)
			t.Logf("seed %d: %s\n%s\nnomad:\n%srollout:\n%s", seed, sig, s, nr, rr)
		}
	}
	t.Logf("same %d (of which %d matched one of Nomad's random answers), refused %v", same, random, refused)
	var sigs []string
	for k := range buckets {
		sigs = append(sigs, k)
	}
	sort.Slice(sigs, func(i, j int) bool { return buckets[sigs[i]].n > buckets[sigs[j]].n })
	for _, k := range sigs {
		t.Logf("%5d %s %v", buckets[k].n, k, buckets[k].seeds)
	}
}

// stopName names a stopped allocation by its name and version: Nomad picks
// among allocations of one name in map order, canary or not.
func stopName(s *scenario, id string) string {
	for _, a := range s.allocs {
		if a.id == id {
			return fmt.Sprintf("%s[%d]v%d", a.group, a.index, a.version)
		}
	}
	return id
}

func pointer[T any](v T) *T { return &v }

// known names the first deliberate difference (see the package
// documentation of rollout) or Nomad quirk that explains a case, roughly,
// from the situation alone; "" if none does.
func known(s *scenario, nr, rr result) string {
	dup := false
	for i := 1; i < len(nr.place); i++ {
		if strings.TrimSuffix(nr.place[i], "*") == strings.TrimSuffix(nr.place[i-1], "*") {
			dup = true
		}
	}
	current := s.dep != nil && s.dep.version == s.V
	has := func(f func(a alloc) bool) bool { return slices.ContainsFunc(s.allocs, f) }
	disconnecting := has(func(a alloc) bool {
		d := s.group(a.group).disc
		return a.away == "unknown" && a.awayAgo == 0 && d != nil && d.lostAfter > 0 && s.replaces(a.group)
	})
	switch {
	case *disconnect && disconnecting:
		return "Nomad replaces a disconnecting allocation after its reschedule delay, rollout at once"
	case *disconnect && has(func(a alloc) bool { return s.within(a) && a.version != s.V }):
		return "an unknown allocation is neither updated nor replaced by a rolling update while away"
	case *disconnect && has(func(a alloc) bool { return a.away == "reconnect" && a.version < s.V && a.next == "" }):
		return "an allocation back without a stand-in is an ordinary allocation (Nomad stops an outdated one)"
	case *disconnect && onlyIgnore(nr, rr) && has(func(a alloc) bool { return a.away != "" }):
		return "the plan's ignore count of allocations on or back from a disconnected node"
	case dup:
		return "Nomad places two allocations of one name"
	case current && has(func(a alloc) bool {
		return a.canary && a.client == "lost" && a.dep == s.dep.id && s.dep.promoted[a.group]
	}):
		return "a lost canary of a promoted group is replaced as an ordinary allocation, even while paused or failed"
	case false:
		return "Nomad places two allocations of one name"
	case has(func(a alloc) bool { return a.migrate && a.client != "lost" && a.desired == "run" }):
		return "migrations: a new deployment counts them; pacing is the drainer's"
	case *attempts > 0 && has(func(a alloc) bool {
		// Placed 10 minutes before it failed, after reschedules 10
		// minutes apart: Nomad counts those within the interval, rollout
		// all of them unless the interval passed since the last.
		return a.client == "failed" && a.attempts >= *attempts && *interval > 10*time.Minute && *interval <= time.Duration(a.attempts)*10*time.Minute
	}):
		return "rollout counts every earlier replacement of an allocation that failed within the interval"
	case current && (*attempts > 0 || *noResched) && slices.Contains(rr.updates, s.dep.id+":failed") && has(func(a alloc) bool {
		return a.dep == s.dep.id && a.health == "unhealthy" && (*noResched || a.attempts >= *attempts)
	}):
		return "an unhealthy allocation out of reschedule attempts fails the deployment at once"
	case current && has(func(a alloc) bool { return a.dep == s.dep.id && (a.health == "unhealthy" || a.client == "failed") }):
		return "the budget pauses while an allocation of the deployment is replaced"
	case current && has(func(a alloc) bool {
		return a.canary && a.dep == s.dep.id && s.dep.promoted[a.group] && has(func(b alloc) bool {
			return !b.canary && b.group == a.group && b.index == a.index && b.desired == "run"
		})
	}):
		return "a promoted canary's namesake stops whatever the count"
	case current && slices.Contains(nr.updates, s.dep.id+":successful") && has(func(a alloc) bool {
		return a.dep == s.dep.id && a.health == "" && a.desired == "run"
	}):
		return "success waits for every running allocation of the deployment to be healthy"
	case s.dep != nil && s.dep.status == "paused" && slices.Contains(nr.updates, s.dep.id+":successful"):
		return "a paused deployment does not succeed while a group outside it waits to place"
	case has(func(a alloc) bool { return a.client == "lost" }) && slices.ContainsFunc(s.groups, func(g *grp) bool { return g.canary > 0 && !(current && s.dep.promoted[g.name]) }):
		return "a lost allocation is replaced while canarying"
	case has(func(a alloc) bool { return a.client == "failed" && a.desired == "run" && s.over(a.group) }):
		return "a scale-down stops a failed allocation without replacing it"
	case has(func(a alloc) bool { return a.client == "failed" }) && slices.ContainsFunc(s.groups, func(g *grp) bool {
		n := 0
		for _, p := range nr.place {
			n += b2i(strings.HasPrefix(p, jobID+"."+g.name+"["))
		}
		return g.present[s.V] && n == g.counts[s.V] && n > 0
	}):
		return "Nomad truncates placements at the count after a reschedule's stop"
	case s.dep != nil && s.dep.status == "failed" && has(func(a alloc) bool { return a.client == "failed" }):
		return "a failed deployment's quirk"
	case *disconnect && has(func(a alloc) bool { return s.within(a) && a.next != "" }):
		return "an unknown allocation and its stand-in hold one slot (Nomad counts both toward the count while it is away)"
	case *disconnect && current && has(func(a alloc) bool {
		return s.within(a) && a.next == "" && s.replaces(a.group) && a.dep == s.dep.id
	}):
		return "an unknown allocation of the running deployment gets its stand-in at once (Nomad waits for the deployment to mark it)"
	case *disconnect && has(func(a alloc) bool {
		// Away past lost_after (or without a block): lost.
		d := s.group(a.group).disc
		return a.away == "unknown" && a.awayAgo > 0 && !s.within(a) && (d == nil || a.awayAgo >= d.lostAfter)
	}) && slices.ContainsFunc(s.groups, func(g *grp) bool { return g.canary > 0 && !(current && s.dep.promoted[g.name]) }):
		return "a lost allocation is replaced while canarying"
	case *disconnect && has(func(a alloc) bool { return s.within(a) && a.next == "" && s.over(a.group) }):
		return "a scale-down beside an unknown allocation counts it (Nomad stops as if it were gone, and still places its stand-in)"
	case *disconnect && has(func(a alloc) bool { return s.within(a) && a.next == "" && !s.replaces(a.group) }):
		return "an unknown allocation without a stand-in holds its slot in a scale-down (Nomad stops none for it)"
	case *disconnect && has(func(a alloc) bool { return a.client == "lost" && a.desired == "run" && !s.replaces(a.group) }):
		return "a lost allocation of a group with replace = false is replaced (Nomad keeps it, unknown, in its slot)"
	}
	return ""
}
