package scenario

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rollout-go/rollout"
)

// submitCheck reads the `job` verb's opt-in submit checks: expect=N,
// create_only=true, refuse_failed=true, force=true. ok is false when none
// is given: the job is then submitted as before, always as a new version.
func submitCheck(a *args) (c rollout.SubmitCheck, ok bool, err error) {
	if v, has := a.get("expect"); has {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return c, false, fmt.Errorf("job expect=%q: want a version number", v)
		}
		c.Expect, ok = &n, true
	}
	for key, dst := range map[string]*bool{"create_only": &c.ExpectNoJob, "refuse_failed": &c.RefuseFailedSpecs, "force": &c.Force} {
		if v, has := a.get(key); has {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, false, fmt.Errorf("job %s=%q: want true or false", key, v)
			}
			*dst, ok = b, true
		}
	}
	return c, ok, nil
}

// submitChecked submits jv through History.SubmitChecked: a refusal
// prints the error, an identical job prints that no version was made.
func (r *runner) submitChecked(jv rollout.JobVersion, c rollout.SubmitCheck) ([]string, error) {
	h := rollout.History{Versions: r.versions, FailedSpecs: r.failed, Keep: math.MaxInt}
	v, created, err := h.SubmitChecked(jv, r.now, c)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("job %s refused: %v", jv.ID, err)}, nil
	case !created:
		return []string{fmt.Sprintf("job %s identical to v%d: no version created", jv.ID, v.Version)}, nil
	}
	r.versions = h.Versions
	return r.describeSubmitted(v), nil
}
