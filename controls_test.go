package rollout_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rollout-go/rollout"
)

// controlsBase is a valid strategy for the controls' table tests.
func controlsBase() rollout.UpdateStrategy {
	s := rollout.DefaultUpdateStrategy()
	s.MaxParallel = 2
	return s
}

// TestControlsValidate lists each contradiction of the controls beyond
// Nomad, and the field and value its FieldError names.
func TestControlsValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*rollout.UpdateStrategy)
		field string
		value any
		says  string
	}{
		{"negative surge", func(s *rollout.UpdateStrategy) { s.MaxSurge = "-1" }, "max_surge", "-1", "must not be negative"},
		{"surge over 100%", func(s *rollout.UpdateStrategy) { s.MaxSurge = "150%" }, "max_surge", "150%", "at most 100%"},
		{"surge not an amount", func(s *rollout.UpdateStrategy) { s.MaxSurge = "two" }, "max_surge", "two", "whole number"},
		{"unavailable with max_parallel 0", func(s *rollout.UpdateStrategy) { s.MaxParallel = 0; s.MaxUnavailable = "1" }, "max_unavailable", "1", "max_parallel greater than zero"},
		{"both zero", func(s *rollout.UpdateStrategy) { s.MaxSurge, s.MaxUnavailable = "0", "0%" }, "max_unavailable", "0%", "both 0"},
		{"unavailable 0 alone", func(s *rollout.UpdateStrategy) { s.MaxUnavailable = "0" }, "max_unavailable", "0", "an unset one is 0"},
		{"surge 0 alone", func(s *rollout.UpdateStrategy) { s.MaxSurge = "0" }, "max_surge", "0", "an unset one is 0"},
		{"checkpoint zero", func(s *rollout.UpdateStrategy) { s.PauseAfter = "0" }, "pause_after[0]", "0", "greater than zero"},
		{"checkpoint 100%", func(s *rollout.UpdateStrategy) { s.PauseAfter = "1,100%" }, "pause_after[1]", "100%", "below 100%"},
		{"checkpoints not increasing", func(s *rollout.UpdateStrategy) { s.PauseAfter = "3,2" }, "pause_after[1]", "2", "greater than the checkpoints before it"},
		{"checkpoint not an amount", func(s *rollout.UpdateStrategy) { s.PauseAfter = "1,half" }, "pause_after[1]", "half", "whole number"},
		{"checkpoints with max_parallel 0", func(s *rollout.UpdateStrategy) { s.MaxParallel = 0; s.PauseAfter = "1" }, "pause_after", "1", "max_parallel greater than zero"},
		{"negative gate timeout", func(s *rollout.UpdateStrategy) { s.PauseAfter = "1"; s.GateTimeout = -time.Minute }, "gate_timeout", -time.Minute, "must not be negative"},
		{"gate timeout without a gate", func(s *rollout.UpdateStrategy) { s.GateTimeout = time.Hour }, "gate_timeout", time.Hour, "no gate to time"},
		{"gate timeout with auto-promoted canaries only", func(s *rollout.UpdateStrategy) { s.Canary, s.AutoPromote, s.GateTimeout = 1, true, time.Hour }, "gate_timeout", time.Hour, "no gate to time"},
		{"unknown action", func(s *rollout.UpdateStrategy) {
			s.PauseAfter, s.GateTimeout, s.OnGateTimeout = "1", time.Hour, "retry"
		}, "on_gate_timeout", "retry", `one of "fail", "promote", "resume"`},
		{"action without timeout", func(s *rollout.UpdateStrategy) { s.PauseAfter, s.OnGateTimeout = "1", rollout.GateResume }, "on_gate_timeout", "resume", "requires gate_timeout"},
		{"promote without canaries", func(s *rollout.UpdateStrategy) {
			s.PauseAfter, s.GateTimeout, s.OnGateTimeout = "1", time.Hour, rollout.GatePromote
		}, "on_gate_timeout", "promote", "nothing to promote"},
		{"resume without checkpoints", func(s *rollout.UpdateStrategy) {
			s.Canary, s.GateTimeout, s.OnGateTimeout = 1, time.Hour, rollout.GateResume
		}, "on_gate_timeout", "resume", "no checkpoint to resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := controlsBase()
			tt.edit(&s)
			err := s.Validate()
			if !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("Validate() = %v, want an error wrapping ErrInvalid", err)
			}
			var fe *rollout.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError", err)
			}
			if fe.Field != tt.field || !cmp.Equal(fe.Value, tt.value) || !strings.Contains(fe.Problem, tt.says) {
				t.Errorf("FieldError = %s = %v: %s; want %s = %v: ...%s...", fe.Field, fe.Value, fe.Problem, tt.field, tt.value, tt.says)
			}
		})
	}
}

// TestControlsValidateAccepts checks valid combinations, so that the rules
// above refuse only contradictions.
func TestControlsValidateAccepts(t *testing.T) {
	for _, edit := range []func(*rollout.UpdateStrategy){
		func(s *rollout.UpdateStrategy) { s.MaxSurge = "1" },
		func(s *rollout.UpdateStrategy) { s.MaxUnavailable = "25%" },
		func(s *rollout.UpdateStrategy) { s.MaxSurge, s.MaxUnavailable = "0", "1" },
		func(s *rollout.UpdateStrategy) { s.PauseAfter = "1,50%,5" },
		func(s *rollout.UpdateStrategy) { s.PauseAfter, s.GateTimeout = "1", time.Hour },
		func(s *rollout.UpdateStrategy) {
			s.Canary, s.GateTimeout, s.OnGateTimeout = 1, time.Hour, rollout.GatePromote
		},
		func(s *rollout.UpdateStrategy) {
			s.Canary, s.PauseAfter, s.GateTimeout, s.OnGateTimeout = 1, "2", time.Hour, rollout.GateResume
		},
	} {
		s := controlsBase()
		edit(&s)
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", s, err)
		}
	}
}

// TestAmountOf checks how amounts resolve: counts as written, surge and
// checkpoints rounded up, max_unavailable down.
func TestAmountOf(t *testing.T) {
	for _, c := range []struct {
		a     rollout.Amount
		total int
		up    bool
		want  int
	}{
		{"3", 10, true, 3}, {"3", 10, false, 3}, {"25%", 10, true, 3}, {"25%", 10, false, 2},
		{"50%", 4, false, 2}, {"1%", 1, true, 1}, {"1%", 1, false, 0}, {"", 10, true, 0}, {"x", 10, true, 0},
	} {
		if got := c.a.Of(c.total, c.up); got != c.want {
			t.Errorf("Amount(%q).Of(%d, %v) = %d, want %d", c.a, c.total, c.up, got, c.want)
		}
	}
	if got := rollout.NewCheckpoints(rollout.Count(1), rollout.Percent(50)).Resolve(5); !cmp.Equal(got, []int{1, 3}) {
		t.Errorf("[1, 50%%] of 5 = %v, want [1 3]", got)
	}
}

// TestControlsJSONBothSpellings reads the controls in the job file's and
// the API's spelling, and writes them back in each.
func TestControlsJSONBothSpellings(t *testing.T) {
	want := rollout.UpdateBlock{
		MaxSurge: ptrTo(rollout.Amount("1")), MaxUnavailable: ptrTo(rollout.Amount("25%")),
		PauseAfter:  ptrTo(rollout.Checkpoints("1,50%")),
		GateTimeout: ptrTo(time.Hour), OnGateTimeout: ptrTo(rollout.GateResume),
	}
	jobspec := `{"max_surge":1,"max_unavailable":"25%","pause_after":[1,"50%"],"gate_timeout":"1h0m0s","on_gate_timeout":"resume"}`
	api := `{"MaxSurge":1,"MaxUnavailable":"25%","PauseAfter":[1,"50%"],"GateTimeout":3600000000000,"OnGateTimeout":"resume"}`
	for _, doc := range []string{jobspec, api} {
		var b rollout.UpdateBlock
		if err := json.Unmarshal([]byte(doc), &b); err != nil {
			t.Fatalf("Unmarshal(%s): %v", doc, err)
		}
		if d := cmp.Diff(want, b); d != "" {
			t.Errorf("Unmarshal(%s) (-want +got):\n%s", doc, d)
		}
	}
	if got, err := json.Marshal(want); err != nil || string(got) != jobspec {
		t.Errorf("MarshalJSON = %s, %v; want %s", got, err, jobspec)
	}
	if got, err := want.MarshalAPIJSON(); err != nil || string(got) != api {
		t.Errorf("MarshalAPIJSON = %s, %v; want %s", got, err, api)
	}
}

// TestControlsJSONErrors names the key and the value of each bad control.
func TestControlsJSONErrors(t *testing.T) {
	for _, c := range []struct{ doc, field, says string }{
		{`{"max_surge": true}`, "max_surge", "whole number"},
		{`{"max_surge": "2x"}`, "max_surge", "whole number"},
		{`{"MaxUnavailable": 1.5}`, "MaxUnavailable", "integer"},
		{`{"pause_after": 1}`, "pause_after", "must be a list"},
		{`{"pause_after": [1, "a"]}`, "pause_after", "[1]"},
		{`{"gate_timeout": 10}`, "gate_timeout", "duration string"},
		{`{"OnGateTimeout": 1}`, "OnGateTimeout", "must be a string"},
	} {
		var b rollout.UpdateBlock
		err := json.Unmarshal([]byte(c.doc), &b)
		var fe *rollout.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Problem, c.says) {
			t.Errorf("Unmarshal(%s) = %v; want a FieldError on %s saying ...%s...", c.doc, err, c.field, c.says)
		}
	}
}

// TestControlsMerge: a group's control beats the job's, as every field.
func TestControlsMerge(t *testing.T) {
	job := &rollout.UpdateBlock{MaxSurge: ptrTo(rollout.Amount("2")), PauseAfter: ptrTo(rollout.Checkpoints("1"))}
	group := &rollout.UpdateBlock{MaxSurge: ptrTo(rollout.Amount("0")), MaxUnavailable: ptrTo(rollout.Amount("1"))}
	s, _ := rollout.Merge(job, group)
	if s.MaxSurge != "0" || s.MaxUnavailable != "1" || s.PauseAfter != "1" {
		t.Errorf("Merge = surge %q unavailable %q pause_after %q; want 0, 1, 1", s.MaxSurge, s.MaxUnavailable, s.PauseAfter)
	}
	if !s.Surges() {
		t.Error("Surges() = false with max_unavailable set")
	}
	if d := rollout.DefaultUpdateStrategy(); d.Surges() {
		t.Error("the default strategy surges; it must keep Nomad's rolling update")
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestControlsMarshalRefusesBadText: text JSON cannot carry is refused,
// naming the field, rather than written as invalid JSON.
func TestControlsMarshalRefusesBadText(t *testing.T) {
	for _, b := range []rollout.UpdateBlock{
		{MaxSurge: ptrTo(rollout.Amount("\xff"))},
		{PauseAfter: ptrTo(rollout.Checkpoints("1,\xfe"))},
		{OnGateTimeout: ptrTo(rollout.GateAction("\xff"))},
	} {
		_, err := json.Marshal(b)
		var fe *rollout.FieldError
		if !errors.As(err, &fe) || !strings.Contains(fe.Problem, "UTF-8") {
			t.Errorf("Marshal(%+v) = %v, want a FieldError about UTF-8", b, err)
		}
	}
	// A control character is escaped as JSON escapes it, and read back.
	in := rollout.UpdateBlock{MaxSurge: ptrTo(rollout.Amount("1\a"))}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out rollout.UpdateBlock
	if err := json.Unmarshal(data, &out); err == nil {
		t.Errorf("Unmarshal(%s) accepted an amount that is not one", data)
	} else if !strings.Contains(err.Error(), "max_surge") {
		t.Errorf("Unmarshal(%s) = %v, want max_surge named", data, err)
	}
}
