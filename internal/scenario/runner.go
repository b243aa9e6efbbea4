package scenario

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollout-go/rollout"
)

// defaultStart is when every scenario starts, unless `reset start=...`
// says otherwise. Times print as offsets from it (+1m30s).
var defaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// runner is one scenario's state: what a caller of rollout.Step persists
// between steps, plus the aliases that keep the scripts readable.
type runner struct {
	start, now time.Time
	jobID      string
	versions   []rollout.JobVersion // versions[i].Version == i; the last is the job
	dep        *rollout.Deployment  // the latest deployment, as persisted
	allocs     []rollout.Alloc
	events     []rollout.Event
	cmds       []rollout.Command
	analysis   []rollout.AnalysisResult // measure results queued for the next step
	last       *rollout.Output          // the last step's output, until applied
	failed     []rollout.JobVersion     // History.FailedSpecs: versions that failed and were auto-reverted
	freeze     *rollout.FreezeState     // the job's freeze, as persisted
	nodes      []rollout.Node           // Input.Nodes, for a system job

	alias      map[string]string // allocation ID → alias
	byAlias    map[string]string // alias → allocation ID
	aliasCount map[string]int
	depAlias   map[string]string // deployment ID → d1, d2, ...
	depByAlias map[string]string
}

func newRunner() *runner {
	r := &runner{}
	r.reset(defaultStart)
	return r
}

func (r *runner) reset(start time.Time) {
	*r = runner{
		start: start, now: start, jobID: "example",
		alias: map[string]string{}, byAlias: map[string]string{}, aliasCount: map[string]int{},
		depAlias: map[string]string{}, depByAlias: map[string]string{},
	}
}

// Keys each verb accepts (skip= is accepted everywhere).
var (
	updateKeys = []string{"update", "max_parallel", "canary", "health_check", "min_healthy_time", "healthy_deadline", "progress_deadline", "stagger", "auto_revert", "auto_promote", "max_surge", "max_unavailable", "pause_after", "gate_timeout", "on_gate_timeout",
		"analysis", "analysis_interval", "analysis_measurements", "analysis_failure_limit", "analysis_on_inconclusive"}
	groupKeys = append([]string{"count", "spec", "tasks", "checks", "reschedule_delay", "reschedule_max_delay", "reschedule_attempts", "reschedule_delay_function", "reschedule_disabled", "reschedule_interval",
		"disconnect_lost_after", "disconnect_replace", "disconnect_reconcile", "disconnect_stop_on_client_after"}, updateKeys...)
	selectorKeys = []string{"ids", "group", "version", "canary", "n"}
	verbKeys     = map[string][]string{
		"reset": {"name", "start"}, "nodes": {"add", "remove", "drain", "ineligible", "eligible"}, "job": append([]string{"id", "type", "expect", "create_only", "refuse_failed", "force"}, updateKeys...), "stop-job": nil, "allocs": nil,
		"step": {"at"}, "apply": nil, "advance": nil,
		"healthy": selectorKeys, "unhealthy": selectorKeys, "lost": selectorKeys, "migrate": selectorKeys, "failed": selectorKeys, "complete": selectorKeys, "stop-alloc": selectorKeys,
		"disconnect": selectorKeys, "reconnect": selectorKeys,
		"start": append([]string{"at"}, selectorKeys...), "event": append([]string{"kind", "task", "check", "at"}, selectorKeys...),
		"promote": {"groups"}, "pause": nil, "resume": nil, "fail": nil, "set-health": {"ids", "healthy"}, "revert": {"version"},
		"freeze": {"reason", "until"}, "unfreeze": nil,
		"measure": {"group", "check", "verdict", "value", "reason", "at", "as"},
		"status":  {"all"},
	}
)

// checkKeys reports the arguments of c that are not in allowed.
func checkKeys(c *tcase, allowed []string) error {
	var bad []string
	for _, kv := range c.args {
		if kv.key != "skip" && !slices.Contains(allowed, kv.key) {
			bad = append(bad, kv.key)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: unknown argument(s) %s (known: %s)", c.verb, strings.Join(bad, ", "), strings.Join(allowed, " "))
	}
	return nil
}

// exec runs one case and returns its output lines. An error is a mistake
// in the script, not a result; it is found before the case changes
// anything when it is in the verb line's shape.
func (r *runner) exec(c *tcase) ([]string, error) {
	allowed, ok := verbKeys[c.verb]
	if !ok {
		return nil, fmt.Errorf("unknown verb %q", c.verb)
	}
	if err := checkKeys(c, allowed); err != nil {
		return nil, err
	}
	if c.verb != "advance" && len(c.pos) > 0 {
		return nil, fmt.Errorf("%s takes no positional argument (got %q)", c.verb, c.pos)
	}
	if c.verb != "job" && c.verb != "allocs" && len(c.input) > 0 {
		return nil, fmt.Errorf("%s takes no input lines", c.verb)
	}
	a := newArgs(c)
	switch c.verb {
	case "reset":
		return r.doReset(a)
	case "job":
		return r.doJob(a, c.input)
	case "nodes":
		return r.doNodes(a)
	case "stop-job":
		return r.doStopJob()
	case "allocs":
		return r.doAllocs(c.input)
	case "step":
		return r.doStep(a)
	case "apply":
		return r.doApply()
	case "advance":
		return r.doAdvance(c.pos)
	case "healthy", "unhealthy", "start", "lost", "migrate", "failed", "complete", "stop-alloc", "event", "disconnect", "reconnect":
		return r.doAllocVerb(c.verb, a)
	case "promote", "pause", "resume", "fail", "set-health", "revert", "freeze", "unfreeze":
		return r.doCommand(c.verb, a)
	case "measure":
		return r.doMeasure(a)
	default: // "status"
		return r.doStatus(a)
	}
}

func (r *runner) doReset(a *args) ([]string, error) {
	start := defaultStart
	if v, ok := a.get("start"); ok {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, fmt.Errorf("reset start: %v", err)
		}
		start = t
	}
	r.reset(start)
	return nil, nil
}

// job returns the current job version.
func (r *runner) job() (*rollout.JobVersion, error) {
	if len(r.versions) == 0 {
		return nil, fmt.Errorf("no job submitted yet")
	}
	return &r.versions[len(r.versions)-1], nil
}

// doJob submits the next version of the job.
//
//	job [id=example] [job-level update keys]
//	group <name> count=N spec=S [tasks=a,b] [checks=c,d] [reschedule_delay=30s]
//	      [reschedule_max_delay=1h] [reschedule_attempts=N] [reschedule_delay_function=F]
//	      [reschedule_disabled=true] [reschedule_interval=1h] [group update keys]
func (r *runner) doJob(a *args, input []string) ([]string, error) {
	if id, ok := a.get("id"); ok {
		if len(r.versions) > 0 && id != r.jobID {
			return nil, fmt.Errorf("job id %q: this scenario's job is %q (reset to start another)", id, r.jobID)
		}
		r.jobID = id
	}
	jv := rollout.JobVersion{ID: r.jobID, Version: uint64(len(r.versions)), SubmitTime: r.now}
	if v, ok := a.get("type"); ok {
		jv.Type = rollout.JobType(v)
	}
	upd, err := parseUpdate(a)
	if err != nil {
		return nil, err
	}
	jv.Update = upd
	if len(input) == 0 {
		return nil, fmt.Errorf("job: give the groups on the lines below the verb (group <name> count=N spec=S ...)")
	}
	for _, l := range input {
		gc := &tcase{verb: "group"}
		if err := gc.parseVerb(l); err != nil {
			return nil, err
		}
		if gc.verb != "group" || len(gc.pos) != 1 {
			return nil, fmt.Errorf("job: input line %q: want `group <name> key=value...`", l)
		}
		if err := checkKeys(gc, groupKeys); err != nil {
			return nil, err
		}
		ga := newArgs(gc)
		g := rollout.Group{Name: gc.pos[0]}
		if g.Count, err = intArg(ga, "count", 1); err != nil {
			return nil, err
		}
		g.Spec, _ = ga.get("spec")
		if v, ok := ga.get("tasks"); ok {
			g.Tasks = strings.Split(v, ",")
		}
		if v, ok := ga.get("checks"); ok {
			g.Checks = strings.Split(v, ",")
		}
		if g.Reschedule.Delay, err = durArg(ga, "reschedule_delay"); err != nil {
			return nil, err
		}
		if g.Reschedule.MaxDelay, err = durArg(ga, "reschedule_max_delay"); err != nil {
			return nil, err
		}
		if g.Reschedule.Attempts, err = intArg(ga, "reschedule_attempts", 0); err != nil {
			return nil, err
		}
		if v, ok := ga.get("reschedule_delay_function"); ok {
			g.Reschedule.DelayFunction = rollout.DelayFunction(v)
		}
		if g.Reschedule.Interval, err = durArg(ga, "reschedule_interval"); err != nil {
			return nil, err
		}
		if v, ok := ga.get("reschedule_disabled"); ok {
			if g.Reschedule.Disabled, err = strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("reschedule_disabled=%q: %v", v, err)
			}
		}
		if g.Disconnect, err = parseDisconnect(ga); err != nil {
			return nil, err
		}
		if g.Update, err = parseUpdate(ga); err != nil {
			return nil, err
		}
		jv.Groups = append(jv.Groups, g)
	}
	if check, ok, err := submitCheck(a); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return r.submitChecked(jv, check)
	}
	r.versions = append(r.versions, jv)
	return r.describeSubmitted(jv), nil
}

// describeSubmitted prints a submitted version and its groups.
func (r *runner) describeSubmitted(jv rollout.JobVersion) []string {
	out := []string{fmt.Sprintf("job %s v%d submitted at %s", jv.ID, jv.Version, r.fmtTime(r.now))}
	if jv.Type != "" {
		out[0] += " (" + string(jv.Type) + ")"
	}
	for _, g := range jv.Groups {
		line := fmt.Sprintf("  %s count=%d spec=%s: %s", g.Name, g.Count, g.Spec, describeStrategy(jv.Update, g.Update))
		if rp := g.Reschedule; rp != (rollout.ReschedulePolicy{}) {
			line += fmt.Sprintf("; reschedule delay=%s max_delay=%s attempts=%d",
				fmtDur(cmp.Or(rp.Delay, rollout.DefaultRescheduleDelay)), fmtDur(cmp.Or(rp.MaxDelay, rollout.DefaultRescheduleMaxDelay)), rp.Attempts)
			if rp.DelayFunction != "" {
				line += " delay_function=" + string(rp.DelayFunction)
			}
			if rp.Disabled {
				line += " disabled"
			}
			if rp.Interval != 0 {
				line += " interval=" + fmtDur(rp.Interval)
			}
		}
		if d := g.Disconnect; d != nil {
			line += "; disconnect lost_after=" + fmtDur(d.LostAfter)
			if d.Replace != nil {
				line += fmt.Sprintf(" replace=%t", *d.Replace)
			}
			if d.Reconcile != "" {
				line += " reconcile=" + string(d.Reconcile)
			}
			if d.StopOnClientAfter != 0 {
				line += " stop_on_client_after=" + fmtDur(d.StopOnClientAfter)
			}
		}
		out = append(out, line)
	}
	return out
}

// doStopJob submits the next version with the job stopped.
func (r *runner) doStopJob() ([]string, error) {
	j, err := r.job()
	if err != nil {
		return nil, err
	}
	jv := j.Clone()
	jv.Version, jv.Stable, jv.Stop, jv.SubmitTime, jv.RevertOf = uint64(len(r.versions)), false, true, r.now, nil
	r.versions = append(r.versions, jv)
	return []string{fmt.Sprintf("job %s v%d submitted at %s: stopped", jv.ID, jv.Version, r.fmtTime(r.now))}, nil
}

// doAllocs seeds allocations from a table whose first line names the
// columns: group index version [id spec desired client canary deployment
// health attempts status_time]. An index may be a range (0-9); "-" keeps a column's
// default.
func (r *runner) doAllocs(input []string) ([]string, error) {
	if len(input) < 2 {
		return nil, fmt.Errorf("allocs: want a header line and at least one row")
	}
	header := strings.Fields(input[0])
	known := []string{"id", "group", "index", "version", "node", "spec", "desired", "client", "canary", "deployment", "health", "attempts", "status_time"}
	for _, h := range header {
		if !slices.Contains(known, h) {
			return nil, fmt.Errorf("allocs: unknown column %q (known: %s)", h, strings.Join(known, " "))
		}
	}
	for _, need := range []string{"group", "index", "version"} {
		if !slices.Contains(header, need) {
			return nil, fmt.Errorf("allocs: the header needs a %q column", need)
		}
	}
	var out []string
	for _, row := range input[1:] {
		cells := strings.Fields(row)
		if len(cells) != len(header) {
			return nil, fmt.Errorf("allocs: row %q has %d cells for %d columns", row, len(cells), len(header))
		}
		col := map[string]string{}
		for i, h := range header {
			if cells[i] != "-" {
				col[h] = cells[i]
			}
		}
		lo, hi, err := parseRange(col["index"])
		if err != nil {
			return nil, err
		}
		if col["id"] != "" && hi > lo {
			return nil, fmt.Errorf("allocs: row %q names one id for several indexes", row)
		}
		version, err := strconv.ParseUint(col["version"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("allocs: version %q: %v", col["version"], err)
		}
		spec, ok := col["spec"]
		if !ok {
			if version >= uint64(len(r.versions)) {
				return nil, fmt.Errorf("allocs: version %d is not submitted: give its spec", version)
			}
			g, found := r.versions[version].Group(col["group"])
			if !found {
				return nil, fmt.Errorf("allocs: version %d has no group %q: give the spec", version, col["group"])
			}
			spec = g.Spec
		}
		nodes, err := nodeCells(col["node"], hi-lo+1)
		if err != nil {
			return nil, err
		}
		base := rollout.Alloc{
			JobID: r.jobID, Group: col["group"], JobVersion: version, Spec: spec,
			Desired: rollout.DesiredRun, Client: rollout.ClientRunning, CreateTime: r.now,
		}
		if v, ok := col["desired"]; ok {
			base.Desired = rollout.DesiredStatus(v)
		}
		if v, ok := col["client"]; ok {
			base.Client = rollout.ClientStatus(v)
		}
		if v, ok := col["canary"]; ok {
			if base.Canary, err = strconv.ParseBool(v); err != nil {
				return nil, fmt.Errorf("allocs: canary %q: %v", v, err)
			}
		}
		if v, ok := col["deployment"]; ok {
			id, found := r.depByAlias[v]
			if !found {
				return nil, fmt.Errorf("allocs: unknown deployment %q", v)
			}
			base.DeploymentID = id
		}
		if v, ok := col["attempts"]; ok {
			if base.Attempts, err = strconv.Atoi(v); err != nil {
				return nil, fmt.Errorf("allocs: attempts %q: %v", v, err)
			}
		}
		if v, ok := col["status_time"]; ok {
			if base.StatusTime, err = r.parseTime(v); err != nil {
				return nil, fmt.Errorf("allocs: status_time: %v", err)
			}
		}
		health, hasHealth := col["health"]
		var made []string
		for idx := lo; idx <= hi; idx++ {
			al := base
			al.Index = idx
			al.NodeID = nodes[idx-lo]
			switch {
			case health == string(rollout.Healthy):
				al.Health = r.healthyNow(&al)
			case hasHealth:
				al.Health = rollout.AllocHealth{Status: rollout.HealthStatus(health), Time: r.now}
			}
			var name string
			if id, ok := col["id"]; ok {
				if _, dup := r.byAlias[id]; dup {
					return nil, fmt.Errorf("allocs: id %q is taken", id)
				}
				name = id
			} else {
				name = r.newAlias(al.Group, idx, version)
			}
			al.ID = name
			r.alias[name], r.byAlias[name] = name, name
			r.allocs = append(r.allocs, al)
			made = append(made, name)
		}
		out = append(out, "added "+strings.Join(made, " "))
	}
	return out, nil
}

// doStep calls rollout.Step with the queued events and commands.
func (r *runner) doStep(a *args) ([]string, error) {
	if v, ok := a.get("at"); ok {
		t, err := r.parseTime(v)
		if err != nil {
			return nil, err
		}
		r.now = t
	}
	j, err := r.job()
	if err != nil {
		return nil, err
	}
	in := rollout.Input{
		Now: r.now, Job: *j, History: r.versions[:len(r.versions)-1], Deployment: r.dep,
		Allocs: r.allocs, Events: r.events, Commands: r.cmds, Freeze: r.freeze, Nodes: r.nodes,
		Analysis: r.analysis,
	}
	before := cloneInput(in)
	out, err := safeStep(in)
	var lines []string
	if !reflect.DeepEqual(before, in) {
		lines = append(lines, "BUG: Step changed its input")
	}
	r.cmds, r.analysis = nil, nil
	if err != nil {
		r.last = nil
		return append(lines, errorLines(r.scrub(err.Error()))...), nil
	}
	if again, err2 := safeStep(cloneInput(in)); err2 != nil || !reflect.DeepEqual(again, out) {
		lines = append(lines, "BUG: Step gave a different output for the same input")
	}
	r.events = nil
	r.last = &out
	return append(lines, r.printOutput(&out)...), nil
}

// scrub replaces the derived IDs of deployments and allocations in a
// message with their aliases, so that expected outputs stay readable.
func (r *runner) scrub(msg string) string {
	for id, alias := range r.depAlias {
		msg = strings.ReplaceAll(msg, id, alias)
	}
	for id, alias := range r.alias {
		if id != alias {
			msg = strings.ReplaceAll(msg, id, alias)
		}
	}
	return msg
}

func safeStep(in rollout.Input) (out rollout.Output, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("BUG: Step panicked: %v", p)
		}
	}()
	return rollout.Step(in)
}

// doApply applies the last step's output: its decisions to the
// allocations, and its deployment and job versions to the state.
func (r *runner) doApply() ([]string, error) {
	out := r.last
	if out == nil {
		return nil, fmt.Errorf("apply: no step output to apply (apply once per successful step)")
	}
	r.last = nil
	r.allocs = out.Apply(r.allocs)
	r.dep = out.Deployment
	r.freeze = out.Freeze
	var lines []string
	lines = append(lines, fmt.Sprintf("applied: %d stopped, %d placed, %d updated in place, %d health updates",
		len(out.Stop), len(out.Place), len(out.InPlace), len(out.Health)))
	if out.Job != nil {
		if out.Job.Version >= uint64(len(r.versions)) {
			return nil, fmt.Errorf("apply: output job version %d was never submitted", out.Job.Version)
		}
		r.versions[out.Job.Version] = out.Job.Clone()
		lines = append(lines, fmt.Sprintf("job v%d is stable", out.Job.Version))
	}
	if out.Revert != nil && len(r.versions) > 0 {
		h := rollout.History{FailedSpecs: r.failed}
		h.RecordStep(&r.versions[len(r.versions)-1], out)
		r.failed = h.FailedSpecs
	}
	if out.Revert != nil {
		if out.Revert.Version != uint64(len(r.versions)) {
			lines = append(lines, fmt.Sprintf("BUG: revert version %d is not the next version %d", out.Revert.Version, len(r.versions)))
		} else {
			r.versions = append(r.versions, out.Revert.Clone())
			lines = append(lines, "job "+describeVersion(out.Revert)+" submitted")
		}
	}
	return lines, nil
}

func (r *runner) doAdvance(pos []string) ([]string, error) {
	if len(pos) != 1 {
		return nil, fmt.Errorf("advance: want one duration (advance 30s)")
	}
	d, err := time.ParseDuration(pos[0])
	if err != nil {
		return nil, fmt.Errorf("advance: %v", err)
	}
	r.now = r.now.Add(d)
	return []string{"now " + r.fmtTime(r.now)}, nil
}

// doAllocVerb changes allocations the way their nodes report it.
//
//	healthy   [selector]  client running, health verdict healthy now (no tracker)
//	unhealthy [selector]  health verdict unhealthy now (no tracker)
//	start     [selector] [at=T]  client running; task-started (and check-passing) events
//	lost      [selector]  client lost: the node is down
//	migrate   [selector]  its node is drained: Migrate set
//	failed    [selector]  client failed; verdict unhealthy now unless it has one
//	stop-alloc [selector] desired stop, client complete: stopped outside the
//	                      engine (an operator), so its slot is missing
//	event kind=K [task=T] [check=C] [at=T] [selector]  one event per allocation
//
// Events happen now unless at= gives their time (+30s from the start).
//
// The selector is ids=a,b or filters group= version= canary= n=; without
// ids it picks the live allocations (desired run, not lost or finished)
// that match, in name order, the first n of them; healthy, unhealthy and
// start pick only allocations without a verdict.
func (r *runner) doAllocVerb(verb string, a *args) ([]string, error) {
	noVerdict := verb == "healthy" || verb == "unhealthy" || verb == "start"
	ps, err := r.selectAllocs(a, noVerdict)
	if err != nil {
		return nil, err
	}
	var kind rollout.EventKind
	var task, check string
	at := r.now
	if verb == "start" || verb == "event" {
		if v, ok := a.get("at"); ok {
			if at, err = r.parseTime(v); err != nil {
				return nil, err
			}
		}
	}
	if verb == "event" {
		k, ok := a.get("kind")
		if !ok {
			return nil, fmt.Errorf("event: kind= is required")
		}
		kind = rollout.EventKind(k)
		task, _ = a.get("task")
		check, _ = a.get("check")
	}
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		al := &r.allocs[p]
		names = append(names, r.alias[al.ID])
		switch verb {
		case "healthy":
			al.Client = rollout.ClientRunning
			al.Health = r.healthyNow(al)
		case "unhealthy":
			al.Health = rollout.AllocHealth{Status: rollout.Unhealthy, Time: r.now}
		case "lost":
			al.Client = rollout.ClientLost
		case "migrate":
			al.Migrate = true
		case "failed":
			al.Client, al.StatusTime = rollout.ClientFailed, r.now
			if al.Health.Status == "" {
				al.Health = rollout.AllocHealth{Status: rollout.Unhealthy, Time: r.now}
			}
		case "complete":
			al.Client, al.StatusTime = rollout.ClientComplete, r.now
		case "stop-alloc":
			al.Desired, al.Client = rollout.DesiredStop, rollout.ClientComplete
		case "disconnect":
			al.Client, al.StatusTime = rollout.ClientUnknown, r.now
		case "reconnect":
			al.Client, al.StatusTime = rollout.ClientRunning, r.now
		case "start":
			al.Client = rollout.ClientRunning
			tasks, checks := r.tasksOf(al)
			for _, tk := range tasks {
				r.events = append(r.events, rollout.Event{Time: at, Alloc: al.ID, Kind: rollout.TaskStarted, Task: tk})
			}
			for _, ck := range checks {
				r.events = append(r.events, rollout.Event{Time: at, Alloc: al.ID, Kind: rollout.CheckPassing, Check: ck})
			}
		case "event":
			r.events = append(r.events, rollout.Event{Time: at, Alloc: al.ID, Kind: kind, Task: task, Check: check})
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: the selector matches no allocation", verb)
	}
	what := map[string]string{
		"healthy": "healthy", "unhealthy": "unhealthy", "lost": "lost", "migrate": "migrating", "failed": "failed", "complete": "completed", "stop-alloc": "stopped",
		"disconnect": "disconnected (client unknown)", "reconnect": "reconnected (client running)",
		"start": "started (events queued)", "event": string(kind) + " (events queued)",
	}[verb]
	return []string{what + ": " + strings.Join(names, " ")}, nil
}

// healthyNow is the health a tracker records for an allocation found
// healthy now: the verdict, with its tasks running and its checks passing,
// so that an in-place update restarts the tracker from running tasks.
func (r *runner) healthyNow(al *rollout.Alloc) rollout.AllocHealth {
	h := rollout.AllocHealth{Status: rollout.Healthy, Time: r.now}
	tasks, checks := r.tasksOf(al)
	for _, tk := range tasks {
		h.Tasks = append(h.Tasks, rollout.TaskHealth{Name: tk, State: rollout.TaskStateRunning, Since: r.now})
	}
	for _, ck := range checks {
		h.Checks = append(h.Checks, rollout.CheckHealth{Name: ck, Passing: true, Since: r.now})
	}
	return h
}

// tasksOf returns the tasks of an allocation's group, and the checks that
// its health_check watches.
func (r *runner) tasksOf(al *rollout.Alloc) (tasks, checks []string) {
	j, _ := r.job()
	g, ok := j.Group(al.Group)
	if !ok && al.JobVersion < uint64(len(r.versions)) {
		g, ok = r.versions[al.JobVersion].Group(al.Group)
	}
	if !ok {
		return []string{""}, nil
	}
	tasks = g.Tasks
	if len(tasks) == 0 {
		tasks = []string{""}
	}
	if st, ok := rollout.Merge(j.Update, g.Update); !ok || st.HealthCheck == rollout.HealthChecks {
		checks = g.Checks
	}
	return tasks, checks
}

// selectAllocs resolves a selector (see doAllocVerb) to allocation
// positions, in name order.
func (r *runner) selectAllocs(a *args, noVerdict bool) ([]int, error) {
	if v, ok := a.get("ids"); ok {
		var ps []int
		for _, name := range strings.Split(v, ",") {
			p, err := r.find(name)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p)
		}
		return ps, nil
	}
	group, hasGroup := a.get("group")
	version, hasVersion := a.get("version")
	canary, hasCanary := a.get("canary")
	n, err := intArg(a, "n", -1)
	if err != nil {
		return nil, err
	}
	var ps []int
	for p := range r.allocs {
		al := &r.allocs[p]
		switch {
		case al.Desired != rollout.DesiredRun || al.Client == rollout.ClientLost ||
			al.Client == rollout.ClientComplete || al.Client == rollout.ClientFailed,
			noVerdict && al.Health.Status != "",
			hasGroup && al.Group != group,
			hasVersion && strconv.FormatUint(al.JobVersion, 10) != version,
			hasCanary && strconv.FormatBool(al.Canary) != canary:
			continue
		}
		ps = append(ps, p)
	}
	r.sortAllocs(ps)
	if n >= 0 {
		if n > len(ps) {
			return nil, fmt.Errorf("n=%d but only %d allocations match", n, len(ps))
		}
		ps = ps[:n]
	}
	return ps, nil
}

func (r *runner) find(alias string) (int, error) {
	id, ok := r.byAlias[alias]
	if !ok {
		return 0, fmt.Errorf("unknown allocation %q", alias)
	}
	for p := range r.allocs {
		if r.allocs[p].ID == id {
			return p, nil
		}
	}
	return 0, fmt.Errorf("allocation %q was decided but never applied", alias)
}

// sortAllocs orders positions by group (the job's order), index, alias.
func (r *runner) sortAllocs(ps []int) {
	order := map[string]int{}
	if j, err := r.job(); err == nil {
		for i, g := range j.Groups {
			order[g.Name] = i
		}
	}
	rank := func(g string) int {
		if i, ok := order[g]; ok {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(ps, func(x, y int) int {
		ax, ay := &r.allocs[x], &r.allocs[y]
		return cmp.Or(cmp.Compare(rank(ax.Group), rank(ay.Group)), cmp.Compare(ax.Group, ay.Group),
			cmp.Compare(ax.Index, ay.Index), cmp.Compare(r.alias[ax.ID], r.alias[ay.ID]))
	})
}

// doCommand queues an operator command for the next step.
func (r *runner) doCommand(verb string, a *args) ([]string, error) {
	var c rollout.Command
	switch verb {
	case "promote":
		var groups []string
		if v, ok := a.get("groups"); ok {
			groups = strings.Split(v, ",")
		}
		c = rollout.Promote(groups...)
	case "pause":
		c = rollout.Pause()
	case "resume":
		c = rollout.Resume()
	case "fail":
		c = rollout.Fail()
	case "set-health":
		v, ok := a.get("healthy")
		if !ok {
			return nil, fmt.Errorf("set-health: healthy=true|false is required")
		}
		healthy, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("set-health healthy: %v", err)
		}
		ids, ok := a.get("ids")
		if !ok {
			return nil, fmt.Errorf("set-health: ids= is required")
		}
		var allocIDs []string
		for _, name := range strings.Split(ids, ",") {
			id, ok := r.byAlias[name]
			if !ok {
				return nil, fmt.Errorf("unknown allocation %q", name)
			}
			allocIDs = append(allocIDs, id)
		}
		c = rollout.SetHealth(healthy, allocIDs...)
	case "revert":
		n, err := intArg(a, "version", -1)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, fmt.Errorf("revert: version=N is required")
		}
		c = rollout.Revert(uint64(n))
	case "freeze":
		reason, _ := a.get("reason")
		var until time.Time
		if v, ok := a.get("until"); ok {
			t, err := r.parseTime(v)
			if err != nil {
				return nil, err
			}
			until = t
		}
		c = rollout.Freeze(strings.ReplaceAll(reason, "_", " "), until)
	case "unfreeze":
		c = rollout.Unfreeze()
	}
	r.cmds = append(r.cmds, c)
	return []string{"queued " + r.describeCommand(c)}, nil
}

func (r *runner) describeCommand(c rollout.Command) string {
	s := string(c.Kind)
	if len(c.Groups) > 0 {
		s += " groups=" + strings.Join(c.Groups, ",")
	}
	if c.Kind == rollout.CmdSetHealth {
		names := make([]string, len(c.Allocs))
		for i, id := range c.Allocs {
			names[i] = r.alias[id]
		}
		s += fmt.Sprintf(" healthy=%t ids=%s", c.Healthy, strings.Join(names, ","))
	}
	if c.Kind == rollout.CmdRevert {
		s += fmt.Sprintf(" version=%d", c.Version)
	}
	return s
}

// newAlias names an allocation by its slot and the version it was created
// with: web[0]v1, then web[0]v1#2 for the next one of the same name and
// version.
func (r *runner) newAlias(group string, index int, version uint64) string {
	base := fmt.Sprintf("%s[%d]v%d", group, index, version)
	r.aliasCount[base]++
	if n := r.aliasCount[base]; n > 1 {
		return fmt.Sprintf("%s#%d", base, n)
	}
	return base
}

// allocAlias returns the alias of an allocation ID, naming a new one after
// its slot and version.
func (r *runner) allocAlias(id, group string, index int, version uint64) string {
	if s, ok := r.alias[id]; ok {
		return s
	}
	s := r.newAlias(group, index, version)
	r.alias[id], r.byAlias[s] = s, id
	return s
}

// aliasOf returns the alias of a known allocation ID, or the ID itself.
func (r *runner) aliasOf(id string) string {
	if s, ok := r.alias[id]; ok {
		return s
	}
	for p := range r.allocs {
		if al := &r.allocs[p]; al.ID == id {
			return r.allocAlias(id, al.Group, al.Index, al.JobVersion)
		}
	}
	return id
}

// depName returns the alias of a deployment ID: d1, d2, ... in order of
// appearance.
func (r *runner) depName(d *rollout.Deployment) string {
	if d == nil {
		return "none"
	}
	if s, ok := r.depAlias[d.ID]; ok {
		return s
	}
	s := fmt.Sprintf("d%d", len(r.depAlias)+1)
	r.depAlias[d.ID], r.depByAlias[s] = s, d.ID
	return s
}

func (r *runner) depNameByID(id string) string {
	if id == "" {
		return "-"
	}
	if s, ok := r.depAlias[id]; ok {
		return s
	}
	return id
}

// parseTime reads +30s (from the start) or an RFC 3339 time.
func (r *runner) parseTime(v string) (time.Time, error) {
	if strings.HasPrefix(v, "+") {
		d, err := time.ParseDuration(v[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %v", v, err)
		}
		return r.start.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want +<duration> from the start or RFC 3339: %v", v, err)
	}
	return t, nil
}

// fmtTime prints a time as its offset from the scenario's start.
func (r *runner) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := t.Sub(r.start)
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}

// fmtDur prints a duration without zero units: 10m, 1m30s, 1h.
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func parseRange(v string) (int, int, error) {
	lo, hi, isRange := strings.Cut(v, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return 0, 0, fmt.Errorf("index %q: %v", v, err)
	}
	if !isRange {
		return a, a, nil
	}
	b, err := strconv.Atoi(hi)
	if err != nil || b < a {
		return 0, 0, fmt.Errorf("index range %q: want lo-hi", v)
	}
	return a, b, nil
}

func intArg(a *args, key string, def int) (int, error) {
	v, ok := a.get(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %v", key, v, err)
	}
	return n, nil
}

func durArg(a *args, key string) (time.Duration, error) {
	v, ok := a.get(key)
	if !ok {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %v", key, v, err)
	}
	return d, nil
}

// parseUpdate reads the update block keys; the block exists when any key
// is given, or update={} (an empty block).
func parseUpdate(a *args) (*rollout.UpdateBlock, error) {
	b := &rollout.UpdateBlock{}
	set := false
	if v, ok := a.get("update"); ok {
		if v != "{}" {
			return nil, fmt.Errorf("update=%q: only update={} (an empty block) is accepted", v)
		}
		set = true
	}
	ints := map[string]**int{"max_parallel": &b.MaxParallel, "canary": &b.Canary}
	for k, dst := range ints {
		if a.has(k) {
			n, err := intArg(a, k, 0)
			if err != nil {
				return nil, err
			}
			*dst, set = &n, true
		}
	}
	durs := map[string]**time.Duration{
		"min_healthy_time": &b.MinHealthyTime, "healthy_deadline": &b.HealthyDeadline,
		"progress_deadline": &b.ProgressDeadline, "stagger": &b.Stagger,
	}
	for k, dst := range durs {
		if a.has(k) {
			d, err := durArg(a, k)
			if err != nil {
				return nil, err
			}
			*dst, set = &d, true
		}
	}
	bools := map[string]**bool{"auto_revert": &b.AutoRevert, "auto_promote": &b.AutoPromote}
	for k, dst := range bools {
		if v, ok := a.get(k); ok {
			x, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: %v", k, v, err)
			}
			*dst, set = &x, true
		}
	}
	if v, ok := a.get("health_check"); ok {
		hc := rollout.HealthCheck(v)
		b.HealthCheck, set = &hc, true
	}
	amounts := map[string]**rollout.Amount{"max_surge": &b.MaxSurge, "max_unavailable": &b.MaxUnavailable}
	for k, dst := range amounts {
		if v, ok := a.get(k); ok {
			x := rollout.Amount(v)
			*dst, set = &x, true
		}
	}
	if v, ok := a.get("pause_after"); ok {
		x := rollout.Checkpoints(v)
		b.PauseAfter, set = &x, true
	}
	if a.has("gate_timeout") {
		d, err := durArg(a, "gate_timeout")
		if err != nil {
			return nil, err
		}
		b.GateTimeout, set = &d, true
	}
	if v, ok := a.get("on_gate_timeout"); ok {
		x := rollout.GateAction(v)
		b.OnGateTimeout, set = &x, true
	}
	an, err := parseAnalysis(a)
	if err != nil {
		return nil, err
	}
	if an != nil {
		b.Analysis, set = an, true
	}
	if !set {
		return nil, nil
	}
	return b, nil
}

// cloneInput deep-copies an input, to check that Step leaves it alone.
func cloneInput(in rollout.Input) rollout.Input {
	c := in
	c.Job = in.Job.Clone()
	if in.History != nil {
		c.History = make([]rollout.JobVersion, len(in.History))
		for i := range in.History {
			c.History[i] = in.History[i].Clone()
		}
	}
	if in.Deployment != nil {
		d := *in.Deployment
		d.Groups = slices.Clone(d.Groups)
		for i := range d.Groups {
			d.Groups[i].PlacedCanaries = slices.Clone(d.Groups[i].PlacedCanaries)
			d.Groups[i].Analysis = slices.Clone(d.Groups[i].Analysis)
			for k := range d.Groups[i].Analysis {
				d.Groups[i].Analysis[k].Measurements = slices.Clone(d.Groups[i].Analysis[k].Measurements)
			}
		}
		c.Deployment = &d
	}
	c.Allocs = slices.Clone(in.Allocs)
	for i := range c.Allocs {
		h := &c.Allocs[i].Health
		h.Tasks, h.Checks = slices.Clone(h.Tasks), slices.Clone(h.Checks)
	}
	c.Events = slices.Clone(in.Events)
	c.Nodes = slices.Clone(in.Nodes)
	c.Analysis = slices.Clone(in.Analysis)
	c.Commands = slices.Clone(in.Commands)
	for i := range c.Commands {
		c.Commands[i].Groups = slices.Clone(c.Commands[i].Groups)
		c.Commands[i].Allocs = slices.Clone(c.Commands[i].Allocs)
	}
	return c
}

// parseDisconnect reads a group's disconnect keys: nil when none is given.
func parseDisconnect(ga *args) (*rollout.Disconnect, error) {
	var d rollout.Disconnect
	set := false
	var err error
	for _, k := range []string{"disconnect_lost_after", "disconnect_replace", "disconnect_reconcile", "disconnect_stop_on_client_after"} {
		if _, ok := ga.get(k); ok {
			set = true
		}
	}
	if !set {
		return nil, nil
	}
	if d.LostAfter, err = durArg(ga, "disconnect_lost_after"); err != nil {
		return nil, err
	}
	if d.StopOnClientAfter, err = durArg(ga, "disconnect_stop_on_client_after"); err != nil {
		return nil, err
	}
	if v, ok := ga.get("disconnect_replace"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("disconnect_replace=%q: %v", v, err)
		}
		d.Replace = &b
	}
	if v, ok := ga.get("disconnect_reconcile"); ok {
		d.Reconcile = rollout.ReconcileStrategy(v)
	}
	return &d, nil
}
