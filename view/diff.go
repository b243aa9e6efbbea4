package view

import (
	"fmt"
	"io"
	"strconv"

	"github.com/rollout-go/rollout"
)

// Diff prints what changed from version a to version b (rollout.Diff) as
// `nomad job history -p` prints a version's diff: the versions compared,
// then the job's and each group's changed fields. Any two versions of a
// job may be compared, in either order.
func Diff(w io.Writer, a, b *rollout.JobVersion) {
	keyValues(w, "From", "v"+strconv.FormatUint(a.Version, 10), "To", "v"+strconv.FormatUint(b.Version, 10))
	diffs := rollout.Diff(a, b)
	if len(diffs) == 0 {
		fmt.Fprintln(w, "(no difference)")
		return
	}
	diffLines(w, b.ID, diffs)
}
