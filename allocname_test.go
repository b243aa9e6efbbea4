package rollout_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestAllocName checks names at the indexes where their digits change, and
// at the ends of an int.
func TestAllocName(t *testing.T) {
	for _, index := range []int{0, 1, 9, 10, 11, 99, 100, 999, 1000, 12345, 99999, 100000, math.MaxInt32, math.MaxInt, -1, math.MinInt} {
		want := fmt.Sprintf("web.api[%d]", index)
		if got := rollout.AllocName("web", "api", index); got != want {
			t.Errorf("AllocName(%q, %q, %d) = %q, want %q", "web", "api", index, got, want)
		}
	}
}

// ExampleAllocName shows an allocation's name: the job, the group and the
// slot.
func ExampleAllocName() {
	fmt.Println(rollout.AllocName("web", "frontend", 3))
	// Output: web.frontend[3]
}
