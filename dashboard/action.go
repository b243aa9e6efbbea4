package dashboard

import (
	"net/http"

	"github.com/rollout-go/rollout"
)

// Verb names what a request asks of the dashboard, for Options.Authorize.
type Verb string

// The verbs of the dashboard's pages and its JSON API.
const (
	// VerbList reads the list of jobs (the overview, GET /v1/jobs).
	VerbList Verb = "list"
	// VerbRead reads one job: its page, status, versions, deployments,
	// allocations, a diff, its timeline.
	VerbRead Verb = "read"
	// VerbWatch subscribes to change events (of one job, or of every job
	// when Action.Job is empty).
	VerbWatch Verb = "watch"
	// VerbSubmit submits a new version of the job (Action.Submit).
	VerbSubmit Verb = "submit"
	// VerbCommand sends an operator command to the job's rollout
	// (Action.Command).
	VerbCommand Verb = "command"
)

// Action says what a request asks, so that Options.Authorize can decide:
// the job (empty for every job), the verb, whether it changes anything,
// and the command or the version it carries.
type Action struct {
	// Job is the job asked about; "" for the list of jobs or the events of
	// every job.
	Job string
	// Verb is what is asked.
	Verb Verb
	// Write is set for a submit or a command: a request that changes a
	// job's rollout.
	Write bool
	// Command is the operator command of a VerbCommand; nil otherwise.
	Command *rollout.Command
	// Submit is the version of a VerbSubmit, as received (before Redact);
	// nil otherwise.
	Submit *rollout.JobVersion
}

// readAction is the Action of a request that reads a job (or the list, for
// job "").
func readAction(job string) Action {
	if job == "" {
		return Action{Verb: VerbList}
	}
	return Action{Job: job, Verb: VerbRead}
}

// authorize asks Options.Authorize about the action. Without the hook,
// reads are allowed and every write is refused with ErrReadOnly.
func (h *Handler) authorize(r *http.Request, a Action) error {
	if h.opts.Authorize == nil {
		if a.Write {
			return ErrReadOnly
		}
		return nil
	}
	return h.opts.Authorize(r, a)
}

// redacted returns a copy of the version with Options.Redact applied, for
// showing or serving.
func (h *Handler) redacted(v rollout.JobVersion) rollout.JobVersion {
	c := v.Clone()
	if h.opts.Redact != nil {
		c = h.opts.Redact(c)
	}
	return c
}

// identity names who asked, for the logs: Options.Identify's answer, or
// the remote address.
func (h *Handler) identity(r *http.Request) string {
	if h.opts.Identify != nil {
		if id := h.opts.Identify(r); id != "" {
			return id
		}
	}
	return r.RemoteAddr
}
