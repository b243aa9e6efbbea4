package dashboard

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser finds a Chromium or Chrome binary.
func browser() string {
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowserPromote drives a real headless browser: the page shows the
// canary deployment waiting for promotion; clicking Promote promotes it,
// and the page shows the new state without a reload: the script does not
// refresh after a command, only on the server-sent event the change causes.
// Without a browser it skips, except under CI.
func TestBrowserPromote(t *testing.T) {
	bin := browser()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium binary; .ci/setup.d/chromium.sh installs it")
		}
		t.Skip("no chromium binary")
	}
	b := newClusterBackend()
	b.addCanaryJob(t, job)
	srv := httptest.NewServer(mustNew(t, b, Options{Authorize: allowAll}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first action starts the browser; it runs without a deadline
	// (a deadline on it would bound the browser's whole life).
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/job?name="+job)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(ctx, 25*time.Second)
	defer cancel()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("wait for the promote button", chromedp.Do(ctx, chromedp.WaitVisible("#btn-promote")))
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("deployment-description").textContent`))
	must("read the description", err)
	// A mark on the page that a reload would wipe.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[string](`window.notReloaded = "yes"`))
	must("mark the page", err)
	must("click promote", chromedp.Do(ctx, chromedp.Click("#btn-promote")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("deployment-status").textContent === "successful"`, chromedp.WithPollingTimeout(20*time.Second)))
	must("wait for the page to show the promoted deployment", err)
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("deployment-description").textContent`))
	must("read the description", err)
	// Promote no longer applies: the button is disabled and says why.
	why, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("btn-promote").disabled ? document.getElementById("why-promote").textContent : "enabled"`))
	must("read the promote button", err)
	if why != "the deployment is successful" {
		t.Errorf("promote after success: %q, want disabled because the deployment is successful", why)
	}
	// A freeze without a reason is refused by the engine: the page shows
	// the error.
	must("click freeze", chromedp.Do(ctx, chromedp.Click("#btn-freeze")))
	refusal, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("error").textContent`, chromedp.WithPollingTimeout(20*time.Second)))
	must("wait for the refusal", err)
	if !strings.Contains(refusal, "freeze") {
		t.Errorf("refused freeze shows %q, want the engine's error", refusal)
	}
	marker, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.notReloaded || "reloaded"`))
	must("read the mark", err)
	if !strings.Contains(before, "requires manual promotion") {
		t.Errorf("before: %q, want a deployment waiting for promotion", before)
	}
	if after != "Deployment completed successfully" {
		t.Errorf("after promote: %q", after)
	}
	if marker != "yes" {
		t.Error("the page was reloaded")
	}
	if !promoted(t, b) {
		t.Error("the backend's deployment is not promoted")
	}
}
