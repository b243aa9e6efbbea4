package view

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

// TestJobStatusShowsUnknown: an allocation whose node stopped heartbeating
// is counted in the summary's Unknown column, as `nomad job status` counts
// it, and listed with status unknown.
func TestJobStatusShowsUnknown(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	job := rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:1"}}}
	allocs := []rollout.Alloc{
		{ID: "aaaaaaaa-1", JobID: "web", Group: "api", Index: 0, Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: t0},
		{ID: "bbbbbbbb-2", JobID: "web", Group: "api", Index: 1, Desired: rollout.DesiredRun, Client: rollout.ClientUnknown, StatusTime: t0, CreateTime: t0},
	}
	got := Summarize(&job, allocs)
	if want := (Summary{Group: "api", Running: 1, Unknown: 1}); len(got) != 1 || got[0] != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	var b bytes.Buffer
	JobStatus(&b, t0.Add(time.Minute), &job, nil, allocs)
	out := b.String()
	for _, want := range []string{
		"Task Group  Queued  Starting  Running  Failed  Complete  Lost  Unknown\n",
		"api         0       0         1        0       0         0     1\n",
		"bbbbbbbb  api         [1]   0        run      unknown  -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("job status lacks %q:\n%s", want, out)
		}
	}
}
