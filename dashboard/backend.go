package dashboard

import (
	"context"
	"errors"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

// Backend is what the dashboard needs of the process that runs rollouts:
// the jobs, each job's stored state, a way to send an operator command
// through the same path every other command takes, and a signal when a
// job's state changes. An adapter over a controller.Manager or a set of
// controller.Runners implement it in a few lines.
type Backend interface {
	// Jobs returns the IDs of the jobs to show, in the order to show them.
	Jobs(ctx context.Context) ([]string, error)
	// State returns the job's state as its Store holds it, or an error
	// wrapping ErrNotFound for a job it does not know. (A Store's Load
	// of a job never saved returns the zero State and no error: an
	// adapter over a Store turns that into ErrNotFound. The dashboard
	// takes a State with no revision and no version for not found too.)
	State(ctx context.Context, job string) (controller.State, error)
	// Command sends an operator command to the job's rollout and returns
	// once it was applied or refused; a refused command returns Step's
	// error (a *rollout.CommandError), which the page shows.
	Command(ctx context.Context, job string, cmd rollout.Command) error
	// Subscribe returns a channel that receives a value after each change
	// of the job's state (changes may be coalesced), until ctx ends. The
	// dashboard calls it only for a job State has just found.
	Subscribe(ctx context.Context, job string) (<-chan struct{}, error)
}

// ErrNotFound is what a Backend's State wraps for a job it does not know.
var ErrNotFound = errors.New("dashboard: no such job")
