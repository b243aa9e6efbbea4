package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/rollout-go/rollout/jobspec"
)

const validateHelp = `Usage: rollout validate [options] FILE...

Load each job file (HCL2, or the JSON of "nomad job inspect") and check it
as rollout does before deploying it. Every problem of every file is
printed, one a line, as FILE:LINE:COLUMN: problem. A valid file's warnings
(settings that run but are likely mistakes, as Nomad warns of them) follow
its success line as FILE:LINE:COLUMN: warning: problem. A batch,
sysbatch, periodic or parameterized job is valid but out of scope: the
update block does not apply to it, and validate says so.

Exit codes: 0 every file is valid, 1 problems found, 2 usage error.
`

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	vs := vars{}
	fs.Var(vs, "var", "set a variable, as name=value (repeatable)")
	files, code, ok := parse(fs, args, validateHelp, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "rollout validate: no job file given\n\n%s", validateHelp)
		return exitUsage
	}
	bad := 0
	for _, f := range files {
		job, ok := load(f, &jobspec.Options{Vars: vs}, stdout)
		if !ok {
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: job validation successful\n", f)
		if kind, out := outOfScope(job); out {
			fmt.Fprintf(stdout, "%s: job %q is a %s job: out of scope, the update block does not apply to it (rollout plan and simulate refuse it)\n", f, job.Version.ID, kind)
		}
		printWarnings(stdout, job.Warnings())
	}
	if bad > 0 {
		return exitProblems
	}
	return exitOK
}
