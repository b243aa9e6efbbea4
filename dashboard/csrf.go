package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// csrfCookie holds the random value the CSRF token is derived from.
const csrfCookie = "rollout_dashboard_csrf"

// checkOrigin refuses a request that a browser marks as coming from
// another site (Sec-Fetch-Site) or whose Origin is neither the
// dashboard's own (scheme, host and port) nor an allowed one.
func (h *Handler) checkOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("%w: Sec-Fetch-Site %s", ErrForbidden, clip(r.Header.Get("Sec-Fetch-Site")))
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return nil // not a browser, or one too old to say: the token decides
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	self, err := normOrigin(scheme, r.Host)
	got, gerr := parseOrigin(o)
	if gerr == nil && (h.origins[got] || err == nil && got == self) {
		return nil
	}
	return fmt.Errorf("%w: Origin %s is not %s", ErrForbidden, clip(o), clip(scheme+"://"+r.Host))
}

// parseOrigin returns an origin (scheme://host[:port]) in the form
// normOrigin gives, or why it is not one.
func parseOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return "", errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want an http or https origin")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", errors.New("want scheme://host[:port] and nothing more")
	}
	return normOrigin(u.Scheme, u.Host)
}

// normOrigin returns scheme://host[:port] in lower case, without the
// scheme's default port.
func normOrigin(scheme, host string) (string, error) {
	host = strings.ToLower(host)
	name := host
	if h, port, err := net.SplitHostPort(host); err == nil {
		name = h
		if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
	}
	if strings.Trim(name, "[]") == "" {
		return "", errors.New("no host")
	}
	return scheme + "://" + host, nil
}

// token returns the CSRF token of the request's browser, setting the
// cookie it derives from when missing: the token is an HMAC of the cookie
// under the handler's key, so another site can neither read nor make
// one, and a handler with the same key accepts it.
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
