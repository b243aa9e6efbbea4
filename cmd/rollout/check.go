package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rollout-go/rollout/boltstore"
)

const checkHelp = `Usage: rollout check [options] FILE...

Check each store file (the bbolt file of a controller's boltstore) for
damage without changing it: its pages (bbolt's consistency check), its
layout and schema, and every job's stored state, decoded as the
controller decodes it. Every problem is printed, one a line, as
FILE: job "ID": problem, or FILE: file: problem for damage to the file
itself. A file that is sound prints FILE: no problems found.

A controller that runs holds its file's lock: stop it, or check a copy.

Exit codes: 0 every file is sound, 1 problems found (or a file that could
not be checked: missing, locked), 2 usage error.
`

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	timeout := fs.Duration("timeout", time.Second, "how long to wait for a file another process holds")
	files, code, ok := parse(fs, args, checkHelp, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "rollout check: no store file given\n\n%s", checkHelp)
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "rollout check: -timeout %s: want a positive duration\n\n%s", *timeout, checkHelp)
		return exitUsage
	}
	bad := 0
	for _, f := range files {
		problems, err := boltstore.CheckFile(context.Background(), f, &boltstore.Options{Timeout: *timeout})
		switch {
		case errors.Is(err, boltstore.ErrLocked):
			fmt.Fprintf(stdout, "%s: %v (stop the controller, or check a copy of the file)\n", f, err)
			bad++
		case err != nil:
			fmt.Fprintf(stdout, "%s: %v\n", f, err)
			bad++
		case len(problems) > 0:
			for _, p := range problems {
				fmt.Fprintf(stdout, "%s: %s\n", f, p)
			}
			bad++
		default:
			fmt.Fprintf(stdout, "%s: no problems found\n", f)
		}
	}
	if bad > 0 {
		return exitProblems
	}
	return exitOK
}
