package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// maxWatchedJobs bounds how many jobs one stream of every job's events
// follows.
const maxWatchedJobs = 2000

// ChangeEvent is the data of an API "change" event: the job whose state
// changed.
type ChangeEvent struct {
	Job string `json:"job"`
}

// apiEvents streams a "change" event after each change of one job's
// state (GET /v1/jobs/{job}/events).
func (h *Handler) apiEvents(w http.ResponseWriter, r *http.Request) {
	name, err := jobName(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := h.authorize(r, Action{Job: name, Verb: VerbWatch}); err != nil {
		writeError(w, forbidden(err))
		return
	}
	if _, err := h.loadJob(r.Context(), name); err != nil {
		writeError(w, err)
		return
	}
	h.stream(w, r, []string{name})
}

// apiEventsAll streams a "change" event, naming the job, after each
// change of any job's state (GET /v1/events), for the jobs there are when
// it starts.
func (h *Handler) apiEventsAll(w http.ResponseWriter, r *http.Request) {
	if err := h.authorize(r, Action{Verb: VerbWatch}); err != nil {
		writeError(w, forbidden(err))
		return
	}
	jobs, err := h.backend.Jobs(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	if len(jobs) > maxWatchedJobs {
		jobs = jobs[:maxWatchedJobs]
	}
	h.stream(w, r, jobs)
}

// stream writes server-sent events: one "change" per change of a job's
// state, coalesced per job, until the client goes.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, jobs []string) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, failure(http.StatusInternalServerError, "unsupported", "the server cannot stream"))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	changed := make(chan string, len(jobs))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, j := range jobs {
		ch, err := h.backend.Subscribe(ctx, j)
		if err != nil {
			continue // a job that went meanwhile
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case _, ok := <-ch:
					if !ok {
						return
					}
					select {
					case changed <- j:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	flusher.Flush()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-changed:
			data, _ := json.Marshal(ChangeEvent{Job: j})
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", data)
			flusher.Flush()
		}
	}
}
