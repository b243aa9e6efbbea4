package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/rollout-go/rollout"
)

// step makes one step: it loads the desired state, confirms decisions left
// pending, merges the driver's observations, steps, saves the new state
// with its decisions pending, applies them and confirms them. It returns
// when to step again at the latest, whether to step again at once, and a
// fatal error.
func (r *Runner) step(ctx context.Context) (next time.Time, again bool, err error) {
	start := r.clock.Now()
	st, err := r.load(ctx)
	if err != nil {
		return time.Time{}, false, stopErr(err)
	}
	r.known = max(r.known, st.Revision)
	if st.Pending != nil {
		// A step saved these decisions and did not confirm them (a crash, a
		// failed Apply, another replica): carry them out first. (Decisions
		// saved by a schema older than 3 carry no versions: add them.)
		if len(st.Pending.Versions) == 0 {
			st.Pending.Versions = st.versionsOf(st.Pending.VersionsNamed())
		}
		if _, err := r.apply(ctx, *st.Pending); err != nil {
			return time.Time{}, false, stopErr(err)
		}
		r.log.Info("applied pending decisions of an earlier step", "revision", st.Revision)
		st.Pending = nil
		if _, err := r.save(ctx, &st); err != nil {
			return time.Time{}, errors.Is(err, ErrConflict), stopErr(err)
		}
	}

	observed, _, err := retry(r, ctx, "observe allocations", func(c context.Context) ([]rollout.Alloc, error) {
		return r.cfg.Driver.Allocs(c, r.cfg.JobID)
	})
	if err != nil {
		return time.Time{}, false, stopErr(err)
	}
	allocs := r.merge(st.Allocs, observed)
	loaded := st.Clone() // to save only what changed

	job, ok := st.History.Latest()
	if !ok {
		r.refuseAll(fmt.Errorf("%w: job %q has no version yet", rollout.ErrNoDeployment, r.cfg.JobID))
		return time.Time{}, false, nil // nothing submitted yet
	}
	dep := st.Deployment()
	now := r.clock.Now()
	if dep != nil && now.Before(dep.ModifyTime) {
		now = dep.ModifyTime // never step back in time against the store
	}

	// The events Step can take now: about known allocations, not later
	// than now. Later ones wait; others are dropped.
	known := make(map[string]bool, len(allocs))
	for i := range allocs {
		known[allocs[i].ID] = true
	}
	var events, later []rollout.Event
	var wakeAt time.Time
	taken := len(r.events)
	r.fresh = false
	for _, ev := range r.events {
		switch {
		case !known[ev.Alloc] || ev.Time.IsZero():
		case ev.Time.After(now):
			later = append(later, ev)
			if wakeAt.IsZero() || ev.Time.Before(wakeAt) {
				wakeAt = ev.Time
			}
		default:
			events = append(events, ev)
		}
	}

	r.qmu.Lock()
	cmds := append([]*pendingCommand(nil), r.cmds...)
	r.qmu.Unlock()

	var nodes []rollout.Node
	if job.Type == rollout.JobSystem {
		if nodes, err = r.nodes(ctx); err != nil {
			return time.Time{}, false, stopErr(err)
		}
	}

	var out rollout.Output
	var in rollout.Input
	for {
		in = rollout.Input{Now: now, Job: job, History: st.History.Versions, Deployment: dep, Allocs: allocs, Events: events, Commands: commandsOf(cmds), Freeze: st.Freeze, MaxPlacements: r.cfg.MaxPlacements, Nodes: nodes}
		out, err = rollout.Step(in)
		var ce *rollout.CommandError
		if err == nil {
			break
		}
		if errors.As(err, &ce) && len(cmds) > 0 {
			// Answer the refused command (the first equal to it; the
			// first in line if none is), and step without it.
			i := 0
			for k, c := range cmds {
				if reflect.DeepEqual(c.cmd, ce.Command) {
					i = k
					break
				}
			}
			r.log.Info("command refused", "command", string(cmds[i].cmd.Kind), "error", oneLineError(err))
			r.answer(cmds[i], err)
			cmds = append(cmds[:i:i], cmds[i+1:]...)
			continue
		}
		if len(events) == 0 {
			break
		}
		// A health source sent an event Step refuses: drop the batch
		// rather than stop, and say so.
		r.report("step with health events", 1, fmt.Errorf("dropped %d health events that Step refused: %w", len(events), err))
		events = nil
	}
	if err != nil {
		err = fmt.Errorf("rollout: step of job %q: %w", r.cfg.JobID, err)
		for _, c := range cmds {
			r.answer(c, err)
		}
		return time.Time{}, false, err
	}

	// Persist first, with the decisions pending, then apply and confirm
	// (see the package manual).
	d := rollout.DecisionsOf(r.cfg.JobID, &out)
	if out.Cancelled != nil {
		st.RecordDeployment(out.Cancelled)
	}
	if out.Deployment != nil {
		st.RecordDeployment(out.Deployment)
	}
	st.History.RecordStep(&job, &out) // versions made Stable or reverted to, and failed specs
	st.Freeze = out.Freeze
	st.Allocs = r.collect(d.Apply(allocs), st.Deployment())
	d.Versions = st.versionsOf(d.VersionsNamed()) // what the driver runs
	if !d.Empty() {
		st.Pending = &d
	}
	st.keepLive(loaded.History.Versions)
	rev := st.Revision
	if !d.Empty() || !reflect.DeepEqual(&st, &loaded) {
		rev, err = r.save(ctx, &st)
	}
	if err != nil {
		// On a conflict, another writer got there first: load its state
		// and step again (the events and commands wait for that step).
		return time.Time{}, errors.Is(err, ErrConflict), stopErr(err)
	}
	r.events = append(later, r.events[taken:]...)

	attempts := 0
	if !d.Empty() {
		if attempts, err = r.apply(ctx, d); err != nil {
			return time.Time{}, false, stopErr(err)
		}
		st.Pending = nil
		if rev, err = r.save(ctx, &st); err != nil && !errors.Is(err, ErrConflict) {
			// (A conflict here means another writer took the job over; it
			// confirms or re-applies the decisions, idempotently.)
			return time.Time{}, false, stopErr(err)
		}
	}
	for _, c := range cmds {
		r.answer(c, nil)
	}
	r.logStep(&out)
	r.watch.publish(&st)
	if r.cfg.OnStep != nil {
		r.cfg.OnStep(StepReport{JobID: r.cfg.JobID, Input: in, Output: out, Start: start, Duration: r.clock.Since(start), Attempts: attempts, Revision: rev})
	}
	next = out.NextStep
	if !wakeAt.IsZero() && (next.IsZero() || wakeAt.Before(next)) {
		next = wakeAt
	}
	return next, out.Revert != nil || out.Capped || r.fresh, nil
}

// stopErr turns a retry's end into step's fatal error: nil when the
// context ended or another writer got there first.
func stopErr(err error) error {
	if err == nil || errors.Is(err, errCtxDone) || errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// load reads the job's state, retrying temporary errors.
func (r *Runner) load(ctx context.Context) (State, error) {
	st, _, err := retry(r, ctx, "load state", func(c context.Context) (State, error) {
		return r.store.Load(c, r.cfg.JobID)
	})
	return st, err
}

// save stores st with a compare-and-set on st.Revision, retrying temporary
// errors, and sets st.Revision to the new revision. A conflict is returned
// at once.
func (r *Runner) save(ctx context.Context, st *State) (uint64, error) {
	type saved struct {
		rev      uint64
		conflict error
	}
	snapshot := *st
	got, _, err := retry(r, ctx, "save state", func(c context.Context) (saved, error) {
		rev, err := r.store.Save(c, r.cfg.JobID, snapshot)
		if errors.Is(err, ErrConflict) {
			return saved{conflict: err}, nil
		}
		return saved{rev: rev}, err
	})
	if err != nil {
		return 0, err
	}
	if got.conflict != nil {
		r.log.Info("another writer saved the job first; stepping again", "error", oneLineError(got.conflict))
		return 0, got.conflict
	}
	st.Revision = got.rev
	r.known = max(r.known, got.rev)
	return got.rev, nil
}

// apply carries out d through the Driver, retried unchanged until it
// succeeds, and returns how many calls it took.
func (r *Runner) apply(ctx context.Context, d rollout.Decisions) (int, error) {
	_, attempts, err := retry(r, ctx, "apply decisions", func(c context.Context) (struct{}, error) {
		return struct{}{}, r.cfg.Driver.Apply(c, d)
	})
	return attempts, err
}

// merge builds Step's allocations: the records of the desired state with
// the client status (and its StatusTime) and the migrate mark the Driver
// observes. A record the Driver no longer
// reports is gone from its node: lost if it should run, complete if it was
// stopped. An allocation of the job the Driver reports and no record knows
// (made outside this Runner, e.g. before the job was handed to it) is
// adopted as reported, unless it is stopped and finished on its node:
// there is nothing left for Step to do with one (it holds no slot and
// takes no stop), and the records that collect trims are such
// allocations, which the Driver goes on reporting. Skipping them keeps
// the trimmed records forgotten without remembering their IDs.
// Allocations of other jobs are ignored.
func (r *Runner) merge(records, observed []rollout.Alloc) []rollout.Alloc {
	seen := make(map[string]int, len(observed))
	for i := range observed {
		if observed[i].JobID == r.cfg.JobID {
			seen[observed[i].ID] = i
		}
	}
	allocs := make([]rollout.Alloc, 0, len(records)+len(observed))
	known := make(map[string]bool, len(records))
	for i := range records {
		a := records[i].Clone()
		known[a.ID] = true
		if k, ok := seen[a.ID]; ok {
			a.Client, a.StatusTime, a.Migrate = observed[k].Client, observed[k].StatusTime, observed[k].Migrate
		} else if !a.Client.Terminal() {
			if a.Desired == rollout.DesiredStop {
				a.Client = rollout.ClientComplete
			} else {
				a.Client = rollout.ClientLost
			}
		}
		allocs = append(allocs, a)
	}
	for i := range observed {
		a := &observed[i]
		if a.JobID != r.cfg.JobID || known[a.ID] || done(a) {
			continue
		}
		known[a.ID] = true
		r.log.Info("adopted an allocation no record knows", "alloc", a.ID, "name", a.Name(), "version", a.JobVersion)
		allocs = append(allocs, a.Clone())
	}
	return allocs
}

// done reports whether an allocation is stopped and finished on its node:
// desired stop and a terminal client status.
func done(a *rollout.Alloc) bool {
	return a.Desired == rollout.DesiredStop && a.Client.Terminal()
}

// collect returns the records to keep, in ID order: every record except the
// oldest stopped ones beyond KeepStopped. A stopped record is one stopped
// by a decision whose allocation is terminal on its node and is not part
// of the active deployment.
func (r *Runner) collect(allocs []rollout.Alloc, latest *rollout.Deployment) []rollout.Alloc {
	if r.cfg.KeepStopped >= 0 {
		active := ""
		if latest != nil && !latest.Status.Terminal() {
			active = latest.ID
		}
		var stopped []int
		for i := range allocs {
			a := &allocs[i]
			if done(a) && (active == "" || a.DeploymentID != active) {
				stopped = append(stopped, i)
			}
		}
		if len(stopped) > r.cfg.KeepStopped {
			slices.SortStableFunc(stopped, func(i, j int) int {
				return cmp.Or(allocs[j].CreateTime.Compare(allocs[i].CreateTime), cmp.Compare(allocs[i].ID, allocs[j].ID))
			})
			drop := make(map[int]bool, len(stopped)-r.cfg.KeepStopped)
			for _, i := range stopped[r.cfg.KeepStopped:] {
				drop[i] = true
			}
			kept := allocs[:0]
			for i := range allocs {
				if !drop[i] {
					kept = append(kept, allocs[i])
				}
			}
			allocs = kept
		}
	}
	slices.SortFunc(allocs, func(a, b rollout.Alloc) int { return cmp.Compare(a.ID, b.ID) })
	return allocs
}
