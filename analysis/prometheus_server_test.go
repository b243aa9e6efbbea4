package analysis

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/rollout-go/rollout"
)

// sim drives rollout.Step as a caller does, for one job: it applies every
// output, marks new allocations healthy (health_check = manual), keeps the
// history, and submits reverts.
type sim struct {
	t      *testing.T
	job    rollout.JobVersion
	hist   []rollout.JobVersion
	dep    *rollout.Deployment
	allocs []rollout.Alloc
	cmds   []rollout.Command
	last   time.Time // the latest Now given to Step
}

func (s *sim) step(now time.Time) rollout.Output {
	s.t.Helper()
	if !now.After(s.last) {
		now = s.last.Add(time.Millisecond)
	}
	s.last = now
	var ids []string
	for _, a := range s.allocs {
		if a.JobVersion == s.job.Version && a.Desired == rollout.DesiredRun && a.Health.Status == "" && s.dep != nil && a.DeploymentID == s.dep.ID {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) > 0 {
		s.cmds = append(s.cmds, rollout.SetHealth(true, ids...))
	}
	out, err := rollout.Step(rollout.Input{Now: now, Job: s.job, History: s.hist, Deployment: s.dep, Allocs: s.allocs, Commands: s.cmds})
	s.cmds = nil
	if err != nil {
		s.t.Fatalf("Step: %v", err)
	}
	s.allocs = out.Apply(s.allocs)
	for i := range s.allocs {
		if s.allocs[i].Client == rollout.ClientPending {
			s.allocs[i].Client = rollout.ClientRunning
		}
	}
	s.dep = out.Deployment
	if out.Job != nil {
		s.job = *out.Job
		s.hist[len(s.hist)-1] = s.job
	}
	if out.Revert != nil {
		s.submit(*out.Revert)
	}
	return out
}

func (s *sim) submit(j rollout.JobVersion) {
	s.job = j
	s.hist = append(s.hist, j)
}

// loopFor returns a Loop over the sim, with the provider given.
func (s *sim) loopFor(p Provider) *Loop {
	return &Loop{
		Job: s.job.ID, Providers: map[string]Provider{"prometheus": p},
		State: func(context.Context) (rollout.JobVersion, *rollout.Deployment, error) { return s.job, s.dep, nil },
		Record: func(_ context.Context, c rollout.Command) error {
			s.cmds = append(s.cmds, c)
			return nil
		},
		Timeout: 3 * time.Second,
	}
}

// analysedJob is version v of a job with one canary, auto_promote,
// auto_revert and an analysis of the error ratio against a threshold and
// the baseline, measured twice a second apart.
func analysedJob(id string, v uint64, spec string, on rollout.InconclusiveAction) rollout.JobVersion {
	one, yes, manual := 1, true, rollout.HealthManual
	mht := time.Duration(0)
	return rollout.JobVersion{ID: id, Version: v, Groups: []rollout.Group{{
		Name: "web", Count: 2, Spec: spec,
		Update: &rollout.UpdateBlock{
			MaxParallel: &one, Canary: &one, AutoPromote: &yes, AutoRevert: &yes, HealthCheck: &manual, MinHealthyTime: &mht,
			Analysis: &rollout.Analysis{
				Interval: time.Second, Measurements: 2, OnInconclusive: on,
				Checks: []rollout.AnalysisCheck{{
					Name: "errors", Provider: "prometheus", Threshold: "< 0.05", Baseline: true,
					Query: `app_error_ratio{job_id="{{.Job}}",version="{{.Version}}"}`,
				}},
			},
		},
	}}}
}

// newSim runs version 0 of the job to a successful deployment, then
// submits version 1.
func newSim(t *testing.T, id string, on rollout.InconclusiveAction) *sim {
	s := &sim{t: t}
	s.submit(analysedJob(id, 0, "v0", on))
	now := time.Now()
	for i := 0; i < 5 && (s.dep == nil || s.dep.Status != rollout.StatusSuccessful); i++ {
		now = now.Add(time.Millisecond)
		s.step(now)
	}
	if s.dep == nil || s.dep.Status != rollout.StatusSuccessful {
		t.Fatalf("version 0 did not deploy: %+v", s.dep)
	}
	s.submit(analysedJob(id, 1, "v1", on))
	return s
}

// runAnalysis steps the sim and the loop until the deployment of version
// 1 is promoted or ends, for at most 30 seconds.
func runAnalysis(t *testing.T, s *sim, l *Loop) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		now := time.Now()
		s.step(now)
		if d := s.dep; d != nil && d.JobVersion == 1 && (d.Status.Terminal() || d.Groups[0].Promoted) {
			return
		}
		if _, err := l.Once(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the analysis did not end in 30s: %+v", s.dep)
}

// startPrometheus starts the prometheus binary on a free port of
// 127.0.0.1, scraping target every second, and returns its API client.
func startPrometheus(t *testing.T, target string) promv1.API {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("the prometheus binary is not installed (.ci/setup.d/prometheus.sh installs Debian's): skipping the test against a real server")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [%q]\n", target)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	client, err := api.NewClient(api.Config{Address: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	promAPI := promv1.NewAPI(client)
	// Ready once the target's series hold a few samples: at most 30s.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		v, _, _, err := promAPI.QueryRange(context.Background(), `app_error_ratio`, promv1.Range{Start: time.Now().Add(-5 * time.Second), End: time.Now(), Step: time.Second})
		if err == nil && strings.Count(v.String(), "@") >= 4*3 {
			return promAPI
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("prometheus did not scrape %s within 30s", target)
	return nil
}

// TestPrometheusServer runs canary analyses against a real Prometheus
// scraping an application whose version 1 is good for job "good" and bad
// (30% errors) for job "bad".
func TestPrometheusServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Prometheus server")
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# TYPE app_error_ratio gauge\n",
			`app_error_ratio{job_id="good",version="0"} 0.001`+"\n", `app_error_ratio{job_id="good",version="1"} 0.001`+"\n",
			`app_error_ratio{job_id="bad",version="0"} 0.001`+"\n", `app_error_ratio{job_id="bad",version="1"} 0.3`+"\n")
	}))
	defer app.Close()
	promAPI := startPrometheus(t, strings.TrimPrefix(app.URL, "http://"))
	prov := Prometheus{API: promAPI, Window: 5 * time.Second}

	t.Run("good canary is promoted", func(t *testing.T) {
		s := newSim(t, "good", rollout.InconclusiveFail)
		runAnalysis(t, s, s.loopFor(prov))
		g := s.dep.Groups[0]
		if s.dep.Status.Terminal() || !g.Promoted || len(g.Analysis) != 1 || g.Analysis[0].Status != rollout.AnalysisPassed {
			t.Fatalf("deployment %s %q, group %+v; want promoted after a passed analysis", s.dep.Status, s.dep.Description, g)
		}
		for _, m := range g.Analysis[0].Measurements {
			if m.Verdict != rollout.VerdictPass || m.Value != 0.001 {
				t.Errorf("measurement %+v, want pass at 0.001", m)
			}
		}
	})
	t.Run("bad canary fails and is reverted", func(t *testing.T) {
		s := newSim(t, "bad", rollout.InconclusiveFail)
		runAnalysis(t, s, s.loopFor(prov))
		if s.dep.Status != rollout.StatusFailed || !strings.Contains(s.dep.Description, rollout.DescAnalysisFailed) {
			t.Fatalf("deployment %s %q, want failed by analysis", s.dep.Status, s.dep.Description)
		}
		if s.job.RevertOf == nil || *s.job.RevertOf != 0 {
			t.Fatalf("job %+v, want a revert of version 0", s.job)
		}
		m := s.dep.Groups[0].Analysis[0].Measurements[0]
		if m.Verdict != rollout.VerdictFail || !strings.Contains(m.Reason, "is not < 0.05") || !strings.Contains(m.Reason, "Mann-Whitney") {
			t.Errorf("measurement %+v, want a failed threshold and baseline", m)
		}
	})
}

// TestPrometheusDown checks that a Prometheus that cannot be reached gives
// inconclusive results, which on_inconclusive turns into a failure or a
// retry, never a pass.
func TestPrometheusDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	client, err := api.NewClient(api.Config{Address: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	prov := Prometheus{API: promv1.NewAPI(client)}
	for _, tt := range []struct {
		on     rollout.InconclusiveAction
		status rollout.DeploymentStatus
	}{{rollout.InconclusiveFail, rollout.StatusFailed}, {rollout.InconclusiveRetry, rollout.StatusRunning}} {
		t.Run(string(tt.on), func(t *testing.T) {
			s := newSim(t, "down", tt.on)
			loop := s.loopFor(prov)
			now := time.Now()
			s.step(now) // the canary
			s.step(now) // healthy: the analysis starts
			now = s.last.Add(time.Second)
			if n, err := loop.Once(context.Background(), now); n != 1 || err != nil {
				t.Fatalf("Once = %d, %v; want one result", n, err)
			}
			s.step(now)
			run := s.dep.Groups[0].Analysis[0]
			if s.dep.Status != tt.status || run.Measurements[0].Verdict != rollout.VerdictInconclusive || s.dep.Groups[0].Promoted {
				t.Fatalf("deployment %s, run %+v; want %s after an inconclusive measurement", s.dep.Status, run, tt.status)
			}
		})
	}
}
