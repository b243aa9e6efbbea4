package rollout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

var migT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// migAlloc is a running, healthy allocation of group web.
func migAlloc(id string, idx int, version uint64, spec string) rollout.Alloc {
	return rollout.Alloc{
		ID: id, JobID: "j", Group: "web", Index: idx, JobVersion: version, Spec: spec,
		Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: migT0.Add(-time.Hour),
		Health: rollout.AllocHealth{Status: rollout.Healthy, Time: migT0.Add(-time.Hour)},
	}
}

// migKinds counts an output's stops and placements by kind.
func migKinds(out rollout.Output) (stops, places map[rollout.DecisionKind]int) {
	stops, places = map[rollout.DecisionKind]int{}, map[rollout.DecisionKind]int{}
	for _, s := range out.Stop {
		stops[s.Kind]++
	}
	for _, p := range out.Place {
		places[p.Kind]++
	}
	return stops, places
}

// TestMigrateOnlyLiveAllocations: Migrate moves an allocation that is to
// run and whose client is pending or running; on any other it changes
// nothing, and a lost one is replaced as lost.
func TestMigrateOnlyLiveAllocations(t *testing.T) {
	job := rollout.JobVersion{ID: "j", Version: 1, Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "s"}}}
	for _, tc := range []struct {
		name    string
		edit    func(a *rollout.Alloc)
		migrate int
	}{
		{"running", func(a *rollout.Alloc) {}, 1},
		{"pending", func(a *rollout.Alloc) { a.Client = rollout.ClientPending }, 1},
		{"desired stop", func(a *rollout.Alloc) { a.Desired = rollout.DesiredStop }, 0},
		{"complete", func(a *rollout.Alloc) { a.Client = rollout.ClientComplete }, 0},
		{"failed", func(a *rollout.Alloc) { a.Client = rollout.ClientFailed }, 0},
		{"lost", func(a *rollout.Alloc) { a.Client = rollout.ClientLost }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := migAlloc("a0", 0, 1, "s")
			tc.edit(&plain)
			marked := plain
			marked.Migrate = true
			want, err := rollout.Step(rollout.Input{Now: migT0, Job: job, Allocs: []rollout.Alloc{plain}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := rollout.Step(rollout.Input{Now: migT0, Job: job, Allocs: []rollout.Alloc{marked}})
			if err != nil {
				t.Fatal(err)
			}
			stops, places := migKinds(got)
			if stops[rollout.KindMigrate] != tc.migrate || places[rollout.KindMigrate] != tc.migrate || got.Plan[0].Migrate != tc.migrate {
				t.Errorf("%d stops, %d placements and a plan of %d migrations, want %d: %+v", stops[rollout.KindMigrate], places[rollout.KindMigrate], got.Plan[0].Migrate, tc.migrate, got.Plan[0])
			}
			if tc.migrate == 0 && (len(got.Stop) != len(want.Stop) || len(got.Place) != len(want.Place)) {
				t.Errorf("marked: %d stops, %d placements; unmarked: %d, %d", len(got.Stop), len(got.Place), len(want.Stop), len(want.Place))
			}
			if tc.migrate == 1 {
				p, s := got.Place[0], got.Stop[0]
				if p.Replaces != "a0" || p.Name != s.Name || p.Index != 0 || s.Reason != rollout.ReasonMigrating || p.Reason != rollout.ReasonPlaceMigrate || s.Lost {
					t.Errorf("stop %+v, placement %+v: want a0 stopped as migrating and placed again under its name", s, p)
				}
			}
		})
	}
}

// rollingMig is a rolling update of web (count 4, max_parallel 1) from
// spec a (version 0) to b (version 1), with web[1..3] on draining nodes.
func rollingMig(t *testing.T, dep *rollout.Deployment) rollout.Output {
	t.Helper()
	one := 1
	job := rollout.JobVersion{ID: "j", Version: 1, Update: &rollout.UpdateBlock{MaxParallel: &one},
		Groups: []rollout.Group{{Name: "web", Count: 4, Spec: "b"}}}
	var allocs []rollout.Alloc
	for i := range 4 {
		a := migAlloc(string(rune('a'+i)), i, 0, "a")
		a.Migrate = i > 0
		allocs = append(allocs, a)
	}
	out, err := rollout.Step(rollout.Input{Now: migT0, Job: job, Allocs: allocs, Deployment: dep,
		History: []rollout.JobVersion{{ID: "j", Version: 0, Stable: true, Update: job.Update, Groups: []rollout.Group{{Name: "web", Count: 4, Spec: "a"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateOutsideTheBudget: migrations are made at once, beside the
// destructive updates max_parallel allows, and their replacements run the
// new version in the deployment, which counts them in its desired total.
func TestMigrateOutsideTheBudget(t *testing.T) {
	out := rollingMig(t, nil)
	stops, places := migKinds(out)
	if places[rollout.KindUpdate] != 1 || places[rollout.KindMigrate] != 3 || stops[rollout.KindMigrate] != 3 {
		t.Fatalf("stops %v, placements %v: want 1 destructive update and 3 migrations", stops, places)
	}
	d := out.Deployment
	if d == nil || len(d.Groups) != 1 || d.Groups[0].DesiredTotal != 4 {
		t.Fatalf("deployment %+v, want one of web with a desired total of 4", d)
	}
	for _, p := range out.Place {
		if p.JobVersion != 1 || p.Spec != "b" || p.DeploymentID != d.ID {
			t.Errorf("placement %s (%s) is v%d %s in %q, want v1 b in %s", p.Name, p.Kind, p.JobVersion, p.Spec, p.DeploymentID, d.ID)
		}
	}
}

// TestMigrateWhilePausedOrFailed: a paused or failed deployment makes no
// destructive update, but migrations go on: a drain waits for nobody.
func TestMigrateWhilePausedOrFailed(t *testing.T) {
	for _, status := range []rollout.DeploymentStatus{rollout.StatusPaused, rollout.StatusFailed} {
		t.Run(string(status), func(t *testing.T) {
			dep := &rollout.Deployment{ID: "d1", JobID: "j", JobVersion: 1, Status: status, CreateTime: migT0, ModifyTime: migT0,
				Groups: []rollout.DeploymentGroup{{Name: "web", DesiredTotal: 4}}}
			out := rollingMig(t, dep)
			stops, places := migKinds(out)
			if places[rollout.KindUpdate] != 0 || places[rollout.KindMigrate] != 3 || stops[rollout.KindMigrate] != 3 {
				t.Errorf("stops %v, placements %v: want 3 migrations and no destructive update", stops, places)
			}
		})
	}
}

// TestMigrateWhileCanarying: while canaries await promotion, a migrating
// old allocation is placed again at its own version, and a migrating
// canary is placed again as a canary (not while the deployment is paused).
func TestMigrateWhileCanarying(t *testing.T) {
	one, two := 1, 2
	up := &rollout.UpdateBlock{MaxParallel: &one, Canary: &two}
	job := rollout.JobVersion{ID: "j", Version: 1, Update: up, Groups: []rollout.Group{{Name: "web", Count: 3, Spec: "b"}}}
	hist := []rollout.JobVersion{{ID: "j", Version: 0, Stable: true, Update: up, Groups: []rollout.Group{{Name: "web", Count: 3, Spec: "a"}}}}
	for _, status := range []rollout.DeploymentStatus{rollout.StatusRunning, rollout.StatusPaused} {
		t.Run(string(status), func(t *testing.T) {
			dep := &rollout.Deployment{ID: "d1", JobID: "j", JobVersion: 1, Status: status, CreateTime: migT0, ModifyTime: migT0,
				Groups: []rollout.DeploymentGroup{{Name: "web", DesiredTotal: 3, DesiredCanaries: 2, Placed: 2, PlacedCanaries: []string{"c0", "c1"}}}}
			old := migAlloc("o2", 2, 0, "a")
			old.Migrate = true
			canary := migAlloc("c1", 1, 1, "b")
			// Canaries placed a moment ago, their health still unknown.
			canary.Canary, canary.DeploymentID, canary.Health, canary.Migrate, canary.CreateTime = true, "d1", rollout.AllocHealth{}, true, migT0
			other := migAlloc("c0", 0, 1, "b")
			other.Canary, other.DeploymentID, other.Health, other.CreateTime = true, "d1", rollout.AllocHealth{}, migT0
			allocs := []rollout.Alloc{migAlloc("o0", 0, 0, "a"), migAlloc("o1", 1, 0, "a"), old, other, canary}
			out, err := rollout.Step(rollout.Input{Now: migT0, Job: job, History: hist, Deployment: dep, Allocs: allocs})
			if err != nil {
				t.Fatal(err)
			}
			byReplaced := map[string]rollout.Placement{}
			for _, p := range out.Place {
				byReplaced[p.Replaces] = p
			}
			stops, _ := migKinds(out)
			if stops[rollout.KindMigrate] != 2 {
				t.Errorf("stops %v, want o2 and c1 stopped as migrating", stops)
			}
			if p, ok := byReplaced["o2"]; !ok || p.Kind != rollout.KindMigrate || p.JobVersion != 0 || p.Spec != "a" || p.Canary {
				t.Errorf("o2's replacement %+v (found %v), want a migration at v0 a", p, ok)
			}
			p, ok := byReplaced["c1"]
			switch {
			case status == rollout.StatusPaused && ok:
				t.Errorf("paused: canary c1 placed again as %+v, want only stopped", p)
			case status == rollout.StatusRunning && (!ok || !p.Canary || p.JobVersion != 1 || p.Index != 1 || p.DeploymentID != "d1"):
				t.Errorf("c1's replacement %+v (found %v), want a canary web[1] at v1 in d1", p, ok)
			}
			if len(out.Place) > 2 || out.Plan[0].Destructive != 0 {
				t.Errorf("%d placements, plan %+v: want nothing but the migrations", len(out.Place), out.Plan[0])
			}
		})
	}
}

// TestMigrateScaleDownPrefersMigrating: excess is taken from the
// allocations moving off their node first, highest index first.
func TestMigrateScaleDownPrefersMigrating(t *testing.T) {
	job := rollout.JobVersion{ID: "j", Version: 0, Groups: []rollout.Group{{Name: "web", Count: 2, Spec: "s"}}}
	var allocs []rollout.Alloc
	for i := range 4 {
		a := migAlloc(string(rune('a'+i)), i, 0, "s")
		a.Migrate = i < 2
		allocs = append(allocs, a)
	}
	out, err := rollout.Step(rollout.Input{Now: migT0, Job: job, Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.Stop {
		got = append(got, s.ID+":"+string(s.Kind))
	}
	want := "a:scale-down b:scale-down"
	if g := strings.Join(got, " "); g != want || len(out.Place) != 0 {
		t.Errorf("stops %q and %d placements, want %q and none", g, len(out.Place), want)
	}
}

// TestMigrateRefusedForSystemJob: a system job's allocation leaves a node
// that Input.Nodes marks Draining; Migrate on it is refused, naming it.
func TestMigrateRefusedForSystemJob(t *testing.T) {
	job := rollout.JobVersion{ID: "j", Type: rollout.JobSystem, Groups: []rollout.Group{{Name: "web", Spec: "s"}}}
	a := migAlloc("a0", 0, 0, "s")
	a.NodeID, a.Migrate = "n1", true
	_, err := rollout.Step(rollout.Input{Now: migT0, Job: job, Allocs: []rollout.Alloc{a},
		Nodes: []rollout.Node{{ID: "n1", Eligible: true}}})
	var fe *rollout.FieldError
	if !errors.Is(err, rollout.ErrInvalid) || !errors.As(err, &fe) || fe.Field != `alloc "a0" migrate` {
		t.Fatalf("err = %v, want ErrInvalid with a FieldError for alloc \"a0\" migrate", err)
	}
}

// TestReplacedCanaryKeepsItsName: a canary placed again (migrating, lost,
// or failed and rescheduled) keeps its name, and a new canary of the same
// step takes another.
func TestReplacedCanaryKeepsItsName(t *testing.T) {
	one, three := 1, 3
	up := &rollout.UpdateBlock{MaxParallel: &one, Canary: &three}
	job := rollout.JobVersion{ID: "j", Version: 1, Update: up, Groups: []rollout.Group{{Name: "web", Count: 3, Spec: "b"}}}
	hist := []rollout.JobVersion{{ID: "j", Version: 0, Stable: true, Update: up, Groups: []rollout.Group{{Name: "web", Count: 3, Spec: "a"}}}}
	for _, how := range []string{"migrating", "lost", "failed"} {
		t.Run(how, func(t *testing.T) {
			dep := &rollout.Deployment{ID: "d1", JobID: "j", JobVersion: 1, Status: rollout.StatusRunning, CreateTime: migT0, ModifyTime: migT0,
				Groups: []rollout.DeploymentGroup{{Name: "web", DesiredTotal: 3, DesiredCanaries: 3, Placed: 2, PlacedCanaries: []string{"c0", "c1"},
					ProgressDeadline: 10 * time.Minute, RequireProgressBy: migT0.Add(10 * time.Minute)}}}
			allocs := []rollout.Alloc{migAlloc("o0", 0, 0, "a"), migAlloc("o1", 1, 0, "a"), migAlloc("o2", 2, 0, "a")}
			for i, id := range []string{"c0", "c1"} {
				c := migAlloc(id, i, 1, "b")
				c.Canary, c.DeploymentID, c.Health, c.CreateTime = true, "d1", rollout.AllocHealth{}, migT0
				allocs = append(allocs, c)
			}
			switch how {
			case "lost":
				allocs[4].Client = rollout.ClientLost
			case "failed": // rescheduled at once: its delay has passed
				allocs[4].Client, allocs[4].StatusTime = rollout.ClientFailed, migT0.Add(-time.Hour)
			default:
				allocs[4].Migrate = true
			}
			out, err := rollout.Step(rollout.Input{Now: migT0, Job: job, History: hist, Deployment: dep, Allocs: allocs})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			for _, p := range out.Place {
				if !p.Canary {
					t.Errorf("placement %s %s is not a canary", p.Name, p.Kind)
				}
				if other, dup := names[p.Name]; dup {
					t.Errorf("two canaries named %s: %s and %s", p.Name, other, p.Replaces)
				}
				names[p.Name] = p.Replaces
			}
			if len(out.Place) != 2 || names["j.web[1]"] != "c1" || names["j.web[2]"] != "" {
				t.Errorf("canaries placed %v (name: replaced), want web[1] for c1 and a new web[2]", names)
			}
		})
	}
}

// TestMigrateBesideSurgeNamesake: an old allocation whose surge namesake
// is placed already (max_surge) and that a drain moves is only stopped:
// the namesake takes its place, and no third allocation of the name is
// placed.
func TestMigrateBesideSurgeNamesake(t *testing.T) {
	one, surge, none := 1, rollout.Amount("1"), rollout.Amount("0")
	up := &rollout.UpdateBlock{MaxParallel: &one, MaxSurge: &surge, MaxUnavailable: &none}
	job := rollout.JobVersion{ID: "j", Version: 1, Update: up, Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "b"}}}
	hist := []rollout.JobVersion{{ID: "j", Version: 0, Stable: true, Update: up, Groups: []rollout.Group{{Name: "web", Count: 1, Spec: "a"}}}}
	allocs := []rollout.Alloc{migAlloc("old", 0, 0, "a")}
	out, err := rollout.Step(rollout.Input{Now: migT0, Job: job, History: hist, Allocs: allocs})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Place) != 1 || out.Place[0].Kind != rollout.KindSurge || len(out.Stop) != 0 {
		t.Fatalf("first step: placements %+v, stops %+v: want one surge placement beside old", out.Place, out.Stop)
	}
	allocs = out.Apply(allocs)
	allocs[0].Migrate = true
	out, err = rollout.Step(rollout.Input{Now: migT0.Add(time.Second), Job: job, History: hist, Allocs: allocs, Deployment: out.Deployment})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Stop) != 1 || out.Stop[0].ID != "old" || out.Stop[0].Kind != rollout.KindMigrate || len(out.Place) != 0 {
		t.Errorf("stops %+v, placements %+v: want old stopped as migrating and nothing placed", out.Stop, out.Place)
	}
}
