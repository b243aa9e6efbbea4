package rollout_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestValidateJobID: every ID Nomad accepts is accepted up to
// MaxJobIDLength bytes (slashes, percent signs, spaces and control
// characters included: jobspec refuses a space or a null character in a
// job file, as Nomad does); an empty ID, a longer one or one that is not
// UTF-8 is refused with a *FieldError for job.id that never quotes an
// over-long ID.
func TestValidateJobID(t *testing.T) {
	for _, c := range []struct {
		name, id string
		problem  string // "" when accepted
	}{
		{"simple", "web", ""},
		{"slash", "a/b", ""},
		{"trailing slash", "a/", ""},
		{"percent escape", "a%2Fb", ""},
		{"space (jobspec refuses it)", "a b", ""},
		{"null character (jobspec refuses it)", "a\x00b", ""},
		{"japanese", "ジョブ", ""},
		{"emoji", "🚀", ""},
		{"MaxJobIDLength bytes", strings.Repeat("x", rollout.MaxJobIDLength), ""},
		{"MaxJobIDLength bytes of 3-byte letters", strings.Repeat("ジ", rollout.MaxJobIDLength/3), ""},
		{"empty", "", `job.id = "": must not be empty`},
		{"one byte over", strings.Repeat("x", rollout.MaxJobIDLength+1), "job.id: is 4097 bytes, longer than the 4096 bytes allowed"},
		{"40000 bytes", strings.Repeat("y", 40000), "job.id: is 40000 bytes, longer than the 4096 bytes allowed"},
		{"not UTF-8", "a\xffb", `job.id = "a\xffb": is not valid UTF-8`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := rollout.ValidateJobID(c.id)
			if c.problem == "" {
				if err != nil {
					t.Fatalf("ValidateJobID refused an ID of %d bytes: %v", len(c.id), err)
				}
				return
			}
			var fe *rollout.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, rollout.ErrInvalid) || fe.Field != "job.id" {
				t.Fatalf("ValidateJobID = %v; want a *FieldError for job.id wrapping ErrInvalid", err)
			}
			if err.Error() != c.problem {
				t.Errorf("ValidateJobID = %q; want %q", err, c.problem)
			}
		})
	}
}

// TestValidateJobIDInValidate: JobVersion.Validate applies ValidateJobID
// to the job's ID, and Step names an over-long ID by its length wherever
// it reports it (an allocation, a history entry or a deployment of
// another job).
func TestValidateJobIDInValidate(t *testing.T) {
	long := strings.Repeat("z", 40000)
	v := rollout.JobVersion{ID: long, Groups: []rollout.Group{{Name: "web", Count: 1}}}
	err := v.Validate()
	fe := badField(t, err, "job.id", nil)
	if want := "job.id: is 40000 bytes, longer than the 4096 bytes allowed"; fe.Error() != want {
		t.Errorf("Validate of a 40000-byte ID: %q; want %q", fe, want)
	}
	v.ID = "a/b"
	if err := v.Validate(); err != nil {
		t.Errorf("Validate refuses job ID %q: %v", v.ID, err)
	}

	// Step of a job whose ID is too long, with records of another,
	// as long: every problem is reported, none quotes either ID.
	in := badInput()
	in.Job.ID = long
	in.History[0].ID = long + "h"
	in.Deployment.JobID = long + "d"
	err = badStep(t, in)
	badField(t, err, "job.id", nil)
	badField(t, err, "history[0].id", nil)
	badField(t, err, "deployment.job_id", nil)
	badField(t, err, `alloc "a0" job_id`, nil)
	if n := len(err.Error()); n > 2000 {
		t.Errorf("Step's error is %d bytes; want the over-long IDs named by their length:\n%.500s", n, err)
	}
	if !strings.Contains(err.Error(), "(an ID of 40000 bytes)") || !strings.Contains(err.Error(), "(an ID of 40001 bytes)") {
		t.Errorf("Step's error does not name the IDs by their length:\n%s", err)
	}
}
