package rollout_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
)

// equivalenceGolden holds, for every input of TestDecisionsUnchanged, a
// digest of Step's Output as the tree made it when the file was written.
// Performance work must leave the decisions as they are: rewrite the file
// (go test -run TestDecisionsUnchanged -rewrite) only for a change that
// means to change decisions, and say so in its commit.
const equivalenceGolden = "testdata/equivalence.golden"

// TestDecisionsUnchanged steps every benchmark input (at 1k and 10k
// allocations, sorted and shuffled), a first deployment and 8,000 inputs of
// the fuzz input generator, and compares each Output, decision by decision
// (kinds, names, versions, reasons, timers, deployments, plans, errors),
// with the digest recorded in testdata/equivalence.golden. Placement IDs
// are left out of that digest (each stands as its name and occurrence),
// so that a change of their derivation shows apart: their own digest
// (ids=) follows it. The test also checks that they are deterministic,
// distinct, and none an input ID.
func TestDecisionsUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("steps inputs of 10k allocations")
	}
	got := map[string]string{}
	var order []string
	add := func(name string, in rollout.Input) {
		out, err := rollout.Step(in)
		again, _ := rollout.Step(in)
		checkPlacementIDs(t, name, in, out, again)
		got[name] = equivalenceDigest(out, err)
		order = append(order, name)
	}
	for _, st := range benchStates {
		for _, groups := range st.groupCounts() {
			for _, n := range []int{1000, 10000} {
				add(fmt.Sprintf("%s/groups=%d/allocs=%d", st.name, groups, n), st.build(groups, n))
			}
		}
	}
	for _, n := range []int{1000, 20000} {
		add(fmt.Sprintf("first/allocs=%d", n), rollout.Input{Now: benchNow, Job: benchJobVersionMP(1, specNew, 1, n, false, n/10)})
	}
	for k, in := range generatedInputs(15, 8000) {
		add(fmt.Sprintf("generated/%04d", k), in)
	}

	if *rewrite {
		var b strings.Builder
		for _, name := range order {
			fmt.Fprintf(&b, "%s %s\n", name, got[name])
		}
		if err := os.WriteFile(equivalenceGolden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(equivalenceGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, digest, _ := strings.Cut(sc.Text(), " ")
		want[name] = digest
	}
	if len(want) != len(got) {
		t.Errorf("%d inputs recorded, %d stepped", len(want), len(got))
	}
	bad := 0
	for _, name := range order {
		if got[name] != want[name] {
			if bad++; bad <= 20 {
				t.Errorf("%s: output %s, recorded %s", name, got[name], want[name])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d outputs differ from %s", bad, len(order), equivalenceGolden)
	}
}

// generatedInputs returns n inputs of the fuzz input generator, each
// from random bytes of a PCG seeded with seed: the same inputs every run.
func generatedInputs(seed uint64, n int) []rollout.Input {
	r := rand.New(rand.NewPCG(seed, seed))
	ins := make([]rollout.Input, n)
	for k := range ins {
		data := make([]byte, 32+r.IntN(400))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		ins[k], _ = fzInput(data)
		// The recorded outputs predate node drains, which the generator
		// draws last: the inputs stay as they were recorded.
		for i := range ins[k].Allocs {
			ins[k].Allocs[i].Migrate = false
		}
	}
	return ins
}

// equivalenceDigest returns the digest of an output (or error) with each
// placement ID replaced by "place:" and the placement's name and
// occurrence, followed by the counts of its lists.
func equivalenceDigest(out rollout.Output, err error) string {
	if err != nil {
		sum := sha256.Sum256([]byte(err.Error()))
		return "error:" + hex.EncodeToString(sum[:12])
	}
	pairs := make([]string, 0, 2*len(out.Place))
	seen := map[string]int{}
	for _, p := range out.Place {
		seen[p.Name]++
		pairs = append(pairs, p.ID, fmt.Sprintf("place:%s:%d", p.Name, seen[p.Name]))
	}
	// The output's fields by name (Reasons, a field once, is left out of
	// them), and its reasons.
	fields := map[string]json.RawMessage{}
	b, jerr := json.Marshal(out)
	if jerr == nil {
		jerr = json.Unmarshal(b, &fields)
	}
	if jerr != nil {
		return "marshal:" + jerr.Error()
	}
	delete(fields, "Reasons")
	b, jerr = json.Marshal(struct {
		Out     map[string]json.RawMessage
		Reasons []rollout.Reason
	}{fields, outputReasons(out)})
	if jerr != nil {
		return "marshal:" + jerr.Error()
	}
	s := string(b)
	if len(pairs) > 0 {
		s = strings.NewReplacer(pairs...).Replace(s)
	}
	sum := sha256.Sum256([]byte(s))
	ids := sha256.New()
	for _, p := range out.Place {
		ids.Write([]byte(p.ID))
	}
	return fmt.Sprintf("%s stop=%d place=%d inplace=%d health=%d ids=%s", hex.EncodeToString(sum[:12]),
		len(out.Stop), len(out.Place), len(out.InPlace), len(out.Health), hex.EncodeToString(ids.Sum(nil)[:6]))
}

// outputReasons returns the output's reasons.
func outputReasons(out rollout.Output) []rollout.Reason { return out.Reasons() }

// checkPlacementIDs checks that two steps of one input derived the same
// placement IDs, distinct, and none an ID of the input.
func checkPlacementIDs(t *testing.T, name string, in rollout.Input, out, again rollout.Output) {
	t.Helper()
	ids := make([]string, len(out.Place))
	for k, p := range out.Place {
		ids[k] = p.ID
		if k >= len(again.Place) || again.Place[k].ID != p.ID {
			t.Fatalf("%s: placement %d has ID %s, then another", name, k, p.ID)
		}
	}
	placed := make(map[string]bool, len(ids))
	for _, id := range ids {
		if placed[id] {
			t.Fatalf("%s: placement ID %s is not unique", name, id)
		}
		placed[id] = true
	}
	for _, a := range in.Allocs {
		if placed[a.ID] {
			t.Fatalf("%s: placement ID %s is an input allocation's", name, a.ID)
		}
	}
}
