package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// streamRetryAfter is the Retry-After of an event stream refused at
// Options.MaxStreams.
const streamRetryAfter = 10 * time.Second

// streamWriteTimeout bounds each write of an event stream: a client that
// stops reading loses its stream, and its place under MaxStreams.
const streamWriteTimeout = 10 * time.Second

// events streams an event "change" after each change of a job's state. It
// subscribes only for a job the Backend's State knows, and only while
// fewer than Options.MaxStreams streams are open.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	if _, ok := w.(http.Flusher); !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	name, _, ok := h.state(w, r, VerbWatch)
	if !ok {
		return
	}
	select {
	case h.streams <- struct{}{}:
		defer func() { <-h.streams }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(streamRetryAfter/time.Second)))
		http.Error(w, fmt.Sprintf("dashboard: %d event streams open, the most allowed; try again later", cap(h.streams)), http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	changes, err := h.backend.Subscribe(ctx, name)
	if err != nil {
		http.Error(w, "subscribing: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	send := func(s string) bool {
		// Per write, so that a server's WriteTimeout, if any, does not
		// end the stream (a ReadTimeout does not either: once a request
		// without a body is read, net/http lifts its read deadline).
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := io.WriteString(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 1000\n\n") {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok || !send("event: change\ndata: {}\n\n") {
				return
			}
		}
	}
}
