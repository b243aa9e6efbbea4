package healthcheck_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rollout-go/rollout/healthcheck"
)

// A Source runs the checks of each allocation as it starts and reports task
// lifecycle callbacks; a Runner takes it as its HealthSource.
func ExampleSource() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	defer app.Close()

	src := healthcheck.NewSource(nil) // the real clock
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, _ := src.Events(ctx, "web")

	// The allocation started: report its task with the process start time,
	// and run the check the group declares as "api".
	started := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	check := healthcheck.HTTP("api", app.URL+"/health")
	check.Interval, check.Timeout = 5*time.Second, time.Second
	src.Register("web", "web-1", check)
	_ = src.TaskStarted("web-1", "server", started)

	seen := 0
	for batch := range events {
		for _, e := range batch {
			fmt.Println(e.Alloc, e.Kind, e.Task+e.Check)
			seen++
		}
		if seen == 2 {
			break
		}
	}
	// Unordered output:
	// web-1 task-started server
	// web-1 check-passing api
}
