package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
)

// addRollingJob runs version 0 of a three-group job to success, then
// submits version 1 and lets it run for a while: a rolling update under
// way.
func (b *clusterBackend) addRollingJob(t *testing.T, name string, progress time.Duration) {
	t.Helper()
	c := rollouttest.NewCluster(rollouttest.Config{Default: rollouttest.Behavior{StartAfter: 2 * time.Second}})
	one, minHealthy := 1, 5*time.Second
	up := &rollout.UpdateBlock{MaxParallel: &one, MinHealthyTime: &minHealthy}
	job := func(spec string) rollout.JobVersion {
		return rollout.JobVersion{ID: name, Update: up, Groups: []rollout.Group{{Name: "web", Count: 4, Spec: spec}, {Name: "worker", Count: 2, Spec: spec}}}
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
	if err := c.RunFor(progress); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.clusters[name] = c
	b.mu.Unlock()
	c.Observe(func(*rollouttest.Cluster, rollouttest.StepInfo) { b.notify(name) })
}

// addRevertedJob runs version 0 to success, then a version 1 that never
// starts: its deployment fails and auto-revert brings version 0 back as
// version 2.
func (b *clusterBackend) addRevertedJob(t *testing.T, name string) {
	t.Helper()
	c := rollouttest.NewCluster(rollouttest.Config{
		Default:   rollouttest.Behavior{StartAfter: 2 * time.Second},
		Behaviors: map[string]rollouttest.Behavior{"broken": {NeverStarts: true, FailsAfter: 8 * time.Second}},
	})
	two, minHealthy, revert := 2, 5*time.Second, true
	up := &rollout.UpdateBlock{MaxParallel: &two, MinHealthyTime: &minHealthy, AutoRevert: &revert}
	for _, spec := range []string{"v0", "broken"} {
		if _, err := c.Submit(rollout.JobVersion{ID: name, Update: up, Groups: []rollout.Group{{Name: "api", Count: 4, Spec: spec}}}); err != nil {
			t.Fatal(err)
		}
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
	}
	b.mu.Lock()
	b.clusters[name] = c
	b.mu.Unlock()
}

// TestBrowserFleet drives a headless browser over a fleet of 50 jobs in
// the middle of rolling updates, one canary awaiting promotion and one
// failed and reverted deployment: it takes screenshots of the overview, a
// job page and the timeline (into $DASHBOARD_SCREENSHOTS when set) and
// checks what they must show.
func TestBrowserFleet(t *testing.T) {
	bin := browser()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium binary; .ci/setup.d/chromium.sh installs it")
		}
		t.Skip("no chromium binary")
	}
	b := newClusterBackend()
	for i := range 50 {
		b.addRollingJob(t, fmt.Sprintf("svc-%02d", i), time.Duration(3+i%9)*4*time.Second)
	}
	b.addCanaryJob(t, "checkout")
	b.addRevertedJob(t, "payments")
	srv := httptest.NewServer(mustNew(t, b, Options{Authorize: allowAll, Now: func() time.Time { c, _ := b.cluster("checkout"); return c.Now() }}))
	defer srv.Close()
	dir := os.Getenv("DASHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second) // a hang guard
	defer cancel()
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}

	// The overview: every job, the ones that need attention first.
	if n := text(`String(document.querySelectorAll("tr.job").length)`); n != "52" {
		t.Errorf("overview rows: %s, want 52", n)
	}
	first := text(`document.querySelector("tr.job").dataset.job + ": " + document.querySelector("tr.job .phase").textContent`)
	if first != "checkout: canaries awaiting promotion" {
		t.Errorf("first row %q, want the canary awaiting promotion", first)
	}
	if bars := text(`String(document.querySelectorAll("tr[data-job='svc-07'] .bar").length)`); bars != "2" {
		t.Errorf("svc-07 shows %s group bars, want 2", bars)
	}
	if phase := text(`document.querySelector("tr[data-job='svc-03'] .phase").textContent`); phase != "rolling" {
		t.Errorf("svc-03 phase %q, want rolling", phase)
	}
	if d := text(`document.querySelector("tr[data-job='svc-03'] .deadline").textContent`); !strings.HasSuffix(d, "s") {
		t.Errorf("svc-03 deadline %q, want a time left", d)
	}
	shot("overview.png")

	// Filtering is a plain GET form: it works without the script.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?q=pay")); err != nil {
		t.Fatal(err)
	}
	if n := text(`String(document.querySelectorAll("tr.job").length)`); n != "1" {
		t.Errorf("filtered rows: %s, want 1", n)
	}

	// The canary's job page: promote enabled, resume disabled with why.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/job?name=checkout")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#btn-promote")); err != nil {
		t.Fatal(err)
	}
	if s := text(`(document.getElementById("btn-promote").disabled ? "disabled" : "enabled") + ", resume: " + document.getElementById("why-resume").textContent`); s != "enabled, resume: not paused" {
		t.Errorf("commands: %q", s)
	}
	shot("job-checkout.png")

	// The reverted job: its page and timeline show the failure and revert.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/job?name=payments")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#timeline")); err != nil {
		t.Fatal(err)
	}
	if s := text(`document.getElementById("versions").textContent`); !strings.Contains(s, "v2") || !strings.Contains(s, "v0") {
		t.Errorf("versions table %q", s)
	}
	shot("job-payments.png")
	resp, err := http.Get(srv.URL + "/timeline.svg?name=payments")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`class="marker fail"`, `class="marker revert"`, "v2 (revert to v0)", `class="area unhealthy"`} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("timeline lacks %s", want)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/timeline.svg?name=payments")); err != nil {
		t.Fatal(err)
	}
	shot("timeline-payments.png")
}
