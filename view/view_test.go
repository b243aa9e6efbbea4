package view

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

func TestWriteSVGEscapesAndCopesWithNothing(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	empty := NewTimeline(`no steps <at> "all" & more`, t0)
	one := NewTimeline("one step", t0)
	one.Sample(t0, 1, []rollout.Alloc{
		{JobVersion: 0, Desired: rollout.DesiredRun, Client: rollout.ClientRunning},
		{JobVersion: 1, Desired: rollout.DesiredRun, Client: rollout.ClientPending, Health: rollout.AllocHealth{Status: rollout.Healthy}},
		{JobVersion: 1, Desired: rollout.DesiredStop, Client: rollout.ClientRunning},
	})
	one.Mark(t0, MarkFail, "a <bad> label")
	var b bytes.Buffer
	if err := WriteSVG(&b, "title & <more>", []*Timeline{empty, one}); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
	if p := one.Samples()[0]; p != (Sample{Old: 1, NewHealthy: 1}) {
		t.Errorf("sample %+v, want 1 old, 1 new healthy (the stopped one does not count)", p)
	}
}

func TestNiceSteps(t *testing.T) {
	for _, tc := range []struct{ v, n, want int }{{1, 5, 1}, {5, 5, 1}, {6, 5, 2}, {13, 5, 5}, {40, 5, 10}} {
		if got := niceStep(tc.v, tc.n); got != tc.want {
			t.Errorf("niceStep(%d, %d) = %d, want %d", tc.v, tc.n, got, tc.want)
		}
	}
	if got := niceDuration(40 * time.Second); got != time.Minute {
		t.Errorf("niceDuration(40s) = %v", got)
	}
}

// TestPlanOfARemovedGroup: a group the new version drops is listed with
// its stops, marked "-", after the job's groups.
func TestPlanOfARemovedGroup(t *testing.T) {
	var b bytes.Buffer
	from := rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:1"}, {Name: "cache", Count: 3, Spec: "redis:7"}}}
	to := rollout.JobVersion{ID: "web", Version: 1, Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:1"}}}
	Plan(&b, &from, &to, []rollout.GroupPlan{{Group: "api", Ignore: 2}, {Group: "cache", Destroy: 3}})
	want := "+/- Job: \"web\"\n    Task Group: \"api\" (2 ignore)\n- Task Group: \"cache\" (3 destroy)\n  - Count: \"3\" (forces destroy)\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestPlanOfANewJob(t *testing.T) {
	var b bytes.Buffer
	job := rollout.JobVersion{ID: "web", Groups: []rollout.Group{{Name: "api", Count: 2, Spec: "img:1"}}}
	Plan(&b, nil, &job, []rollout.GroupPlan{{Group: "api", Create: 2}})
	want := "+ Job: \"web\"\n+ Task Group: \"api\" (2 create)\n  + Count: \"2\" (forces create)\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if !strings.Contains(Ago(time.Unix(100, 0), time.Unix(28, 0)), "1m12s ago") {
		t.Error("Ago")
	}
}
