package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/rollout-go/rollout"
)

// maxWebhookBody bounds what a webhook's answer may hold.
const maxWebhookBody = 64 << 10

// Webhook is the "webhook" provider: it POSTs a WebhookRequest as JSON to
// the check's Query (its URL) and reads a WebhookResponse. A transport
// error, a status other than 200, an answer that is not one JSON object
// with a valid verdict, or over 64 KiB, is inconclusive.
type Webhook struct {
	// Client sends the requests; nil is http.DefaultClient. Set its
	// Timeout: a request also ends with Measure's context.
	Client *http.Client
}

// WebhookRequest is the body a Webhook posts.
type WebhookRequest struct {
	Job     string `json:"job"`
	Group   string `json:"group"`
	Check   string `json:"check"`
	Version uint64 `json:"version"`
	// Role is "canary"; Baseline is the baseline's version, when there is one.
	Role     string  `json:"role"`
	Baseline *uint64 `json:"baseline_version,omitempty"`
}

// WebhookResponse is the answer a Webhook expects.
type WebhookResponse struct {
	Verdict rollout.Verdict `json:"verdict"`
	Value   float64         `json:"value"`
	Reason  string          `json:"reason,omitempty"`
}

// Measure posts the request and reads the verdict.
func (w Webhook) Measure(ctx context.Context, req Request) Measurement {
	body := WebhookRequest{Job: req.Job, Group: req.Group, Check: req.Check.Name, Version: req.Version, Role: "canary"}
	if req.HasBaseline {
		v := req.BaselineVersion
		body.Baseline = &v
	}
	data, _ := json.Marshal(body) // cannot fail: plain fields
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.Check.Query, bytes.NewReader(data))
	if err != nil {
		return inconclusive("webhook: the check's query is not a URL")
	}
	hreq.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hreq)
	if err != nil {
		var uerr interface{ Timeout() bool }
		if errors.As(err, &uerr) && uerr.Timeout() {
			return inconclusive("webhook: timed out")
		}
		reason := "webhook: request failed"
		if inner := errors.Unwrap(err); inner != nil { // the cause, without the URL
			reason += ": " + inner.Error()
		}
		return inconclusive(reason)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return inconclusive("webhook: status " + strconv.Itoa(resp.StatusCode))
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookBody+1))
	if err != nil {
		return inconclusive("webhook: reading the answer failed")
	}
	if len(raw) > maxWebhookBody {
		return inconclusive(fmt.Sprintf("webhook: the answer is over %d bytes", maxWebhookBody))
	}
	var out WebhookResponse
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return inconclusive("webhook: the answer is not a JSON object with verdict and value")
	}
	if !out.Verdict.Valid() || math.IsNaN(out.Value) || math.IsInf(out.Value, 0) {
		return inconclusive(`webhook: the answer's verdict is not "pass", "fail" or "inconclusive"`)
	}
	return Measurement{Verdict: out.Verdict, Value: out.Value, Reason: shorten(out.Reason, 512)}
}
