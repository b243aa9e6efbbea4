package rollouttest

import "github.com/rollout-go/rollout"

// DisconnectNode makes a node stop heartbeating now, as a network
// partition does: its running allocations of service jobs report client
// status unknown (rollout.ClientUnknown, StatusTime now) and their
// scripted happenings are dropped; its pending ones, and those of system
// jobs, are lost, as Nomad makes them. Nothing is placed on it until
// ReconnectNode. A stop decided for an unknown allocation makes it lost:
// it does not come back.
func (c *Cluster) DisconnectNode(name string) error {
	now := c.Now()
	return c.nodeChange(name, func(n *node) { n.away = true }, func(job string, a *rollout.Alloc) {
		c.cancel(a.ID)
		if a.Client == rollout.ClientRunning && !c.system[job] {
			a.Client, a.StatusTime = rollout.ClientUnknown, now
			return
		}
		a.Client, a.StatusTime = rollout.ClientLost, now
	})
}

// ReconnectNode ends a DisconnectNode: the node's unknown allocations
// report running again (StatusTime now), and it takes placements again.
// The next step keeps each or its stand-in, as the group's disconnect
// block says.
func (c *Cluster) ReconnectNode(name string) error {
	now := c.Now()
	return c.nodeChange(name, func(n *node) { n.away = false }, func(_ string, a *rollout.Alloc) {
		if a.Client == rollout.ClientUnknown {
			a.Client, a.StatusTime = rollout.ClientRunning, now
		}
	})
}
