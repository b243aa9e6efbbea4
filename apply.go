package rollout

import "github.com/rollout-go/rollout/internal/index"

// Apply returns allocs with the output's decisions applied, the way a
// caller's store would record them: stops set Desired to stop (and Client
// to lost for lost allocations), in-place updates move the allocation to
// the new version and restart its health, health updates are recorded, and
// placements are appended as pending allocations. A placement whose ID is
// already in allocs was applied before and is not appended again, so
// applying the same output twice gives the same result as once. allocs is
// not changed.
//
// Apply is what the simulator in rollouttest does; a scheduler applies the
// same decisions through its driver instead.
func (o *Output) Apply(allocs []Alloc) []Alloc {
	res := make([]Alloc, len(allocs), len(allocs)+len(o.Place))
	copy(res, allocs)
	ids := index.New(len(res), func(i int) string { return res[i].ID })
	for i := range res {
		ids.Insert(i)
	}
	at := func(id string) *Alloc {
		if i := ids.Find(id); i >= 0 {
			return &res[i]
		}
		return nil
	}
	for _, h := range o.Health {
		if a := at(h.ID); a != nil {
			a.Health = cloneHealth(h.Health)
		}
	}
	for _, st := range o.Stop {
		if a := at(st.ID); a != nil {
			a.Desired = DesiredStop
			if st.Lost {
				a.Client = ClientLost
			}
		}
	}
	for _, u := range o.InPlace {
		if a := at(u.ID); a != nil {
			a.JobVersion, a.DeploymentID, a.CreateTime, a.Canary = u.JobVersion, u.DeploymentID, u.CreateTime, false
			a.Health = cloneHealth(u.Health)
		}
	}
	for i := range o.Place {
		if at(o.Place[i].ID) == nil {
			res = append(res, o.Place[i].Alloc())
		}
	}
	return res
}

// Alloc returns the allocation the placement asks for, pending on its node.
func (p *Placement) Alloc() Alloc {
	return Alloc{
		ID: p.ID, JobID: p.JobID, Group: p.Group, Index: p.Index, NodeID: p.NodeID, JobVersion: p.JobVersion, Spec: p.Spec,
		Desired: DesiredRun, Client: ClientPending, Canary: p.Canary, DeploymentID: p.DeploymentID,
		CreateTime: p.CreateTime, Attempts: p.Attempts, StandsInFor: p.StandsInFor,
	}
}
