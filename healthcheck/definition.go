package healthcheck

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rollout-go/rollout"
)

// ErrUnsupportedCheck is returned by FromDefinition for a check it cannot
// run (a grpc check: its health protocol needs a gRPC client).
var ErrUnsupportedCheck = errors.New("healthcheck: unsupported check")

// AddrFunc resolves the port label of an allocation's task (task "" for a
// group service) to the host:port its checks reach.
type AddrFunc func(task, portLabel string) (string, error)

// FromDefinition builds the checks of one allocation of a group from its
// definition (rollout.GroupDefinition, as jobspec loads it from the job
// file): one Check per service check of the group and its tasks, named as
// jobspec names them in rollout.Group.Checks (the check's name, or
// `service: "<service>" check`, repeated names numbered "name (2)"), with
// the check's interval, timeout, success_before_passing and
// failures_before_critical. A check with on_update = "ignore" gates
// nothing and is left out, as from Group.Checks. http checks request
// protocol://addr/path with the check's method and headers, tcp checks
// connect to addr, script checks run command and args on this machine;
// addr resolves the check's port (or its service's) for the task.
//
// jobID names the job, for the default service names (<job>-<group> and
// <job>-<group>-<task>, as Nomad names them). A check that cannot be run
// is an error naming it; so is a port addr cannot resolve.
func FromDefinition(jobID, group string, def *rollout.GroupDefinition, addr AddrFunc) ([]Check, error) {
	if def == nil {
		return nil, nil
	}
	var out []Check
	var errs []error
	seen := map[string]int{}
	add := func(task, defaultName string, svc *rollout.Service) {
		name := svc.Name
		if name == "" {
			name = defaultName
		}
		for i := range svc.Checks {
			c := &svc.Checks[i]
			if c.OnUpdate == "ignore" {
				continue
			}
			cn := c.Name
			if cn == "" {
				cn = fmt.Sprintf("service: %q check", name)
			}
			seen[cn]++
			if seen[cn] > 1 {
				cn = fmt.Sprintf("%s (%d)", cn, seen[cn])
			}
			check, err := build(cn, task, svc, c, addr)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, check)
		}
	}
	for ti := range def.Tasks {
		t := &def.Tasks[ti]
		for si := range t.Services {
			add(t.Name, jobID+"-"+group+"-"+t.Name, &t.Services[si])
		}
	}
	for si := range def.Services {
		add(def.Services[si].Task, jobID+"-"+group, &def.Services[si])
	}
	return out, errors.Join(errs...)
}

// build makes the Check of one service check.
func build(name, task string, svc *rollout.Service, c *rollout.ServiceCheck, addr AddrFunc) (Check, error) {
	check := Check{Name: name, Interval: c.Interval, Timeout: c.Timeout,
		SuccessBeforePassing: c.SuccessBeforePassing, FailuresBeforeCritical: c.FailuresBeforeCritical}
	if c.Task != "" {
		task = c.Task
	}
	resolve := func() (string, error) {
		label := c.PortLabel
		if label == "" {
			label = svc.PortLabel
		}
		if label == "" {
			return "", fmt.Errorf("healthcheck: check %q: neither the check nor its service names a port", name)
		}
		a, err := addr(task, label)
		if err != nil {
			return "", fmt.Errorf("healthcheck: check %q: port %q: %w", name, label, err)
		}
		return a, nil
	}
	switch c.Type {
	case rollout.CheckHTTP:
		a, err := resolve()
		if err != nil {
			return Check{}, err
		}
		proto := c.Protocol
		if proto == "" {
			proto = "http"
		}
		path := c.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		var h http.Header
		if len(c.Headers) > 0 {
			h = http.Header{}
			for k, vs := range c.Headers {
				h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
			}
		}
		check.Probe = HTTPCheck{URL: proto + "://" + a + path, Method: c.Method, Header: h}.Probe()
	case rollout.CheckTCP:
		a, err := resolve()
		if err != nil {
			return Check{}, err
		}
		check.Probe = TCP(name, a).Probe
	case rollout.CheckScript:
		if c.Command == "" {
			return Check{}, fmt.Errorf("healthcheck: script check %q has no command", name)
		}
		check.Probe = Exec(name, c.Command, c.Args...).Probe
	default:
		return Check{}, fmt.Errorf("%w: check %q of type %q", ErrUnsupportedCheck, name, c.Type)
	}
	return check, nil
}
