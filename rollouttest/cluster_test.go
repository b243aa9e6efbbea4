package rollouttest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

func ptr[T any](v T) *T { return &v }

// web returns version spec of a job "web" with one group "api" of count
// allocations and the update block.
func web(count int, spec string, update *rollout.UpdateBlock) rollout.JobVersion {
	return rollout.JobVersion{ID: "web", Update: update, Groups: []rollout.Group{{Name: "api", Count: count, Spec: spec}}}
}

// live counts the allocations that run (desired run, client not terminal).
func live(allocs []rollout.Alloc, version uint64) (n, healthy int) {
	for _, a := range allocs {
		if a.Desired == rollout.DesiredRun && (a.Client == rollout.ClientPending || a.Client == rollout.ClientRunning) && a.JobVersion == version {
			n++
			if a.Health.Status == rollout.Healthy {
				healthy++
			}
		}
	}
	return n, healthy
}

func mustSubmit(t *testing.T, c *rollouttest.Cluster, j rollout.JobVersion) rollout.JobVersion {
	t.Helper()
	v, err := c.Submit(j)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return v
}

func TestClusterRollingUpdate(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: 2 * time.Second}})
	up := &rollout.UpdateBlock{MaxParallel: ptr(1), MinHealthyTime: ptr(10 * time.Second)}
	inFlight := 0
	c.Observe(func(c *rollouttest.Cluster, s rollouttest.StepInfo) {
		d := c.Deployment()
		if d == nil || d.JobVersion != 1 || !d.Status.Active() {
			return
		}
		n := 0
		for _, a := range c.Allocations() {
			if a.JobVersion == 1 && a.Desired == rollout.DesiredRun && a.Health.Status == "" {
				n++
			}
		}
		inFlight = max(inFlight, n)
	})
	start := c.Now()
	mustSubmit(t, c, web(3, "v1", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, c, web(3, "v2", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	d := c.Deployment()
	if d.Status != rollout.StatusSuccessful || d.JobVersion != 1 {
		t.Fatalf("deployment %s of version %d, want successful of version 1", d.Status, d.JobVersion)
	}
	if n, h := live(c.Allocations(), 1); n != 3 || h != 3 {
		t.Errorf("version 1 has %d live and %d healthy allocations, want 3 and 3", n, h)
	}
	if inFlight != 1 {
		t.Errorf("at most %d allocations of version 1 were in flight, want 1 (max_parallel)", inFlight)
	}
	// 12s for the first run (all at once), then 3 times 12s one at a time.
	if got, want := c.Now().Sub(start), 48*time.Second; got != want {
		t.Errorf("the rollouts took %v of simulated time, want %v", got, want)
	}
	h := c.History()
	if len(h.Versions) != 2 || !h.Versions[0].Stable || !h.Versions[1].Stable {
		t.Errorf("history %+v, want versions 0 and 1, both stable", h.Versions)
	}
}

func TestClusterAutoRevert(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{
		Default:   rollouttest.Behavior{StartAfter: time.Second},
		Behaviors: map[string]rollouttest.Behavior{"bad": {FailsAfter: 5 * time.Second}},
	})
	up := &rollout.UpdateBlock{MaxParallel: ptr(2), ProgressDeadline: ptr(time.Duration(0)), AutoRevert: ptr(true)}
	mustSubmit(t, c, web(4, "good", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, c, web(4, "bad", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	deps := c.Deployments()
	var got []string
	for _, d := range deps {
		got = append(got, fmt.Sprintf("v%d %s %s", d.JobVersion, d.Status, d.Description))
	}
	want := []string{
		"v0 successful Deployment completed successfully",
		"v1 failed Failed due to unhealthy allocations - rolling back to job version 0",
		"v2 successful Deployment completed successfully",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("deployments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	j, _ := c.Job()
	if j.Version != 2 || j.RevertOf == nil || *j.RevertOf != 0 || !j.Stable || j.Groups[0].Spec != "good" {
		t.Errorf("latest version %+v, want version 2, stable, reverting to version 0's spec", j)
	}
}

func TestClusterNeverStartsAndFlappingChecks(t *testing.T) {
	for _, b := range []rollouttest.Behavior{{NeverStarts: true}, {ChecksFlap: 5 * time.Second}} {
		t.Run(fmt.Sprintf("%+v", b), func(t *testing.T) {
			c := rollouttest.NewCluster(rollouttest.Config{Behaviors: map[string]rollouttest.Behavior{"broken": b}})
			up := &rollout.UpdateBlock{MinHealthyTime: ptr(10 * time.Second), HealthyDeadline: ptr(time.Minute), ProgressDeadline: ptr(time.Duration(0))}
			j := web(2, "ok", up)
			j.Groups[0].Checks = []string{"http"}
			mustSubmit(t, c, j)
			if err := c.Run(); err != nil {
				t.Fatal(err)
			}
			start := c.Now()
			j.Groups[0].Spec = "broken"
			mustSubmit(t, c, j)
			if err := c.Run(); err != nil {
				t.Fatal(err)
			}
			d := c.Deployment()
			if d.Status != rollout.StatusFailed || d.Description != rollout.DescFailedAllocations {
				t.Errorf("deployment %s %q, want failed %q", d.Status, d.Description, rollout.DescFailedAllocations)
			}
			if got := d.ModifyTime.Sub(start); got != time.Minute {
				t.Errorf("failed after %v, want at the healthy_deadline (1m)", got)
			}
		})
	}
}

func TestClusterLoseNode(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{Nodes: []string{"a", "b"}})
	mustSubmit(t, c, web(4, "v1", &rollout.UpdateBlock{}))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	var onA int
	for _, a := range c.Allocations() {
		if c.Node(a.ID) == "a" {
			onA++
		}
	}
	if onA != 2 {
		t.Fatalf("%d allocations on node a, want 2 (spread evenly)", onA)
	}
	c.After(time.Minute, func(c *rollouttest.Cluster) {
		if err := c.LoseNode("a"); err != nil {
			t.Error(err)
		}
	})
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	var lost, running int
	for _, a := range c.Allocations() {
		switch {
		case a.Client == rollout.ClientLost && a.Desired == rollout.DesiredStop:
			lost++
		case a.Client == rollout.ClientRunning && a.Desired == rollout.DesiredRun:
			running++
			if c.Node(a.ID) != "b" {
				t.Errorf("allocation %s runs on node %q, want b", a.Name(), c.Node(a.ID))
			}
		}
	}
	if lost != 2 || running != 4 {
		t.Errorf("%d lost and %d running allocations, want 2 and 4", lost, running)
	}
	if err := c.LoseNode("nowhere"); err == nil {
		t.Error("LoseNode of an unknown node succeeded")
	}
}

// TestClusterDrainNode: draining a node moves its allocations elsewhere
// under the same names (KindMigrate), all in one step, and places nothing
// more on it.
func TestClusterDrainNode(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{Nodes: []string{"a", "b"}})
	mustSubmit(t, c, web(4, "v1", &rollout.UpdateBlock{}))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, a := range c.Allocations() {
		if c.Node(a.ID) == "a" {
			names[a.Name()] = true
		}
	}
	var migrated []rollout.Placement
	c.Observe(func(_ *rollouttest.Cluster, info rollouttest.StepInfo) {
		for _, p := range info.Output.Place {
			if p.Kind == rollout.KindMigrate {
				migrated = append(migrated, p)
			}
		}
	})
	c.After(time.Minute, func(c *rollouttest.Cluster) {
		if err := c.DrainNode("a"); err != nil {
			t.Error(err)
		}
	})
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if len(migrated) != 2 {
		t.Fatalf("%d migrations, want the 2 allocations of node a", len(migrated))
	}
	for _, p := range migrated {
		if !names[p.Name] || p.Replaces == "" {
			t.Errorf("migration %s replaces %q, want one of node a's names %v, replacing it", p.Name, p.Replaces, names)
		}
	}
	running := 0
	for _, a := range c.Allocations() {
		if a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning {
			running++
			if c.Node(a.ID) != "b" {
				t.Errorf("allocation %s runs on node %q, want b", a.Name(), c.Node(a.ID))
			}
		}
	}
	if running != 4 {
		t.Errorf("%d running allocations, want 4", running)
	}
	if err := c.DrainNode("nowhere"); err == nil {
		t.Error("DrainNode of an unknown node succeeded")
	}
}

// TestClusterSystemJob checks that a system job runs one allocation on
// each node that is up, on that node, updates them, and does not replace
// the allocation of a node lost.
func TestClusterSystemJob(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{Nodes: []string{"a", "b", "c"}})
	job := func(spec string) rollout.JobVersion {
		j := web(1, spec, &rollout.UpdateBlock{MaxParallel: ptr(1)})
		j.Type = rollout.JobSystem
		return j
	}
	perNode := func(version uint64) map[string]int {
		t.Helper()
		nodes := map[string]int{}
		for _, a := range c.Allocations() {
			if a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning && a.JobVersion == version {
				if a.NodeID != c.Node(a.ID) {
					t.Errorf("allocation %s names node %q, runs on %q", a.Name(), a.NodeID, c.Node(a.ID))
				}
				nodes[c.Node(a.ID)]++
			}
		}
		return nodes
	}
	mustSubmit(t, c, job("v1"))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if got := perNode(0); fmt.Sprint(got) != "map[a:1 b:1 c:1]" {
		t.Fatalf("version 0 runs on %v, want one allocation on each of a, b, c", got)
	}
	mustSubmit(t, c, job("v2"))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if got := perNode(1); fmt.Sprint(got) != "map[a:1 b:1 c:1]" || len(perNode(0)) != 0 {
		t.Fatalf("version 1 runs on %v (version 0 on %v), want one on each node", got, perNode(0))
	}
	if err := c.LoseNode("b"); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if got := perNode(1); fmt.Sprint(got) != "map[a:1 c:1]" {
		t.Errorf("after node b is lost, version 1 runs on %v, want a and c only", got)
	}
	// A drain stops a system job's allocation on the node (the node is
	// Draining in the step's Input.Nodes), and places none elsewhere.
	if err := c.DrainNode("c"); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if got := perNode(1); fmt.Sprint(got) != "map[a:1]" {
		t.Errorf("after node c is drained, version 1 runs on %v, want a only", got)
	}
}

func TestClusterCanaryPromotion(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: time.Second}})
	up := &rollout.UpdateBlock{Canary: ptr(3), MaxParallel: ptr(3)}
	mustSubmit(t, c, web(3, "blue", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	plan, err := c.Plan(web(3, "green", up))
	if err != nil || len(plan) != 1 || plan[0].String() != "3 canary, 3 ignore" {
		t.Fatalf("Plan = %v, %v; want [3 canary, 3 ignore]", plan, err)
	}
	mustSubmit(t, c, web(3, "green", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	d := c.Deployment()
	if d.Description != rollout.DescRunningNeedsPromotion || d.Groups[0].Healthy != 3 {
		t.Fatalf("deployment %q with %d healthy, want awaiting promotion with 3 healthy canaries", d.Description, d.Groups[0].Healthy)
	}
	var stops int
	c.Observe(func(_ *rollouttest.Cluster, s rollouttest.StepInfo) { stops += len(s.Output.Stop) })
	if err := c.Command(rollout.Promote()); err != nil {
		t.Fatal(err)
	}
	if d := c.Deployment(); d.Status != rollout.StatusSuccessful || stops != 3 {
		t.Errorf("after promotion: deployment %s, %d stops; want successful in the same step, 3 stops", d.Status, stops)
	}
	err = c.Command(rollout.Promote())
	var ce *rollout.CommandError
	if !errors.As(err, &ce) || !errors.Is(err, rollout.ErrTerminal) {
		t.Errorf("second promotion: %v, want a *CommandError wrapping ErrTerminal", err)
	}
}

func TestClusterRunForAndUntil(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: time.Second}})
	if err := c.Run(); !errors.Is(err, rollouttest.ErrNoJob) {
		t.Errorf("Run without a job: %v, want ErrNoJob", err)
	}
	mustSubmit(t, c, web(2, "v1", &rollout.UpdateBlock{}))
	start := c.Now()
	if err := c.RunFor(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(start); got != 5*time.Second {
		t.Errorf("RunFor(5s) ended %v later", got)
	}
	if n, h := live(c.Allocations(), 0); n != 2 || h != 0 {
		t.Errorf("after 5s: %d live, %d healthy; want 2 and 0", n, h)
	}
	err := c.RunUntil(func(c *rollouttest.Cluster) bool {
		_, h := live(c.Allocations(), 0)
		return h == 2
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(start); got != 11*time.Second {
		t.Errorf("healthy %v after the start, want 11s (start 1s + min_healthy_time 10s)", got)
	}
	if err := c.RunUntil(func(*rollouttest.Cluster) bool { return false }); !errors.Is(err, rollouttest.ErrSettled) {
		t.Errorf("RunUntil(never): %v, want ErrSettled", err)
	}
}

func TestClusterTooManySteps(t *testing.T) {
	// A job without an update block whose allocations crash: they are
	// rescheduled for ever.
	c := rollouttest.NewCluster(rollouttest.Config{MaxSteps: 50, Default: rollouttest.Behavior{FailsAfter: time.Second}})
	mustSubmit(t, c, web(1, "crash", nil))
	if err := c.Run(); !errors.Is(err, rollouttest.ErrTooManySteps) {
		t.Errorf("Run: %v, want ErrTooManySteps", err)
	}
}

func TestClusterSubmitRejectsInvalidVersion(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{})
	mustSubmit(t, c, web(2, "v1", nil))
	if _, err := c.Submit(web(-1, "v2", nil)); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("Submit of a negative count: %v, want ErrInvalid", err)
	}
	if j, _ := c.Job(); j.Version != 0 {
		t.Errorf("latest version %d after a refused submission, want 0", j.Version)
	}
	if _, err := c.Submit(rollout.JobVersion{ID: "other"}); err == nil {
		t.Error("Submit of another job succeeded")
	}
}

func TestClusterGC(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{})
	mustSubmit(t, c, web(2, "v1", nil))
	mustSubmit(t, c, web(2, "v2", nil))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if n := c.GC(); n != 2 {
		t.Errorf("GC forgot %d allocations, want the 2 stopped ones", n)
	}
	if n := len(c.Allocations()); n != 2 {
		t.Errorf("%d allocations left, want 2", n)
	}
}

// transcript replays a script and writes down every step.
func transcript(t *testing.T) string {
	var b strings.Builder
	c := rollouttest.NewCluster(rollouttest.Config{
		Default:   rollouttest.Behavior{StartAfter: 2 * time.Second, Spread: time.Second},
		Behaviors: map[string]rollouttest.Behavior{"v3": {FailsAfter: 8 * time.Second, StartAfter: 3 * time.Second}},
	})
	c.Observe(func(c *rollouttest.Cluster, s rollouttest.StepInfo) {
		fmt.Fprintf(&b, "%d %s place=%d stop=%d health=%d next=%s\n", s.N, s.Input.Now.Format(time.TimeOnly), len(s.Output.Place), len(s.Output.Stop), len(s.Output.Health), s.Output.NextStep.Format(time.TimeOnly))
		for _, p := range s.Output.Place {
			fmt.Fprintf(&b, "  %s %s on %s\n", p.ID, p.Name, c.Node(p.ID))
		}
	})
	up := &rollout.UpdateBlock{MaxParallel: ptr(2), AutoRevert: ptr(true)}
	mustSubmit(t, c, web(5, "v1", up))
	c.After(time.Minute, func(c *rollouttest.Cluster) { mustSubmit(t, c, web(5, "v2", up)) })
	c.After(5*time.Minute, func(c *rollouttest.Cluster) { mustSubmit(t, c, web(5, "v3", up)) })
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestClusterDeterministic(t *testing.T) {
	a, b := transcript(t), transcript(t)
	if a != b {
		t.Fatalf("two runs of one script differ:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(a, "web.api[4]") {
		t.Errorf("transcript lacks placements:\n%s", a)
	}
}

// TestClusterRevertDeploymentWaitsForItsPlacements: the deployment of an
// auto-revert succeeds only once the allocations it places to replace the
// failed ones are healthy too (bug R1, fixed in the engine).
func TestClusterRevertDeploymentWaitsForItsPlacements(t *testing.T) {
	c := rollouttest.NewCluster(rollouttest.Config{
		Default:   rollouttest.Behavior{StartAfter: 2 * time.Second},
		Behaviors: map[string]rollouttest.Behavior{"bad": {FailsAfter: 5 * time.Second}},
	})
	up := &rollout.UpdateBlock{MaxParallel: ptr(2), ProgressDeadline: ptr(time.Duration(0)), AutoRevert: ptr(true)}
	mustSubmit(t, c, web(4, "good", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, c, web(4, "bad", up))
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	d := c.Deployment()
	g := d.Groups[0]
	if d.JobVersion != 2 || d.Status != rollout.StatusSuccessful || g.DesiredTotal != 4 || g.Placed != 4 || g.Healthy != 4 {
		t.Errorf("revert deployment v%d %s: Desired %d Placed %d Healthy %d; want v2 successful 4/4/4", d.JobVersion, d.Status, g.DesiredTotal, g.Placed, g.Healthy)
	}
}
