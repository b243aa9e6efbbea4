package scenario

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rollout-go/rollout"
)

// doNodes changes the cluster's nodes (Input.Nodes, for system jobs) and
// prints them in ID order.
//
//	nodes [add=n1,n2] [remove=n3] [drain=n4] [ineligible=n5] [eligible=n5]
//
// add joins eligible nodes; remove takes nodes out of the input (gone);
// drain marks them draining; ineligible and eligible toggle eligibility
// (eligible also ends a drain).
func (r *runner) doNodes(a *args) ([]string, error) {
	list := func(key string) []string {
		v, ok := a.get(key)
		if !ok || v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	find := func(id string) (int, error) {
		k := slices.IndexFunc(r.nodes, func(n rollout.Node) bool { return n.ID == id })
		if k < 0 {
			return -1, fmt.Errorf("nodes: no node %q", id)
		}
		return k, nil
	}
	for _, id := range list("add") {
		if slices.ContainsFunc(r.nodes, func(n rollout.Node) bool { return n.ID == id }) {
			return nil, fmt.Errorf("nodes: node %q exists", id)
		}
		r.nodes = append(r.nodes, rollout.Node{ID: id, Eligible: true})
	}
	for _, id := range list("remove") {
		k, err := find(id)
		if err != nil {
			return nil, err
		}
		r.nodes = slices.Delete(r.nodes, k, k+1)
	}
	set := func(key string, f func(*rollout.Node)) error {
		for _, id := range list(key) {
			k, err := find(id)
			if err != nil {
				return err
			}
			f(&r.nodes[k])
		}
		return nil
	}
	if err := set("drain", func(n *rollout.Node) { n.Draining = true }); err != nil {
		return nil, err
	}
	if err := set("ineligible", func(n *rollout.Node) { n.Eligible = false }); err != nil {
		return nil, err
	}
	if err := set("eligible", func(n *rollout.Node) { n.Eligible, n.Draining = true, false }); err != nil {
		return nil, err
	}
	slices.SortFunc(r.nodes, func(x, y rollout.Node) int { return strings.Compare(x.ID, y.ID) })
	names := make([]string, len(r.nodes))
	for i, n := range r.nodes {
		names[i] = n.ID
		switch {
		case n.Draining:
			names[i] += "(draining)"
		case !n.Eligible:
			names[i] += "(ineligible)"
		}
	}
	return []string{"nodes: " + strings.Join(names, " ")}, nil
}

// nodeCells reads the node column of an allocs row: one node, or a comma
// list with one node per index of the row's range; "" gives no node.
func nodeCells(cell string, n int) ([]string, error) {
	out := make([]string, n)
	if cell == "" {
		return out, nil
	}
	ids := strings.Split(cell, ",")
	if len(ids) != n {
		return nil, fmt.Errorf("allocs: node %q names %d nodes for %d indexes", cell, len(ids), n)
	}
	copy(out, ids)
	return out, nil
}
