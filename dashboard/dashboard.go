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
// Commands are accepted only by POST, from the same origin, with the
// page's CSRF token, and only when Authorize allows them. Without
// Authorize the dashboard is read-only.
//
//	mux.Handle("/rollouts/", http.StripPrefix("/rollouts", dashboard.New(backend, dashboard.Options{
//		Authorize: func(r *http.Request, a dashboard.Action) error { ... },
//	})))
package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rollout-go/rollout"
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
}

// Handler serves the dashboard. Mount it under a prefix with
// http.StripPrefix; every link it makes is relative.
type Handler struct {
	backend Backend
	opts    Options
	secret  []byte
	mux     *http.ServeMux
	pages   *template.Template
}

// csrfCookie holds the random value the CSRF token is derived from.
const csrfCookie = "rollout_dashboard_csrf"

// New returns a dashboard of the backend's jobs.
func New(b Backend, opts Options) *Handler {
	if opts.Title == "" {
		opts.Title = "Rollouts"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{backend: b, opts: opts, secret: make([]byte, 32)}
	if _, err := rand.Read(h.secret); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
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
	return h
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
	name := r.URL.Query().Get("name")
	if name == "" {
		http.Error(w, "no job name (?name=)", http.StatusBadRequest)
		return nil, false
	}
	if err := h.authorize(r, readAction(name)); err != nil {
		http.Error(w, "not authorised: "+err.Error(), http.StatusForbidden)
		return nil, false
	}
	st, err := h.backend.State(r.Context(), name)
	if err != nil {
		http.Error(w, fmt.Sprintf("job %q: %v", name, err), http.StatusNotFound)
		return nil, false
	}
	return h.jobPage(r, name, st), true
}

func (h *Handler) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.pages.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// events streams an event "change" after each change of the job's state.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	flusher, ok := w.(http.Flusher)
	if !ok || name == "" {
		http.Error(w, "streaming unsupported or no job name", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	changes, err := h.backend.Subscribe(ctx, name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			fmt.Fprint(w, "event: change\ndata: {}\n\n")
			flusher.Flush()
		}
	}
}

// ErrReadOnly is returned for every command of a dashboard without
// Options.Authorize.
var ErrReadOnly = errors.New("dashboard: read-only (no Authorize hook configured)")

// ErrForbidden is returned for a command without a valid CSRF token or
// from another origin.
var ErrForbidden = errors.New("dashboard: forged or cross-origin request refused")

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
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !h.validToken(r, r.PostForm.Get("token")) {
		http.Error(w, ErrForbidden.Error()+": bad CSRF token", http.StatusForbidden)
		return
	}
	job := r.PostForm.Get("job")
	cmd, err := parseCommand(r.PostForm, h.opts.Now())
	if err != nil || job == "" {
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
				return rollout.Command{}, fmt.Errorf("freeze: for %q: want a duration such as 2h", d)
			}
			until = now.Add(dur)
		}
		return rollout.Freeze(form.Get("reason"), until), nil
	case rollout.CmdRevert:
		version := form.Get("version")
		v, err := strconv.ParseUint(version, 10, 64)
		if err != nil {
			return rollout.Command{}, fmt.Errorf("revert: version %q: %w", version, err)
		}
		return rollout.Revert(v), nil
	}
	return rollout.Command{}, fmt.Errorf("unknown command %q", kind)
}

// checkOrigin refuses a request that a browser marks as coming from
// another site (Sec-Fetch-Site) or whose Origin is not this host.
func (h *Handler) checkOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("%w: Sec-Fetch-Site %q", ErrForbidden, r.Header.Get("Sec-Fetch-Site"))
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("%w: Origin %q is not %q", ErrForbidden, o, r.Host)
		}
	}
	return nil
}

// token returns the CSRF token of the request's browser, setting the
// cookie it derives from when missing: the token is an HMAC of the cookie
// under the handler's secret, so another site can neither read nor make
// one.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 32 {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		c = &http.Cookie{Name: csrfCookie, Value: hex.EncodeToString(b), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
		http.SetCookie(w, c)
	}
	return h.mac(c.Value)
}

func (h *Handler) mac(v string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

func (h *Handler) validToken(r *http.Request, token string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || token == "" {
		return false
	}
	return hmac.Equal([]byte(token), []byte(h.mac(c.Value)))
}
