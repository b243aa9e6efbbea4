// Command rollout validates, plans and simulates Nomad job files with the
// rollout library, in the style of the nomad CLI, and checks a
// controller's store files for damage:
//
//	rollout validate FILE...
//	rollout plan [-nodes N] OLD NEW
//	rollout simulate [-fail canaries|vN|alloc=N] [-json] [-nodes N] FILE...
//	rollout check [-timeout D] FILE...
//
// and commands a running rollout process through its dashboard's JSON API:
//
//	rollout run [-check-index N] FILE
//	rollout status [JOB] | deployments JOB | history JOB
//	rollout promote|pause|resume|fail|unfreeze JOB | revert JOB VERSION | freeze JOB
//
// Exit codes: 0 when all is well, 1 when problems were found (a file that
// does not load or validate, a failed deployment or a failing version that
// no deployment tracks in a simulation, a damaged store file), 2 for a
// usage error; plan's are nomad job plan's (0 nothing created or
// destroyed, 1 some allocations are, 255 an error). Every subcommand takes
// -help.
//
// Job files are loaded with jobspec.LoadFile's defaults: their file
// functions read only the job file's own directory, read-only, and the
// load is bounded by jobspec's default Limits.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout/jobspec"
)

// Exit codes.
const (
	exitOK       = 0
	exitProblems = 1
	exitUsage    = 2
)

const usage = `Usage: rollout <command> [options] [args]

Validate, plan and simulate Nomad job files with rollout, the deployment
state machine of Nomad's update block, and check a controller's store
files for damage.

Commands:
    validate    Check job files, reporting every problem with its position
    plan        Show what submitting NEW over OLD would do (nomad job plan)
    simulate    Run job versions through a simulated cluster
    check       Check controller store files (boltstore) for damage

Operator commands, against a running rollout process's dashboard API
(-address, ROLLOUT_ADDR; ROLLOUT_TOKEN as a bearer token):
    run         Submit a job file (nomad job run)
    status      Show the jobs, or one job (nomad job status)
    deployments Show a job's deployments (nomad job deployments)
    history     Show a job's versions and diffs (nomad job history -p)
    promote, pause, resume, fail, revert, freeze, unfreeze
                Command a job's deployment (nomad deployment ...)

Run "rollout <command> -help" for a command's options.

Exit codes: 0 ok, 1 problems found, 2 usage error.
` + jobFilesHelp

// jobFilesHelp says what a job file may read and cost: what
// jobspec.LoadFile grants and its default limits.
const jobFilesHelp = `
Job files are read with jobspec.LoadFile: their file functions (file,
filebase64, fileexists) read the job file's own directory and nothing
else, read-only (no "..", absolute path or symbolic link leads out of it),
and only regular files of at most 1 MiB. Loading is bounded: 4 MiB of
source, 50,000 tokens, nesting depth 128, 10,000 elements and 1 MiB of
strings in a value, and an evaluation budget; a file beyond them is
refused, at the position of what exceeds the limit.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "validate":
		return validateCmd(args[1:], stdout, stderr)
	case "plan":
		return planCmd(args[1:], stdout, stderr)
	case "simulate":
		return simulateCmd(args[1:], stdout, stderr)
	case "run":
		return runCmd(args[1:], stdout, stderr)
	case "status", "deployments", "history", "promote", "pause", "resume", "fail", "revert", "freeze", "unfreeze":
		return opsCmd(args[0], args[1:], stdout, stderr)
	case "check":
		return checkCmd(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "rollout: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// parse parses flags placed anywhere among the arguments (nomad's CLI
// takes them first; both work). It returns the positional arguments, or
// a exit code to return at once (help or a usage error).
func parse(fs *flag.FlagSet, args []string, help string, stdout, stderr io.Writer) ([]string, int, bool) {
	fs.SetOutput(io.Discard)
	var rest []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, help, jobFilesHelp)
			printDefaults(fs, stdout)
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintf(stderr, "rollout %s: %v\n\n%s", fs.Name(), err, help)
			printDefaults(fs, stderr)
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, 0, true
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

func printDefaults(fs *flag.FlagSet, w io.Writer) {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if b.Len() > 0 {
		fmt.Fprintf(w, "\nOptions:\n%s", b.String())
	}
}

// vars is the repeatable -var name=value flag.
type vars map[string]string

func (v vars) String() string { return "" }

func (v vars) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("-var %q: want name=value", s)
	}
	v[name] = value
	return nil
}

// load reads and validates a job file, printing its problems to w. It
// reports whether the file is good.
func load(path string, opts *jobspec.Options, w io.Writer) (*jobspec.Job, bool) {
	job, err := jobspec.LoadFile(path, opts)
	if err == nil {
		err = job.Validate()
	}
	if err != nil {
		printErrors(w, err)
		return job, false
	}
	return job, true
}

// printErrors prints each problem of err on its own line.
func printErrors(w io.Writer, err error) {
	var me *multierror.Error
	if errors.As(err, &me) {
		for _, e := range me.Errors {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}

// printWarnings prints each warning of err (from jobspec.Job.Warnings) on
// its own line, as "file:line:column: warning: problem".
func printWarnings(w io.Writer, err error) {
	var me *multierror.Error
	if !errors.As(err, &me) {
		return
	}
	for _, e := range me.Errors {
		var je *jobspec.Error
		if errors.As(e, &je) {
			fmt.Fprintf(w, "%s: warning: %s\n", je.Pos, je.Msg)
		} else {
			fmt.Fprintf(w, "warning: %v\n", e)
		}
	}
}

// printJobWarnings prints the warnings of err (from jobspec.Job.Warnings)
// as nomad job plan does: under "Job Warnings:", counted, one a line.
func printJobWarnings(w io.Writer, err error) {
	var me *multierror.Error
	if !errors.As(err, &me) || len(me.Errors) == 0 {
		return
	}
	fmt.Fprintf(w, "\nJob Warnings:\n%d warning(s):\n\n", len(me.Errors))
	for _, e := range me.Errors {
		fmt.Fprintf(w, "* %v\n", e)
	}
}

// nodesFlag defines -nodes, the number of the simulated cluster's nodes.
func nodesFlag(fs *flag.FlagSet) *int {
	return fs.Int("nodes", 3, "nodes of the simulated cluster (a system job runs one allocation on each)")
}

// nodeNames returns the names of a simulated cluster's n nodes, node-1 to
// node-n, or reports a count that is not positive.
func nodeNames(n int, stderr io.Writer, cmd string) ([]string, bool) {
	if n < 1 {
		fmt.Fprintf(stderr, "rollout %s: -nodes %d: want at least 1\n", cmd, n)
		return nil, false
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node-%d", i+1)
	}
	return names, true
}
