package analysis

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rollout-go/rollout"
)

// TestWebhook checks what a webhook's answers become: its verdict when
// well-formed, inconclusive for everything else.
func TestWebhook(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		verdict rollout.Verdict
		says    string
	}{
		{"pass", 200, `{"verdict": "pass", "value": 0.001}`, rollout.VerdictPass, ""},
		{"fail", 200, `{"verdict": "fail", "value": 0.2, "reason": "too many errors"}`, rollout.VerdictFail, "too many errors"},
		{"server error", 500, `{"verdict": "pass"}`, rollout.VerdictInconclusive, "status 500"},
		{"not JSON", 200, `pass`, rollout.VerdictInconclusive, "not a JSON object"},
		{"unknown verdict", 200, `{"verdict": "ok", "value": 1}`, rollout.VerdictInconclusive, "verdict is not"},
		{"unknown field", 200, `{"verdict": "pass", "secret": "x"}`, rollout.VerdictInconclusive, "not a JSON object"},
		{"huge answer", 200, `{"verdict": "pass", "reason": "` + strings.Repeat("x", 70000) + `"}`, rollout.VerdictInconclusive, "over 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got WebhookRequest
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil || r.Method != http.MethodPost {
					t.Errorf("request %s: %v", r.Method, err)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			m := Webhook{Client: srv.Client()}.Measure(context.Background(), Request{
				Job: "shop", Group: "web", Version: 2, BaselineVersion: 1, HasBaseline: true,
				Check: rollout.AnalysisCheck{Name: "errors", Provider: "webhook", Query: srv.URL},
			})
			if m.Verdict != tt.verdict || !strings.Contains(m.Reason, tt.says) {
				t.Errorf("Measure = %+v, want %s ...%s...", m, tt.verdict, tt.says)
			}
			if got.Job != "shop" || got.Group != "web" || got.Version != 2 || got.Role != "canary" || got.Baseline == nil || *got.Baseline != 1 {
				t.Errorf("posted %+v", got)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		m := Webhook{}.Measure(context.Background(), Request{Check: rollout.AnalysisCheck{Query: url}})
		if m.Verdict != rollout.VerdictInconclusive || !strings.Contains(m.Reason, "request failed") {
			t.Errorf("Measure = %+v, want inconclusive", m)
		}
	})
}
