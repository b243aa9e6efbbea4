// Package walkthrough replays Nomad's update-block tutorials on a
// rollouttest.Cluster, in simulated time, printing at each moment what a
// reader of the tutorials looks at: `nomad job status`, `job deployments`,
// `deployment status`, `job history -p` and `job plan`. The programs under
// examples/ run one walkthrough each; examples/tour runs them all.
package walkthrough

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/rollouttest"
	"github.com/rollout-go/rollout/view"

	"github.com/rollout-go/rollout/controller"
)

// Walkthrough is one tutorial walkthrough.
type Walkthrough struct {
	// Name picks it on the command line (-walkthrough NAME).
	Name string
	// Title and Seed say what it replays.
	Title, Seed string
	// Run replays it.
	Run func(s *Session)
}

// All lists the walkthroughs, in the order of the tutorials.
var All = []Walkthrough{Nginx, GeoAPIServer, DemoWebapp, BlueGreen, Controls, Analysis}

// Find returns the walkthrough with the name.
func Find(name string) (Walkthrough, bool) {
	for _, w := range All {
		if w.Name == name {
			return w, true
		}
	}
	return Walkthrough{}, false
}

// Snapshot is what a job status showed at a moment, kept for tests.
type Snapshot struct {
	Label      string
	At         time.Duration
	Deployment *rollout.Deployment
	Summary    []view.Summary
}

// Session is one replay: a cluster, the transcript, the timeline and the
// snapshots. Its methods print as they go; the first error stops the
// replay (later calls do nothing) and is returned by Play.
type Session struct {
	C *rollouttest.Cluster
	// Timelines holds one timeline per cluster the session set up.
	Timelines []*view.Timeline
	Snapshots []Snapshot
	// Plans holds each printed plan's group counts, for tests.
	Plans []string

	w        io.Writer
	outs     []rollout.Output // every step's output, in order
	title    string
	start    time.Time
	job      string
	timeline *view.Timeline
	store    controller.Store // where each step's state is saved; nil for none
	revs     map[string]uint64
	steps    int           // steps of the clusters set up before C
	elapsed  time.Duration // their simulated time
	err      error
}

// Play replays a walkthrough, writing its transcript to w.
func Play(wt Walkthrough, w io.Writer) (*Session, error) { return playInto(wt, w, nil) }

// playInto replays a walkthrough, saving each step's state in store (nil:
// none).
func playInto(wt Walkthrough, w io.Writer, store controller.Store) (*Session, error) {
	s := &Session{w: w, title: wt.Title, store: store}
	fmt.Fprintf(w, "#### %s\n#### replays %s\n", wt.Title, wt.Seed)
	wt.Run(s)
	if s.err == nil && s.C != nil {
		fmt.Fprintf(w, "\n(%d steps, %s of simulated time)\n", s.steps+s.C.Steps(), s.elapsed+s.C.Now().Sub(s.start))
	}
	return s, s.err
}

// Setup creates the session's cluster for a job.
// A session may set up several clusters in turn, one per job.
func (s *Session) Setup(job string, cfg rollouttest.Config) {
	if s.C != nil {
		s.steps += s.C.Steps()
		s.elapsed += s.C.Now().Sub(s.start)
	}
	s.C = rollouttest.NewCluster(cfg)
	s.start, s.job = s.C.Now(), job
	s.timeline = view.NewTimeline(fmt.Sprintf("%s — job %q", s.title, job), s.start)
	s.Timelines = append(s.Timelines, s.timeline)
	s.C.Observe(func(c *rollouttest.Cluster, st rollouttest.StepInfo) {
		j, _ := c.Job()
		s.timeline.Sample(c.Now(), j.Version, c.Allocations())
		s.timeline.MarkTransitions(c.Now(), &st.Output)
		s.outs = append(s.outs, st.Output)
		s.save(c)
	})
}

// save stores the job's state after a step, as a scheduler would: its
// versions, deployments and allocation records, by compare-and-set.
func (s *Session) save(c *rollouttest.Cluster) {
	if s.store == nil || s.err != nil {
		return
	}
	if s.revs == nil {
		s.revs = map[string]uint64{}
	}
	st := controller.State{Revision: s.revs[s.job], History: c.History(), Deployments: c.Deployments(), Allocs: c.Allocations()}
	rev, err := s.store.Save(context.Background(), s.job, st)
	if err != nil {
		s.fail(fmt.Errorf("save the state of job %q: %w", s.job, err))
		return
	}
	s.revs[s.job] = rev
}

func (s *Session) fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
		fmt.Fprintf(s.w, "ERROR: %v\n", err)
	}
}

// ok reports whether the replay goes on.
func (s *Session) ok() bool { return s.err == nil }

// since formats the simulated time since the start.
func (s *Session) since() string { return "+" + s.C.Now().Sub(s.start).String() }

// Say prints narrative lines, as comments.
func (s *Session) Say(lines ...string) {
	if !s.ok() {
		return
	}
	fmt.Fprintln(s.w)
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			fmt.Fprintf(s.w, "# %s\n", part)
		}
	}
}

// shell prints a command line with the simulated time.
func (s *Session) shell(cmd string) {
	fmt.Fprintf(s.w, "\n[%s] $ %s\n", s.since(), cmd)
}

// Plan prints `nomad job plan` for a proposed version.
func (s *Session) Plan(file string, job rollout.JobVersion) {
	if !s.ok() {
		return
	}
	s.shell("nomad job plan " + file)
	plans, err := s.C.Plan(job)
	if err != nil {
		s.fail(err)
		return
	}
	var from *rollout.JobVersion
	if cur, ok := s.C.Job(); ok {
		from = &cur
	}
	var counts []string
	for _, p := range plans {
		counts = append(counts, p.Group+": "+p.String())
	}
	s.Plans = append(s.Plans, strings.Join(counts, "; "))
	view.Plan(s.w, from, &job, plans)
}

// Run submits a version (`nomad job run`) and prints what its first step
// decided.
func (s *Session) Run(file string, job rollout.JobVersion) {
	if !s.ok() {
		return
	}
	s.shell("nomad job run " + file)
	mark := len(s.outs)
	v, err := s.C.Submit(job)
	if err != nil {
		s.fail(err)
		return
	}
	s.timeline.Mark(s.C.Now(), view.MarkSubmit, fmt.Sprintf("v%d", v.Version))
	fmt.Fprintf(s.w, "==> job version %d submitted\n", v.Version)
	for i := mark; i < len(s.outs); i++ {
		view.Decisions(s.w, &s.outs[i])
	}
}

// Command issues an operator command, printing it as cmd, and prints what
// its step decided.
func (s *Session) Command(cmd string, c rollout.Command) {
	if !s.ok() {
		return
	}
	s.shell(cmd)
	mark := len(s.outs)
	if err := s.C.Command(c); err != nil {
		fmt.Fprintf(s.w, "Error: %v\n", err)
		return
	}
	for i := mark; i < len(s.outs); i++ {
		view.Decisions(s.w, &s.outs[i])
	}
}

// Wait lets d of simulated time pass.
func (s *Session) Wait(d time.Duration) {
	if s.ok() {
		s.fail(s.C.RunFor(d))
	}
}

// WaitUntil lets time pass until the clock reads t.
func (s *Session) WaitUntil(t time.Time) {
	if s.ok() {
		s.fail(s.C.RunFor(t.Sub(s.C.Now())))
	}
}

// Settle lets time pass until nothing more happens by itself.
func (s *Session) Settle() {
	if s.ok() {
		s.fail(s.C.Run())
	}
}

// Until lets time pass until cond holds; what names the moment.
func (s *Session) Until(what string, cond func(c *rollouttest.Cluster) bool) {
	if !s.ok() {
		return
	}
	if err := s.C.RunUntil(cond); err != nil {
		s.fail(fmt.Errorf("waiting until %s: %w", what, err))
	}
}

// Status prints `nomad job status` and keeps a snapshot with the label.
func (s *Session) Status(label string) {
	if !s.ok() {
		return
	}
	s.shell("nomad job status " + s.job)
	job, _ := s.C.Job()
	deps := s.C.Deployments()
	allocs := s.C.Allocations()
	view.JobStatus(s.w, s.C.Now(), &job, deps, allocs)
	snap := Snapshot{Label: label, At: s.C.Now().Sub(s.start), Summary: view.Summarize(&job, allocs)}
	if len(deps) > 0 {
		snap.Deployment = &deps[len(deps)-1]
	}
	s.Snapshots = append(s.Snapshots, snap)
}

// Deployments prints `nomad job deployments`.
func (s *Session) Deployments() {
	if !s.ok() {
		return
	}
	s.shell("nomad job deployments " + s.job)
	view.Deployments(s.w, s.C.Deployments())
}

// DeploymentStatus prints `nomad deployment status` of the latest one.
func (s *Session) DeploymentStatus() {
	if !s.ok() {
		return
	}
	d := s.C.Deployment()
	if d == nil {
		s.fail(errors.New("no deployment"))
		return
	}
	s.shell("nomad deployment status " + view.Short(d.ID))
	view.DeploymentStatus(s.w, d)
}

// History prints `nomad job history -p`.
func (s *Session) History() {
	if !s.ok() {
		return
	}
	s.shell("nomad job history -p " + s.job)
	view.History(s.w, s.C.History())
}

// Snapshot returns the snapshot with the label.
func (s *Session) Snapshot(label string) (Snapshot, bool) {
	for _, sn := range s.Snapshots {
		if sn.Label == label {
			return sn, true
		}
	}
	return Snapshot{}, false
}

// Main is the whole of a walkthrough program: it replays the named
// walkthrough (all of them for the tour, name ""), writes the transcript
// to stdout and, with -svg FILE, the timelines to FILE.
func Main(name string, args []string, stdout io.Writer) error {
	return MainWithStore(name, args, stdout, nil)
}

// MainWithStore is Main, saving each job's state after every step in
// store (nil: none), as a scheduler keeps its desired state.
func MainWithStore(name string, args []string, stdout io.Writer, store controller.Store) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	svg := fs.String("svg", "", "write an SVG timeline of the rollouts to `FILE`")
	pick := ""
	if name == "" {
		var names []string
		for _, w := range All {
			names = append(names, w.Name)
		}
		fs.StringVar(&pick, "walkthrough", "", "replay only the walkthrough `NAME` ("+strings.Join(names, ", ")+")")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name != "" {
		pick = name
	}
	var run []Walkthrough
	if pick == "" {
		run = All
	} else {
		wt, ok := Find(pick)
		if !ok {
			return fmt.Errorf("no walkthrough %q", pick)
		}
		run = []Walkthrough{wt}
	}
	var timelines []*view.Timeline
	for i, wt := range run {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		s, err := playInto(wt, stdout, store)
		if err != nil {
			return fmt.Errorf("%s: %w", wt.Name, err)
		}
		timelines = append(timelines, s.Timelines...)
	}
	if *svg != "" {
		f, err := os.Create(*svg)
		if err != nil {
			return err
		}
		title := "rollout walkthroughs in simulated time"
		if len(run) == 1 {
			title = run[0].Title
		}
		if err := view.WriteSVG(f, title, timelines); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", *svg)
	}
	return nil
}
