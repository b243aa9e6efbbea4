package rollout_test

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// The benchmarks run Step on jobs of 1k, 10k and 100k allocations, split
// evenly over one group or ten, in the states a scheduler steps most:
//
//	steady     nothing to do: every allocation healthy, deployment successful
//	rolling    the first step of a rolling update: every allocation of the
//	           old version, max_parallel 10 per group
//	midroll    half of each group replaced and healthy, the rest old
//	event      the commonest step: midroll with max_parallel allocations in
//	           flight in each group, and one health event (a task started)
//	canary     10 healthy canaries per group (counted in the allocations)
//	           awaiting manual promotion
//	promote    the same, with a Promote command: the canaries' old
//	           namesakes stop and the rolling update starts
//	plan       Plan of a destructive change (the rolling state, as a plan)
//	tenth-start  one group only, max_parallel a tenth of the count: the
//	           first step of a destructive change (count/10 stops and
//	           placements), the input with which Nomad's reconciler is
//	           compared in BENCHMARKS.md
//	tenth-mid  the same with half the group replaced and healthy
//
// Every state also runs with its allocations shuffled (the state's name
// with "-shuffled"), as a store returns them: in no particular order.
//
// Besides ns/op, each reports ns/alloc (ns/op per allocation) and, on
// unix, cpu-ns/op: the process's CPU time per step, which a busy machine
// disturbs less than the wall-clock ns/op. Run them with
//
//	go test -run '^$' -bench . -benchmem -count 6
//
// and see BENCHMARKS.md for the results and how to compare runs.

var (
	benchT0  = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	benchNow = benchT0.Add(time.Hour)
)

const (
	benchJob         = "bench"
	benchMaxParallel = 10
	benchCanary      = 10
	specOld          = "image=registry.example.com/app:1.0 cpu=500 mem=256"
	specNew          = "image=registry.example.com/app:1.1 cpu=500 mem=256"
)

// benchState is one row of the benchmark table: how to build its input,
// and what one step of it must decide per group (checked once, untimed).
type benchState struct {
	name  string
	build func(groups, allocs int) rollout.Input
	plan  bool // run Plan instead of Step
	// stops and places are the decisions one step makes per group.
	stops, places int
	// tenth: one group only, and stops and places are a tenth of it.
	tenth bool
	// shuffled: the allocations in a random (seeded) order.
	shuffled bool
}

var benchStates = []benchState{
	{name: "steady", build: benchSteady},
	{name: "rolling", build: benchRolling, stops: benchMaxParallel, places: benchMaxParallel},
	{name: "midroll", build: benchMidRoll, stops: benchMaxParallel, places: benchMaxParallel},
	{name: "event", build: benchEvent},
	{name: "canary", build: benchCanaryWait},
	{name: "promote", build: benchPromote, stops: benchCanary + benchMaxParallel, places: benchMaxParallel},
	{name: "plan", build: benchRolling, plan: true},
	{name: "tenth-start", build: benchTenthStart, tenth: true},
	{name: "tenth-mid", build: benchTenthMid, tenth: true},
}

func init() {
	for _, st := range benchStates {
		st.name += "-shuffled"
		st.shuffled = true
		build := st.build
		st.build = func(groups, n int) rollout.Input { return benchShuffle(build(groups, n)) }
		benchStates = append(benchStates, st)
	}
}

// groups returns the group counts the state runs with.
func (st benchState) groupCounts() []int {
	if st.tenth {
		return []int{1}
	}
	return []int{1, 10}
}

// decisions returns the stops and placements one step of the state makes
// per group, at n allocations in all.
func (st benchState) decisions(groups, n int) (stops, places int) {
	if st.tenth {
		return n / 10, n / 10
	}
	return st.stops, st.places
}

// benchShuffle returns in with its allocations in a random (seeded) order,
// as a store may return them, each decoded afresh in that order: their
// strings are copies laid out in the new order, as a decoder allocates
// them.
func benchShuffle(in rollout.Input) rollout.Input {
	allocs := slices.Clone(in.Allocs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(allocs), func(i, j int) { allocs[i], allocs[j] = allocs[j], allocs[i] })
	for i := range allocs {
		benchRedecode(&allocs[i])
	}
	in.Allocs = allocs
	return in
}

// benchRedecode replaces every string of a with a copy, as decoding it
// afresh would.
func benchRedecode(a *rollout.Alloc) {
	c := strings.Clone
	a.ID, a.JobID, a.Group, a.Spec, a.DeploymentID = c(a.ID), c(a.JobID), c(a.Group), c(a.Spec), c(a.DeploymentID)
	a.Desired, a.Client = rollout.DesiredStatus(c(string(a.Desired))), rollout.ClientStatus(c(string(a.Client)))
	a.Health.Status, a.Health.Reason = rollout.HealthStatus(c(string(a.Health.Status))), c(a.Health.Reason)
	a.Health.Tasks = slices.Clone(a.Health.Tasks)
	for k := range a.Health.Tasks {
		t := &a.Health.Tasks[k]
		t.Name, t.State = c(t.Name), rollout.TaskState(c(string(t.State)))
	}
}

var benchSizes = []int{1000, 10000, 100000}

func BenchmarkStep(b *testing.B) {
	for _, st := range benchStates {
		for _, groups := range st.groupCounts() {
			for _, n := range benchSizes {
				b.Run(fmt.Sprintf("%s/groups=%d/allocs=%d", st.name, groups, n), func(b *testing.B) {
					benchSteps(b, st, groups, n, rollout.Step)
				})
			}
		}
	}
}

// BenchmarkStepper is BenchmarkStep's tenth states through a Stepper,
// which builds each Output in the memory of the previous one.
func BenchmarkStepper(b *testing.B) {
	for _, st := range benchStates {
		if !st.tenth {
			continue
		}
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/groups=1/allocs=%d", st.name, n), func(b *testing.B) {
				var stepper rollout.Stepper
				benchSteps(b, st, 1, n, stepper.Step)
			})
		}
	}
}

// benchSteps times step (or Plan, for the plan state) on the state's
// input of n allocations in groups.
func benchSteps(b *testing.B, st benchState, groups, n int, step func(rollout.Input) (rollout.Output, error)) {
	in := st.build(groups, n)
	if len(in.Allocs) != n {
		b.Fatalf("built %d allocations, want %d", len(in.Allocs), n)
	}
	checkBenchStep(b, st, groups, in)
	if _, err := step(in); err != nil { // a Stepper's memory, as a loop leaves it
		b.Fatal(err)
	}
	b.ReportAllocs()
	runtime.GC() // the setup's garbage is not the step's
	cpu0, cpuOK := cpuTime()
	if st.plan {
		for b.Loop() {
			if _, err := rollout.Plan(in); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		for b.Loop() {
			if _, err := step(in); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/alloc")
	// CPU time (of the whole process, so GC included) per step: unlike
	// ns/op, it does not count the time spent waiting for a core on a busy
	// machine.
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkFirstDeploy is the first step of a job of one group of a
// million allocations: a million placements in one step.
func BenchmarkFirstDeploy(b *testing.B) {
	const n = 1000000
	b.Run(fmt.Sprintf("allocs=%d", n), func(b *testing.B) {
		in := rollout.Input{Now: benchNow, Job: benchJobVersionMP(1, specNew, 1, n, false, n/10)}
		b.ReportAllocs()
		runtime.GC()
		cpu0, cpuOK := cpuTime()
		for b.Loop() {
			out, err := rollout.Step(in)
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Place) != n {
				b.Fatalf("%d placements, want %d", len(out.Place), n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/alloc")
		if cpu1, ok := cpuTime(); ok && cpuOK {
			b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
		}
	})
}

// BenchmarkReadFloor is the yardstick for BenchmarkStep: one loop that only
// reads what any Step must read of every allocation (the ID, hashed; the
// job ID, group and deployment ID, compared; the statuses; the spec,
// compared with the new one) on the rolling input, and decides nothing.
// Step cannot be faster than this on the same machine.
func BenchmarkReadFloor(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("allocs=%d", n), func(b *testing.B) {
			in := benchRolling(1, n)
			depID, group := in.Deployment.ID, in.Job.Groups[0].Name
			hashes := make([]uint64, n)
			seed := maphash.MakeSeed()
			var sum int
			cpu0, cpuOK := cpuTime()
			for b.Loop() {
				for i := range in.Allocs {
					a := &in.Allocs[i]
					hashes[i] = maphash.String(seed, a.ID)
					if a.JobID == benchJob && a.Group == group && a.DeploymentID == depID &&
						a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning &&
						a.Health.Status == rollout.Healthy && a.Spec != specNew && a.Index >= 0 {
						sum++
					}
				}
			}
			if sum != b.N*n {
				b.Fatalf("%d of %d allocations matched", sum, b.N*n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/alloc")
			if cpu1, ok := cpuTime(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// TestStepAllocationsFollowDecisions checks the performance target on heap
// allocations: a step's allocations follow its decisions, not the size of
// its input. The same states at 1k and at 20k allocations allocate about
// as often (a sync.Pool miss, as after a GC or under -race, costs a few).
func TestStepAllocationsFollowDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 20k allocations")
	}
	for _, st := range benchStates {
		if st.plan || st.tenth { // a tenth's decisions grow with the input
			continue
		}
		t.Run(st.name, func(t *testing.T) {
			// per returns the heap allocations and bytes of a step at n
			// allocations, averaged over runs.
			per := func(n int) (allocs, bytes float64) {
				in := st.build(1, n)
				step := func() {
					if _, err := rollout.Step(in); err != nil {
						t.Fatal(err)
					}
				}
				allocs = testing.AllocsPerRun(20, step)
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				for range 20 {
					step()
				}
				runtime.ReadMemStats(&m1)
				return allocs, float64(m1.TotalAlloc-m0.TotalAlloc) / 20
			}
			smallN, smallB := per(1000)
			largeN, largeB := per(20000)
			if largeN > smallN+10 {
				t.Errorf("%.1f heap allocations per step at 20k allocations, %.1f at 1k: they grow with the input", largeN, smallN)
			}
			// No state decides more than 20 things per group: a step that
			// allocates for each comparison or copy of a decision (as a
			// sort can) shows here, whatever the input's size.
			if !raceEnabled && largeN > 64 {
				t.Errorf("%.1f heap allocations per step, want at most 64 for %d stops and %d placements", largeN, st.stops, st.places)
			}
			if st.stops+st.places == 0 && largeN > 40 {
				t.Errorf("%.1f heap allocations for a step that decides nothing, want a handful", largeN)
			}
			// 20k allocations' worth of per-allocation memory would be
			// hundreds of kilobytes; a GC that empties the pool costs a
			// share of that, hence the slack.
			if !raceEnabled && largeB > smallB+64<<10 {
				t.Errorf("%.0f bytes allocated per step at 20k allocations, %.0f at 1k: they grow with the input", largeB, smallB)
			}
		})
	}
}

// TestBenchStates checks, at a small size, that each benchmark input is the
// state it claims to be, so that the benchmarks measure what they name.
func TestBenchStates(t *testing.T) {
	for _, st := range benchStates {
		for _, groups := range st.groupCounts() {
			t.Run(fmt.Sprintf("%s/groups=%d", st.name, groups), func(t *testing.T) {
				checkBenchStep(t, st, groups, st.build(groups, 400))
			})
		}
	}
}

func checkBenchStep(tb testing.TB, st benchState, groups int, in rollout.Input) {
	tb.Helper()
	if st.plan {
		plan, err := rollout.Plan(in)
		if err != nil {
			tb.Fatal(err)
		}
		if len(plan) != groups {
			tb.Fatalf("plan has %d groups, want %d", len(plan), groups)
		}
		per := len(in.Allocs) / groups
		for _, p := range plan {
			if p.Destructive != benchMaxParallel || p.Ignore != per-benchMaxParallel {
				tb.Fatalf("plan of %s: %+v, want %d destructive, %d ignore", p.Group, p, benchMaxParallel, per-benchMaxParallel)
			}
		}
		return
	}
	out, err := rollout.Step(in)
	if err != nil {
		tb.Fatal(err)
	}
	stops, places := st.decisions(groups, len(in.Allocs))
	if len(out.Stop) != stops*groups || len(out.Place) != places*groups || len(out.InPlace) != 0 {
		tb.Fatalf("%s: %d stops, %d placements, %d in place; want %d, %d, 0",
			st.name, len(out.Stop), len(out.Place), len(out.InPlace), stops*groups, places*groups)
	}
	if out.Deployment == nil {
		tb.Fatalf("%s: no deployment", st.name)
	}
	want := rollout.StatusRunning
	if strings.HasPrefix(st.name, "steady") {
		want = rollout.StatusSuccessful
	}
	if out.Deployment.Status != want {
		tb.Fatalf("%s: deployment %s (%s), want %s", st.name, out.Deployment.Status, out.Deployment.Description, want)
	}
	if strings.HasPrefix(st.name, "event") && len(out.Health) != 1 {
		tb.Fatalf("event: %d health updates, want 1", len(out.Health))
	}
	if strings.HasPrefix(st.name, "canary") && out.Deployment.Description != rollout.DescRunningNeedsPromotion {
		tb.Fatalf("canary: deployment %q, want %q", out.Deployment.Description, rollout.DescRunningNeedsPromotion)
	}
}

// benchID returns a UUID-shaped allocation ID, as schedulers use, spread
// over the hash space.
func benchID(n int) string {
	x := uint64(n)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	y := x*0x94d049bb133111eb + uint64(n)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, uint16(y>>48)&0xfff, y&0xffffffffffff)
}

func benchGroupName(g int) string { return fmt.Sprintf("web-%02d", g) }

// benchJobVersion is version v of the job: groups of count each, with
// max_parallel 10 and, when canary, 10 canaries.
func benchJobVersion(v uint64, spec string, groups, count int, canary bool) rollout.JobVersion {
	return benchJobVersionMP(v, spec, groups, count, canary, benchMaxParallel)
}

// benchJobVersionMP is benchJobVersion with max_parallel mp.
func benchJobVersionMP(v uint64, spec string, groups, count int, canary bool, mp int) rollout.JobVersion {
	mht, hd := 10*time.Second, 5*time.Minute
	up := &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthyDeadline: &hd}
	if canary {
		c := benchCanary
		up.Canary = &c
	}
	j := rollout.JobVersion{ID: benchJob, Version: v, SubmitTime: benchT0, Update: up}
	for g := range groups {
		j.Groups = append(j.Groups, rollout.Group{Name: benchGroupName(g), Count: count, Spec: spec})
	}
	return j
}

// benchAlloc is a running, healthy allocation. Its strings are copies, as
// they are when a caller decodes allocations from its store: Step cannot
// compare them by pointer.
func benchAlloc(id int, group string, index int, v uint64, spec, dep string, created time.Time) rollout.Alloc {
	c := strings.Clone
	return rollout.Alloc{
		ID: benchID(id), JobID: c(benchJob), Group: c(group), Index: index, JobVersion: v, Spec: c(spec),
		Desired: rollout.DesiredStatus(c(string(rollout.DesiredRun))), Client: rollout.ClientStatus(c(string(rollout.ClientRunning))),
		DeploymentID: c(dep), CreateTime: created,
		Health: rollout.AllocHealth{
			Status: rollout.HealthStatus(c(string(rollout.Healthy))), Time: created.Add(20 * time.Second), LastEvent: created.Add(10 * time.Second),
			Tasks: []rollout.TaskHealth{{Name: "", State: rollout.TaskState(c(string(rollout.TaskStateRunning))), Since: created.Add(10 * time.Second)}},
		},
	}
}

// benchDeployment is a deployment of version v, with one group state per
// group as Step would have derived it.
func benchDeployment(id string, v uint64, status rollout.DeploymentStatus, groups int, total, placed, healthy, canaries int, created time.Time) *rollout.Deployment {
	d := &rollout.Deployment{
		ID: id, JobID: benchJob, JobVersion: v, Status: status, Description: rollout.DescRunning,
		CreateTime: created, ModifyTime: created.Add(time.Minute),
	}
	if status == rollout.StatusSuccessful {
		d.Description = rollout.DescSuccessful
	}
	for g := range groups {
		d.Groups = append(d.Groups, rollout.DeploymentGroup{
			Name: benchGroupName(g), ProgressDeadline: 10 * time.Minute, DesiredTotal: total,
			DesiredCanaries: canaries, Placed: placed, Healthy: healthy,
			RequireProgressBy: benchNow.Add(5 * time.Minute),
		})
	}
	return d
}

// oldAllocs are count allocations per group of version 1, in a
// successful deployment.
func oldAllocs(groups, count int) []rollout.Alloc {
	allocs := make([]rollout.Alloc, 0, groups*count)
	for g := range groups {
		for i := range count {
			allocs = append(allocs, benchAlloc(len(allocs), benchGroupName(g), i, 1, specOld, "dep-v1", benchT0))
		}
	}
	return allocs
}

func benchSteady(groups, n int) rollout.Input {
	count := n / groups
	j := benchJobVersion(1, specOld, groups, count, false)
	j.Stable = true
	return rollout.Input{
		Now: benchNow, Job: j, Allocs: oldAllocs(groups, count),
		Deployment: benchDeployment("dep-v1", 1, rollout.StatusSuccessful, groups, count, count, count, 0, benchT0),
	}
}

func benchRolling(groups, n int) rollout.Input {
	in := benchSteady(groups, n)
	in.History = []rollout.JobVersion{in.Job}
	in.Job = benchJobVersion(2, specNew, groups, n/groups, false)
	return in
}

func benchMidRoll(groups, n int) rollout.Input {
	return benchMidRollFrom(benchRolling(groups, n), groups, n)
}

// benchTenthStart is the first step of a destructive change of one group
// of n with max_parallel n/10.
func benchTenthStart(_, n int) rollout.Input {
	in := benchRolling(1, n)
	in.Job = benchJobVersionMP(2, specNew, 1, n, false, n/10)
	return in
}

// benchTenthMid is benchTenthStart with half the group replaced and healthy.
func benchTenthMid(_, n int) rollout.Input {
	return benchMidRollFrom(benchTenthStart(1, n), 1, n)
}

// benchMidRollFrom replaces and makes healthy the lower half of each group
// of in, the rolling state, in a deployment of version 2.
func benchMidRollFrom(in rollout.Input, groups, n int) rollout.Input {
	count := n / groups
	created := benchNow.Add(-30 * time.Minute)
	in.Deployment = benchDeployment("dep-v2", 2, rollout.StatusRunning, groups, count, count/2, count/2, 0, created)
	for k := range in.Allocs {
		if a := &in.Allocs[k]; a.Index < count/2 {
			*a = benchAlloc(k, a.Group, a.Index, 2, specNew, "dep-v2", created)
		}
	}
	return in
}

func benchEvent(groups, n int) rollout.Input {
	count := n / groups
	in := benchMidRoll(groups, n)
	created := benchNow.Add(-5 * time.Second)
	for k := range in.Allocs {
		if a := &in.Allocs[k]; a.Index >= count/2 && a.Index < count/2+benchMaxParallel {
			*a = benchAlloc(k, a.Group, a.Index, 2, specNew, "dep-v2", created)
			a.Client, a.Health = rollout.ClientPending, rollout.AllocHealth{}
			if len(in.Events) == 0 {
				in.Events = []rollout.Event{{Time: benchNow.Add(-time.Second), Alloc: a.ID, Kind: rollout.TaskStarted}}
			}
		}
	}
	for g := range in.Deployment.Groups {
		in.Deployment.Groups[g].Placed += benchMaxParallel
	}
	return in
}

func benchCanaryWait(groups, n int) rollout.Input {
	count := n/groups - benchCanary
	in := rollout.Input{
		Now: benchNow, Job: benchJobVersion(2, specNew, groups, count, true), Allocs: oldAllocs(groups, count),
	}
	old := benchJobVersion(1, specOld, groups, count, true)
	old.Stable = true
	in.History = []rollout.JobVersion{old}
	created := benchNow.Add(-5 * time.Minute)
	in.Deployment = benchDeployment("dep-v2", 2, rollout.StatusRunning, groups, count, benchCanary, benchCanary, benchCanary, created)
	in.Deployment.Description = rollout.DescRunningNeedsPromotion
	for g := range groups {
		ds := &in.Deployment.Groups[g]
		for i := range benchCanary {
			a := benchAlloc(len(in.Allocs), ds.Name, i, 2, specNew, "dep-v2", created)
			a.Canary = true
			in.Allocs = append(in.Allocs, a)
			ds.PlacedCanaries = append(ds.PlacedCanaries, a.ID)
		}
	}
	return in
}

func benchPromote(groups, n int) rollout.Input {
	in := benchCanaryWait(groups, n)
	in.Commands = []rollout.Command{rollout.Promote()}
	return in
}
