package jobspec

import (
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// undeclared refuses a value of Options.Vars that names no variable the
// file declares (in a variable or a variables block), as Nomad refuses an
// undeclared -var.
func (l *loader) undeclared(declared map[string]cty.Value) {
	for _, name := range slices.Sorted(maps.Keys(l.opts.Vars)) {
		if _, ok := declared[name]; !ok {
			l.fail(hcl.Range{Filename: "-var " + name}, "the job file declares no variable %q (declare it in a variable block)", name)
		}
	}
}
