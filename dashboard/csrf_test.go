package dashboard

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestOriginCheck: a command's Origin must be the dashboard's own,
// scheme, host and port (https only over TLS), or an allowed one.
func TestOriginCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tls     bool
		host    string
		origin  string
		allowed []string
		ok      bool
	}{
		{"same origin", false, "dash.example:8080", "http://dash.example:8080", nil, true},
		{"no Origin (the token decides)", false, "dash.example:8080", "", nil, true},
		{"host in another case", false, "Dash.Example:8080", "http://dash.example:8080", nil, true},
		{"https origin on an http server", false, "dash.example:8080", "https://dash.example:8080", nil, false},
		{"http origin on an https server", true, "dash.example", "http://dash.example", nil, false},
		{"https server", true, "dash.example", "https://dash.example", nil, true},
		{"default port named on one side", true, "dash.example:443", "https://dash.example", nil, true},
		{"another port", false, "dash.example:8080", "http://dash.example:9090", nil, false},
		{"another host", false, "dash.example:8080", "http://evil.example:8080", nil, false},
		{"null origin", false, "dash.example:8080", "null", nil, false},
		{"behind a TLS proxy, allowed", false, "dash.internal:8080", "https://dash.example", []string{"https://dash.example"}, true},
		{"behind a TLS proxy, not allowed", false, "dash.internal:8080", "https://dash.example", nil, false},
		{"allowed with its default port", false, "dash.internal:8080", "https://dash.example", []string{"https://DASH.example:443/"}, true},
		{"allowed origin of another scheme", false, "dash.internal:8080", "http://dash.example", []string{"https://dash.example"}, false},
		{"IPv6", false, "[::1]:8080", "http://[::1]:8080", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := mustNew(t, newClusterBackend(), Options{Authorize: allowAll, AllowedOrigins: tc.allowed})
			r := httptest.NewRequest(http.MethodPost, "/command", nil)
			r.Host = tc.host
			r.TLS = nil
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			err := h.checkOrigin(r)
			if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrForbidden) {
				t.Errorf("checkOrigin: %v, want accepted %v", err, tc.ok)
			}
		})
	}
}

// TestHTTPSOriginOnHTTPServerRefused: end to end, a command from the https
// origin of an http dashboard's host and port is refused.
func TestHTTPSOriginOnHTTPServerRefused(t *testing.T) {
	srv, c, token, b := site(t, Options{Authorize: allowAll})
	origin := "https://" + strings.TrimPrefix(srv.URL, "http://")
	code, body := post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {token}}, http.Header{"Origin": {origin}})
	if code != http.StatusForbidden || !strings.Contains(body, "Origin") || promoted(t, b) {
		t.Errorf("an https origin on an http server: %d %q, promoted %v; want 403", code, body, promoted(t, b))
	}
}

// TestCSRFKey: handlers given the same key accept each other's tokens (a
// restart, another replica); one with another key refuses them.
func TestCSRFKey(t *testing.T) {
	key := []byte(strings.Repeat("k", MinCSRFKeyLength))
	other := []byte(strings.Repeat("o", MinCSRFKeyLength))
	// site's page, and so its token and cookie, come from a handler with key.
	_, c, token, b := site(t, Options{Authorize: allowAll, CSRFKey: key})
	if token == "" {
		t.Fatal("the job page has no CSRF token")
	}
	send := func(k []byte) (int, string) {
		srv := httptest.NewServer(mustNew(t, b, Options{Authorize: allowAll, CSRFKey: k}))
		defer srv.Close()
		// The cookie jar sends the cookie to every port of 127.0.0.1.
		return post(t, c, srv.URL+"/command", url.Values{"job": {job}, "cmd": {"promote"}, "token": {token}}, nil)
	}
	if code, body := send(other); code != http.StatusForbidden || !strings.Contains(body, "CSRF") || promoted(t, b) {
		t.Errorf("another key: %d %q, promoted %v; want 403 bad CSRF token", code, body, promoted(t, b))
	}
	if code, body := send(nil); code != http.StatusForbidden || promoted(t, b) {
		t.Errorf("a random key: %d %q, promoted %v; want 403", code, body, promoted(t, b))
	}
	if code, body := send(key); code != http.StatusSeeOther || !promoted(t, b) {
		t.Errorf("the same key: %d %q, promoted %v; want the promotion", code, body, promoted(t, b))
	}
}

// TestCSRFKeyIsCopied: changing the caller's slice after New changes no
// token.
func TestCSRFKeyIsCopied(t *testing.T) {
	key := []byte(strings.Repeat("k", MinCSRFKeyLength))
	h := mustNew(t, newClusterBackend(), Options{CSRFKey: key})
	before := h.mac("cookie")
	key[0] = 'x'
	if h.mac("cookie") != before {
		t.Error("the handler's key changed with the caller's slice")
	}
}

// FuzzParseOrigin: any header value is parsed without a panic, and an
// origin it accepts is normal: parsing it again gives itself.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"http://a.example", "https://A.example:443", "http://[::1]:80", "null", "https://x/y", "http://u@h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseOrigin(s)
		if err != nil {
			return
		}
		if again, err := parseOrigin(o); err != nil || again != o {
			t.Errorf("parseOrigin(%q) = %q, which parses as %q, %v", s, o, again, err)
		}
	})
}
