package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/healthcheck"

	"github.com/rollout-go/rollout/controller"
)

// procs is a controller.Driver that runs each allocation from its group's
// definition alone (rollout.GroupDefinition, carried by the decisions): each
// task of driver "raw_exec" is an OS process of its config's command and
// args, each port of the group's network a free loopback port whose
// listening socket the processes inherit (descriptor 3 for the first port,
// 4 for the next, ...; ${NOMAD_PORT_<label>} in an argument is its
// number), and the checks of its services are built by
// healthcheck.FromDefinition and registered with the health source. It
// implements controller.DriverNotifier: a process that exits wakes the
// job's Runner at once.
type procs struct {
	health *healthcheck.Source
	log    func(format string, args ...any)

	mu     sync.Mutex
	allocs map[string]*proc // by allocation ID
	subs   map[chan struct{}]string
}

type proc struct {
	alloc rollout.Alloc
	cmds  []*exec.Cmd
	ports map[string]int // by label
	exit  chan struct{}  // closed when every process has exited
}

var (
	_ controller.Driver         = (*procs)(nil)
	_ controller.DriverNotifier = (*procs)(nil)
)

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

// AllocChanges tells of each process that exits.
func (d *procs) AllocChanges(ctx context.Context, jobID string) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	d.mu.Lock()
	if d.subs == nil {
		d.subs = map[chan struct{}]string{}
	}
	d.subs[ch] = jobID
	d.mu.Unlock()
	go func() {
		<-ctx.Done()
		d.mu.Lock()
		delete(d.subs, ch)
		d.mu.Unlock()
	}()
	return ch, nil
}

// notify wakes the job's subscribers; mu is held.
func (d *procs) notify(jobID string) {
	for ch, job := range d.subs {
		if job == jobID {
			select {
			case ch <- struct{}{}:
			default: // a notice is already waiting
			}
		}
	}
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
		def, ok := dec.Definition(pl.Group, pl.JobVersion)
		if !ok || def == nil {
			return fmt.Errorf("place %s: the decisions carry no definition of group %q version %d", pl.Name, pl.Group, pl.JobVersion)
		}
		if err := d.start(pl.Alloc(), def); err != nil {
			return err
		}
	}
	for _, u := range dec.InPlace {
		p, ok := d.allocs[u.ID]
		if !ok || p.alloc.JobVersion == u.JobVersion {
			continue
		}
		p.alloc.JobVersion, p.alloc.DeploymentID, p.alloc.Canary = u.JobVersion, u.DeploymentID, false
		if def, ok := dec.Definition(u.Group, u.JobVersion); ok && def != nil {
			// What changes in place here: the checks.
			if err := d.register(p, def); err != nil {
				return err
			}
		}
	}
	return nil
}

// start runs the allocation's tasks; mu is held.
func (d *procs) start(a rollout.Alloc, def *rollout.GroupDefinition) error {
	// The processes inherit sockets already listening on free ports: no
	// other process can take a port between its choice and its use.
	p := &proc{alloc: a, ports: map[string]int{}, exit: make(chan struct{})}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, n := range def.Networks {
		for _, port := range n.Ports {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			file, err := ln.(*net.TCPListener).File()
			ln.Close()
			if err != nil {
				return err
			}
			files = append(files, file)
			p.ports[port.Label] = ln.Addr().(*net.TCPAddr).Port
		}
	}
	for _, task := range def.Tasks {
		cmd, err := command(&task, p.ports)
		if err != nil {
			return fmt.Errorf("start %s: %w", a.Name(), err)
		}
		cmd.ExtraFiles = files // descriptors 3, 4, ... in the process
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			d.kill(p)
			return fmt.Errorf("start %s task %s: %w", a.Name(), task.Name, err)
		}
		p.cmds = append(p.cmds, cmd)
	}
	started := time.Now()
	p.alloc.Client, p.alloc.StatusTime = rollout.ClientRunning, started
	d.allocs[a.ID] = p
	d.log("%s: started %s (%s) as pid %d on ports %v", a.JobID, a.Name(), a.Spec, p.cmds[0].Process.Pid, p.ports)
	if err := d.register(p, def); err != nil {
		return err
	}
	for _, task := range def.Tasks {
		d.health.TaskStarted(a.ID, task.Name, started)
	}
	go func() {
		for _, cmd := range p.cmds {
			_ = cmd.Wait()
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		p.alloc.StatusTime = time.Now()
		if p.alloc.Desired == rollout.DesiredStop {
			p.alloc.Client = rollout.ClientComplete
		} else {
			p.alloc.Client = rollout.ClientFailed
			d.log("%s: %s exited", p.alloc.JobID, p.alloc.Name())
		}
		close(p.exit)
		d.notify(p.alloc.JobID)
	}()
	return nil
}

// register (re)registers the allocation's checks from the definition; mu
// is held.
func (d *procs) register(p *proc, def *rollout.GroupDefinition) error {
	checks, err := healthcheck.FromDefinition(p.alloc.JobID, p.alloc.Group, def, func(task, label string) (string, error) {
		port, ok := p.ports[label]
		if !ok {
			return "", fmt.Errorf("the group's network has no port %q", label)
		}
		return fmt.Sprintf("127.0.0.1:%d", port), nil
	})
	if err != nil {
		return err
	}
	d.health.Unregister(p.alloc.ID)
	d.health.Register(p.alloc.JobID, p.alloc.ID, checks...)
	return nil
}

// command is the process of a task: its config's command and args, with
// ${NOMAD_PORT_<label>} replaced by the port's number.
func command(task *rollout.TaskDefinition, ports map[string]int) (*exec.Cmd, error) {
	if task.Driver != "raw_exec" {
		return nil, fmt.Errorf("task %s: driver %q: this driver runs raw_exec tasks only", task.Name, task.Driver)
	}
	path, ok := task.Config["command"].(string)
	if !ok || path == "" {
		return nil, fmt.Errorf("task %s: config.command must be a string", task.Name)
	}
	var args []string
	if raw, ok := task.Config["args"]; ok {
		list, ok := raw.([]any)
		if !ok {
			return nil, fmt.Errorf("task %s: config.args must be a list", task.Name)
		}
		for i, v := range list {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("task %s: config.args[%d] must be a string", task.Name, i)
			}
			for label, port := range ports {
				s = strings.ReplaceAll(s, "${NOMAD_PORT_"+label+"}", strconv.Itoa(port))
			}
			args = append(args, s)
		}
	}
	cmd := exec.Command(path, args...)
	for k, v := range task.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd, nil
}

// kill stops an allocation's processes and forgets its checks; mu is held.
func (d *procs) kill(p *proc) {
	d.health.Unregister(p.alloc.ID)
	for _, cmd := range p.cmds {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	d.log("%s: stopped %s (%s)", p.alloc.JobID, p.alloc.Name(), p.alloc.Spec)
}

// Close kills every process and waits for them to exit: nothing is left
// behind.
func (d *procs) Close() {
	d.mu.Lock()
	var waits []chan struct{}
	for _, p := range d.allocs {
		for _, cmd := range p.cmds {
			if cmd.Process != nil {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
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
		for _, cmd := range p.cmds {
			out = append(out, cmd.Process.Pid)
		}
	}
	return out
}

// alive reports whether a process exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
