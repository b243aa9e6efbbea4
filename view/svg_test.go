package view

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
)

var update = flag.Bool("update", false, "rewrite testdata/timeline.golden.svg")

// canaryStory builds a timeline by hand: a rolling v0, a v1 with one
// canary that is promoted, then a v2 that fails and reverts, with several
// events at the same moment to crowd the labels.
func canaryStory() *Timeline {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tl := NewTimeline("web: canary, promotion, failure and revert", t0)
	allocs := func(v uint64, n int, h rollout.HealthStatus) []rollout.Alloc {
		out := make([]rollout.Alloc, n)
		for i := range out {
			out[i] = rollout.Alloc{JobVersion: v, Desired: rollout.DesiredRun, Client: rollout.ClientRunning, Health: rollout.AllocHealth{Status: h}}
		}
		return out
	}
	cat := func(as ...[]rollout.Alloc) []rollout.Alloc {
		var out []rollout.Alloc
		for _, a := range as {
			out = append(out, a...)
		}
		return out
	}
	canary := &rollout.Deployment{Groups: []rollout.DeploymentGroup{{DesiredCanaries: 1}}}
	tl.Mark(at(0), MarkSubmit, "v0")
	tl.MarkTransitions(at(0), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionCreated}}})
	tl.Sample(at(0), 0, allocs(0, 3, ""))
	tl.Sample(at(20), 0, allocs(0, 3, rollout.Healthy))
	tl.MarkTransitions(at(20), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionSucceeded}}})
	tl.Mark(at(20), MarkSubmit, "v1")
	tl.MarkTransitions(at(20), &rollout.Output{Deployment: canary, Transitions: []rollout.Transition{{Kind: rollout.TransitionCreated}}})
	tl.Sample(at(20), 1, cat(allocs(0, 3, rollout.Healthy), allocs(1, 1, "")))
	tl.Sample(at(40), 1, cat(allocs(0, 3, rollout.Healthy), allocs(1, 1, rollout.Healthy)))
	tl.MarkTransitions(at(60), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionPromoted}}})
	tl.Sample(at(60), 1, cat(allocs(0, 2, rollout.Healthy), allocs(1, 1, rollout.Healthy), allocs(1, 1, "")))
	tl.MarkTransitions(at(70), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionPaused}}})
	tl.MarkTransitions(at(80), &rollout.Output{Deployment: &rollout.Deployment{Groups: []rollout.DeploymentGroup{{DesiredCanaries: 1, Promoted: true}}}, Transitions: []rollout.Transition{{Kind: rollout.TransitionResumed}}})
	tl.Sample(at(90), 1, allocs(1, 3, rollout.Healthy))
	tl.MarkTransitions(at(90), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionSucceeded}}})
	tl.Mark(at(90), MarkSubmit, "v2")
	tl.MarkTransitions(at(90), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionCreated}}})
	tl.Sample(at(100), 2, cat(allocs(1, 2, rollout.Healthy), allocs(2, 1, rollout.Unhealthy)))
	tl.MarkTransitions(at(100), &rollout.Output{Revert: &rollout.JobVersion{Version: 3}, Transitions: []rollout.Transition{{Kind: rollout.TransitionFailed}, {Kind: rollout.TransitionReverted}}})
	tl.Mark(at(100), MarkSubmit, "v3 (revert to v1)")
	tl.MarkTransitions(at(100), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionCreated}}})
	tl.Sample(at(120), 3, allocs(1, 3, rollout.Healthy))
	tl.MarkTransitions(at(120), &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionSucceeded}}})
	return tl
}

func writeStory(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	tl := canaryStory()
	if err := WriteSVG(&b, tl.Title, []*Timeline{tl}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTimelineGolden pins the picture byte for byte (go test -update
// rewrites it; look at the rendering before committing it), and checks
// that the same input draws the same bytes.
func TestTimelineGolden(t *testing.T) {
	got := writeStory(t)
	if again := writeStory(t); !bytes.Equal(got, again) {
		t.Fatal("two drawings of the same timeline differ")
	}
	path := filepath.Join("testdata", "timeline.golden.svg")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the timeline differs from %s (go test -update rewrites it)", path)
	}
	// The title appears once.
	if n := bytes.Count(got, []byte("web: canary, promotion")); n != 1 {
		t.Errorf("title drawn %d times, want once", n)
	}
}

// TestPhases checks the bands a deployment's transitions draw.
func TestPhases(t *testing.T) {
	got := canaryStory().Phases()
	want := []Phase{
		{Start: 0, End: 20 * time.Second, Kind: PhaseRolling},
		{Start: 20 * time.Second, End: 60 * time.Second, Kind: PhaseCanary},
		{Start: 60 * time.Second, End: 70 * time.Second, Kind: PhaseRolling},
		{Start: 70 * time.Second, End: 80 * time.Second, Kind: PhasePaused},
		{Start: 80 * time.Second, End: 90 * time.Second, Kind: PhaseRolling},
		{Start: 90 * time.Second, End: 100 * time.Second, Kind: PhaseRolling},
		{Start: 100 * time.Second, End: 120 * time.Second, Kind: PhaseRolling},
	}
	if len(got) != len(want) {
		t.Fatalf("phases %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("phase %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestLabelsNeverOverlap lays out many marks at nearly the same moments:
// no two labels in a row may overlap, and each stays inside the picture.
func TestLabelsNeverOverlap(t *testing.T) {
	var marks []Mark
	for i := range 30 {
		marks = append(marks, Mark{At: time.Duration(i%7) * time.Second, Kind: MarkSubmit, Label: "a longish label"})
	}
	marks = append(marks, Mark{At: 100 * time.Second, Kind: MarkFail, Label: "failed at the very end"})
	labels := layoutLabels(marks, scale{end: 100 * time.Second})
	if len(labels) != len(marks) {
		t.Fatalf("%d labels for %d marks", len(labels), len(marks))
	}
	for i, a := range labels {
		if a.left < 0 || a.right > svgWidth {
			t.Errorf("label %q at [%.1f, %.1f] leaves the picture", a.mark.Label, a.left, a.right)
		}
		for _, b := range labels[i+1:] {
			if a.row == b.row && a.left < b.right && b.left < a.right {
				t.Errorf("labels overlap in row %d: [%.1f, %.1f] and [%.1f, %.1f]", a.row, a.left, a.right, b.left, b.right)
			}
		}
	}
	if !labels[len(labels)-1].alignEnd {
		t.Error("the label at the right edge is not drawn to the left of its marker")
	}
}

// TestTimelineRenders converts the picture to PNG with rsvg-convert, when
// it is installed (.ci/setup.d/rsvg.sh installs it in CI), and checks that
// an image of the picture's size, with more than a blank page in it, comes
// out.
func TestTimelineRenders(t *testing.T) {
	rsvg, err := exec.LookPath("rsvg-convert")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("rsvg-convert is missing; .ci/setup.d/rsvg.sh installs it")
		}
		t.Skip("rsvg-convert is not installed")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "t.svg"), filepath.Join(dir, "t.png")
	if err := os.WriteFile(in, writeStory(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(rsvg, "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("rsvg-convert: %v\n%s", err, msg)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkPNG(t, f)
}

// run returns n allocations of version v in group g, from slot first,
// with the client status and health verdict given.
func run(g string, first, n int, v uint64, c rollout.ClientStatus, h rollout.HealthStatus) []rollout.Alloc {
	out := make([]rollout.Alloc, n)
	for i := range out {
		idx := first + i
		out[i] = rollout.Alloc{ID: fmt.Sprintf("%s-%d-v%d", g, idx, v), Group: g, Index: idx, JobVersion: v, Desired: rollout.DesiredRun, Client: c, Health: rollout.AllocHealth{Status: h}}
	}
	return out
}

// TestSampleCounts checks how allocations are counted, table-driven: each
// case says why.
func TestSampleCounts(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		allocs []rollout.Alloc
		want   Sample
	}{
		{"a healthy older version stays green, lighter", run("web", 0, 2, 0, rollout.ClientRunning, rollout.Healthy), Sample{OldHealthy: 2}},
		{"an older version without a verdict is grey", run("web", 0, 2, 0, rollout.ClientRunning, ""), Sample{Old: 2}},
		{"a failed allocation not replaced holds its slot, red", run("web", 0, 1, 1, rollout.ClientFailed, ""), Sample{Unhealthy: 1}},
		{"a failed allocation replaced in its slot no longer counts",
			append(run("web", 0, 1, 1, rollout.ClientFailed, ""), run("web", 0, 1, 1, rollout.ClientPending, "")...), Sample{NewPending: 1}},
		{"a completed allocation does not count", run("web", 0, 1, 1, rollout.ClientComplete, ""), Sample{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := NewTimeline("t", t0)
			tl.Sample(t0, 1, tc.allocs)
			got := tl.Samples()
			if tc.want == (Sample{}) && len(got) == 0 {
				return
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("samples %+v, want [%+v]", got, tc.want)
			}
		})
	}
}

// TestNeverStartedIsRed: allocations that wait to start and then fail
// count unhealthy over the whole span they waited, even when they are
// replaced at the very moment they fail.
func TestNeverStartedIsRed(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := NewTimeline("t", t0)
	old := run("web", 0, 2, 0, rollout.ClientRunning, rollout.Healthy)
	tl.Sample(t0, 1, append(old, run("web", 2, 1, 1, rollout.ClientPending, "")...))
	tl.Sample(t0.Add(8*time.Second), 2, append(old, append(run("web", 2, 1, 1, rollout.ClientFailed, ""), run("web", 2, 1, 2, rollout.ClientPending, "")...)...))
	got := tl.GroupSamples("web")
	if len(got) != 2 || got[0].Unhealthy != 1 || got[0].NewPending != 0 {
		t.Fatalf("samples %+v: want the waiting allocation red from the start", got)
	}
	if got[1].NewPending != 1 || got[1].Unhealthy != 0 {
		t.Errorf("after the failure %+v: want only its replacement, pending", got[1])
	}
	// One that starts is never painted red.
	tl = NewTimeline("t", t0)
	tl.Sample(t0, 1, run("web", 0, 1, 1, rollout.ClientPending, ""))
	tl.Sample(t0.Add(time.Second), 1, run("web", 0, 1, 1, rollout.ClientRunning, ""))
	tl.Sample(t0.Add(2*time.Second), 1, run("web", 0, 1, 1, rollout.ClientFailed, ""))
	if got := tl.GroupSamples("web"); got[0].NewPending != 1 {
		t.Errorf("an allocation that started was painted red while it waited: %+v", got)
	}
}

// TestGroupsToldApart: each group gets its own plot, named.
func TestGroupsToldApart(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := NewTimeline("shop", t0)
	tl.Sample(t0, 0, append(run("api", 0, 3, 0, rollout.ClientRunning, rollout.Healthy), run("cache", 0, 2, 0, rollout.ClientPending, "")...))
	if g := tl.Groups(); len(g) != 2 || g[0] != "api" || g[1] != "cache" {
		t.Fatalf("groups %v", g)
	}
	var b bytes.Buffer
	if err := WriteSVG(&b, "shop", []*Timeline{tl}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{`data-group="api"`, `data-group="cache"`, `>api</text>`, `>cache</text>`} {
		if !bytes.Contains(b.Bytes(), []byte(g)) {
			t.Errorf("no %s in the picture", g)
		}
	}
}

// TestMarksOnce: an operator's promote and the promotion it makes, at the
// same moment, are one mark.
func TestMarksOnce(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tl := NewTimeline("t", t0)
	tl.MarkTransitions(t0, &rollout.Output{Transitions: []rollout.Transition{{Kind: rollout.TransitionPromoted}}})
	tl.Mark(t0, MarkPromote, "promote")
	tl.Mark(t0.Add(time.Second), MarkPromote, "promote")
	if m := tl.Marks(); len(m) != 2 || m[0].Label != "promoted" {
		t.Errorf("marks %+v, want one promotion per moment", m)
	}
}

// TestLastLabelRightOfItsLine: the final "successful" reads after the
// failure before it: its label starts at its line.
func TestLastLabelRightOfItsLine(t *testing.T) {
	tl := canaryStory()
	labels := layoutLabels(tl.marks, tl.xScale())
	last := labels[len(labels)-1]
	if last.mark.Label != "successful" || last.alignEnd || last.right > svgWidth {
		t.Errorf("last label %+v: want %q right of its line, inside the picture", last, "successful")
	}
}

func TestPanelTitle(t *testing.T) {
	for _, tc := range []struct{ title, panel, want string }{
		{"tour", "tour", ""},
		{"geo: a rollout", `geo: a rollout — job "geo"`, `job "geo"`},
		{"all walkthroughs", "nginx — job \"web\"", "nginx — job \"web\""},
	} {
		if got := panelTitle(tc.title, tc.panel); got != tc.want {
			t.Errorf("panelTitle(%q, %q) = %q, want %q", tc.title, tc.panel, got, tc.want)
		}
	}
}
