package view_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
	"github.com/rollout-go/rollout/view"
)

// revertStory runs v0, a canary v1 promoted once healthy, and a v2 that
// never starts, fails and is reverted, in a simulated cluster.
func revertStory(t *testing.T) *rollouttest.Cluster {
	t.Helper()
	c := rollouttest.NewCluster(rollouttest.Config{
		Default:   rollouttest.Behavior{StartAfter: 5 * time.Second},
		Behaviors: map[string]rollouttest.Behavior{"web:broken": {NeverStarts: true, FailsAfter: 8 * time.Second}},
	})
	job := func(spec string, canaries int) rollout.JobVersion {
		u := &rollout.UpdateBlock{MaxParallel: ptr(1), Canary: ptr(canaries), MinHealthyTime: ptr(10 * time.Second), HealthyDeadline: ptr(5 * time.Minute), ProgressDeadline: ptr(10 * time.Minute), AutoRevert: ptr(true)}
		return rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "api", Count: 3, Spec: spec, Update: u}}}
	}
	steps := []struct {
		spec     string
		canaries int
	}{{"web:1", 0}, {"web:2", 1}, {"web:broken", 0}}
	for _, s := range steps {
		if _, err := c.Submit(job(s.spec, s.canaries)); err != nil {
			t.Fatal(err)
		}
		for {
			err := c.RunUntil(func(c *rollouttest.Cluster) bool {
				d := c.Deployment()
				return d != nil && d.RequiresPromotion() && d.Groups[0].Healthy >= d.Groups[0].DesiredCanaries
			})
			if err != nil {
				break // settled
			}
			if err := c.Command(rollout.Promote()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

// TestRecorded rebuilds the timeline of a job from its stored records, as
// the dashboard does: every version is marked with the number the history
// holds (the revert with the version it restores), the promotion, the
// failure and the revert are marked, the canary phase is drawn, and the
// allocations that never started are drawn red.
func TestRecorded(t *testing.T) {
	c := revertStory(t)
	h := c.History()
	tl := view.Recorded("job web", h.Versions, c.Deployments(), c.Allocations(), c.Now())
	var labels []string
	for _, m := range tl.Marks() {
		labels = append(labels, string(m.Kind)+":"+m.Label)
	}
	got := strings.Join(labels, " ")
	for _, want := range []string{"submit:v0", "submit:v1", "submit:v2", "submit:v3 (revert to v1)", "promote:promoted", "fail:failed", "revert:revert: v3", "success:successful"} {
		if !strings.Contains(got, want) {
			t.Errorf("marks %q lack %q", got, want)
		}
	}
	kinds := map[view.PhaseKind]bool{}
	for _, p := range tl.Phases() {
		kinds[p.Kind] = true
	}
	if !kinds[view.PhaseCanary] || !kinds[view.PhaseRolling] {
		t.Errorf("phases %+v: want a canary and a rolling phase", tl.Phases())
	}
	red, green := false, false
	for _, s := range tl.GroupSamples("api") {
		red = red || s.Unhealthy > 0
		green = green || s.NewHealthy > 0
	}
	if !red || !green {
		t.Errorf("samples: red %v, green %v; want both (the broken version, then the revert)", red, green)
	}
	var b bytes.Buffer
	if err := view.WriteSVG(&b, "job web", []*view.Timeline{tl}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`class="area unhealthy"`)) {
		t.Error("the picture draws no unhealthy area")
	}
}

// TestRecordedBoundsSamples: a thousand allocations placed over an hour
// draw at most one sample per two pixels.
func TestRecordedBoundsSamples(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var allocs []rollout.Alloc
	for i := range 1000 {
		at := t0.Add(time.Duration(i) * 3600 * time.Millisecond)
		allocs = append(allocs, rollout.Alloc{ID: strings.Repeat("a", 3) + time.Duration(i).String(), Group: "api", Index: i, Desired: rollout.DesiredRun, Client: rollout.ClientRunning,
			CreateTime: at, StatusTime: at.Add(time.Second), Health: rollout.AllocHealth{Status: rollout.Healthy, Time: at.Add(2 * time.Second)}})
	}
	versions := []rollout.JobVersion{{ID: "web", SubmitTime: t0}}
	tl := view.Recorded("big", versions, nil, allocs, t0.Add(time.Hour+time.Minute))
	s := tl.GroupSamples("api")
	if len(s) > 440 || len(s) < 100 {
		t.Errorf("%d samples, want between 100 and 440", len(s))
	}
	if last := s[len(s)-1]; last.NewHealthy != 1000 {
		t.Errorf("last sample %+v, want the 1000 healthy", last)
	}
}

func ptr[T any](v T) *T { return &v }
