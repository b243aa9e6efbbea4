package rollout_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rollout-go/rollout"
)

// TestStepperMatchesStep runs one Stepper over many inputs in a row (the
// benchmark states, first deployments, and inputs of the fuzz generator,
// valid and not) and checks that each Output, read before the next call,
// is exactly Step's, errors included: the memory it reuses never shows.
func TestStepperMatchesStep(t *testing.T) {
	var inputs []rollout.Input
	var names []string
	for _, st := range benchStates {
		for _, groups := range st.groupCounts() {
			inputs = append(inputs, st.build(groups, 1000))
			names = append(names, fmt.Sprintf("%s/groups=%d", st.name, groups))
		}
	}
	inputs = append(inputs, rollout.Input{Now: benchNow, Job: benchJobVersionMP(1, specNew, 1, 3000, false, 300)})
	names = append(names, "first/allocs=3000")
	for k, in := range generatedInputs(16, 3000) {
		inputs = append(inputs, in)
		names = append(names, fmt.Sprintf("generated/%04d", k))
	}
	var st rollout.Stepper
	decided := 0
	for k, in := range inputs {
		want, wantErr := rollout.Step(in)
		got, gotErr := st.Step(in)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%s: Stepper.Step error %v, Step error %v", names[k], gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: Stepper.Step differs from Step (-Step +Stepper):\n%s", names[k], diff)
		}
		if len(got.Place)+len(got.Stop) > 0 {
			decided++
		}
	}
	if decided < len(inputs)/10 {
		t.Fatalf("only %d of %d inputs decided anything: the test reuses little", decided, len(inputs))
	}
}

// TestStepperReusesMemory checks what a Stepper is for: stepping the same
// kind of input again allocates far less than Step, because the lists of
// the previous Output are reused; and that the bytes of a batch's names
// and IDs are allocated at their size.
func TestStepperReusesMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop the step's scratch at random")
	}
	in := benchTenthStart(1, 10000) // 1,000 stops and 1,000 placements
	var st rollout.Stepper
	if _, err := st.Step(in); err != nil {
		t.Fatal(err)
	}
	bytes := func(step func() error) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := step(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	// A garbage collection between two steps may empty the pool of the
	// step's scratch memory (sync.Pool keeps it through one collection,
	// not two), and the step then allocates it again: the least of three
	// steps is what a step allocates with its memory reused.
	plain := bytes(func() error { _, err := rollout.Step(in); return err })
	reused := bytes(func() error { _, err := st.Step(in); return err })
	for range 2 {
		reused = min(reused, bytes(func() error { _, err := st.Step(in); return err }))
	}
	if reused*3 > plain {
		t.Errorf("Stepper.Step allocated %d bytes, Step %d: want less than a third", reused, plain)
	}
	// What a Stepper's step still allocates is mostly the new names and
	// IDs, 34 bytes a destructive update (41 with the rest), each kind in
	// one chunk made for the batch: chunks that grow as they fill took 67.
	if perUpdate := reused / 1000; perUpdate > 48 {
		t.Errorf("Stepper.Step allocated %d bytes per destructive update, want at most 48", perUpdate)
	}
}

// A scheduler's loop steps job after job and applies each Output before
// the next step: a Stepper builds each Output in the previous one's memory.
// What must outlive the next call is copied out (here, the placements).
func ExampleStepper() {
	now := time.Date(2017, 7, 26, 18, 8, 56, 0, time.UTC)
	var st rollout.Stepper
	var placed []rollout.Placement
	for _, image := range []string{"0.2", "0.3"} {
		out, err := st.Step(rollout.Input{Now: now, Job: seed001(1, image), Allocs: seed001Allocs()})
		if err != nil {
			panic(err)
		}
		placed = append(placed, out.Place...) // copies: the next Step reuses out.Place
	}
	for _, p := range placed {
		fmt.Println(p.Name, p.Spec)
	}
	// Output:
	// geo-api-server.api-server[0] image=geo-api-server:0.2
	// geo-api-server.api-server[1] image=geo-api-server:0.2
	// geo-api-server.api-server[0] image=geo-api-server:0.3
	// geo-api-server.api-server[1] image=geo-api-server:0.3
}
