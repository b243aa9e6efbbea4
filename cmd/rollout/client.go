package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// The environment variables the operator commands read.
const (
	// envAddr is the dashboard's address, as -address.
	envAddr = "ROLLOUT_ADDR"
	// envToken is sent as "Authorization: Bearer <token>", for the
	// dashboard's Authorize hook to check.
	envToken = "ROLLOUT_TOKEN"
	// defaultAddr is the address without -address or ROLLOUT_ADDR.
	defaultAddr = "http://127.0.0.1:8080"
	// maxAnswer bounds an answer of the API read by the commands.
	maxAnswer = 64 << 20
)

// apiClient calls the dashboard's JSON API (its /v1/ endpoints) with
// net/http only.
type apiClient struct {
	base  *url.URL
	token string
	http  *http.Client
}

// apiError is an error answered by the API: its message, its kind and the
// HTTP status.
type apiError struct {
	Status  int
	Message string `json:"error"`
	Kind    string `json:"kind"`
}

func (e *apiError) Error() string {
	if e.Kind == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Kind)
}

// addressFlag defines -address, defaulting to ROLLOUT_ADDR.
func addressFlag(fs *flag.FlagSet) *string {
	def := os.Getenv(envAddr)
	if def == "" {
		def = defaultAddr
	}
	return fs.String("address", def, "the dashboard's address, with its path prefix if mounted under one (default from "+envAddr+")")
}

// newClient returns a client of the API at addr, with the token of
// ROLLOUT_TOKEN.
func newClient(addr string) (*apiClient, error) {
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-address %q: want http://host:port or https://host:port", addr)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &apiClient{base: u, token: os.Getenv(envToken), http: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// do sends a request to the API path (under /v1/) with body encoded as
// JSON (nil: none), and decodes the answer into out (nil: none).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := *c.base
	p, q, _ := strings.Cut(path, "?")
	u.Path += "/v1/" + p
	u.RawQuery = q
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the answer of %s %s is not what this command reads: %w", method, u.Path, err)
	}
	return nil
}

// jobPath is the API path of a job, escaped.
func jobPath(job string, rest ...string) string {
	return strings.Join(append([]string{"jobs", url.PathEscape(job)}, rest...), "/")
}

// reportError prints an API or connection error and returns exit code 1.
func reportError(stderr io.Writer, cmd string, err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		fmt.Fprintf(stderr, "Error: rollout %s: %v\n", cmd, ae)
		return exitProblems
	}
	fmt.Fprintf(stderr, "Error: rollout %s: %v\n", cmd, err)
	return exitProblems
}
