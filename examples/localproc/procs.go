package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/healthcheck"

	"github.com/rollout-go/rollout/controller"
)

// procs is a controller.Driver that runs each allocation as an OS process of
// the app binary on a free loopback port, and registers its HTTP check with
// the health source. A spec is the app's version, "-broken" marking the
// build whose /health fails.
type procs struct {
	bin    string
	health *healthcheck.Source
	log    func(format string, args ...any)

	mu     sync.Mutex
	allocs map[string]*proc // by allocation ID
}

type proc struct {
	alloc rollout.Alloc
	cmd   *exec.Cmd
	port  int
	exit  chan struct{} // closed when the process has exited
	err   error
}

var _ controller.Driver = (*procs)(nil)

// Allocs reports each allocation with the client status of its process.
func (d *procs) Allocs(ctx context.Context, jobID string) ([]rollout.Alloc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []rollout.Alloc
	for _, p := range d.allocs {
		if p.alloc.JobID == jobID {
			out = append(out, p.alloc)
		}
	}
	return out, nil
}

// Apply starts and stops processes; a decision already carried out is
// skipped, so applying twice is applying once.
func (d *procs) Apply(ctx context.Context, dec rollout.Decisions) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range dec.Stop {
		if p, ok := d.allocs[s.ID]; ok && p.alloc.Desired != rollout.DesiredStop {
			p.alloc.Desired = rollout.DesiredStop
			d.kill(p)
		}
	}
	for _, pl := range dec.Place {
		if _, ok := d.allocs[pl.ID]; ok {
			continue
		}
		if err := d.start(pl.Alloc()); err != nil {
			return err
		}
	}
	for _, u := range dec.InPlace {
		if p, ok := d.allocs[u.ID]; ok {
			p.alloc.JobVersion, p.alloc.DeploymentID, p.alloc.Canary = u.JobVersion, u.DeploymentID, false
		}
	}
	return nil
}

// start runs the allocation's process; mu is held.
func (d *procs) start(a rollout.Alloc) error {
	// The process inherits a socket already listening on a free port: no
	// other process can take the port between its choice and its use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	file, err := ln.(*net.TCPListener).File()
	if err != nil {
		return err
	}
	defer file.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	version, broken := strings.CutSuffix(a.Spec, "-broken")
	args := []string{"-listen-fd", "3", "-version", version}
	if broken {
		args = append(args, "-broken")
	}
	cmd := exec.Command(d.bin, args...)
	cmd.ExtraFiles = []*os.File{file} // descriptor 3 in the process
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", a.Name(), err)
	}
	started := time.Now()
	a.Client, a.StatusTime = rollout.ClientRunning, started
	p := &proc{alloc: a, cmd: cmd, port: port, exit: make(chan struct{})}
	d.allocs[a.ID] = p
	d.log("%s: started %s (%s) as pid %d on port %d", a.JobID, a.Name(), a.Spec, cmd.Process.Pid, port)
	d.health.Register(a.JobID, a.ID, healthcheck.Check{
		Name: "http", Probe: healthcheck.HTTP("http", fmt.Sprintf("http://127.0.0.1:%d/health", port)).Probe,
		Interval: 200 * time.Millisecond, Timeout: time.Second,
	})
	d.health.TaskStarted(a.ID, "app", started)
	go func() {
		err := cmd.Wait()
		d.mu.Lock()
		defer d.mu.Unlock()
		p.err = err
		p.alloc.StatusTime = time.Now()
		if p.alloc.Desired == rollout.DesiredStop {
			p.alloc.Client = rollout.ClientComplete
		} else {
			p.alloc.Client = rollout.ClientFailed
		}
		close(p.exit)
	}()
	return nil
}

// kill stops a process and forgets its checks; mu is held.
func (d *procs) kill(p *proc) {
	d.health.Unregister(p.alloc.ID)
	if p.cmd.Process != nil {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	}
	d.log("%s: stopped %s (%s)", p.alloc.JobID, p.alloc.Name(), p.alloc.Spec)
}

// Close kills every process and waits for them to exit: nothing is left
// behind.
func (d *procs) Close() {
	d.mu.Lock()
	var waits []chan struct{}
	for _, p := range d.allocs {
		if p.cmd.Process != nil {
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		waits = append(waits, p.exit)
	}
	d.mu.Unlock()
	for _, w := range waits {
		<-w
	}
}

// Pids returns the process IDs started so far.
func (d *procs) Pids() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int
	for _, p := range d.allocs {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

// alive reports whether a process exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
