package rollout_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rollout-go/rollout"
)

// Job IDs may hold slashes, spaces and letters of any script; an over-long
// one is refused, named by its length.
func ExampleValidateJobID() {
	for _, id := range []string{"web", "team/a/web", "ジョブ", "", strings.Repeat("x", 40000)} {
		err := rollout.ValidateJobID(id)
		fmt.Printf("%d bytes: %v (invalid: %v)\n", len(id), err, errors.Is(err, rollout.ErrInvalid))
	}
	// Output:
	// 3 bytes: <nil> (invalid: false)
	// 10 bytes: <nil> (invalid: false)
	// 9 bytes: <nil> (invalid: false)
	// 0 bytes: job.id = "": must not be empty (invalid: true)
	// 40000 bytes: job.id: is 40000 bytes, longer than the 4096 bytes allowed (invalid: true)
}
