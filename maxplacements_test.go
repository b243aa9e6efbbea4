package rollout_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestMaxPlacements checks the opt-in cap on a step's placements: a first
// deployment of 1,000 under a cap of 300 is placed over four steps, each
// capped but the last, and ends with the allocations an uncapped step
// places (the same names); a destructive update stays within the cap and
// keeps its stops paired with its placements. Zero means no cap, and a
// negative cap is refused.
func TestMaxPlacements(t *testing.T) {
	const count, limit = 1000, 300
	first := rollout.Input{Now: benchNow, Job: benchJobVersionMP(1, specNew, 1, count, false, 100)}

	uncapped, err := rollout.Step(first)
	if err != nil {
		t.Fatal(err)
	}
	if uncapped.Capped || len(uncapped.Place) != count {
		t.Fatalf("MaxPlacements 0: %d placements (capped %v), want %d, not capped", len(uncapped.Place), uncapped.Capped, count)
	}

	in := first
	in.MaxPlacements = limit
	var names []string
	for step := 1; ; step++ {
		out, err := rollout.Step(in)
		if err != nil {
			t.Fatal(err)
		}
		want := min(limit, count-len(names))
		if len(out.Place) != want {
			t.Fatalf("step %d: %d placements, want %d", step, len(out.Place), want)
		}
		for _, p := range out.Place {
			names = append(names, p.Name)
		}
		if out.Capped != (len(names) < count) {
			t.Fatalf("step %d: Capped %v with %d of %d placed", step, out.Capped, len(names), count)
		}
		if !out.Capped {
			break
		}
		if step > 4 {
			t.Fatalf("still capped after %d steps", step)
		}
		in.Allocs, in.Deployment = out.Apply(in.Allocs), out.Deployment
	}
	var want []string
	for _, p := range uncapped.Place {
		want = append(want, p.Name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("capped steps placed other names than one uncapped step")
	}

	// A destructive update of a tenth of 1,000 under a cap of 30.
	update := benchTenthStart(1, count)
	update.MaxPlacements = 30
	out, err := rollout.Step(update)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Place) != 30 || len(out.Stop) != 30 || !out.Capped {
		t.Fatalf("capped update: %d placements, %d stops (capped %v), want 30, 30, capped", len(out.Place), len(out.Stop), out.Capped)
	}
	for k, p := range out.Place {
		if p.Replaces != out.Stop[k].ID {
			t.Fatalf("placement %s replaces %q, want the stop %q", p.Name, p.Replaces, out.Stop[k].ID)
		}
	}

	bad := first
	bad.MaxPlacements = -1
	var fe *rollout.FieldError
	if _, err := rollout.Step(bad); !errors.Is(err, rollout.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "max_placements" {
		t.Errorf("MaxPlacements -1: error %v, want a FieldError for max_placements", err)
	}
}
