package controller

import (
	"context"
	"fmt"

	"github.com/rollout-go/rollout"
)

// NodeLister is an optional interface of a Driver, found by type
// assertion: the Runner of a system job (JobVersion.Type JobSystem) calls
// Nodes before each step and passes the result as Input.Nodes.
//
// Nodes returns the cluster's nodes as they are now, each ID once; it is
// called from the Runner's goroutine only, and an error is treated as
// temporary (retried with backoff). A Runner whose driver is no NodeLister
// refuses to step a system job, rather than see no nodes and stop every
// allocation.
type NodeLister interface {
	Nodes(ctx context.Context) ([]rollout.Node, error)
}

// nodes lists the nodes for a system job's step.
func (r *Runner) nodes(ctx context.Context) ([]rollout.Node, error) {
	nl, ok := r.cfg.Driver.(NodeLister)
	if !ok {
		return nil, fmt.Errorf("rollout: job %q is a system job, and the driver %T is no NodeLister: it cannot list the nodes", r.cfg.JobID, r.cfg.Driver)
	}
	nodes, _, err := retry(r, ctx, "list nodes", nl.Nodes)
	return nodes, err
}
