package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/boltstore"
)

// TestKilledMidRollout builds the example, rolls v1 out to a fleet, starts
// rolling v2 out and kills the controller with SIGKILL after a few
// placements, then runs it again: every rollout finishes, and every job
// runs exactly its count of v2 allocations, one per name, each known to
// the store, with no decision left pending.
func TestKilledMidRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fleet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	args := func(version string) []string {
		return []string{"-dir", dir, "-jobs", "4", "-count", "3", "-version", version}
	}
	if out, err := exec.Command(bin, args("v1")...).CombinedOutput(); err != nil {
		t.Fatalf("v1: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, args("v2")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	placed := 0
	sc := bufio.NewScanner(stdout)
	for placed < 3 && sc.Scan() {
		if strings.Contains(sc.Text(), "placed") {
			placed++
		}
	}
	if placed < 3 {
		t.Fatalf("the v2 run ended before 3 placements: %v", sc.Err())
	}
	cmd.Process.Kill() // SIGKILL: no cleanup of any kind
	cmd.Wait()

	out, err := exec.Command(bin, args("v2")...).CombinedOutput()
	if err != nil {
		t.Fatalf("v2 after the kill: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "Deployment completed successfully"); n != 4 {
		t.Errorf("%d successful deployments after the restart, want 4:\n%s", n, out)
	}

	var fleet map[string][]rollout.Alloc
	data, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &fleet); err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(filepath.Join(dir, "fleet.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for job, allocs := range fleet {
		st, err := store.Load(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending != nil {
			t.Errorf("%s: decisions still pending", job)
		}
		known := map[string]bool{}
		for _, r := range st.Allocs {
			known[r.ID] = true
		}
		live := map[string]int{}
		for _, a := range allocs {
			if a.Desired == rollout.DesiredRun && a.Client == rollout.ClientRunning {
				live[a.Name()]++
				if a.Spec != "v2" {
					t.Errorf("%s: %s runs %s", job, a.Name(), a.Spec)
				}
				if !known[a.ID] {
					t.Errorf("%s: %s (%s) runs but the store has no record of it", job, a.Name(), a.ID)
				}
			}
		}
		if len(live) != 3 {
			t.Errorf("%s: live names %v, want 3", job, live)
		}
		for name, n := range live {
			if n != 1 {
				t.Errorf("%s: %s has %d live allocations", job, name, n)
			}
		}
	}
	if len(fleet) != 4 {
		t.Errorf("%d jobs on the nodes, want 4", len(fleet))
	}
}
