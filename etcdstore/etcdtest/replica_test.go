package etcdtest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/etcdstore"
	"github.com/rollout-go/rollout/etcdstore/etcdtest"
	"github.com/rollout-go/rollout/rollouttest"

	"github.com/rollout-go/rollout/controller"
)

// fleetNodes is the machines every replica drives: allocations start
// running when placed, and a task-started event is reported for each
// running allocation at its creation time. After every Apply it checks
// that no allocation name of a job has two live allocations.
type fleetNodes struct {
	*rollouttest.RecordingDriver
	doubled atomic.Int32
	t       *testing.T
}

func (n *fleetNodes) Apply(ctx context.Context, d rollout.Decisions) error {
	if err := n.RecordingDriver.Apply(ctx, d); err != nil {
		return err
	}
	live := map[string]int{}
	for _, a := range n.Allocations(d.JobID) {
		if a.Desired == rollout.DesiredRun && a.Client == rollout.ClientPending {
			n.SetClient(a.ID, rollout.ClientRunning)
		}
		if a.Desired == rollout.DesiredRun && (a.Client == rollout.ClientPending || a.Client == rollout.ClientRunning) {
			live[a.Name()]++
			if live[a.Name()] == 2 {
				n.doubled.Add(1)
				n.t.Errorf("slot %s has two live allocations", a.Name())
			}
		}
	}
	return nil
}

func (n *fleetNodes) Events(ctx context.Context, jobID string) (<-chan []rollout.Event, error) {
	ch := make(chan []rollout.Event)
	go func() {
		defer close(ch)
		for {
			var batch []rollout.Event
			for _, a := range n.Allocations(jobID) {
				if a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning {
					batch = append(batch, rollout.Event{Time: a.CreateTime, Alloc: a.ID, Kind: rollout.TaskStarted, Task: "app"})
				}
			}
			select {
			case ch <- batch:
			case <-ctx.Done():
				return
			}
			select {
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// replica is one controller process: its own etcd client, store, leaser
// and Manager.
type replica struct {
	name   string
	cli    *clientv3.Client
	m      *controller.Manager
	cancel context.CancelFunc
	done   chan struct{}
}

func startReplica(t *testing.T, name, endpoint string, nodes *fleetNodes) *replica {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m, err := controller.NewManager(controller.ManagerConfig{
		Store: etcdstore.New(cli, "/fleet"), Leases: etcdstore.NewLeaser(cli, "/fleet", time.Second),
		Driver: nodes, Health: nodes, CallTimeout: 2 * time.Second, MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{name: name, cli: cli, m: m, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); m.Run(ctx) }()
	t.Cleanup(r.kill)
	return r
}

// kill cuts the replica off as a crash would: its etcd client goes first,
// so its leases are not released but expire.
func (r *replica) kill() {
	r.cli.Close()
	r.cancel()
	<-r.done
}

func (r *replica) running() int {
	n := 0
	for _, js := range r.m.Jobs() {
		if js.Running {
			n++
		}
	}
	return n
}

// TestReplicasShareAFleet: three controller replicas share six jobs through
// etcd leases while every job rolls from v1 to v2; two replicas are killed
// mid-rollout. Every job finishes on the survivors, no slot ever has two
// live allocations, and no deployment is lost.
func TestReplicasShareAFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an etcd server and three replicas")
	}
	endpoint := etcdtest.Start(t)
	nodes := &fleetNodes{RecordingDriver: rollouttest.NewRecordingDriver(), t: t}
	const jobs = 6
	reps := []*replica{startReplica(t, "r0", endpoint, nodes), startReplica(t, "r1", endpoint, nodes), startReplica(t, "r2", endpoint, nodes)}
	check := etcdstore.New(etcdtest.Client(t, endpoint), "/fleet")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	mp, mht := 1, 200*time.Millisecond
	hc := rollout.HealthTaskStates
	job := func(i int, spec string) rollout.JobVersion {
		return rollout.JobVersion{ID: fmt.Sprintf("job-%d", i), Groups: []rollout.Group{{Name: "web", Count: 3, Spec: spec, Tasks: []string{"app"},
			Update: &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthCheck: &hc}}}}
	}
	submitAll := func(spec string) {
		for i := range jobs {
			for _, r := range reps { // every replica supervises every job; one holds each
				if err := r.m.Start(fmt.Sprintf("job-%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := reps[len(reps)-1].m.Submit(ctx, job(i, spec)); err != nil {
				t.Fatal(err)
			}
		}
	}
	deployed := func(version uint64) bool {
		for i := range jobs {
			st, err := check.Load(ctx, fmt.Sprintf("job-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			d := st.Deployment()
			if d == nil || d.JobVersion != version || d.Status != rollout.StatusSuccessful {
				return false
			}
		}
		return true
	}
	waitFor := func(what string, cond func() bool) {
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	submitAll("v1")
	waitFor("v1 deployed", func() bool { return deployed(0) })
	submitAll("v2")
	var takeovers []time.Duration
	for kill := 0; kill < 2; kill++ {
		waitFor("a few v2 placements", func() bool { return len(nodes.CallsOf(rollouttest.MethodApply)) > 0 })
		time.Sleep(300 * time.Millisecond)
		// Kill the replica that runs the most jobs.
		victim := 0
		for i, r := range reps {
			if r.running() > reps[victim].running() {
				victim = i
			}
		}
		held := reps[victim].running()
		start := time.Now()
		reps[victim].kill()
		reps = append(reps[:victim], reps[victim+1:]...)
		waitFor("every job run by a survivor", func() bool {
			n := 0
			for _, r := range reps {
				n += r.running()
			}
			return n == jobs
		})
		takeovers = append(takeovers, time.Since(start))
		t.Logf("kill %d: replica holding %d jobs killed; survivors run all %d jobs after %v", kill+1, held, jobs, time.Since(start).Round(10*time.Millisecond))
	}
	waitFor("v2 deployed", func() bool { return deployed(1) })

	for i := range jobs {
		id := fmt.Sprintf("job-%d", i)
		st, _ := check.Load(ctx, id)
		if len(st.Deployments) != 2 || st.Deployments[0].Status != rollout.StatusSuccessful || len(st.History.Versions) != 2 || !st.History.Versions[1].Stable {
			t.Errorf("%s: deployments %d, versions %d: a deployment or version was lost", id, len(st.Deployments), len(st.History.Versions))
		}
		live := 0
		for _, a := range nodes.Allocations(id) {
			if a.Desired == rollout.DesiredRun {
				live++
				if a.Spec != "v2" {
					t.Errorf("%s: %s runs %s", id, a.Name(), a.Spec)
				}
			}
		}
		if live != 3 {
			t.Errorf("%s: %d live allocations, want 3", id, live)
		}
	}
	t.Logf("replicas 3, jobs %d, kills 2, takeover %v, slots with two live allocations: %d", jobs, takeovers, nodes.doubled.Load())
}
