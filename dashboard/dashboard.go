// Package dashboard is a live web dashboard of rollouts: an http.Handler
// to mount in your own server, with no build step (server-rendered
// html/template and a little plain JavaScript, embedded). It shows the
// jobs, each job's versions with their Stable flag, the active deployment
// per group (desired, placed, healthy, unhealthy, canaries, deadline), the
// allocations (with their nodes, for a system job) and the timeline
// picture of package view, and updates the
// page without a reload through server-sent events.
//
// With Options.Authorize set, it also offers buttons for promote, pause,
// resume, fail and revert, sent through Backend.Command, so they take the
// same path as every other command; a refused command shows its error.
// Commands are accepted only by POST, from the same origin (scheme, host
// and port, or one of Options.AllowedOrigins), with the page's CSRF
// token, and only when Authorize allows them. Without Authorize the
// dashboard is read-only: anyone who reaches it can read the pages and
// open event streams of the jobs its Backend knows, and nothing else.
//
// What a client can make it hold is bounded: a job name is checked (its
// length and encoding, as the core checks a job ID) before anything is
// looked up or rendered, a job the Backend does not know is answered 404
// without a subscription, and at most Options.MaxStreams event streams
// are open at once. Serve it with NewServer, whose timeouts close
// connections that send their requests too slowly or sit idle:
//
//	dash, err := dashboard.New(backend, dashboard.Options{
//		Authorize: func(r *http.Request, a dashboard.Action) error { ... },
//		CSRFKey:   key, // the same 32 bytes or more on every replica
//	})
//	if err != nil { ... }
//	mux.Handle("/rollouts/", http.StripPrefix("/rollouts", dash))
//	srv := dashboard.NewServer(":8080", mux)
//	err = srv.ListenAndServe()
package dashboard

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/rollout-go/rollout"

	"github.com/rollout-go/rollout/controller"
)

//go:embed assets
var assets embed.FS

// Options configures a dashboard. The zero value is a read-only dashboard.
type Options struct {
	// Authorize decides whether the request may do what the Action says:
	// every request of the pages and of the JSON API, reads, event streams,
	// submits and commands alike, is asked; a non-nil error refuses it
	// (the page shows it; the API answers 403 with kind "forbidden"). Nil
	// makes the dashboard read-only: reads are allowed, there are no
	// buttons, and every submit and command is refused with ErrReadOnly.
	Authorize func(r *http.Request, a Action) error
	// Redact is applied to a copy of every job version before it is shown
	// or served (pages, API, diffs): a version's definition can hold
	// secrets (environment, template data). Nil shows versions as stored.
	Redact func(rollout.JobVersion) rollout.JobVersion
	// Identify names who sent a request, for the log line of each submit
	// and command (for example the subject of a verified token); nil or ""
	// logs the remote address.
	Identify func(r *http.Request) string
	// Logger receives a line per submit and command, with who asked; nil
	// means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds the body of an API request; 0 means 1 MiB.
	MaxBodyBytes int64
	// Title heads every page; empty means "Rollouts".
	Title string
	// Now is the clock a Freeze's duration counts from; nil means
	// time.Now. Set it to the clock the jobs' rollouts run on.
	Now func() time.Time
	// CSRFKey is the key the CSRF tokens of the pages are derived from
	// (an HMAC of the browser's cookie under it), at least MinCSRFKeyLength
	// bytes; New refuses a shorter one. Give every replica behind a load
	// balancer, and every restart, the same key, so that a page one of
	// them served can send commands to another. Nil means a random key
	// per Handler: tokens then break when the process restarts and
	// across replicas (the page must be reloaded).
	CSRFKey []byte
	// AllowedOrigins are the origins ("https://rollouts.example.com",
	// scheme, host and optional port, no path) from which commands are
	// accepted besides the dashboard's own. The dashboard's own origin is
	// the request's Host with https when it came over TLS, http otherwise:
	// behind a proxy that terminates TLS, list the public origin here.
	AllowedOrigins []string
	// MaxStreams caps the event streams open at once; past it, a stream
	// is refused with 503 and a Retry-After (the page retries later, and
	// still works without live updates). Zero means DefaultMaxStreams.
	MaxStreams int
}

// DefaultMaxStreams is how many event streams a dashboard keeps open at
// once when Options.MaxStreams is zero.
const DefaultMaxStreams = 256

// MinCSRFKeyLength is the shortest Options.CSRFKey, in bytes.
const MinCSRFKeyLength = 32

// ErrOptions is wrapped by New's error for options it refuses.
var ErrOptions = errors.New("dashboard: invalid options")

// Handler serves the dashboard. Mount it under a prefix with
// http.StripPrefix; every link it makes is relative.
type Handler struct {
	backend Backend
	opts    Options
	secret  []byte          // the CSRF key
	origins map[string]bool // AllowedOrigins, normalised
	streams chan struct{}   // one value per open event stream
	mux     *http.ServeMux
	pages   *template.Template
}

// New returns a dashboard of the backend's jobs. It refuses, with an error
// wrapping ErrOptions, a CSRFKey shorter than MinCSRFKeyLength, an allowed
// origin that is not scheme://host[:port], and a negative MaxStreams.
func New(b Backend, opts Options) (*Handler, error) {
	if opts.Title == "" {
		opts.Title = "Rollouts"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.MaxStreams < 0:
		return nil, fmt.Errorf("%w: MaxStreams is %d, want 0 (the default, %d) or more", ErrOptions, opts.MaxStreams, DefaultMaxStreams)
	case opts.MaxStreams == 0:
		opts.MaxStreams = DefaultMaxStreams
	}
	h := &Handler{backend: b, opts: opts, streams: make(chan struct{}, opts.MaxStreams), origins: map[string]bool{}}
	switch {
	case opts.CSRFKey == nil:
		h.secret = make([]byte, MinCSRFKeyLength)
		_, _ = rand.Read(h.secret) // never fails (crypto/rand)
	case len(opts.CSRFKey) < MinCSRFKeyLength:
		return nil, fmt.Errorf("%w: CSRFKey is %d bytes, want at least %d (random bytes, kept secret)", ErrOptions, len(opts.CSRFKey), MinCSRFKeyLength)
	default:
		h.secret = slices.Clone(opts.CSRFKey)
	}
	h.opts.CSRFKey = nil
	for i, o := range opts.AllowedOrigins {
		n, err := parseOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("%w: AllowedOrigins[%d] %q: %v", ErrOptions, i, o, err)
		}
		h.origins[n] = true
	}
	h.pages = template.Must(template.New("").Funcs(funcs).ParseFS(assets, "assets/*.html"))
	static, _ := fs.Sub(assets, "assets")
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.overview)
	h.mux.HandleFunc("GET /job", h.job)
	h.mux.HandleFunc("GET /live", h.live)
	h.mux.HandleFunc("GET /events", h.events)
	h.mux.HandleFunc("GET /timeline.svg", h.timeline)
	h.mux.HandleFunc("POST /command", h.command)
	h.mux.Handle("GET /dashboard.js", http.FileServerFS(static))
	h.mux.Handle("GET /overview.js", http.FileServerFS(static))
	h.mux.Handle("GET /style.css", http.FileServerFS(static))
	h.routeAPI()
	return h, nil
}

// ServeHTTP serves the dashboard's pages, its event stream and its
// commands.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) job(w http.ResponseWriter, r *http.Request) {
	page, ok := h.load(w, r)
	if !ok {
		return
	}
	page.Token = h.token(w, r)
	h.render(w, "job.html", page)
}

// live serves the part of a job's page that server-sent events refresh.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	page, ok := h.load(w, r)
	if !ok {
		return
	}
	h.render(w, "live", page)
}

func (h *Handler) load(w http.ResponseWriter, r *http.Request) (*jobPage, bool) {
	name, st, ok := h.state(w, r, VerbRead)
	if !ok {
		return nil, false
	}
	return h.jobPage(r, name, st), true
}

// state reads the state of the job the request names (?name=), once
// Options.Authorize allows the verb on it. It answers 400 for a name no
// job can have, 403 when not authorised (before the job is looked up, so
// that nobody learns which jobs exist), 404 for a job the Backend does not
// know, 500 when the Backend fails, and then returns false.
func (h *Handler) state(w http.ResponseWriter, r *http.Request, verb Verb) (string, controller.State, bool) {
	name := r.URL.Query().Get("name")
	if err := checkJobID(name); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "", controller.State{}, false
	}
	if err := h.authorize(r, Action{Job: name, Verb: verb}); err != nil {
		http.Error(w, "not authorised: "+err.Error(), http.StatusForbidden)
		return "", controller.State{}, false
	}
	st, err := h.backend.State(r.Context(), name)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && st.Revision == 0 && len(st.History.Versions) == 0:
		http.Error(w, fmt.Sprintf("%v %s", ErrNotFound, clip(name)), http.StatusNotFound)
		return "", controller.State{}, false
	case err != nil:
		http.Error(w, fmt.Sprintf("job %s: reading its state: %v", clip(name), err), http.StatusInternalServerError)
		return "", controller.State{}, false
	}
	return name, st, true
}

func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.pages.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// ErrReadOnly is returned for every command of a dashboard without
// Options.Authorize.
var ErrReadOnly = errors.New("dashboard: read-only (no Authorize hook configured)")

// ErrForbidden is returned for a command without a valid CSRF token or
// from another origin.
var ErrForbidden = errors.New("dashboard: forged or cross-origin request refused")

// maxFormBytes caps a command's form.
const maxFormBytes = 64 << 10

// command handles a button: POST job, cmd, version and token.
func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	if h.opts.Authorize == nil {
		http.Error(w, ErrReadOnly.Error(), http.StatusForbidden)
		return
	}
	if err := h.checkOrigin(r); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, fmt.Sprintf("bad form (at most %d bytes): %v", maxFormBytes, err), http.StatusBadRequest)
		return
	}
	if !h.validToken(r, r.PostForm.Get("token")) {
		http.Error(w, ErrForbidden.Error()+": bad CSRF token", http.StatusForbidden)
		return
	}
	job := r.PostForm.Get("job")
	if err := checkJobID(job); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cmd, err := parseCommand(r.PostForm, h.opts.Now())
	if err != nil {
		http.Error(w, fmt.Sprintf("bad command: %v", err), http.StatusBadRequest)
		return
	}
	if err := h.opts.Authorize(r, Action{Job: job, Verb: VerbCommand, Write: true, Command: &cmd}); err != nil {
		http.Error(w, "not authorised: "+err.Error(), http.StatusForbidden)
		return
	}
	if err := h.backend.Command(r.Context(), job, cmd); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	if r.Header.Get("X-Dashboard") == "1" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "job?name="+url.QueryEscape(job), http.StatusSeeOther)
}

// parseCommand reads a command from a form: cmd, and version (revert),
// reason and for (freeze: a duration from now; empty for no expiry).
func parseCommand(form url.Values, now time.Time) (rollout.Command, error) {
	kind := form.Get("cmd")
	switch rollout.CommandKind(kind) {
	case rollout.CmdPromote:
		return rollout.Promote(), nil
	case rollout.CmdPause:
		return rollout.Pause(), nil
	case rollout.CmdResume:
		return rollout.Resume(), nil
	case rollout.CmdFail:
		return rollout.Fail(), nil
	case rollout.CmdUnfreeze:
		return rollout.Unfreeze(), nil
	case rollout.CmdFreeze:
		var until time.Time
		if d := form.Get("for"); d != "" {
			dur, err := time.ParseDuration(d)
			if err != nil || dur <= 0 {
				return rollout.Command{}, fmt.Errorf("freeze: for %s: want a duration such as 2h", clip(d))
			}
			until = now.Add(dur)
		}
		return rollout.Freeze(form.Get("reason"), until), nil
	case rollout.CmdRevert:
		version := form.Get("version")
		v, err := strconv.ParseUint(version, 10, 64)
		if err != nil {
			return rollout.Command{}, fmt.Errorf("revert: version %s: want a version number", clip(version))
		}
		return rollout.Revert(v), nil
	}
	return rollout.Command{}, fmt.Errorf("unknown command %s", clip(kind))
}
