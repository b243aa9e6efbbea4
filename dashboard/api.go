package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/controller"
	"github.com/rollout-go/rollout/view"
)

// defaultMaxBody bounds an API request body when Options.MaxBodyBytes is 0.
const defaultMaxBody = 1 << 20

// JobSummary is a job as GET /v1/jobs lists it.
type JobSummary struct {
	// ID is the job's ID.
	ID string `json:"id"`
	// Version is the job's latest version; Stable says whether a
	// deployment of it succeeded.
	Version uint64 `json:"version"`
	Stable  bool   `json:"stable"`
	// Stopped is set when the latest version stops the job.
	Stopped bool `json:"stopped,omitempty"`
	// Deployment is the job's latest deployment, if any.
	Deployment *rollout.Deployment `json:"deployment,omitempty"`
	// Freeze is the job's freeze, if it is frozen.
	Freeze *rollout.FreezeState `json:"freeze,omitempty"`
}

// JobStatus is a job as GET /v1/jobs/{job} shows it: its latest version
// (redacted), its latest deployment, its freeze and the summary of its
// allocations per group.
type JobStatus struct {
	Job        rollout.JobVersion   `json:"job"`
	Deployment *rollout.Deployment  `json:"deployment,omitempty"`
	Freeze     *rollout.FreezeState `json:"freeze,omitempty"`
	Summary    []view.Summary       `json:"summary"`
}

// VersionDiff is what GET /v1/jobs/{job}/diff?from=A&to=B answers: the
// fields that differ from version A to version B, and the same as
// `nomad job history -p` prints it.
type VersionDiff struct {
	From  uint64              `json:"from"`
	To    uint64              `json:"to"`
	Diffs []rollout.FieldDiff `json:"diffs"`
	Text  string              `json:"text"`
}

// SubmitRequest is the body of POST /v1/jobs/{job}: the version to submit
// (its ID must be the job's) and, as Nomad's check-index, the version the
// caller planned against: ExpectVersion refuses the submit with kind
// "version_conflict" unless it is the job's latest, ExpectNoJob unless
// the job has none.
type SubmitRequest struct {
	Job           rollout.JobVersion `json:"job"`
	ExpectVersion *uint64            `json:"expect_version,omitempty"`
	ExpectNoJob   bool               `json:"expect_no_job,omitempty"`
}

// SubmitResponse answers a submit with the job's latest version after it
// (the same as before for a resubmission identical in every field).
type SubmitResponse struct {
	Version uint64 `json:"version"`
}

// CommandRequest is the body of POST /v1/jobs/{job}/{command}; each
// command reads only its own fields, and an empty body is the zero value.
type CommandRequest struct {
	// Groups limits a promote to these groups (empty: every group).
	Groups []string `json:"groups,omitempty"`
	// Version is the version a revert goes back to.
	Version *uint64 `json:"version,omitempty"`
	// Reason says why a freeze is set.
	Reason string `json:"reason,omitempty"`
	// For is how long a freeze lasts, as a Go duration ("2h"); empty with
	// Until zero means until an unfreeze.
	For string `json:"for,omitempty"`
	// Until is when a freeze ends.
	Until time.Time `json:"until,omitzero"`
	// Healthy and Allocs are a health command's verdict and allocations.
	Healthy bool     `json:"healthy,omitempty"`
	Allocs  []string `json:"allocs,omitempty"`
}

// APIError is the body of every API error: the message and the kind of
// error, a stable name to branch on (see the README's table).
type APIError struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// Submitter is the optional ability of a Backend to submit job versions
// (POST /v1/jobs/{job}); ManagerBackend has it. expect is the version
// the caller planned against (nil: no check); noJob asks that the job have
// no version yet.
type Submitter interface {
	Submit(ctx context.Context, job rollout.JobVersion, expect *uint64, noJob bool) (rollout.JobVersion, error)
}

// ErrUnsupported is returned for a submit to a Backend that is not a
// Submitter.
var ErrUnsupported = errors.New("dashboard: the backend cannot do this")

// apiFailure is an error with the HTTP status and kind it is served as.
type apiFailure struct {
	status int
	kind   string
	err    error
}

func (f *apiFailure) Error() string { return f.err.Error() }
func (f *apiFailure) Unwrap() error { return f.err }

func failure(status int, kind string, format string, args ...any) error {
	return &apiFailure{status: status, kind: kind, err: fmt.Errorf(format, args...)}
}

// errorKinds maps the library's errors to a status and a kind, the first
// match winning.
var errorKinds = []struct {
	err    error
	status int
	kind   string
}{
	{ErrReadOnly, http.StatusForbidden, "read_only"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{ErrNotFound, http.StatusNotFound, "not_found"},
	{controller.ErrNotRunning, http.StatusNotFound, "not_running"},
	{ErrUnsupported, http.StatusNotImplemented, "unsupported"},
	{rollout.ErrVersionConflict, http.StatusConflict, "version_conflict"},
	{rollout.ErrFailedSpec, http.StatusConflict, "failed_spec"},
	{rollout.ErrFrozen, http.StatusConflict, "frozen"},
	{rollout.ErrTerminal, http.StatusConflict, "terminal"},
	{rollout.ErrNoDeployment, http.StatusConflict, "no_deployment"},
	{rollout.ErrPromotion, http.StatusConflict, "promotion_refused"},
	{rollout.ErrRevert, http.StatusConflict, "revert_refused"},
	{rollout.ErrInvalid, http.StatusUnprocessableEntity, "invalid"},
	{controller.ErrStopped, http.StatusServiceUnavailable, "stopped"},
	{context.Canceled, http.StatusServiceUnavailable, "cancelled"},
}

// writeError answers an error as JSON naming its kind.
func writeError(w http.ResponseWriter, err error) {
	status, kind := http.StatusInternalServerError, "internal"
	var f *apiFailure
	if errors.As(err, &f) {
		status, kind = f.status, f.kind
	} else {
		for _, k := range errorKinds {
			if errors.Is(err, k.err) {
				status, kind = k.status, k.kind
				break
			}
		}
	}
	writeJSON(w, status, APIError{Error: err.Error(), Kind: kind})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		fmt.Fprintf(&b, `{"error": "encoding the answer failed", "kind": "internal"}`+"\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// routeAPI registers the JSON API under /v1/.
func (h *Handler) routeAPI() {
	h.mux.HandleFunc("GET /v1/jobs", h.apiJobs)
	h.mux.HandleFunc("GET /v1/events", h.apiEventsAll)
	h.mux.HandleFunc("GET /v1/jobs/{job}", h.apiRead(h.apiStatus))
	h.mux.HandleFunc("GET /v1/jobs/{job}/versions", h.apiRead(h.apiVersions))
	h.mux.HandleFunc("GET /v1/jobs/{job}/deployments", h.apiRead(h.apiDeployments))
	h.mux.HandleFunc("GET /v1/jobs/{job}/allocations", h.apiRead(h.apiAllocations))
	h.mux.HandleFunc("GET /v1/jobs/{job}/diff", h.apiRead(h.apiDiff))
	h.mux.HandleFunc("GET /v1/jobs/{job}/events", h.apiEvents)
	h.mux.HandleFunc("POST /v1/jobs/{job}", h.apiSubmit)
	h.mux.HandleFunc("POST /v1/jobs/{job}/{command}", h.apiCommand)
	h.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, failure(http.StatusNotFound, "not_found", "no API endpoint %s %s", r.Method, r.URL.Path))
	})
}

// jobName returns the request's job, refusing a name no job can have
// (checkJobID: the pages' check, the core's rule).
func jobName(r *http.Request) (string, error) {
	name := r.PathValue("job")
	if err := checkJobID(name); err != nil {
		return "", failure(http.StatusBadRequest, "bad_request", "%v", err)
	}
	return name, nil
}

// loadJob returns the stored state of a job the backend has.
func (h *Handler) loadJob(ctx context.Context, name string) (controller.State, error) {
	st, err := h.backend.State(ctx, name)
	if err != nil {
		if jobs, lerr := h.backend.Jobs(ctx); lerr == nil && !slices.Contains(jobs, name) {
			return st, fmt.Errorf("job %s: %w", clip(name), ErrNotFound)
		}
		return st, err
	}
	if len(st.History.Versions) == 0 {
		return st, fmt.Errorf("job %s: %w", clip(name), ErrNotFound)
	}
	return st, nil
}

// apiRead wraps a read of one job: the name checked, the read
// authorised, the state loaded.
func (h *Handler) apiRead(fn func(w http.ResponseWriter, r *http.Request, st controller.State)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, err := jobName(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if err := h.authorize(r, readAction(name)); err != nil {
			writeError(w, forbidden(err))
			return
		}
		st, err := h.loadJob(r.Context(), name)
		if err != nil {
			writeError(w, err)
			return
		}
		fn(w, r, st)
	}
}

// forbidden serves a refusal of Authorize as kind "forbidden" (or
// "read_only" without the hook).
func forbidden(err error) error {
	if errors.Is(err, ErrReadOnly) {
		return err
	}
	return &apiFailure{status: http.StatusForbidden, kind: "forbidden", err: fmt.Errorf("not authorised: %w", err)}
}

func (h *Handler) apiJobs(w http.ResponseWriter, r *http.Request) {
	if err := h.authorize(r, readAction("")); err != nil {
		writeError(w, forbidden(err))
		return
	}
	sums, err := h.summaries(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sums)
}

// summaries lists every job the backend has, in its order.
func (h *Handler) summaries(ctx context.Context) ([]JobSummary, error) {
	jobs, err := h.backend.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]JobSummary, 0, len(jobs))
	for _, j := range jobs {
		st, err := h.backend.State(ctx, j)
		if err != nil {
			return nil, fmt.Errorf("job %q: %w", j, err)
		}
		s := JobSummary{ID: j, Deployment: st.Deployment(), Freeze: st.Freeze}
		if v, ok := st.History.Latest(); ok {
			s.Version, s.Stable, s.Stopped = v.Version, v.Stable, v.Stop
		}
		out = append(out, s)
	}
	return out, nil
}

func (h *Handler) apiStatus(w http.ResponseWriter, _ *http.Request, st controller.State) {
	latest, _ := st.History.Latest()
	writeJSON(w, http.StatusOK, JobStatus{Job: h.redacted(latest), Deployment: st.Deployment(), Freeze: st.Freeze, Summary: view.Summarize(&latest, st.Allocs)})
}

func (h *Handler) apiVersions(w http.ResponseWriter, _ *http.Request, st controller.State) {
	out := make([]rollout.JobVersion, len(st.History.Versions))
	for i, v := range st.History.Versions {
		out[i] = h.redacted(v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) apiDeployments(w http.ResponseWriter, _ *http.Request, st controller.State) {
	writeJSON(w, http.StatusOK, nonNil(st.Deployments))
}

func (h *Handler) apiAllocations(w http.ResponseWriter, _ *http.Request, st controller.State) {
	writeJSON(w, http.StatusOK, nonNil(st.Allocs))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *Handler) apiDiff(w http.ResponseWriter, r *http.Request, st controller.State) {
	a, err := versionParam(r, "from", st.History)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := versionParam(r, "to", st.History)
	if err != nil {
		writeError(w, err)
		return
	}
	a, b = h.redacted(a), h.redacted(b)
	var text bytes.Buffer
	view.Diff(&text, &a, &b)
	writeJSON(w, http.StatusOK, VersionDiff{From: a.Version, To: b.Version, Diffs: nonNil(rollout.Diff(&a, &b)), Text: text.String()})
}

// versionParam reads a version number from the query and finds it in the
// history.
func versionParam(r *http.Request, key string, h rollout.History) (rollout.JobVersion, error) {
	s := r.URL.Query().Get(key)
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return rollout.JobVersion{}, failure(http.StatusBadRequest, "bad_request", "%s: want a version number, got %q", key, truncate(s))
	}
	for _, v := range h.Versions {
		if v.Version == n {
			return v, nil
		}
	}
	return rollout.JobVersion{}, failure(http.StatusNotFound, "not_found", "%s: the history holds no version %d", key, n)
}

// truncate shortens a value echoed in an error.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// decodeBody decodes a JSON body strictly into v: application/json only,
// at most Options.MaxBodyBytes, no unknown field, one value. An empty body
// leaves v as it is when empty is allowed.
func (h *Handler) decodeBody(w http.ResponseWriter, r *http.Request, v any, empty bool) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return failure(http.StatusUnsupportedMediaType, "unsupported_media_type", "want Content-Type: application/json")
	}
	limit := h.opts.MaxBodyBytes
	if limit <= 0 {
		limit = defaultMaxBody
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	data, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return failure(http.StatusRequestEntityTooLarge, "too_large", "the body is over %d bytes", limit)
	}
	if err != nil {
		return failure(http.StatusBadRequest, "bad_request", "reading the body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if empty {
			return nil
		}
		return failure(http.StatusBadRequest, "bad_json", "the body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fe *rollout.FieldError
		if errors.As(err, &fe) || errors.Is(err, rollout.ErrInvalid) {
			return &apiFailure{status: http.StatusUnprocessableEntity, kind: "invalid", err: err}
		}
		return failure(http.StatusBadRequest, "bad_json", "the body: %v", jsonProblem(err))
	}
	if dec.More() {
		return failure(http.StatusBadRequest, "bad_json", "the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the body: the
// field and the offset, not the value.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q: want %s, got %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + truncate(strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON"
	}
	return "not a valid request"
}

func (h *Handler) logger() *slog.Logger {
	if h.opts.Logger != nil {
		return h.opts.Logger
	}
	return slog.Default()
}

// writeRequest reads what every write of the API starts with: the job of
// the URL, an Origin that may write, and the body decoded into req (an
// empty body allowed when emptyOK). On a refusal it writes the error and
// returns false.
func (h *Handler) writeRequest(w http.ResponseWriter, r *http.Request, req any, emptyOK bool) (string, bool) {
	name, err := jobName(r)
	if err == nil {
		err = h.checkOrigin(r)
	}
	if err == nil {
		err = h.decodeBody(w, r, req, emptyOK)
	}
	if err != nil {
		writeError(w, err)
		return "", false
	}
	return name, true
}

func (h *Handler) apiSubmit(w http.ResponseWriter, r *http.Request) {
	var req SubmitRequest
	name, ok := h.writeRequest(w, r, &req, false)
	if !ok {
		return
	}
	if req.Job.ID != name {
		writeError(w, failure(http.StatusUnprocessableEntity, "invalid", "job.id %q is not the job of the URL, %q", truncate(req.Job.ID), name))
		return
	}
	if err := h.authorize(r, Action{Job: name, Verb: VerbSubmit, Write: true, Submit: &req.Job}); err != nil {
		writeError(w, forbidden(err))
		return
	}
	if err := req.Job.Validate(); err != nil {
		writeError(w, err)
		return
	}
	sub, ok := h.backend.(Submitter)
	if !ok {
		writeError(w, ErrUnsupported)
		return
	}
	log := h.logger().With("job", name, "by", h.identity(r))
	v, err := sub.Submit(r.Context(), req.Job, req.ExpectVersion, req.ExpectNoJob)
	if err != nil {
		log.Warn("dashboard: submit refused", "err", err)
		writeError(w, err)
		return
	}
	log.Info("dashboard: version submitted", "version", v.Version)
	writeJSON(w, http.StatusOK, SubmitResponse{Version: v.Version})
}

func (h *Handler) apiCommand(w http.ResponseWriter, r *http.Request) {
	var req CommandRequest
	name, ok := h.writeRequest(w, r, &req, true)
	if !ok {
		return
	}
	cmd, err := apiCommand(r.PathValue("command"), &req, h.opts.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	if err := h.authorize(r, Action{Job: name, Verb: VerbCommand, Write: true, Command: &cmd}); err != nil {
		writeError(w, forbidden(err))
		return
	}
	if _, err := h.loadJob(r.Context(), name); err != nil {
		writeError(w, err)
		return
	}
	log := h.logger().With("job", name, "command", string(cmd.Kind), "by", h.identity(r))
	if err := h.backend.Command(r.Context(), name, cmd); err != nil {
		log.Warn("dashboard: command refused", "err", err)
		writeError(w, err)
		return
	}
	log.Info("dashboard: command applied")
	w.WriteHeader(http.StatusNoContent)
}

// apiCommand makes the command of POST /v1/jobs/{job}/{name}.
func apiCommand(name string, req *CommandRequest, now time.Time) (rollout.Command, error) {
	switch name {
	case "promote":
		return rollout.Promote(req.Groups...), nil
	case "pause":
		return rollout.Pause(), nil
	case "resume":
		return rollout.Resume(), nil
	case "fail":
		return rollout.Fail(), nil
	case "unfreeze":
		return rollout.Unfreeze(), nil
	case "revert":
		if req.Version == nil {
			return rollout.Command{}, failure(http.StatusUnprocessableEntity, "invalid", "revert: version: want the version to go back to")
		}
		return rollout.Revert(*req.Version), nil
	case "freeze":
		until := req.Until
		if req.For != "" {
			d, err := time.ParseDuration(req.For)
			if err != nil || d <= 0 {
				return rollout.Command{}, failure(http.StatusUnprocessableEntity, "invalid", "freeze: for %q: want a duration such as 2h", truncate(req.For))
			}
			until = now.Add(d)
		}
		return rollout.Freeze(req.Reason, until), nil
	case "health":
		if len(req.Allocs) == 0 {
			return rollout.Command{}, failure(http.StatusUnprocessableEntity, "invalid", "health: allocs: want the allocations to mark")
		}
		return rollout.SetHealth(req.Healthy, req.Allocs...), nil
	}
	return rollout.Command{}, failure(http.StatusNotFound, "not_found", "no command %q (promote, pause, resume, fail, revert, freeze, unfreeze, health)", truncate(name))
}
