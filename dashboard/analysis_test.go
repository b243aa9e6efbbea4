package dashboard

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
	"github.com/rollout-go/rollout/view"
)

// addAnalysisJob runs version 0 of a job to success, then submits version
// 1 with a canary under an analysis of two checks, two measurements each
// with a failure allowed, and records the first measurement of each: the
// error rate passes, the latency fails. The analysis is still running.
func (b *clusterBackend) addAnalysisJob(t *testing.T, name string) (*rollouttest.Cluster, time.Time) {
	t.Helper()
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: time.Second}})
	one, canary, minHealthy := 1, 1, time.Second
	up := &rollout.UpdateBlock{MaxParallel: &one, Canary: &canary, MinHealthyTime: &minHealthy, Analysis: &rollout.Analysis{
		Interval: 30 * time.Second, Measurements: 2, FailureLimit: 1,
		Checks: []rollout.AnalysisCheck{
			{Name: "errors", Provider: "prometheus", Query: "sum(errors)", Threshold: "< 0.01"},
			{Name: "latency", Provider: "webhook", Query: "https://judge.example/latency"},
		},
	}}
	job := func(spec string) rollout.JobVersion {
		return rollout.JobVersion{ID: name, Update: up, Groups: []rollout.Group{{Name: "web", Count: 2, Spec: spec}}}
	}
	if _, err := c.Submit(job("v0")); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(job("v1")); err != nil {
		t.Fatal(err)
	}
	due := func(c *rollouttest.Cluster) []rollout.DueCheck {
		j, _ := c.Job()
		return rollout.DueChecks(&j, c.Deployment(), c.Now())
	}
	if err := c.RunUntil(func(c *rollouttest.Cluster) bool { return len(due(c)) == 2 }); err != nil {
		t.Fatal(err)
	}
	at := c.Now()
	if err := c.Command(rollout.RecordAnalysis(
		rollout.AnalysisResult{Time: at, Group: "web", Check: "errors", Verdict: rollout.VerdictPass, Value: 0.0025, Reason: "0.0025 < 0.01"},
		rollout.AnalysisResult{Time: at, Group: "web", Check: "latency", Verdict: rollout.VerdictFail, Value: 0.93, Reason: "the judge says 0.93 is too slow"},
	)); err != nil {
		t.Fatal(err)
	}
	if d := c.Deployment(); d == nil || d.Status != rollout.StatusRunning {
		t.Fatalf("setup: deployment %+v, want one running", d)
	}
	b.mu.Lock()
	b.clusters[name] = c
	b.mu.Unlock()
	return c, at
}

// TestJobPageShowsAnalysis: the job page shows each group's analysis run,
// its state, each check's verdict so far and every measurement with its
// time, verdict, value and reason; the JSON status holds the same run.
func TestJobPageShowsAnalysis(t *testing.T) {
	b := newClusterBackend()
	_, at := b.addAnalysisJob(t, "shop")
	srv := httptest.NewServer(mustNew(t, b, Options{}))
	t.Cleanup(srv.Close)
	page := get(t, srv.Client(), srv.URL+"/job?name=shop")
	i := strings.Index(page, `<h2 id="h-analysis">`)
	if i < 0 {
		t.Fatalf("the page has no analysis section:\n%s", page)
	}
	section, _, _ := strings.Cut(page[i:], "</section>")
	for _, want := range []string{
		`data-group="web" data-gate="canaries"`,
		`<span class="analysis-status verdict verdict-running">running</span>`,
		"v1 against baseline v0, started " + view.Stamp(at.Add(-30*time.Second)),
		// errors passed its first measurement; latency's failure counts
		`<td>errors</td><td>prometheus</td><td>&lt; 0.01</td><td class="verdict verdict-measuring">measuring</td><td>1 of 2 measurements, 0 failures`,
		`<td>latency</td><td>webhook</td><td>-</td><td class="verdict verdict-failed">failed</td><td>1 of 2 measurements, 1 failure`,
		`<tr class="measurement"><td>` + view.Stamp(at) + `</td><td class="verdict verdict-pass">pass</td><td>0.0025</td><td>0.0025 &lt; 0.01</td></tr>`,
		`<tr class="measurement"><td>` + view.Stamp(at) + `</td><td class="verdict verdict-fail">fail</td><td>0.93</td><td>the judge says 0.93 is too slow</td></tr>`,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the analysis section lacks %q:\n%s", want, section)
		}
	}
	if live := get(t, srv.Client(), srv.URL+"/live?name=shop"); !strings.Contains(live, "the judge says 0.93 is too slow") {
		t.Errorf("the live fragment lacks the measurements:\n%s", live)
	}
	b.addCanaryJob(t, "plain")
	if page := get(t, srv.Client(), srv.URL+"/job?name=plain"); strings.Contains(page, `id="h-analysis"`) {
		t.Errorf("a job without analysis has an analysis section:\n%s", page)
	}
	status := get(t, srv.Client(), srv.URL+"/v1/jobs/shop")
	for _, want := range []string{`"Gate": "canaries"`, `"Status": "running"`, `"Check": "latency"`, `"Verdict": "fail"`, `"Value": 0.93`, `"Reason": "the judge says 0.93 is too slow"`} {
		if !strings.Contains(status, want) {
			t.Errorf("GET /v1/jobs/shop lacks %s:\n%s", want, status)
		}
	}
}

// TestAnalysisCheckVerdicts: a check's verdict follows the core's count:
// inconclusive results fail under on_inconclusive = "fail" and are not
// counted under "retry".
func TestAnalysisCheckVerdicts(t *testing.T) {
	m := func(vs ...rollout.Verdict) []rollout.AnalysisResult {
		var out []rollout.AnalysisResult
		for _, v := range vs {
			out = append(out, rollout.AnalysisResult{Verdict: v})
		}
		return out
	}
	pass, fail, inc := rollout.VerdictPass, rollout.VerdictFail, rollout.VerdictInconclusive
	for _, tt := range []struct {
		name         string
		on           rollout.InconclusiveAction
		results      []rollout.AnalysisResult
		verdict, sum string
	}{
		{"none yet", rollout.InconclusiveFail, nil, "measuring", "0 of 3 measurements, 0 failures"},
		{"all passed", rollout.InconclusiveFail, m(pass, pass, pass), "passed", "3 of 3 measurements, 0 failures"},
		{"a failure", rollout.InconclusiveFail, m(pass, fail), "failed", "2 of 3 measurements, 1 failure"},
		{"inconclusive fails", rollout.InconclusiveFail, m(pass, inc), "failed", "2 of 3 measurements, 1 failure"},
		{"inconclusive retried", rollout.InconclusiveRetry, m(pass, inc, inc, pass), "measuring", "2 of 3 measurements, 0 failures"},
	} {
		c := analysisCheck{Measurements: tt.results}
		c.judge(rollout.Analysis{Measurements: 3, OnInconclusive: tt.on})
		if c.Verdict != tt.verdict || c.Summary != tt.sum {
			t.Errorf("%s: %q, %q; want %q, %q", tt.name, c.Verdict, c.Summary, tt.verdict, tt.sum)
		}
	}
}
