package nomadbench

// BenchmarkNomad runs HashiCorp Nomad's own service-job reconciler
// (scheduler/reconciler.NewAllocReconciler + Compute) with the production
// update callback (scheduler.genericAllocUpdateFn, exposed by a scratch shim)
// on the inputs of rollout's BenchmarkStep/tenth-start and tenth-mid.

import (
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	log "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/nomad/state"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/scheduler"
	"github.com/hashicorp/nomad/scheduler/feasible"
	"github.com/hashicorp/nomad/scheduler/reconciler"
)

var (
	benchT0  = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	benchNow = benchT0.Add(time.Hour)
)

const (
	jobID    = "bench"
	group    = "web-00"
	imageOld = "registry.example.com/app:1.0"
	imageNew = "registry.example.com/app:1.1"
)

func cpuTime() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}

// benchID is rollout's bench_test.go UUID-shaped ID.
func benchID(n int) string {
	x := uint64(n)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	y := x*0x94d049bb133111eb + uint64(n)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, uint16(y>>48)&0xfff, y&0xffffffffffff)
}

// makeJob is version v of the job: one service group of n, max_parallel
// n/10, min_healthy_time 10s, healthy_deadline 5m, no canaries; one docker
// task whose image changes between versions (a destructive change).
func makeJob(v uint64, image string, n int) *structs.Job {
	up := &structs.UpdateStrategy{
		Stagger: 30 * time.Second, MaxParallel: n / 10, HealthCheck: structs.UpdateStrategyHealthCheck_Checks,
		MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute,
	}
	j := &structs.Job{
		Region: "global", Namespace: structs.DefaultNamespace, ID: jobID, Name: jobID,
		Type: structs.JobTypeService, Priority: 50, Datacenters: []string{"dc1"}, NodePool: structs.NodePoolDefault,
		Update: *up,
		TaskGroups: []*structs.TaskGroup{{
			Name: group, Count: n, Update: up,
			Tasks: []*structs.Task{{
				Name: "app", Driver: "docker",
				Config:    map[string]any{"image": image},
				Resources: &structs.Resources{CPU: 500, MemoryMB: 256},
			}},
		}},
		Version: v, Status: structs.JobStatusRunning, Stable: v == 1,
		CreateIndex: 10, ModifyIndex: 100 * v, JobModifyIndex: 100 * v, SubmitTime: benchT0.UnixNano(),
	}
	j.Canonicalize()
	return j
}

func makeAlloc(k, index int, job *structs.Job, depID string, created time.Time) *structs.Allocation {
	c := strings.Clone
	healthy := true
	return &structs.Allocation{
		ID: benchID(k), Namespace: c(structs.DefaultNamespace), EvalID: benchID(k + 1<<40),
		Name:   c(structs.AllocName(jobID, group, uint(index))),
		NodeID: benchID(k%1000 + 1<<41), NodeName: fmt.Sprintf("node-%d", k%1000),
		JobID: c(jobID), Job: job, TaskGroup: c(group),
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{"app": {
				Cpu: structs.AllocatedCpuResources{CpuShares: 500}, Memory: structs.AllocatedMemoryResources{MemoryMB: 256},
			}},
			Shared: structs.AllocatedSharedResources{DiskMB: 300},
		},
		DesiredStatus: c(structs.AllocDesiredStatusRun), ClientStatus: c(structs.AllocClientStatusRunning),
		TaskStates:   map[string]*structs.TaskState{"app": {State: c(structs.TaskStateRunning), StartedAt: created.Add(10 * time.Second)}},
		DeploymentID: c(depID),
		DeploymentStatus: &structs.AllocDeploymentStatus{
			Healthy: &healthy, Timestamp: created.Add(20 * time.Second), ModifyIndex: job.JobModifyIndex + 5,
		},
		CreateIndex: job.JobModifyIndex + 1, ModifyIndex: job.JobModifyIndex + 5, AllocModifyIndex: job.JobModifyIndex + 1,
		CreateTime: created.UnixNano(), ModifyTime: created.Add(20 * time.Second).UnixNano(),
	}
}

type input struct {
	job    *structs.Job
	dep    *structs.Deployment
	allocs []*structs.Allocation
}

func deployment(id string, job *structs.Job, status string, n, placed, healthy int, created time.Time) *structs.Deployment {
	d := structs.NewDeployment(job, 50, created.UnixNano())
	d.ID, d.Status = id, status
	if status == structs.DeploymentStatusSuccessful {
		d.StatusDescription = structs.DeploymentStatusDescriptionSuccessful
	}
	d.TaskGroups[group] = &structs.DeploymentState{
		ProgressDeadline: 10 * time.Minute, RequireProgressBy: benchNow.Add(5 * time.Minute),
		DesiredTotal: n, PlacedAllocs: placed, HealthyAllocs: healthy,
	}
	return d
}

// tenthStart: all n allocations of version 1, healthy, in the successful
// deployment of version 1 (the latest deployment, which generic_sched passes
// as DeploymentCurrent); the job is now version 2.
func tenthStart(n int) input {
	oldJob, newJob := makeJob(1, imageOld, n), makeJob(2, imageNew, n)
	depV1 := deployment(benchID(1<<42), oldJob, structs.DeploymentStatusSuccessful, n, n, n, benchT0)
	allocs := make([]*structs.Allocation, n)
	for i := range n {
		allocs[i] = makeAlloc(i, i, oldJob, depV1.ID, benchT0)
	}
	return input{job: newJob, dep: depV1, allocs: allocs}
}

// tenthMid: the lower half replaced by version 2, healthy, in the running
// deployment of version 2.
func tenthMid(n int) input {
	in := tenthStart(n)
	created := benchNow.Add(-30 * time.Minute)
	in.dep = deployment(benchID(2<<42), in.job, structs.DeploymentStatusRunning, n, n/2, n/2, created)
	for i := range n / 2 {
		in.allocs[i] = makeAlloc(i, i, in.job, in.dep.ID, created)
	}
	return in
}

// updateFn is the production callback, with real dependencies: an eval
// context over an (empty) state store snapshot, a generic stack and a plan.
// For a task-config change it returns "destructive" before touching them.
func updateFn(b *testing.B, job *structs.Job) reconciler.AllocUpdateType {
	st, err := state.NewStateStore(&state.StateStoreConfig{Logger: log.NewNullLogger(), Region: "global", JobTrackedVersions: 6})
	if err != nil {
		b.Fatal(err)
	}
	snap, err := st.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	eval := &structs.Evaluation{ID: benchID(3 << 42), Namespace: structs.DefaultNamespace, JobID: jobID, Priority: 50, Type: structs.JobTypeService}
	ctx := feasible.NewEvalContext(nil, snap, eval.MakePlan(job), log.NewNullLogger())
	stack := feasible.NewGenericStack(false, ctx)
	return scheduler.GenericAllocUpdateFnForBench(ctx, stack, eval.ID)
}

func compute(logger log.Logger, fn reconciler.AllocUpdateType, in input) *reconciler.ReconcileResults {
	r := reconciler.NewAllocReconciler(logger, fn,
		reconciler.ReconcilerState{
			Job: in.job, JobID: jobID, JobIsBatch: false,
			DeploymentCurrent: in.dep, ExistingAllocs: in.allocs,
			EvalID: benchID(3 << 42), EvalPriority: 50,
		},
		reconciler.ClusterState{TaintedNodes: map[string]*structs.Node{}, Now: benchNow})
	return r.Compute()
}

func check(b *testing.B, name string, n int, res *reconciler.ReconcileResults) {
	u := res.DesiredTGUpdates[group]
	if len(res.DestructiveUpdate) != n/10 || len(res.Place) != 0 || len(res.Stop) != 0 || len(res.InplaceUpdate) != 0 ||
		u == nil || u.DestructiveUpdate != uint64(n/10) {
		b.Fatalf("%s: %d destructive, %d place, %d stop, %d inplace, desired %+v; want %d destructive only",
			name, len(res.DestructiveUpdate), len(res.Place), len(res.Stop), len(res.InplaceUpdate), u, n/10)
	}
	if strings.HasPrefix(name, "tenth-start") && (res.Deployment == nil || res.Deployment.JobVersion != 2 ||
		res.Deployment.TaskGroups[group].DesiredTotal != n) {
		b.Fatalf("%s: deployment %+v, want a new one for version 2 of %d", name, res.Deployment, n)
	}
	if strings.HasPrefix(name, "tenth-mid") && res.Deployment != nil {
		b.Fatalf("%s: created deployment %+v in mid-rollout", name, res.Deployment)
	}
	if len(res.DeploymentUpdates) != 0 {
		b.Fatalf("%s: deployment updates %v", name, res.DeploymentUpdates)
	}
}

func BenchmarkNomad(b *testing.B) {
	states := []struct {
		name  string
		build func(int) input
	}{{"tenth-start", tenthStart}, {"tenth-mid", tenthMid}}
	for _, st := range states {
		for _, n := range []int{1000, 10000, 100000} {
			b.Run(fmt.Sprintf("%s/allocs=%d", st.name, n), func(b *testing.B) {
				in := st.build(n)
				logger := log.NewNullLogger()
				fn := updateFn(b, in.job)
				check(b, st.name, n, compute(logger, fn, in))
				b.ReportAllocs()
				runtime.GC()
				cpu0, cpuOK := cpuTime()
				var res *reconciler.ReconcileResults
				for b.Loop() {
					res = compute(logger, fn, in)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/alloc")
				if cpu1, ok := cpuTime(); ok && cpuOK {
					b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
				}
				check(b, st.name, n, res) // inputs unchanged by the loop
			})
		}
	}
}
