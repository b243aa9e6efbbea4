package rollout

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Canary analysis: the update block's analysis step, one of rollout's
// controls beyond Nomad. A group that sets it has its canaries (and its
// pause_after checkpoints) judged on metrics before the gate opens: the
// core decides on the results it is given (Input.Analysis, or a
// CmdAnalysis command) and queries nothing itself; the module
// github.com/rollout-go/rollout/analysis runs the queries.

// Defaults of the analysis block, for a field left unset.
const (
	DefaultAnalysisInterval     = time.Minute
	DefaultAnalysisMeasurements = 3
)

// Bounds of the analysis block, so a hostile job file is refused early.
const (
	MaxAnalysisChecks       = 16
	MaxAnalysisMeasurements = 1000
	maxAnalysisQuery        = 4096
	maxAnalysisName         = 64
	maxAnalysisReason       = 1024
)

// Analysis is a group's analysis block: checks measured every Interval,
// Measurements times each, while the group waits at a gate (its canaries'
// promotion, or a pause_after checkpoint). The gate opens once every check
// has its measurements with at most FailureLimit failures among them; one
// failure more fails the deployment (and auto_revert reverts it).
//
// Merge takes the block as a whole from the group level when it writes
// one, else from the job level: its fields are not merged one by one.
type Analysis struct {
	// Checks are what is measured, each by a provider.
	Checks []AnalysisCheck
	// Interval is the time between two measurements of a check; the first
	// is due Interval after the gate is reached. 0 is
	// DefaultAnalysisInterval (the JSON decoder refuses a written 0).
	Interval time.Duration
	// Measurements is how many conclusive measurements each check takes.
	// 0 is DefaultAnalysisMeasurements (the JSON decoder refuses a
	// written 0).
	Measurements int
	// FailureLimit is how many failed measurements, over all checks, the
	// analysis tolerates: one more fails it.
	FailureLimit int
	// OnInconclusive is what an inconclusive result does (a query error,
	// an empty result, a provider that cannot be reached): InconclusiveFail
	// (the default) counts it as a failure, InconclusiveRetry measures
	// again at the next interval without counting it.
	OnInconclusive InconclusiveAction
}

// AnalysisCheck is one check of an analysis block. The core validates its
// shape; the provider it names interprets Query.
type AnalysisCheck struct {
	// Name names the check in results (lowercase letters, digits, '_' and
	// '-', at most 64).
	Name string
	// Provider names what runs the check: "prometheus" or "webhook" in
	// the analysis module, or a provider of the caller's.
	Provider string
	// Query is what the provider runs: a PromQL template for prometheus
	// (text/template over .Job, .Group, .Version, .Role), the URL for
	// webhook. At most 4096 bytes.
	Query string
	// Threshold, when set, judges the canary's value: an operator <, <=,
	// >, >= and a number, such as "< 0.01".
	Threshold string `json:",omitempty"`
	// Baseline judges the canary against the baseline (the stable
	// version's allocations beside it) with a Mann-Whitney U test: the
	// canary fails when its values are significantly higher.
	Baseline bool `json:",omitempty"`
}

// InconclusiveAction is what an inconclusive analysis result does.
type InconclusiveAction string

// The inconclusive actions of the analysis block.
const (
	// InconclusiveFail counts an inconclusive result as a failure.
	InconclusiveFail InconclusiveAction = "fail"
	// InconclusiveRetry measures again at the next interval; the result
	// counts neither as a pass nor as a failure.
	InconclusiveRetry InconclusiveAction = "retry"
)

// Valid reports whether a is one of the inconclusive actions.
func (a InconclusiveAction) Valid() bool { return a == InconclusiveFail || a == InconclusiveRetry }

// resolved returns the block with its defaults applied.
func (a Analysis) resolved() Analysis {
	if a.Interval == 0 {
		a.Interval = DefaultAnalysisInterval
	}
	if a.Measurements == 0 {
		a.Measurements = DefaultAnalysisMeasurements
	}
	if a.OnInconclusive == "" {
		a.OnInconclusive = InconclusiveFail
	}
	return a
}

// Check returns the named check.
func (a *Analysis) Check(name string) (*AnalysisCheck, bool) {
	for i := range a.Checks {
		if a.Checks[i].Name == name {
			return &a.Checks[i], true
		}
	}
	return nil, false
}

// Threshold is a parsed AnalysisCheck.Threshold: a value passes when
// `value Op Limit` holds.
type Threshold struct {
	Op    string
	Limit float64
}

// ParseThreshold reads a threshold such as "< 0.01" or ">=0.99".
func ParseThreshold(s string) (Threshold, error) {
	t := strings.TrimSpace(s)
	var op string
	for _, o := range [...]string{"<=", ">=", "<", ">"} {
		if strings.HasPrefix(t, o) {
			op = o
			break
		}
	}
	if op == "" {
		return Threshold{}, &FieldError{Field: "threshold", Value: shorten(s, 40), Problem: `must be an operator <, <=, > or >= and a number, such as "< 0.01"`}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t[len(op):]), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Threshold{}, &FieldError{Field: "threshold", Value: shorten(s, 40), Problem: `must end with a finite number, such as "< 0.01"`}
	}
	return Threshold{Op: op, Limit: v}, nil
}

// Holds reports whether v passes the threshold.
func (t Threshold) Holds(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Limit
	case "<=":
		return v <= t.Limit
	case ">":
		return v > t.Limit
	case ">=":
		return v >= t.Limit
	}
	return false
}

// String writes the threshold as ParseThreshold reads it.
func (t Threshold) String() string {
	return t.Op + " " + strconv.FormatFloat(t.Limit, 'g', -1, 64)
}

// checkAnalysis checks the analysis block of s, naming fields under
// "analysis.".
func (s UpdateStrategy) checkAnalysis(bad func(field string, v any, problem string)) {
	a := s.Analysis
	if a == nil {
		return
	}
	if s.MaxParallel == 0 {
		bad("analysis", "{…}", "requires max_parallel greater than zero (max_parallel = 0 replaces everything at once, with no gate to guard)")
	} else if s.Canary == 0 && s.PauseAfter == "" {
		bad("analysis", "{…}", "has no gate to guard: it needs canary greater than zero, or pause_after")
	}
	if a.Interval < 0 {
		bad("analysis.interval", a.Interval, "must not be negative")
	}
	if a.Measurements < 0 || a.Measurements > MaxAnalysisMeasurements {
		bad("analysis.measurements", a.Measurements, "must be between 1 and "+strconv.Itoa(MaxAnalysisMeasurements))
	}
	if a.FailureLimit < 0 {
		bad("analysis.failure_limit", a.FailureLimit, "must not be negative")
	}
	if a.OnInconclusive != "" && !a.OnInconclusive.Valid() {
		bad("analysis.on_inconclusive", shorten(string(a.OnInconclusive), 40), `must be one of "fail", "retry"`)
	}
	switch n := len(a.Checks); {
	case n == 0:
		bad("analysis.checks", nil, "must list at least one check")
	case n > MaxAnalysisChecks:
		bad("analysis.checks", n, "lists more than "+strconv.Itoa(MaxAnalysisChecks)+" checks")
		return
	}
	for i, c := range a.Checks {
		field := "analysis.checks[" + strconv.Itoa(i) + "]"
		if p := analysisNameProblem(c.Name); p != "" {
			bad(field+".name", shorten(c.Name, 40), p)
		} else if k := slices.IndexFunc(a.Checks[:i], func(o AnalysisCheck) bool { return o.Name == c.Name }); k >= 0 {
			bad(field+".name", c.Name, "is also the name of checks["+strconv.Itoa(k)+"]")
		}
		if p := analysisNameProblem(c.Provider); p != "" {
			bad(field+".provider", shorten(c.Provider, 40), p)
		}
		switch {
		case c.Query == "":
			bad(field+".query", nil, "must be set")
		case len(c.Query) > maxAnalysisQuery:
			bad(field+".query", len(c.Query), "is longer than "+strconv.Itoa(maxAnalysisQuery)+" bytes")
		}
		if c.Threshold != "" {
			if _, err := ParseThreshold(c.Threshold); err != nil {
				bad(field+".threshold", shorten(c.Threshold, 40), err.(*FieldError).Problem)
			}
		}
	}
}

// analysisNameProblem says what is wrong with a check or provider name.
func analysisNameProblem(name string) string {
	if name == "" {
		return "must be set"
	}
	if len(name) > maxAnalysisName {
		return "is longer than " + strconv.Itoa(maxAnalysisName) + " bytes"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "must hold only lowercase letters, digits, '_' and '-'"
		}
	}
	return ""
}

// Verdict is the outcome of one analysis measurement.
type Verdict string

// The three verdicts.
const (
	VerdictPass         Verdict = "pass"
	VerdictFail         Verdict = "fail"
	VerdictInconclusive Verdict = "inconclusive"
)

// Valid reports whether v is one of the three verdicts.
func (v Verdict) Valid() bool {
	return v == VerdictPass || v == VerdictFail || v == VerdictInconclusive
}

// AnalysisResult is one measurement of a check, as a provider made it:
// Step takes results in Input.Analysis (or a CmdAnalysis command), as it
// takes health events.
type AnalysisResult struct {
	// Time is when the measurement was made; it must not be later than
	// Input.Now.
	Time time.Time
	// Group and Check name the check measured.
	Group string
	Check string
	// Verdict is the provider's judgement.
	Verdict Verdict
	// Value is the measured value (the canary's), when there is one.
	Value float64 `json:",omitzero"`
	// Reason says how the verdict was reached, in a line (at most 1024
	// bytes): "0.002 < 0.01", "query failed: …".
	Reason string `json:",omitempty"`
}

// AnalysisStatus is where an analysis run stands.
type AnalysisStatus string

// The analysis run statuses.
const (
	AnalysisRunning AnalysisStatus = "running"
	AnalysisPassed  AnalysisStatus = "passed"
	AnalysisFailed  AnalysisStatus = "failed"
	// AnalysisAbandoned: the gate opened before the analysis ended (a
	// checkpoint resumed by an operator or its gate timeout).
	AnalysisAbandoned AnalysisStatus = "abandoned"
)

// GateCanaries is AnalysisRun.Gate for the canaries' promotion; a
// checkpoint's is "checkpoint N".
const GateCanaries = "canaries"

// AnalysisRun is one analysis of a group at one gate, kept in its
// DeploymentGroup.
type AnalysisRun struct {
	// Gate is GateCanaries or "checkpoint N" (N from 1).
	Gate string
	// Status is where it stands; Reason says why it ended.
	Status AnalysisStatus
	Reason string `json:",omitempty"`
	// StartedAt is when the gate was reached; EndedAt when the run ended.
	StartedAt time.Time
	EndedAt   time.Time `json:",omitzero"`
	// Version is the job version judged (the canary's); BaselineVersion
	// the version of the group's other live allocations, when it has any
	// (HasBaseline).
	Version         uint64
	BaselineVersion uint64 `json:",omitzero"`
	HasBaseline     bool   `json:",omitzero"`
	// Measurements are the results applied, in time order.
	Measurements []AnalysisResult `json:",omitempty"`
}

// counted returns the conclusive measurements of the check and the
// failures among them, under the action for inconclusive results.
func (r *AnalysisRun) counted(check string, on InconclusiveAction) (n, failures int) {
	for i := range r.Measurements {
		m := &r.Measurements[i]
		if m.Check != check {
			continue
		}
		switch {
		case m.Verdict == VerdictFail, m.Verdict == VerdictInconclusive && on == InconclusiveFail:
			n++
			failures++
		case m.Verdict == VerdictPass:
			n++
		}
	}
	return n, failures
}

// due returns when the next measurement of the check is due: Interval after
// its last one, or after the start.
func (r *AnalysisRun) due(check string, interval time.Duration) time.Time {
	last := r.StartedAt
	for i := range r.Measurements {
		if r.Measurements[i].Check == check {
			last = r.Measurements[i].Time
		}
	}
	return last.Add(interval)
}

// clone copies the run's measurements.
func (r AnalysisRun) clone() AnalysisRun {
	r.Measurements = slices.Clone(r.Measurements)
	return r
}

// LiveAnalysis returns the group's running analysis, if any.
func (ds *DeploymentGroup) LiveAnalysis() (*AnalysisRun, bool) {
	if n := len(ds.Analysis); n > 0 && ds.Analysis[n-1].Status == AnalysisRunning {
		return &ds.Analysis[n-1], true
	}
	return nil, false
}

// analysisAt returns the group's run at a gate.
func (ds *DeploymentGroup) analysisAt(gate string) (*AnalysisRun, bool) {
	for i := range ds.Analysis {
		if ds.Analysis[i].Gate == gate {
			return &ds.Analysis[i], true
		}
	}
	return nil, false
}

// analysisRunsNow reports whether the run counts results under the
// deployment's status: a canary run while running, a checkpoint run while
// paused at its checkpoint.
func (ds *DeploymentGroup) analysisRunsNow(r *AnalysisRun, status DeploymentStatus) bool {
	if r.Gate == GateCanaries {
		return status == StatusRunning && !ds.Promoted
	}
	return status == StatusPaused && ds.atCheckpoint()
}

// DueCheck is one measurement an analysis waits for (see DueChecks).
type DueCheck struct {
	// Group names the group; Check is the check to measure.
	Group string
	Check AnalysisCheck
	// Due is when the measurement became due.
	Due time.Time
	// Version and BaselineVersion are the canary's and the baseline's job
	// versions (HasBaseline false when the group has no baseline).
	Version         uint64
	BaselineVersion uint64
	HasBaseline     bool
}

// DueChecks lists the measurements due by now for deployment d of job, in
// group order then check order: what an analysis provider runs next, then
// hands to Step as AnalysisResults timed now or later. It is pure; nil when
// nothing is due.
func DueChecks(job *JobVersion, d *Deployment, now time.Time) []DueCheck {
	if d == nil || !d.Status.Active() || d.JobVersion != job.Version {
		return nil
	}
	var due []DueCheck
	for k := range d.Groups {
		ds := &d.Groups[k]
		run, ok := ds.LiveAnalysis()
		if !ok || !ds.analysisRunsNow(run, d.Status) {
			continue
		}
		st, ok := job.Strategy(ds.Name)
		if !ok || st.Analysis == nil {
			continue
		}
		a := st.Analysis.resolved()
		for _, c := range a.Checks {
			if n, _ := run.counted(c.Name, a.OnInconclusive); n >= a.Measurements {
				continue
			}
			if t := run.due(c.Name, a.Interval); !t.After(now) {
				due = append(due, DueCheck{Group: ds.Name, Check: c, Due: t, Version: run.Version,
					BaselineVersion: run.BaselineVersion, HasBaseline: run.HasBaseline})
			}
		}
	}
	return due
}

// IgnoredAnalysis is an analysis result Step did not apply, and why.
type IgnoredAnalysis struct {
	Result AnalysisResult
	Reason string
}

// DescAnalysisFailed is rollout's own failure description (Nomad has no
// analysis): a canary analysis failed.
const DescAnalysisFailed = "Failed due to canary analysis"

// analysisResults returns the step's results, from Input.Analysis and the
// CmdAnalysis commands, in time order (input order for equal times).
func (s *stepper) analysisResults() []AnalysisResult {
	rs := slices.Clone(s.in.Analysis)
	for i := range s.in.Commands {
		if c := &s.in.Commands[i]; c.Kind == CmdAnalysis {
			rs = append(rs, c.Analysis...)
		}
	}
	slices.SortStableFunc(rs, func(x, y AnalysisResult) int { return x.Time.Compare(y.Time) })
	return rs
}

// analyse starts the canary analyses whose gate is reached, applies the
// step's results to the running analyses, fails the deployment on a
// failed one (returning true) and resumes a checkpoint whose analyses all
// passed. It runs in watch, before auto-promotion.
func (s *stepper) analyse() bool {
	cur := s.cur
	results := s.analysisResults()
	used := make([]bool, len(results))
	var failed []string
	passedCheckpoint := false
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil || s.groups[gi].strat.Analysis == nil {
			continue
		}
		a := s.groups[gi].strat.Analysis.resolved()
		if ds.DesiredCanaries > 0 && !ds.Promoted && cur.Status == StatusRunning {
			if _, ok := ds.analysisAt(GateCanaries); !ok && s.stats(gi).healthyCanaries >= ds.DesiredCanaries {
				s.startAnalysis(gi, ds, GateCanaries)
			}
		}
		run, ok := ds.LiveAnalysis()
		if !ok {
			continue
		}
		if run.Gate != GateCanaries && !ds.analysisRunsNow(run, cur.Status) {
			run.Status, run.EndedAt, run.Reason = AnalysisAbandoned, s.now, "the checkpoint was left before the analysis ended"
			continue
		}
		for i := range results {
			r := &results[i]
			if r.Group != ds.Name {
				continue
			}
			used[i] = true
			if reason := s.measure(ds, run, &a, r, cur.Status); reason != "" {
				s.out.IgnoredAnalysis = append(s.out.IgnoredAnalysis, IgnoredAnalysis{Result: *r, Reason: reason})
			}
		}
		switch {
		case run.Status == AnalysisFailed && run.EndedAt.Equal(s.now):
			failed = append(failed, ds.Name)
		case run.Status == AnalysisPassed && run.Gate != GateCanaries:
			passedCheckpoint = true
		}
	}
	for i := range results {
		if !used[i] {
			s.out.IgnoredAnalysis = append(s.out.IgnoredAnalysis, IgnoredAnalysis{Result: results[i], Reason: "the group has no analysis running"})
		}
	}
	if len(failed) > 0 {
		s.fail(DescAnalysisFailed, failed)
		return true
	}
	if passedCheckpoint && cur.Status == StatusPaused && s.checkpointsPassed() {
		s.resume("canary analysis passed at the checkpoint")
	}
	return false
}

// ignoreAnalysis lists every result of the step as ignored, for reason.
func (s *stepper) ignoreAnalysis(reason string) {
	if len(s.in.Analysis) == 0 && len(s.in.Commands) == 0 {
		return
	}
	for _, r := range s.analysisResults() {
		s.out.IgnoredAnalysis = append(s.out.IgnoredAnalysis, IgnoredAnalysis{Result: r, Reason: reason})
	}
}

// checkpointsPassed reports whether every group waiting at a checkpoint
// has an analysis that passed there.
func (s *stepper) checkpointsPassed() bool {
	for k := range s.cur.Groups {
		ds := &s.cur.Groups[k]
		if !ds.atCheckpoint() {
			continue
		}
		n := len(ds.Analysis)
		if n == 0 || ds.Analysis[n-1].Gate == GateCanaries || ds.Analysis[n-1].Status != AnalysisPassed {
			return false
		}
	}
	return true
}

// startAnalysis begins the group's analysis at a gate.
func (s *stepper) startAnalysis(gi int, ds *DeploymentGroup, gate string) {
	run := AnalysisRun{Gate: gate, Status: AnalysisRunning, StartedAt: s.now, Version: s.job.Version}
	run.BaselineVersion, run.HasBaseline = s.baseline(gi)
	ds.Analysis = append(ds.Analysis, run)
}

// baseline returns the newest version among the group's live allocations
// older than the job's version.
func (s *stepper) baseline(gi int) (uint64, bool) {
	var v uint64
	found := false
	for _, p := range s.groups[gi].allocs {
		a := &s.in.Allocs[p]
		if a.Desired == DesiredRun && !a.Client.Terminal() && a.JobVersion < s.job.Version && (!found || a.JobVersion > v) {
			v, found = a.JobVersion, true
		}
	}
	return v, found
}

// measure applies result r to the running analysis run, ending it when it
// passes or fails; it returns why r was ignored, or "".
func (s *stepper) measure(ds *DeploymentGroup, run *AnalysisRun, a *Analysis, r *AnalysisResult, status DeploymentStatus) string {
	if _, ok := a.Check(r.Check); !ok {
		return fmt.Sprintf("%q is not a check of the group's analysis", r.Check)
	}
	if run.Status != AnalysisRunning {
		return "the analysis has " + string(run.Status)
	}
	if !ds.analysisRunsNow(run, status) {
		return "the deployment is " + string(status)
	}
	if n, _ := run.counted(r.Check, a.OnInconclusive); n >= a.Measurements {
		return "the check has all its measurements"
	}
	if due := run.due(r.Check, a.Interval); r.Time.Before(due) {
		return "the measurement is not due until " + due.Format(time.RFC3339Nano)
	}
	run.Measurements = append(run.Measurements, *r)
	failures, complete := 0, true
	for _, c := range a.Checks {
		n, f := run.counted(c.Name, a.OnInconclusive)
		failures += f
		complete = complete && n >= a.Measurements
	}
	switch {
	case failures > a.FailureLimit:
		run.Status, run.EndedAt = AnalysisFailed, s.now
		run.Reason = fmt.Sprintf("check %s: %s (%s): %s, failure_limit %d", r.Check, r.Verdict, r.Reason, counted(failures, "failure"), a.FailureLimit)
	case complete:
		run.Status, run.EndedAt = AnalysisPassed, s.now
		run.Reason = fmt.Sprintf("%s of %s, %s, failure_limit %d", counted(a.Measurements, "measurement"), counted(len(a.Checks), "check"), counted(failures, "failure"), a.FailureLimit)
	}
	return ""
}

// analysisBlocks returns why the group's canaries may not be promoted yet
// under its analysis, or "".
func (s *stepper) analysisBlocks(gi int, ds *DeploymentGroup) string {
	if s.groups[gi].strat.Analysis == nil {
		return ""
	}
	run, ok := ds.analysisAt(GateCanaries)
	switch {
	case !ok:
		return "its canary analysis has not started"
	case run.Status != AnalysisPassed:
		return fmt.Sprintf("its canary analysis is %s (%s so far)", run.Status, counted(len(run.Measurements), "measurement"))
	}
	return ""
}

// startCheckpointAnalyses begins the analyses of the groups that reached a
// checkpoint in this step.
func (s *stepper) startCheckpointAnalyses(groups []string) {
	for _, name := range groups {
		gi, ok := s.groupIdx[name]
		if !ok || s.groups[gi].strat.Analysis == nil {
			continue
		}
		if ds := s.dgroup(int(gi)); ds != nil {
			s.startAnalysis(int(gi), ds, "checkpoint "+strconv.Itoa(ds.CheckpointsReached))
		}
	}
}

// wakeAnalysis records when the running analyses' next measurements are due.
func (s *stepper) wakeAnalysis() {
	cur := s.cur
	if cur == nil || !cur.Status.Active() {
		return
	}
	for gi := range s.groups {
		ds := s.dgroup(gi)
		if ds == nil || s.groups[gi].strat.Analysis == nil {
			continue
		}
		run, ok := ds.LiveAnalysis()
		if !ok || !ds.analysisRunsNow(run, cur.Status) {
			continue
		}
		a := s.groups[gi].strat.Analysis.resolved()
		for _, c := range a.Checks {
			if n, _ := run.counted(c.Name, a.OnInconclusive); n < a.Measurements {
				s.wake(run.due(c.Name, a.Interval))
			}
		}
	}
}

// validateAnalysis checks the step's analysis results, naming each field
// as prefix[i].field.
func validateAnalysis(rs []AnalysisResult, prefix string, now time.Time, bad func(field string, v any, problem string)) {
	for i := range rs {
		r := &rs[i]
		f := prefix + "[" + strconv.Itoa(i) + "]"
		if r.Time.IsZero() {
			bad(f+".time", nil, "must be set")
		} else if !now.IsZero() && r.Time.After(now) {
			bad(f+".time", r.Time, "is later than now "+now.String())
		}
		if r.Group == "" {
			bad(f+".group", nil, "must be set")
		}
		if p := analysisNameProblem(r.Check); p != "" {
			bad(f+".check", shorten(r.Check, 40), p)
		}
		if !r.Verdict.Valid() {
			bad(f+".verdict", shorten(string(r.Verdict), 40), `must be one of "pass", "fail", "inconclusive"`)
		}
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			bad(f+".value", r.Value, "must be a finite number")
		}
		if len(r.Reason) > maxAnalysisReason {
			bad(f+".reason", len(r.Reason), "is longer than "+strconv.Itoa(maxAnalysisReason)+" bytes")
		}
	}
}

// analysisRunsEqual compares two groups' analysis runs.
func analysisRunsEqual(x, y []AnalysisRun) bool {
	return slices.EqualFunc(x, y, func(a, b AnalysisRun) bool {
		return a.Gate == b.Gate && a.Status == b.Status && a.Reason == b.Reason && a.StartedAt.Equal(b.StartedAt) &&
			a.EndedAt.Equal(b.EndedAt) && a.Version == b.Version && a.BaselineVersion == b.BaselineVersion &&
			a.HasBaseline == b.HasBaseline && slices.EqualFunc(a.Measurements, b.Measurements, func(m, n AnalysisResult) bool {
			return m.Time.Equal(n.Time) && m.Group == n.Group && m.Check == n.Check && m.Verdict == n.Verdict && m.Value == n.Value && m.Reason == n.Reason
		})
	})
}

// counted writes n and the noun, in the plural unless n is 1: "1 failure",
// "2 failures".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
