package walkthrough

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/view"
)

func play(t *testing.T, wt Walkthrough) *Session {
	t.Helper()
	s, err := Play(wt, io.Discard)
	if err != nil {
		t.Fatalf("%s: %v", wt.Name, err)
	}
	return s
}

// deployed is one row of the Deployed table: Promoted, Desired, Canaries,
// Placed, Healthy, Unhealthy, as the tutorials print them.
type deployed struct {
	Promoted                                      bool
	Desired, Canaries, Placed, Healthy, Unhealthy int
}

func rowOf(g rollout.DeploymentGroup) deployed {
	return deployed{g.Promoted, g.DesiredTotal, g.DesiredCanaries, g.Placed, g.Healthy, g.Unhealthy}
}

// summary is one row of the Summary table: Starting, Running, Failed,
// Complete, Lost.
type summary struct{ Starting, Running, Failed, Complete, Lost int }

func summaryOf(s view.Summary) summary {
	return summary{s.Starting, s.Running, s.Failed, s.Complete, s.Lost}
}

type want struct {
	label   string
	status  rollout.DeploymentStatus
	desc    string
	row     deployed
	summary summary
	reason  string
}

func checkSnapshots(t *testing.T, s *Session, wants []want) {
	t.Helper()
	for _, w := range wants {
		sn, ok := s.Snapshot(w.label)
		if !ok {
			t.Errorf("no snapshot %q", w.label)
			continue
		}
		if w.status != "" {
			if sn.Deployment == nil {
				t.Errorf("%s: no deployment, want one (%s)", w.label, w.reason)
				continue
			}
			d := sn.Deployment
			if d.Status != w.status || d.Description != w.desc {
				t.Errorf("%s: deployment %s %q, want %s %q (%s)", w.label, d.Status, d.Description, w.status, w.desc, w.reason)
			}
			if got := rowOf(d.Groups[0]); got != w.row {
				t.Errorf("%s: Deployed %+v, want %+v (%s)", w.label, got, w.row, w.reason)
			}
		} else if sn.Deployment != nil {
			t.Errorf("%s: deployment %s, want none (%s)", w.label, sn.Deployment.ID, w.reason)
		}
		if got := summaryOf(sn.Summary[0]); got != w.summary {
			t.Errorf("%s: Summary %+v, want %+v (%s)", w.label, got, w.summary, w.reason)
		}
	}
}

func deploymentList(s *Session) []string {
	var out []string
	deps := s.C.Deployments()
	for i := len(deps) - 1; i >= 0; i-- {
		out = append(out, fmt.Sprintf("v%d %s %s", deps[i].JobVersion, deps[i].Status, deps[i].Description))
	}
	return out
}

func TestSeed000Nginx(t *testing.T) {
	s := play(t, Nginx)
	checkSnapshots(t, s, []want{
		{"v1 halfway", rollout.StatusRunning, rollout.DescRunning, deployed{Desired: 2, Placed: 2, Healthy: 1}, summary{Starting: 1, Running: 1, Complete: 2},
			"max_parallel = 1: the second old allocation is replaced once the first new one is healthy"},
		{"v1 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 2, Placed: 2, Healthy: 2}, summary{Running: 2, Complete: 2},
			"both allocations run nginx:1.26.0"},
	})
	if got := s.Plans; !reflect.DeepEqual(got, []string{"nginx: 1 create/destroy update, 1 ignore"}) {
		t.Errorf("plans %q", got)
	}
}

func TestSeed001GeoAPIServer(t *testing.T) {
	s := play(t, GeoAPIServer)
	if got := s.Plans; !reflect.DeepEqual(got, []string{"api-server: 2 create/destroy update, 4 ignore"}) {
		t.Errorf("plans %q, want the tutorial's \"2 create/destroy update, 4 ignore\"", got)
	}
	checkSnapshots(t, s, []want{
		{"v1 mid-rollout", rollout.StatusRunning, rollout.DescRunning, deployed{Desired: 6, Placed: 4, Healthy: 2}, summary{Running: 6, Complete: 4},
			"the tutorial's `nomad status` during the rolling upgrade"},
		{"v1 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 6, Placed: 6, Healthy: 6}, summary{Running: 6, Complete: 6},
			"the tutorial's `nomad status` after the deployment"},
	})
	wantDeps := []string{
		"v3 successful Deployment completed successfully",
		"v2 failed Failed due to unhealthy allocations - rolling back to job version 1",
		"v1 successful Deployment completed successfully",
		"v0 successful Deployment completed successfully",
	}
	if got := deploymentList(s); !reflect.DeepEqual(got, wantDeps) {
		t.Errorf("nomad job deployments:\n%s\nwant the tutorial's:\n%s", strings.Join(got, "\n"), strings.Join(wantDeps, "\n"))
	}
	var stable []bool
	for _, v := range s.C.History().Versions {
		stable = append(stable, v.Stable)
	}
	if !reflect.DeepEqual(stable, []bool{true, true, false, true}) {
		t.Errorf("versions 0..3 Stable %v, want the tutorial's true, true, false, true", stable)
	}
	j, _ := s.C.Job()
	if j.RevertOf == nil || *j.RevertOf != 1 || j.Groups[0].Spec != "geo-api-server:0.2" {
		t.Errorf("version 3 %+v, want version 1's image, reverted", j)
	}
}

func TestSeed002DemoWebapp(t *testing.T) {
	s := play(t, DemoWebapp)
	checkSnapshots(t, s, []want{
		{"v1 running", "", "", deployed{}, summary{Running: 10},
			"no update block: no deployment (the rule before Nomad 0.10)"},
		{"v4 canaries failed", rollout.StatusRunning, rollout.DescRunningNeedsPromotion, deployed{Desired: 10, Canaries: 3, Placed: 3, Unhealthy: 3}, summary{Running: 10, Failed: 3, Complete: 10},
			"the tutorial's status of the broken canaries (its Failed 13 is Nomad's cumulative count)"},
		{"v5 canaries", rollout.StatusRunning, rollout.DescRunningNeedsPromotion, deployed{Desired: 10, Canaries: 3, Placed: 3, Healthy: 2}, summary{Running: 13, Failed: 3},
			"the tutorial's status of the healthy canaries before promotion"},
		{"v5 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Promoted: true, Desired: 10, Canaries: 3, Placed: 10, Healthy: 10}, summary{Running: 10, Failed: 3, Complete: 10},
			"the tutorial's final status"},
	})
	wantPlans := []string{
		"update-demo-webapp: 6 create, 4 in-place update",
		"update-demo-webapp: 1 create/destroy update, 9 ignore",
		"update-demo-webapp: 3 create/destroy update, 7 ignore",
		"update-demo-webapp: 3 canary, 10 ignore",
		"update-demo-webapp: 3 destroy, 3 canary, 10 ignore",
	}
	if !reflect.DeepEqual(s.Plans, wantPlans) {
		t.Errorf("plans:\n%s\nwant:\n%s", strings.Join(s.Plans, "\n"), strings.Join(wantPlans, "\n"))
	}
	wantDeps := []string{
		"v5 successful Deployment completed successfully",
		"v4 cancelled Cancelled due to newer version of job",
		"v3 successful Deployment completed successfully",
		"v2 successful Deployment completed successfully",
	}
	if got := deploymentList(s); !reflect.DeepEqual(got, wantDeps) {
		t.Errorf("deployments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantDeps, "\n"))
	}
}

func TestSeed004BlueGreen(t *testing.T) {
	s := play(t, BlueGreen)
	checkSnapshots(t, s, []want{
		{"green canaries", rollout.StatusRunning, rollout.DescRunningNeedsPromotion, deployed{Desired: 3, Canaries: 3, Placed: 3, Healthy: 3}, summary{Running: 6},
			"green runs beside blue"},
		{"green promoted", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Promoted: true, Desired: 3, Canaries: 3, Placed: 3, Healthy: 3}, summary{Running: 3, Complete: 3},
			"promotion stops all of blue and succeeds in the same step"},
	})
	// The promotion is one step (the first promotion of the walkthrough):
	// its output stops the 3 blue allocations and ends the deployment.
	found := false
	for i := range s.outs {
		out := &s.outs[i]
		if len(out.Transitions) == 0 || out.Transitions[0].Kind != rollout.TransitionPromoted {
			continue
		}
		kinds := []rollout.TransitionKind{}
		for _, tr := range out.Transitions {
			kinds = append(kinds, tr.Kind)
		}
		if len(out.Stop) != 3 || !reflect.DeepEqual(kinds, []rollout.TransitionKind{rollout.TransitionPromoted, rollout.TransitionSucceeded}) {
			t.Errorf("the blue/green promotion step: %d stops, transitions %v; want 3 stops, promoted then succeeded", len(out.Stop), kinds)
		}
		found = true
		break
	}
	if !found {
		t.Error("no promotion")
	}
	if got := s.Plans[0]; got != "api-server: 3 canary, 3 ignore" {
		t.Errorf("blue/green plan %q", got)
	}
	if got := s.Plans[1]; got != "one: 1 canary, 3 ignore; two: 2 create/destroy update, 1 ignore" {
		t.Errorf("inheritance plan %q", got)
	}
}

// xmlElement is any element, for walking a decoded SVG.
type xmlElement struct {
	XMLName  xml.Name
	Attrs    []xml.Attr   `xml:",any,attr"`
	Children []xmlElement `xml:",any"`
	Text     string       `xml:",chardata"`
}

func (e *xmlElement) walk(fn func(*xmlElement)) {
	fn(e)
	for i := range e.Children {
		e.Children[i].walk(fn)
	}
}

func TestSVGTimeline(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tour.svg")
	var out bytes.Buffer
	if err := Main("", []string{"-svg", file}, &out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var root xmlElement
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v", err)
	}
	if root.XMLName.Local != "svg" {
		t.Errorf("root element %q, want svg", root.XMLName.Local)
	}
	classes := map[string]int{}
	texts := map[string]bool{}
	root.walk(func(e *xmlElement) {
		for _, a := range e.Attrs {
			if a.Name.Local == "class" {
				classes[a.Value]++
			}
		}
		if e.XMLName.Local == "text" {
			texts[strings.TrimSpace(e.Text)] = true
		}
	})
	for _, c := range []string{"marker promote", "marker fail", "marker revert", "marker submit", "marker success", "area old", "area new-healthy", "area new-pending", "phase rolling", "phase canary"} {
		if classes[c] == 0 {
			t.Errorf("no element of class %q; classes: %v", c, classes)
		}
	}
	if n := classes["panel"]; n != 7 {
		t.Errorf("%d panels, want 7 (nginx, geo-api-server, demo-webapp, blue-green's two jobs, controls and analysis)", n)
	}
	for _, label := range []string{"promoted", "failed", "revert: v3"} {
		if !texts[label] {
			t.Errorf("no marker label %q", label)
		}
	}
}

func TestMainFlags(t *testing.T) {
	var out bytes.Buffer
	if err := Main("", []string{"-walkthrough", "nope"}, &out); err == nil {
		t.Error("an unknown walkthrough was accepted")
	}
	out.Reset()
	if err := Main("", []string{"-walkthrough", "nginx"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nginx-updater") || strings.Contains(out.String(), "geo-api-server") {
		t.Error("-walkthrough nginx did not replay nginx alone")
	}
	if err := Main("nginx", []string{"-walkthrough", "x"}, &out); err == nil {
		t.Error("a single walkthrough program accepted -walkthrough")
	}
}

func TestControls(t *testing.T) {
	s := play(t, Controls)
	checkSnapshots(t, s, []want{
		{"v0 at checkpoint 1", rollout.StatusPaused, rollout.DescPaused, deployed{Desired: 6, Placed: 1, Healthy: 1}, summary{Running: 1},
			"a first deployment places up to its first checkpoint, then pauses with Nomad's description"},
		{"v1 at checkpoint 1", rollout.StatusPaused, rollout.DescPaused, deployed{Desired: 6, Placed: 1, Healthy: 1}, summary{Running: 6, Complete: 1},
			"one surge allocation, healthy; its old namesake stopped"},
		{"v1 at checkpoint 2", rollout.StatusPaused, rollout.DescPaused, deployed{Desired: 6, Placed: 3, Healthy: 3}, summary{Running: 6, Complete: 3},
			`pause_after "50%" of 6 is 3`},
		{"v1 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 6, Placed: 6, Healthy: 6}, summary{Running: 6, Complete: 6},
			"the gate timed out and resumed the rollout to the end"},
		{"v2 held by the freeze", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 6, Placed: 6, Healthy: 6}, summary{Running: 6, Complete: 6},
			"frozen: no deployment for version 2 after an hour"},
		{"v2 deployed", rollout.StatusSuccessful, rollout.DescSuccessful, deployed{Desired: 6, Placed: 6, Healthy: 6}, summary{Running: 6, Complete: 12},
			"unfrozen, version 2 rolled out"},
	})
	var timedOut, frozen, updates int
	for i := range s.outs {
		for _, tr := range s.outs[i].Transitions {
			switch {
			case tr.Kind == rollout.TransitionResumed && strings.Contains(tr.Reason, "gate timed out"):
				timedOut++
			case tr.Kind == rollout.TransitionHeld || tr.Kind == rollout.TransitionFrozen:
				frozen++
			}
		}
		for _, p := range s.outs[i].Place {
			if p.Kind == rollout.KindUpdate {
				updates++
			}
		}
	}
	if timedOut != 4 || frozen < 2 || updates != 0 {
		t.Errorf("%d gate timeouts, %d freeze transitions, %d destructive updates; want 4 (v0, v1 and two in v2), at least 2, and none (max_surge places beside)", timedOut, frozen, updates)
	}
}
