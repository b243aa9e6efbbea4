// Command localproc rolls out real OS processes: a tiny HTTP server (./app)
// built once and run at versions v1, v2 and a broken v3 whose /health
// fails. A controller.Manager drives them with the bbolt store, real HTTP
// health checks (package healthcheck) and the live dashboard:
//
//  1. v1 rolls out one process at a time, each healthy once its /health
//     has answered for min_healthy_time;
//
//  2. v2 starts one canary and waits for promotion: press Promote on the
//     dashboard (or pass -auto);
//
//  3. v3 fails its checks; the deployment fails and auto-revert brings v2
//     back.
//
//     go run ./examples/localproc            # then open http://127.0.0.1:8080/
//
// Interrupt it (Ctrl-C) at any time: every process it started is killed
// before it exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/boltstore"
	"github.com/rollout-go/rollout/dashboard"
	"github.com/rollout-go/rollout/healthcheck"

	"github.com/rollout-go/rollout/controller"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "the dashboard's address")
	dir := flag.String("dir", "", "directory for the store and the app binary (default: a temporary one)")
	verbose := flag.Bool("v", false, "log every decision on stderr")
	auto := flag.Bool("auto", false, "promote the canary without waiting for the dashboard, and exit at the end")
	flag.Parse()
	if *verbose {
		logLevel = slog.LevelInfo
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *listen, *dir, *auto, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "localproc:", err)
		os.Exit(1)
	}
}

// story is what run did, for its test.
type story struct {
	pids []int
}

var last story

// logLevel is the level of the Manager's log on stderr (-v: every decision).
var logLevel = slog.LevelWarn

func run(ctx context.Context, listen, dir string, auto bool, out io.Writer) error {
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, format+"\n", args...)
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "localproc")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	bin := filepath.Join(dir, "app")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/rollout-go/rollout/examples/localproc/app")
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the app: %v\n%s", err, b)
	}
	store, err := boltstore.Open(filepath.Join(dir, "rollout.db"), nil)
	if err != nil {
		return err
	}
	defer store.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
	health := healthcheck.NewSource(nil)
	defer health.Close()
	d := &procs{health: health, allocs: map[string]*proc{}, log: func(f string, a ...any) { say("  "+f, a...) }}
	defer func() { d.Close(); last.pids = d.Pids() }()

	m, err := controller.NewManager(controller.ManagerConfig{Store: store, Driver: d, Health: health, CallTimeout: 10 * time.Second, Logger: logger,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		return err
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.Run(mctx)

	// The dashboard, with commands allowed from this machine only.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	dash, err := dashboard.New(dashboard.ManagerBackend(m), dashboard.Options{
		Title: "localproc",
		Authorize: func(r *http.Request, a dashboard.Action) error {
			if !a.Write {
				return nil // anyone who reaches the page may read it
			}
			if host, _, _ := net.SplitHostPort(r.RemoteAddr); host != "127.0.0.1" && host != "::1" {
				return errors.New("commands only from this machine")
			}
			return nil
		},
	})
	if err != nil {
		ln.Close()
		return err
	}
	srv := dashboard.NewServer("", dash) // header, read and idle timeouts
	go srv.Serve(ln)
	defer srv.Close()
	say("dashboard: http://%s/", ln.Addr())

	job := func(spec string, canary int) rollout.JobVersion {
		mp, mht, hd, pd := 1, time.Second, 20*time.Second, time.Duration(0)
		revert := true
		// What to run, as a job file defines it: the driver starts the
		// processes and their checks from this alone.
		version, broken := strings.CutSuffix(spec, "-broken")
		args := []any{"-listen-fd", "3", "-version", version}
		if broken {
			args = append(args, "-broken")
		}
		def := &rollout.GroupDefinition{
			Networks: []rollout.Network{{Ports: []rollout.Port{{Label: "http"}}}},
			Tasks:    []rollout.TaskDefinition{{Name: "app", Driver: "raw_exec", Config: map[string]any{"command": bin, "args": args}}},
			Services: []rollout.Service{{Name: "web", PortLabel: "http", Checks: []rollout.ServiceCheck{{
				Name: "http", Type: rollout.CheckHTTP, Path: "/health", Interval: 200 * time.Millisecond, Timeout: time.Second,
			}}}},
		}
		return rollout.JobVersion{ID: "web", Groups: []rollout.Group{{
			Name: "app", Count: 3, Spec: spec, Tasks: []string{"app"}, Checks: []string{"http"},
			Update: &rollout.UpdateBlock{MaxParallel: &mp, MinHealthyTime: &mht, HealthyDeadline: &hd, ProgressDeadline: &pd,
				AutoRevert: &revert, Canary: &canary},
			Definition: def,
		}}}
	}
	deploy := func(spec string, canary int) (rollout.Deployment, error) {
		var dep rollout.Deployment
		v, err := m.Submit(ctx, job(spec, canary), controller.WaitForDeployment(&dep))
		if err != nil {
			return dep, err
		}
		say("version %d (%s) submitted: deployment %s", v.Version, spec, dep.ID[:8])
		return dep, nil
	}

	// 1. A rolling update of v1.
	dep, err := deploy("v1", 0)
	if err != nil {
		return err
	}
	if dep, err = m.WaitDeployment(ctx, "web", dep.ID); err != nil {
		return err
	}
	say("v1: %s", dep.Description)

	// 2. A canary of v2, promoted from the dashboard (or at once with -auto).
	if dep, err = deploy("v2", 1); err != nil {
		return err
	}
	for d := range m.Watch(ctx, "web") {
		if d.ID == dep.ID && d.Groups[0].Healthy >= 1 {
			break
		}
	}
	if auto {
		say("v2: the canary is healthy; promoting")
		if err := m.Command(ctx, "web", rollout.Promote()); err != nil {
			return err
		}
	} else {
		say("v2: the canary is healthy; press Promote on the dashboard")
	}
	if dep, err = m.WaitDeployment(ctx, "web", dep.ID); err != nil {
		return err
	}
	say("v2: %s", dep.Description)

	// 3. A broken v3: its checks fail, the deployment fails, v2 comes back.
	if dep, err = deploy("v3-broken", 0); err != nil {
		return err
	}
	if dep, err = m.WaitDeployment(ctx, "web", dep.ID); err != nil {
		return err
	}
	say("v3: %s", dep.Description)
	for d := range m.Watch(ctx, "web") {
		if d.JobVersion > dep.JobVersion && d.Status.Terminal() {
			say("v%d (the revert): %s", d.JobVersion, d.Description)
			break
		}
	}
	if auto {
		return nil
	}
	say("done; the dashboard stays up until you interrupt")
	<-ctx.Done()
	return ctx.Err()
}
