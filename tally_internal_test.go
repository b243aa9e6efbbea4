package rollout

import "testing"

// TestTallyKey checks that tallyKey keeps exactly the facts tally counts
// by, within tallyKeys values, and that tallyFact gives them back.
func TestTallyKey(t *testing.T) {
	const counted = factRun | factInDep | factLost | factStopped | factHealthy | factUnhealthy
	seen := map[int]fact{}
	for f := range fact(1 << 11) {
		k := tallyKey(f)
		if k < 0 || k >= tallyKeys {
			t.Fatalf("tallyKey(%b) = %d, outside [0, %d)", f, k, tallyKeys)
		}
		if got := tallyFact(k); got != f&counted {
			t.Fatalf("tallyFact(tallyKey(%b)) = %b, want %b", f, got, f&counted)
		}
		if g, ok := seen[k]; ok && g != f&counted {
			t.Fatalf("facts %b and %b share key %d", g, f&counted, k)
		}
		seen[k] = f & counted
	}
}
