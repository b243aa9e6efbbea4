package nomaddiff

// TestSysDiff runs Nomad's system scheduler (end to end, on its test
// harness) and rollout.Step on the same random system-job situations and
// reports where their decisions differ: per node, the allocations placed,
// stopped and updated in place.

import (
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/mock"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/scheduler"
	"github.com/hashicorp/nomad/scheduler/tests"
	"github.com/rollout-go/rollout"
)

// sysHeld: generate paused and failed deployments too. Nomad's system
// scheduler goes on placing and updating in them; rollout holds them.
var sysHeld = flag.Bool("sys-held", true, "system: paused and failed deployments too")

var sysCanary = flag.Bool("sys-canary", false, "system: canaries")

type sysNode struct {
	state string // ready, ineligible, draining, down
}

type sysAlloc struct {
	id      string
	node    int
	version int
	client  string // running, pending, failed, complete
	desired string
	dep     bool   // in the current deployment
	health  string // "", healthy, unhealthy
	canary  bool
}

type sysScenario struct {
	nodes    []sysNode
	V        int
	specs    []string // per version
	mp       int      // 0: no update block
	canary   int      // percent
	promoted bool
	depState string // "", running, paused, failed
	allocs   []sysAlloc
}

func (s *sysScenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job v%d specs=%v max_parallel=%d canary=%d promoted=%v deployment=%q\n", s.V, s.specs, s.mp, s.canary, s.promoted, s.depState)
	for i, n := range s.nodes {
		fmt.Fprintf(&b, "  node %d %s\n", i, n.state)
	}
	for _, a := range s.allocs {
		fmt.Fprintf(&b, "  alloc %s node %d v%d %s/%s dep=%v health=%q canary=%v\n", a.id, a.node, a.version, a.desired, a.client, a.dep, a.health, a.canary)
	}
	return b.String()
}

func genSys(r *rand.Rand) *sysScenario {
	s := &sysScenario{V: 1}
	n := 1 + r.Intn(6)
	for range n {
		st := "ready"
		switch r.Intn(12) {
		case 0:
			st = "ineligible"
		case 1:
			st = "draining"
		case 2:
			st = "down"
		}
		s.nodes = append(s.nodes, sysNode{st})
	}
	s.specs = []string{"A", "A"}
	if r.Intn(3) > 0 {
		s.specs[1] = "B"
	}
	if r.Intn(8) > 0 {
		s.mp = 1 + r.Intn(3)
		if *sysCanary && s.specs[1] != s.specs[0] {
			s.canary = []int{0, 0, 30, 50, 100}[r.Intn(5)]
			s.promoted = r.Intn(2) == 0
		}
		s.depState = pick(r, "", "", "running", "running", "paused", "failed")
		if !*sysHeld && (s.depState == "paused" || s.depState == "failed") {
			s.depState = "running"
		}
	}
	k := 0
	for i := range s.nodes {
		if r.Intn(5) == 0 {
			continue // no allocation
		}
		k++
		a := sysAlloc{id: fmt.Sprintf("a%02d", k), node: i, version: r.Intn(2), client: "running", desired: "run"}
		if s.mp > 0 && s.depState == "" {
			a.version = 0 // the new version runs only in its deployment
		}
		switch r.Intn(14) {
		case 0:
			a.client = "failed"
		case 1:
			a.client = "pending"
		case 2:
			a.client, a.desired = "complete", "stop"
		}
		if a.version == 1 && s.depState != "" {
			a.dep = true
			a.canary = s.canary > 0 && (!s.promoted || r.Intn(2) == 0)
			switch {
			case a.client == "failed":
				a.health = "unhealthy"
			case r.Intn(3) > 0:
				a.health = "healthy"
			}
		}
		s.allocs = append(s.allocs, a)
	}
	return s
}

// depCounts counts what the scenario's deployment holds: its allocations
// placed, healthy and unhealthy, and its canaries (positions in s.allocs).
func (s *sysScenario) depCounts() (placed, healthy, unhealthy int, canaries []int) {
	for i, a := range s.allocs {
		if !a.dep {
			continue
		}
		placed++
		healthy += b2i(a.health == "healthy")
		unhealthy += b2i(a.health == "unhealthy")
		if a.canary {
			canaries = append(canaries, i)
		}
	}
	return placed, healthy, unhealthy, canaries
}

func nodeID(i int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", i) }

func runNomadSys(t *testing.T, s *sysScenario) (result, error) {
	h := tests.NewHarness(t)
	var nodes []*structs.Node
	for i, n := range s.nodes {
		node := mock.Node()
		node.ID = nodeID(i)
		node.Attributes["nomad.version"] = "1.11.0" // old nodes get no system deployments
		switch n.state {
		case "ineligible":
			node.SchedulingEligibility = structs.NodeSchedulingIneligible
		case "draining":
			node.SchedulingEligibility = structs.NodeSchedulingIneligible
			node.DrainStrategy = &structs.DrainStrategy{DrainSpec: structs.DrainSpec{Deadline: time.Hour}}
		case "down":
			node.Status = structs.NodeStatusDown
		}
		node.ComputeClass()
		if err := h.State.UpsertNode(structs.MsgTypeTestSetup, h.NextIndex(), node); err != nil {
			return result{}, err
		}
		nodes = append(nodes, node)
	}
	mkJob := func(spec string) *structs.Job {
		j := mock.SystemJob()
		j.ID, j.Name = "sys", "sys"
		j.Constraints = nil
		tg := j.TaskGroups[0]
		tg.Tasks[0].Config["command"] = "/bin/" + spec
		tg.Tasks[0].Resources.Networks = nil
		if s.mp > 0 {
			tg.Update = &structs.UpdateStrategy{MaxParallel: s.mp, Canary: s.canary, HealthCheck: structs.UpdateStrategyHealthCheck_Checks,
				MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, Stagger: 30 * time.Second}
			j.Update = *tg.Update
		} else {
			tg.Update = nil
			j.Update = structs.UpdateStrategy{}
		}
		return j
	}
	j0 := mkJob(s.specs[0])
	if err := h.State.UpsertJob(structs.MsgTypeTestSetup, h.NextIndex(), nil, j0); err != nil {
		return result{}, err
	}
	j1 := j0.Copy()
	j1.TaskGroups[0].Tasks[0].Config["command"] = "/bin/" + s.specs[1]
	j1.Priority++ // a change even when the spec is the same (in place)
	idx := h.NextIndex()
	j1.JobModifyIndex = idx
	if err := h.State.UpsertJob(structs.MsgTypeTestSetup, idx, nil, j1); err != nil {
		return result{}, err
	}
	// The versions as the state store holds them (it numbers them).
	j0, err0 := h.State.JobByIDAndVersion(nil, structs.DefaultNamespace, "sys", 0)
	j1, err1 := h.State.JobByIDAndVersion(nil, structs.DefaultNamespace, "sys", 1)
	if err0 != nil || err1 != nil || j0 == nil || j1 == nil {
		return result{}, fmt.Errorf("versions: %v %v %v %v", j0, j1, err0, err1)
	}
	jobs := []*structs.Job{j0, j1}
	depID := "11111111-1111-1111-1111-111111111111"
	var allocs []*structs.Allocation
	existing := map[string]bool{}
	for _, a := range s.allocs {
		na := mock.AllocForNodeWithoutReservedPort(nodes[a.node])
		na.ID = fmt.Sprintf("00000000-0000-0000-0000-0000000000%s", a.id[1:])
		existing[na.ID] = true
		na.Job, na.JobID, na.TaskGroup, na.Name = jobs[a.version], "sys", "web", "sys.web[0]"
		na.ClientStatus, na.DesiredStatus = a.client, a.desired
		na.TaskResources["web"].Networks = nil
		na.AllocatedResources.Tasks["web"].Networks = nil
		na.Resources.Networks = nil
		if s.nodes[a.node].state == "draining" {
			// Nomad's drainer marks a system job's allocations to migrate.
			na.DesiredTransition.Migrate = pointer(true)
		}
		if a.client == "failed" || a.client == "complete" {
			na.TaskStates = map[string]*structs.TaskState{"web": {State: structs.TaskStateDead, Failed: a.client == "failed",
				StartedAt: time.Now().Add(-2 * time.Hour), FinishedAt: time.Now().Add(-time.Hour)}}
		}
		if a.dep {
			na.DeploymentID = depID
			na.DeploymentStatus = &structs.AllocDeploymentStatus{Timestamp: time.Now().Add(-time.Hour), Canary: a.canary}
			if a.health != "" {
				healthy := a.health == "healthy"
				na.DeploymentStatus.Healthy = &healthy
			}
		}
		allocs = append(allocs, na)
	}
	if len(allocs) > 0 {
		if err := h.State.UpsertAllocs(structs.MsgTypeTestSetup, h.NextIndex(), allocs); err != nil {
			return result{}, err
		}
	}
	if s.depState != "" {
		d := mock.Deployment()
		d.ID, d.JobID, d.JobVersion = depID, "sys", j1.Version
		d.JobCreateIndex, d.JobModifyIndex = j1.CreateIndex, j1.JobModifyIndex
		d.Status = s.depState
		ds := &structs.DeploymentState{ProgressDeadline: 10 * time.Minute, RequireProgressBy: time.Now().Add(9 * time.Minute),
			DesiredTotal: len(s.nodes), Promoted: s.promoted}
		var canaries []int
		ds.PlacedAllocs, ds.HealthyAllocs, ds.UnhealthyAllocs, canaries = s.depCounts()
		for _, i := range canaries {
			ds.PlacedCanaries = append(ds.PlacedCanaries, allocs[i].ID)
		}
		if s.canary > 0 {
			ds.DesiredCanaries = max(len(ds.PlacedCanaries), 1)
		}
		d.TaskGroups = map[string]*structs.DeploymentState{"web": ds}
		if err := h.State.UpsertDeployment(h.NextIndex(), d); err != nil {
			return result{}, err
		}
	}
	eval := &structs.Evaluation{Namespace: structs.DefaultNamespace, ID: "22222222-2222-2222-2222-222222222222", Priority: 50,
		TriggeredBy: structs.EvalTriggerJobRegister, JobID: "sys", Status: structs.EvalStatusPending, Type: structs.JobTypeSystem}
	if err := h.State.UpsertEvals(structs.MsgTypeTestSetup, h.NextIndex(), []*structs.Evaluation{eval}); err != nil {
		return result{}, err
	}
	if err := h.Process(scheduler.NewSystemScheduler, eval); err != nil {
		return result{}, err
	}
	var res result
	if len(h.Plans) == 0 {
		return res, nil
	}
	plan := h.Plans[0]
	if *only >= 0 {
		if d := plan.Deployment; d != nil {
			for g, ds := range d.TaskGroups {
				t.Logf("nomad deployment %s v%d %s group %s: %+v", d.ID, d.JobVersion, d.Status, g, ds)
			}
		}
		for _, u := range plan.DeploymentUpdates {
			t.Logf("nomad deployment update %+v", u)
		}
	}
	nodeIdx := map[string]int{}
	for i, n := range nodes {
		nodeIdx[n.ID] = i
	}
	for nid, list := range plan.NodeAllocation {
		for _, a := range list {
			if existing[a.ID] {
				res.inplace = append(res.inplace, "a"+a.ID[len(a.ID)-2:])
				continue
			}
			mark := ""
			if a.DeploymentStatus != nil && a.DeploymentStatus.Canary {
				mark = "*"
			}
			if d := plan.Deployment; d != nil && d.TaskGroups["web"] != nil && slices.Contains(d.TaskGroups["web"].PlacedCanaries, a.ID) {
				mark = "*"
			}
			res.place = append(res.place, fmt.Sprintf("n%d%s", nodeIdx[nid], mark))
		}
	}
	for _, list := range plan.NodeUpdate {
		for _, a := range list {
			res.stop = append(res.stop, "a"+a.ID[len(a.ID)-2:])
		}
	}
	sort.Strings(res.place)
	sort.Strings(res.stop)
	sort.Strings(res.inplace)
	return res, nil
}

func runRolloutSys(s *sysScenario) (result, error) {
	now := time.Now()
	version := func(v int) rollout.JobVersion {
		g := rollout.Group{Name: "web", Count: 1, Spec: s.specs[v]}
		if s.mp > 0 {
			g.Update = &rollout.UpdateBlock{MaxParallel: ptr(s.mp), Canary: ptr(s.canary), HealthCheck: ptr(rollout.HealthManual),
				MinHealthyTime: ptr(10 * time.Second), HealthyDeadline: ptr(5 * time.Minute), ProgressDeadline: ptr(10 * time.Minute)}
		}
		return rollout.JobVersion{ID: "sys", Type: rollout.JobSystem, Version: uint64(v), SubmitTime: now.Add(-2 * time.Hour), Groups: []rollout.Group{g}}
	}
	in := rollout.Input{Now: now, Job: version(1), History: []rollout.JobVersion{version(0)}}
	for i, n := range s.nodes {
		switch n.state {
		case "ready":
			in.Nodes = append(in.Nodes, rollout.Node{ID: nodeID(i), Eligible: true})
		case "ineligible":
			in.Nodes = append(in.Nodes, rollout.Node{ID: nodeID(i)})
		case "draining":
			in.Nodes = append(in.Nodes, rollout.Node{ID: nodeID(i), Draining: true})
		}
	}
	if s.depState != "" {
		d := &rollout.Deployment{ID: "d1", JobID: "sys", JobVersion: 1, Status: rollout.DeploymentStatus(s.depState),
			CreateTime: now.Add(-time.Hour), ModifyTime: now.Add(-time.Hour)}
		d.Description = map[string]string{"running": "Deployment is running", "paused": "Deployment is paused", "failed": "Deployment marked as failed"}[s.depState]
		dg := rollout.DeploymentGroup{Name: "web", ProgressDeadline: 10 * time.Minute, RequireProgressBy: now.Add(9 * time.Minute),
			DesiredTotal: len(s.nodes), Promoted: s.promoted}
		var canaries []int
		dg.Placed, dg.Healthy, dg.Unhealthy, canaries = s.depCounts()
		for _, i := range canaries {
			dg.PlacedCanaries = append(dg.PlacedCanaries, s.allocs[i].id)
		}
		if s.canary > 0 {
			dg.DesiredCanaries = max(len(dg.PlacedCanaries), 1)
		}
		d.Groups = []rollout.DeploymentGroup{dg}
		in.Deployment = d
	}
	for k, a := range s.allocs {
		ra := rollout.Alloc{ID: a.id, JobID: "sys", Group: "web", Index: k, NodeID: nodeID(a.node), JobVersion: uint64(a.version),
			Spec: s.specs[a.version], Desired: rollout.DesiredStatus(a.desired), Client: rollout.ClientStatus(a.client),
			CreateTime: now.Add(-2 * time.Hour), StatusTime: now.Add(-time.Hour)}
		if a.dep {
			ra.DeploymentID, ra.Canary = "d1", a.canary
			if a.health != "" {
				ra.Health = rollout.AllocHealth{Status: rollout.HealthStatus(a.health), Time: now.Add(-time.Hour)}
			}
		}
		in.Allocs = append(in.Allocs, ra)
	}
	out, err := rollout.Step(in)
	if err != nil {
		return result{}, err
	}
	var res result
	for _, p := range out.Place {
		mark := ""
		if p.Canary {
			mark = "*"
		}
		i := slices.IndexFunc(s.nodes, func(sysNode) bool { return false })
		for k := range s.nodes {
			if nodeID(k) == p.NodeID {
				i = k
			}
		}
		res.place = append(res.place, fmt.Sprintf("n%d%s", i, mark))
	}
	for _, st := range out.Stop {
		if k := slices.IndexFunc(s.allocs, func(a sysAlloc) bool { return a.id == st.ID }); k >= 0 && s.allocs[k].client == "failed" {
			continue // (Nomad's system scheduler records no stop for a failed allocation it replaces)
		}
		res.stop = append(res.stop, st.ID)
	}
	for _, u := range out.InPlace {
		res.inplace = append(res.inplace, u.ID)
	}
	sort.Strings(res.place)
	sort.Strings(res.stop)
	sort.Strings(res.inplace)
	return res, nil
}

func TestSysDiff(t *testing.T) {
	first, last := *seed0, *seed0+int64(*nCases)
	if *only >= 0 {
		first, last = *only, *only+1
	}
	buckets := map[string][]int64{}
	same := 0
	for seed := first; seed < last; seed++ {
		s := genSys(rand.New(rand.NewSource(seed)))
		rr, err := runRolloutSys(s)
		if err != nil {
			buckets["rollout refused: "+err.Error()] = append(buckets["rollout refused: "+err.Error()], seed)
			continue
		}
		nr, err := runNomadSys(t, s)
		if err != nil {
			buckets["nomad error"] = append(buckets["nomad error"], seed)
			continue
		}
		for k := 0; k < 16 && signature(nr, rr) != ""; k++ {
			// Nomad picks which nodes to update in map order: any of its
			// answers will do.
			if alt, err := runNomadSys(t, s); err == nil && signature(alt, rr) == "" {
				nr = alt
			}
		}
		diff := signature(nr, rr)
		if diff == "" {
			same++
			continue
		}
		k := strings.Join(append(knownSys(s, nr), diff), " ")
		buckets[k] = append(buckets[k], seed)
		if len(buckets[k]) <= *show || *only >= 0 {
			t.Logf("seed %d: %s\n%s\nnomad:\n%srollout:\n%s", seed, k, s, nr, rr)
		}
	}
	t.Logf("same %d of %d", same, last-first)
	var keys []string
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(buckets[keys[i]]) > len(buckets[keys[j]]) })
	for _, k := range keys {
		t.Logf("%5d %s %v", len(buckets[k]), k, buckets[k][:min(3, len(buckets[k]))])
	}
}

// knownSys names the deliberate differences (see the package documentation
// of rollout) that a differing case's situation shows, roughly.
func knownSys(s *sysScenario, nr result) []string {
	var known []string
	if slices.ContainsFunc(s.allocs, func(a sysAlloc) bool { return a.dep && a.health == "unhealthy" }) {
		known = append(known, "(known: the budget pauses while an allocation of the deployment is replaced)")
	}
	if slices.ContainsFunc(s.allocs, func(a sysAlloc) bool {
		return a.dep && a.health == "" && a.desired == "run" && s.nodes[a.node].state == "ineligible"
	}) {
		known = append(known, "(known: an allocation on an ineligible node takes no place of max_parallel)")
	}
	if (s.depState == "" || s.depState == "running" && !s.promoted) && s.canary > 0 && slices.ContainsFunc(nr.place, func(p string) bool { return !strings.HasSuffix(p, "*") }) {
		known = append(known, "(known: no placement on an empty node while canaries await promotion)")
	}
	if s.depState != "" && s.canary > 0 && !s.promoted {
		known = append(known, "(known: the deployment fixes its number of canaries; Nomad works it out again each time)")
	}
	if s.depState == "paused" || s.depState == "failed" {
		known = append(known, "(known: a paused or failed deployment holds placements and updates)")
	}
	return known
}
