package jobspec

import (
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rollout-go/rollout"
	"github.com/zclconf/go-cty/cty"
)

// A group's disconnect block and the older group arguments it replaced
// (Nomad 1.8 and later), read from HCL (disconnect { lost_after, replace,
// reconcile, stop_on_client_after }, max_client_disconnect,
// stop_after_client_disconnect, prevent_reschedule_on_lost) and from the
// API's JSON (Disconnect: {LostAfter, Replace, Reconcile,
// StopOnClientAfter}, MaxClientDisconnect, StopAfterClientDisconnect,
// PreventRescheduleOnLost) into rollout.Group.Disconnect, as Nomad merges
// them: the older arguments fill what the block leaves unset.
var (
	disconnectKinds = map[string]valueKind{"lost_after": kindDuration, "replace": kindBool,
		"reconcile": kindString, "stop_on_client_after": kindDuration}
	// oldDisconnectKinds are the group's own arguments, by their HCL name.
	oldDisconnectKinds = map[string]valueKind{"max_client_disconnect": kindDuration,
		"stop_after_client_disconnect": kindDuration, "prevent_reschedule_on_lost": kindBool}
	disconnectNames = namesOf(disconnectKinds)
)

// oldDisconnect records group argument a (one of oldDisconnectKinds) of
// value v in w, reporting a value of the wrong type.
func (l *loader) oldDisconnect(a *hclsyntax.Attribute, v cty.Value, w *written) {
	if w.vals == nil {
		w.given(pos(a.SrcRange))
	}
	switch oldDisconnectKinds[a.Name] {
	case kindDuration:
		v = as(v, cty.String)
		if v.Type() != cty.String || v.IsNull() {
			l.fail(a.SrcRange, "%s must be a duration string such as \"30s\"", a.Name)
			return
		}
		d, err := time.ParseDuration(v.AsString())
		if err != nil {
			l.fail(a.SrcRange, "%s = %q: must be a duration such as \"30s\"", a.Name, v.AsString())
			return
		}
		w.set(a.Name, d, pos(a.SrcRange))
	case kindBool:
		v = as(v, cty.Bool)
		if v.Type() != cty.Bool || v.IsNull() {
			l.fail(a.SrcRange, "%s must be true or false", a.Name)
			return
		}
		w.set(a.Name, v.True(), pos(a.SrcRange))
	}
}

// disconnectBlock is the group's Disconnect: the block as written, what
// it leaves unset taken from the older arguments (a negative one is left
// out: Validate reports it under its own name); nil when neither is
// given.
func (g *GroupSpec) disconnectBlock() *rollout.Disconnect {
	old := &g.oldDisconnect
	maxDisc, hasMax := old.vals["max_client_disconnect"].(time.Duration)
	stopAfter, hasStop := old.vals["stop_after_client_disconnect"].(time.Duration)
	prevent := value(old, "prevent_reschedule_on_lost", false)
	if g.disconnect.vals == nil && !hasMax && !hasStop && !prevent {
		return nil
	}
	b := &g.disconnect
	d := &rollout.Disconnect{
		LostAfter:         value(b, "lost_after", time.Duration(0)),
		Reconcile:         rollout.ReconcileStrategy(value(b, "reconcile", "")),
		StopOnClientAfter: value(b, "stop_on_client_after", time.Duration(0)),
	}
	if r, ok := b.vals["replace"].(bool); ok {
		d.Replace = &r
	} else if prevent {
		d.Replace = new(false)
	}
	if d.LostAfter == 0 && hasMax && maxDisc > 0 {
		d.LostAfter = maxDisc
	}
	if _, set := b.vals["stop_on_client_after"]; !set && hasStop && stopAfter > 0 {
		d.StopOnClientAfter = stopAfter
	}
	return d
}

// disconnectProblems adds what Nomad refuses in the group's disconnect
// settings beyond what JobVersion.Validate checks of the block (negative
// durations, lost_after with stop_on_client_after, the reconcile
// strategy): an older argument given with the block's argument that
// replaced it, max_client_disconnect with stop_after_client_disconnect, a
// negative older duration, stop_on_client_after (or
// stop_after_client_disconnect) outside service and batch jobs, and
// max_client_disconnect with prevent_reschedule_on_lost while reschedule
// attempts are left.
func (j *Job) disconnectProblems(r *problems, gs *GroupSpec) {
	group := "group " + strconv.Quote(gs.Name)
	old, b := &gs.oldDisconnect, &gs.disconnect
	_, hasMax := old.vals["max_client_disconnect"]
	_, hasStop := old.vals["stop_after_client_disconnect"]
	prevent := value(old, "prevent_reschedule_on_lost", false)
	for _, k := range []string{"max_client_disconnect", "stop_after_client_disconnect"} {
		if d, ok := old.vals[k].(time.Duration); ok && d < 0 {
			r.add(old.where(k), group+" "+k, d, "must not be negative")
		}
	}
	if hasMax && hasStop {
		r.add(old.where("stop_after_client_disconnect"), group+" stop_after_client_disconnect", old.vals["stop_after_client_disconnect"],
			"cannot be set with max_client_disconnect")
	}
	if hasMax && value(b, "lost_after", time.Duration(0)) > 0 {
		r.add(old.where("max_client_disconnect"), group+" max_client_disconnect", old.vals["max_client_disconnect"],
			"cannot be set with disconnect.lost_after, which replaces it")
	}
	if _, set := b.vals["stop_on_client_after"]; set && hasStop {
		r.add(old.where("stop_after_client_disconnect"), group+" stop_after_client_disconnect", old.vals["stop_after_client_disconnect"],
			"cannot be set with disconnect.stop_on_client_after, which replaces it")
	}
	if _, set := b.vals["replace"]; set && prevent {
		r.add(old.where("prevent_reschedule_on_lost"), group+" prevent_reschedule_on_lost", true,
			"cannot be set with disconnect.replace, which replaces it")
	}
	if j.Type != "service" && j.Type != "batch" {
		if d, ok := b.vals["stop_on_client_after"].(time.Duration); ok && d != 0 {
			r.add(b.where("stop_on_client_after"), group+" disconnect.stop_on_client_after", d, "is for service and batch jobs only, not "+j.Type)
		}
		if d, ok := old.vals["stop_after_client_disconnect"].(time.Duration); ok && d > 0 {
			r.add(old.where("stop_after_client_disconnect"), group+" stop_after_client_disconnect", d, "is for service and batch jobs only, not "+j.Type)
		}
	}
	if hasMax && prevent && value(&gs.reschedule, "attempts", 0) > 0 {
		r.add(old.where("prevent_reschedule_on_lost"), group+" prevent_reschedule_on_lost", true,
			"cannot be set with max_client_disconnect while reschedule.attempts is above 0")
	}
}
