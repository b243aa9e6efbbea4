package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/view"
)

const opsHelp = `Usage: rollout <command> [-address URL] JOB [args]

Commands against a running rollout process, through the JSON API of its
dashboard (package dashboard), printing what the nomad command prints:

    status [JOB]          the jobs, or one job (nomad job status)
    deployments JOB       the job's deployments (nomad job deployments)
    history JOB           the job's versions and their diffs (nomad job history -p)
    promote [-group G] JOB  promote the canaries (nomad deployment promote)
    pause JOB             pause the deployment (nomad deployment pause)
    resume JOB            resume it (nomad deployment resume)
    fail JOB              fail it (nomad deployment fail)
    revert JOB VERSION    roll back to a version (nomad job revert)
    freeze [-reason R] [-for D] JOB   stop new rollouts of the job
    unfreeze JOB          allow them again

The address comes from -address, else ROLLOUT_ADDR, else
http://127.0.0.1:8080; a dashboard mounted under a path prefix takes it
in the address (https://ops.example/rollouts). ROLLOUT_TOKEN, when set, is
sent as "Authorization: Bearer <token>" for the dashboard's Authorize hook.

Exit codes: 0 done, 1 refused or failed (the error names its kind), 2
usage error.
`

// jobSummary and jobStatus are the API's answers the commands read (the
// dashboard's JobSummary and JobStatus).
type jobSummary struct {
	ID         string               `json:"id"`
	Version    uint64               `json:"version"`
	Stable     bool                 `json:"stable"`
	Stopped    bool                 `json:"stopped"`
	Deployment *rollout.Deployment  `json:"deployment"`
	Freeze     *rollout.FreezeState `json:"freeze"`
}

type jobStatus struct {
	Job        rollout.JobVersion   `json:"job"`
	Deployment *rollout.Deployment  `json:"deployment"`
	Freeze     *rollout.FreezeState `json:"freeze"`
}

// commandBody is the body of a command (the dashboard's CommandRequest).
type commandBody struct {
	Groups  []string `json:"groups,omitempty"`
	Version *uint64  `json:"version,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	For     string   `json:"for,omitempty"`
}

// opsCmd runs one of the operator commands.
func opsCmd(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	addr := addressFlag(fs)
	var groups []string
	var reason, dur string
	switch name {
	case "promote":
		fs.Func("group", "promote only this group's canaries (repeatable)", func(s string) error { groups = append(groups, s); return nil })
	case "freeze":
		fs.StringVar(&reason, "reason", "", "why, for the people who read the transitions")
		fs.StringVar(&dur, "for", "", "how long, as 2h or 30m (default: until unfreeze)")
	}
	pos, code, ok := parse(fs, args, opsHelp, stdout, stderr)
	if !ok {
		return code
	}
	want := 1
	switch name {
	case "status":
		want = min(len(pos), 1)
	case "revert":
		want = 2
	}
	if len(pos) != want {
		fmt.Fprintf(stderr, "rollout %s: want %s\n\n%s", name, map[int]string{0: "no argument or a job", 1: "a job", 2: "a job and a version"}[want], opsHelp)
		return exitUsage
	}
	c, err := newClient(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "rollout %s: %v\n", name, err)
		return exitUsage
	}
	ctx := context.Background()
	if name == "status" && len(pos) == 0 {
		return listJobs(ctx, c, stdout, stderr)
	}
	job := pos[0]
	switch name {
	case "status":
		return showStatus(ctx, c, job, stdout, stderr)
	case "deployments":
		var deps []rollout.Deployment
		if err := c.do(ctx, http.MethodGet, jobPath(job, "deployments"), nil, &deps); err != nil {
			return reportError(stderr, name, err)
		}
		view.Deployments(stdout, deps)
		return exitOK
	case "history":
		var versions []rollout.JobVersion
		if err := c.do(ctx, http.MethodGet, jobPath(job, "versions"), nil, &versions); err != nil {
			return reportError(stderr, name, err)
		}
		view.History(stdout, rollout.History{Versions: versions})
		return exitOK
	}
	body := commandBody{Groups: groups, Reason: reason, For: dur}
	if name == "revert" {
		v, err := strconv.ParseUint(strings.TrimPrefix(pos[1], "v"), 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "rollout revert: version %q: want a version number\n", pos[1])
			return exitUsage
		}
		body.Version = &v
	}
	if err := c.do(ctx, http.MethodPost, jobPath(job, name), body, nil); err != nil {
		return reportError(stderr, name, err)
	}
	fmt.Fprintf(stdout, "==> %s of job %q applied\n", name, job)
	var st jobStatus
	if err := c.do(ctx, http.MethodGet, jobPath(job), nil, &st); err == nil && st.Deployment != nil {
		fmt.Fprintln(stdout)
		view.DeploymentStatus(stdout, st.Deployment)
	}
	return exitOK
}

// listJobs prints every job, as `nomad job status` without a job does.
func listJobs(ctx context.Context, c *apiClient, stdout, stderr io.Writer) int {
	var jobs []jobSummary
	if err := c.do(ctx, http.MethodGet, "jobs", nil, &jobs); err != nil {
		return reportError(stderr, "status", err)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(stdout, "No running jobs")
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVersion\tStatus\tDeployment\tDescription")
	for _, j := range jobs {
		status := "running"
		if j.Stopped {
			status = "dead (stopped)"
		}
		if j.Freeze != nil {
			status += ", frozen"
		}
		dep, desc := "-", "-"
		if j.Deployment != nil {
			dep, desc = string(j.Deployment.Status), j.Deployment.Description
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", j.ID, j.Version, status, dep, desc)
	}
	tw.Flush()
	return exitOK
}

// showStatus prints one job as `nomad job status JOB` does.
func showStatus(ctx context.Context, c *apiClient, job string, stdout, stderr io.Writer) int {
	var st jobStatus
	var deps []rollout.Deployment
	var allocs []rollout.Alloc
	for _, get := range []struct {
		path string
		out  any
	}{{jobPath(job), &st}, {jobPath(job, "deployments"), &deps}, {jobPath(job, "allocations"), &allocs}} {
		if err := c.do(ctx, http.MethodGet, get.path, nil, get.out); err != nil {
			return reportError(stderr, "status", err)
		}
	}
	view.JobStatus(stdout, time.Now(), &st.Job, deps, allocs)
	if st.Freeze != nil {
		fmt.Fprintf(stdout, "\nFreeze = %s\n", st.Freeze)
	}
	return exitOK
}
