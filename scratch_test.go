package rollout_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// stepInputs are inputs of different shapes and sizes, so that steps that
// share the scratch pool get buffers sized by other steps.
func stepInputs() []rollout.Input {
	var ins []rollout.Input
	for _, st := range benchStates {
		for _, groups := range []int{1, 10} {
			for _, n := range []int{400, 3000} {
				ins = append(ins, st.build(groups, n))
			}
		}
	}
	return ins
}

// snapshot is an output in JSON: a deep copy that no later step can change.
func snapshot(t *testing.T, out rollout.Output) string {
	t.Helper()
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStepOutputsOwnTheirMemory checks that Step's reuse of working memory
// (a sync.Pool) never shows: an output is the same after any number of
// later steps, and each input gives the same output whatever ran before it.
func TestStepOutputsOwnTheirMemory(t *testing.T) {
	ins := stepInputs()
	outs := make([]rollout.Output, len(ins))
	want := make([]string, len(ins))
	for i, in := range ins {
		out, err := rollout.Step(in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		outs[i], want[i] = out, snapshot(t, out)
	}
	// Steps in reverse order reuse the buffers the outputs above came from.
	for i := len(ins) - 1; i >= 0; i-- {
		out, err := rollout.Step(ins[i])
		if err != nil {
			t.Fatalf("input %d again: %v", i, err)
		}
		if diff := cmp.Diff(want[i], snapshot(t, out)); diff != "" {
			t.Errorf("input %d stepped after others (-first +again):\n%s", i, diff)
		}
	}
	for i := range outs {
		if diff := cmp.Diff(want[i], snapshot(t, outs[i])); diff != "" {
			t.Errorf("output %d changed by later steps (-then +now):\n%s", i, diff)
		}
	}
}

// TestStepConcurrent runs steps on many goroutines at once: each gets the
// output it gets alone. Run with -race, it also checks that they share no
// memory.
func TestStepConcurrent(t *testing.T) {
	ins := stepInputs()
	want := make([]string, len(ins))
	for i, in := range ins {
		out, err := rollout.Step(in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		want[i] = snapshot(t, out)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(ins))
	for w := range 8 {
		wg.Go(func() {
			for k := range ins {
				i := (k + w*7) % len(ins)
				out, err := rollout.Step(ins[i])
				if err != nil {
					errs <- fmt.Sprintf("worker %d, input %d: %v", w, i, err)
					continue
				}
				b, _ := json.Marshal(out)
				if string(b) != want[i] {
					errs <- fmt.Sprintf("worker %d, input %d: output differs from the one stepped alone", w, i)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
