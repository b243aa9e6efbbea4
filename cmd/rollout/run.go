package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

const runHelp = `Usage: rollout run [-address URL] [-check-index N] [-var name=value] FILE

Load the job file (HCL or Nomad API JSON, with package jobspec), validate
it and submit it to a running rollout process through its dashboard's JSON
API, as "nomad job run" does. With -check-index N the submit is refused
(kind version_conflict) unless the job's latest version is N, the version
a "rollout plan" was made against; -check-index -1 requires a new job.

The address and token are those of the other operator commands (see
"rollout status -help").

Exit codes: 0 submitted, 1 the file has problems or the submit was
refused, 2 usage error.
`

// submitBody is the body of a submit (the dashboard's SubmitRequest).
type submitBody struct {
	Job           rollout.JobVersion `json:"job"`
	ExpectVersion *uint64            `json:"expect_version,omitempty"`
	ExpectNoJob   bool               `json:"expect_no_job,omitempty"`
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	addr := addressFlag(fs)
	vs := vars{}
	fs.Var(vs, "var", "set a variable, as name=value (repeatable)")
	check := fs.Int64("check-index", -2, "submit only if the job's latest version is this one (-1: only a new job)")
	files, code, ok := parse(fs, args, runHelp, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "rollout run: want one job file\n\n%s", runHelp)
		return exitUsage
	}
	if *check < -2 {
		fmt.Fprintf(stderr, "rollout run: -check-index %d: want a version, or -1 for a new job\n", *check)
		return exitUsage
	}
	c, err := newClient(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "rollout run: %v\n", err)
		return exitUsage
	}
	job, ok := load(files[0], &jobspec.Options{Vars: vs}, stdout)
	if !ok {
		return exitProblems
	}
	body := submitBody{Job: job.Version}
	switch {
	case *check == -1:
		body.ExpectNoJob = true
	case *check >= 0:
		v := uint64(*check)
		body.ExpectVersion = &v
	}
	var answer struct {
		Version uint64 `json:"version"`
	}
	if err := c.do(context.Background(), http.MethodPost, jobPath(job.Version.ID), body, &answer); err != nil {
		return reportError(stderr, "run", err)
	}
	fmt.Fprintf(stdout, "==> Job %q version %d submitted\n", job.Version.ID, answer.Version)
	return exitOK
}
