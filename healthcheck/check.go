// Package healthcheck runs real health checks (HTTP, TCP connect, exec) on
// the allocations of a job and turns their results, and the lifecycle of
// their tasks, into rollout health events: a ready controller.HealthSource.
//
// Checks are named like Nomad's service checks, so a Check's Name lines up
// with the names in rollout.Group.Checks. Every event carries the time the
// state really changed: when the probe result that crossed the threshold was
// observed, or the task's start time as the caller reports it.
package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// Probe runs one check attempt and returns nil when it passes. It must return
// promptly once ctx is done.
type Probe func(ctx context.Context) error

// Check is one service check of an allocation.
type Check struct {
	// Name is the check's name, as listed in rollout.Group.Checks.
	Name string
	// Probe runs one attempt.
	Probe Probe
	// Interval is the time from the start of one attempt to the start of
	// the next (default 10s, as Nomad's interval).
	Interval time.Duration
	// Timeout bounds one attempt (default 2s); an attempt that runs longer
	// fails.
	Timeout time.Duration
	// SuccessBeforePassing is how many consecutive passing attempts make
	// the check passing (Nomad's success_before_passing; 0 means 1).
	SuccessBeforePassing int
	// FailuresBeforeCritical is how many consecutive failing attempts make
	// the check failing (Nomad's failures_before_critical; 0 means 1).
	FailuresBeforeCritical int
}

// Default interval and timeout of a check.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 2 * time.Second
)

func (c *Check) interval() time.Duration {
	if c.Interval <= 0 {
		return DefaultInterval
	}
	return c.Interval
}

func (c *Check) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func atLeastOne(n int) int { return max(n, 1) }

// HTTPCheck describes an HTTP check: a request (GET by default) of URL that passes when the status
// code is within [MinStatus, MaxStatus] (default 200-299, as Nomad's "http"
// check) and the body, when Body or BodyRegexp is set, contains Body and
// matches BodyRegexp.
type HTTPCheck struct {
	URL string
	// Method is the request's method (default GET); Header its headers.
	Method               string
	Header               http.Header
	MinStatus, MaxStatus int
	Body                 string
	BodyRegexp           *regexp.Regexp
	// Client makes the requests (default http.DefaultClient).
	Client *http.Client
}

// maxBody is how much of a response body a body match reads.
const maxBody = 64 << 10

// Probe returns the probe of the check.
func (h HTTPCheck) Probe() Probe {
	return func(ctx context.Context) error {
		method := h.Method
		if method == "" {
			method = http.MethodGet
		}
		req, err := http.NewRequestWithContext(ctx, method, h.URL, nil)
		if err != nil {
			return err
		}
		for k, vs := range h.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		client := h.Client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		lo, hi := h.MinStatus, h.MaxStatus
		if lo == 0 && hi == 0 {
			lo, hi = 200, 299
		}
		if resp.StatusCode < lo || resp.StatusCode > hi {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
			return fmt.Errorf("healthcheck: %s %s: status %d not in %d-%d", method, h.URL, resp.StatusCode, lo, hi)
		}
		if h.Body == "" && h.BodyRegexp == nil {
			return nil
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return err
		}
		if h.Body != "" && !strings.Contains(string(body), h.Body) {
			return fmt.Errorf("healthcheck: GET %s: body lacks %q", h.URL, h.Body)
		}
		if h.BodyRegexp != nil && !h.BodyRegexp.Match(body) {
			return fmt.Errorf("healthcheck: GET %s: body does not match %s", h.URL, h.BodyRegexp)
		}
		return nil
	}
}

// HTTP returns an HTTP check named name that GETs url and passes on a 2xx
// status.
func HTTP(name, url string) Check {
	return Check{Name: name, Probe: HTTPCheck{URL: url}.Probe()}
}

// TCP returns a check named name that passes when a TCP connection to addr
// (host:port) opens, as Nomad's "tcp" check.
func TCP(name, addr string) Check {
	return Check{Name: name, Probe: func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}}
}

// Exec returns a check named name that runs the command and passes when it
// exits with status 0, as Nomad's "script" check. The command is killed when
// the attempt times out.
func Exec(name, command string, args ...string) Check {
	return Check{Name: name, Probe: func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, command, args...)
		cmd.WaitDelay = time.Second
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return errors.Join(err, ctx.Err())
			}
			return err
		}
		return nil
	}}
}
