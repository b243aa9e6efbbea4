package rollout_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-multierror"

	"github.com/rollout-go/rollout"
)

// updFieldErrors returns the *FieldError values inside err, which must be a
// *multierror.Error of nothing else, and checks that err wraps ErrInvalid.
func updFieldErrors(t *testing.T, err error) []*rollout.FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
	}
	var merr *multierror.Error
	if !errors.As(err, &merr) {
		t.Fatalf("error is a %T, want a *multierror.Error: %v", err, err)
	}
	var out []*rollout.FieldError
	for _, e := range merr.Errors {
		var fe *rollout.FieldError
		if !errors.As(e, &fe) {
			t.Errorf("problem %q is a %T, want a *FieldError", e, e)
			continue
		}
		if !errors.Is(fe, rollout.ErrInvalid) {
			t.Errorf("errors.Is(%q, ErrInvalid) = false", fe)
		}
		out = append(out, fe)
	}
	return out
}

// updMessages returns the messages of the FieldErrors in err, in order.
func updMessages(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, fe := range updFieldErrors(t, err) {
		out = append(out, fe.Error())
	}
	return out
}

func TestDefaultUpdateStrategy(t *testing.T) {
	d := rollout.DefaultUpdateStrategy()
	tests := []struct {
		field     string
		got, want any
		reason    string
	}{
		{"max_parallel", d.MaxParallel, 1, "an empty update block rolls one allocation at a time"},
		{"health_check", d.HealthCheck, rollout.HealthChecks, "health is judged by tasks and their checks unless told otherwise"},
		{"min_healthy_time", d.MinHealthyTime, 10 * time.Second, "an allocation must stay healthy for 10s before it counts"},
		{"healthy_deadline", d.HealthyDeadline, 5 * time.Minute, "an allocation has 5m to become healthy"},
		{"progress_deadline", d.ProgressDeadline, 10 * time.Minute, "max(10m, healthy_deadline 5m + 5m) is 10m"},
		{"auto_revert", d.AutoRevert, false, "reverting must be asked for"},
		{"auto_promote", d.AutoPromote, false, "promotion is manual unless asked for"},
		{"canary", d.Canary, 0, "no canaries unless asked for"},
		{"stagger", d.Stagger, 30 * time.Second, "Nomad's documented default"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("DefaultUpdateStrategy().%s = %v, want %v (%s)", tt.field, tt.got, tt.want, tt.reason)
		}
	}
	if !d.Deploys() {
		t.Errorf("DefaultUpdateStrategy().Deploys() = false, want true: update {} enables rolling updates")
	}
	if err := d.Validate(); err != nil {
		t.Errorf("DefaultUpdateStrategy().Validate() = %v, want nil: the defaults must be a valid strategy", err)
	}
}

func TestDefaultsMatchEmptyBlock(t *testing.T) {
	tests := []struct {
		name       string
		job, group *rollout.UpdateBlock
		reason     string
	}{
		{"job update {}", &rollout.UpdateBlock{}, nil, "an empty job block applies to every group and sets nothing"},
		{"group update {}", nil, &rollout.UpdateBlock{}, "an empty group block enables rolling updates for that group"},
		{"both update {}", &rollout.UpdateBlock{}, &rollout.UpdateBlock{}, "two empty blocks set nothing either"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rollout.Merge(tt.job, tt.group)
			if !ok {
				t.Fatalf("Merge ok = false, want true (%s)", tt.reason)
			}
			if diff := cmp.Diff(rollout.DefaultUpdateStrategy(), got); diff != "" {
				t.Errorf("Merge mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestHealthCheckValid(t *testing.T) {
	tests := []struct {
		h      rollout.HealthCheck
		want   bool
		reason string
	}{
		{rollout.HealthChecks, true, "one of the three modes"},
		{rollout.HealthTaskStates, true, "one of the three modes"},
		{rollout.HealthManual, true, "one of the three modes"},
		{"", false, "the zero value means unset, which a resolved strategy never holds"},
		{"Checks", false, "modes are matched exactly, as Nomad does"},
		{"task-states", false, "the mode is spelled with an underscore"},
	}
	for _, tt := range tests {
		if got := tt.h.Valid(); got != tt.want {
			t.Errorf("HealthCheck(%q).Valid() = %v, want %v (%s)", tt.h, got, tt.want, tt.reason)
		}
	}
}

func TestValidateEachRule(t *testing.T) {
	tests := []struct {
		name   string
		modify func(s *rollout.UpdateStrategy)
		want   []string // FieldError messages, in order; none for a valid strategy
		reason string
	}{
		{
			name:   "unknown health_check",
			modify: func(s *rollout.UpdateStrategy) { s.HealthCheck = "bogus" },
			want:   []string{`health_check = "bogus": must be one of "checks", "task_states", "manual"`},
			reason: "only the three modes exist",
		},
		{
			name:   "empty health_check",
			modify: func(s *rollout.UpdateStrategy) { s.HealthCheck = "" },
			want:   []string{`health_check = "": must be one of "checks", "task_states", "manual"`},
			reason: "an explicitly empty health_check is not the default",
		},
		{
			name:   "health_check in capitals",
			modify: func(s *rollout.UpdateStrategy) { s.HealthCheck = "Manual" },
			want:   []string{`health_check = "Manual": must be one of "checks", "task_states", "manual"`},
			reason: "modes are matched exactly",
		},
		{
			name:   "negative max_parallel",
			modify: func(s *rollout.UpdateStrategy) { s.MaxParallel = -1 },
			want:   []string{`max_parallel = -1: must not be negative`},
			reason: "max_parallel < 0 is rejected",
		},
		{
			name:   "negative canary",
			modify: func(s *rollout.UpdateStrategy) { s.Canary = -2 },
			want:   []string{`canary = -2: must not be negative`},
			reason: "canary < 0 is rejected",
		},
		{
			name:   "auto_promote without canary",
			modify: func(s *rollout.UpdateStrategy) { s.AutoPromote = true },
			want:   []string{`auto_promote = true: requires canary greater than zero (canary = 0)`},
			reason: "there is nothing to promote without canaries",
		},
		{
			name:   "negative min_healthy_time",
			modify: func(s *rollout.UpdateStrategy) { s.MinHealthyTime = -time.Second },
			want:   []string{`min_healthy_time = -1s: must not be negative`},
			reason: "min_healthy_time < 0 is rejected",
		},
		{
			name:   "zero healthy_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.HealthyDeadline = 0 },
			want:   []string{`healthy_deadline = 0s: must be greater than zero`},
			reason: "healthy_deadline <= 0 is rejected; the ordering rules are skipped so the mistake is reported once",
		},
		{
			name:   "negative healthy_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.HealthyDeadline = -time.Minute },
			want:   []string{`healthy_deadline = -1m0s: must be greater than zero`},
			reason: "healthy_deadline <= 0 is rejected",
		},
		{
			name:   "negative progress_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.ProgressDeadline = -time.Second },
			want:   []string{`progress_deadline = -1s: must not be negative (0 fails the deployment at the first unhealthy allocation)`},
			reason: "progress_deadline < 0 is rejected",
		},
		{
			name:   "zero stagger",
			modify: func(s *rollout.UpdateStrategy) { s.Stagger = 0 },
			want:   []string{`stagger = 0s: must be greater than zero`},
			reason: "stagger <= 0 is rejected",
		},
		{
			name:   "negative stagger",
			modify: func(s *rollout.UpdateStrategy) { s.Stagger = -time.Second },
			want:   []string{`stagger = -1s: must be greater than zero`},
			reason: "stagger <= 0 is rejected",
		},
		{
			name:   "min_healthy_time equal to healthy_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.MinHealthyTime = 5 * time.Minute },
			want:   []string{`min_healthy_time = 5m0s: must be less than healthy_deadline (5m0s)`},
			reason: "min_healthy_time >= healthy_deadline could never turn healthy in time",
		},
		{
			name:   "min_healthy_time above healthy_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.MinHealthyTime = time.Hour },
			want:   []string{`min_healthy_time = 1h0m0s: must be less than healthy_deadline (5m0s)`},
			reason: "min_healthy_time >= healthy_deadline",
		},
		{
			name:   "healthy_deadline equal to progress_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.HealthyDeadline = 10 * time.Minute },
			want:   []string{`healthy_deadline = 10m0s: must be less than progress_deadline (10m0s)`},
			reason: "progress_deadline != 0 and healthy_deadline >= progress_deadline",
		},
		{
			name:   "healthy_deadline above progress_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.ProgressDeadline = time.Minute },
			want:   []string{`healthy_deadline = 5m0s: must be less than progress_deadline (1m0s)`},
			reason: "progress_deadline != 0 and healthy_deadline >= progress_deadline",
		},

		// Valid edge cases: each sits right on the boundary of a rule.
		{
			name:   "max_parallel 0",
			modify: func(s *rollout.UpdateStrategy) { s.MaxParallel = 0 },
			reason: "0 is valid and means no deployment",
		},
		{
			name:   "auto_promote with one canary",
			modify: func(s *rollout.UpdateStrategy) { s.AutoPromote, s.Canary = true, 1 },
			reason: "auto_promote is fine once there is a canary",
		},
		{
			name:   "min_healthy_time 0",
			modify: func(s *rollout.UpdateStrategy) { s.MinHealthyTime = 0 },
			reason: "healthy as soon as the checks pass",
		},
		{
			name:   "min_healthy_time just below healthy_deadline",
			modify: func(s *rollout.UpdateStrategy) { s.MinHealthyTime = 5*time.Minute - 1 },
			reason: "the rule is strict: less than is enough",
		},
		{
			name: "healthy_deadline just below progress_deadline",
			modify: func(s *rollout.UpdateStrategy) {
				s.HealthyDeadline = 10*time.Minute - 1
			},
			reason: "the rule is strict: less than is enough",
		},
		{
			name: "progress_deadline 0 with a long healthy_deadline",
			modify: func(s *rollout.UpdateStrategy) {
				s.ProgressDeadline, s.HealthyDeadline = 0, time.Hour
			},
			reason: "progress_deadline 0 disables the ordering rule",
		},
		{
			name:   "other health_check modes",
			modify: func(s *rollout.UpdateStrategy) { s.HealthCheck = rollout.HealthManual },
			reason: "manual is a valid mode",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rollout.DefaultUpdateStrategy()
			tt.modify(&s)
			got := updMessages(t, s.Validate())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

// TestValidateAllRulesAtOnce breaks every rule in one strategy and expects
// every problem in one error. The two ordering rules are only checked when
// both of their fields are valid on their own, so they are broken in a
// second strategy together with every rule that does not involve durations.
func TestValidateAllRulesAtOnce(t *testing.T) {
	type problem struct {
		Field string
		Value any
	}
	tests := []struct {
		name   string
		s      rollout.UpdateStrategy
		want   []problem
		reason string
	}{
		{
			name: "every rule on a single field",
			s: rollout.UpdateStrategy{
				MaxParallel:      -1,
				HealthCheck:      "sometimes",
				MinHealthyTime:   -time.Second,
				HealthyDeadline:  0,
				ProgressDeadline: -time.Minute,
				AutoPromote:      true,
				Canary:           -3,
				Stagger:          -time.Millisecond,
			},
			want: []problem{
				{"health_check", "sometimes"},
				{"max_parallel", -1},
				{"canary", -3},
				{"auto_promote", true},
				{"min_healthy_time", -time.Second},
				{"healthy_deadline", time.Duration(0)},
				{"progress_deadline", -time.Minute},
				{"stagger", -time.Millisecond},
			},
			reason: "Validate reports every problem at once, in field order",
		},
		{
			name: "both ordering rules with the other rules",
			s: rollout.UpdateStrategy{
				MaxParallel:      -1,
				HealthCheck:      "",
				MinHealthyTime:   6 * time.Minute,
				HealthyDeadline:  5 * time.Minute,
				ProgressDeadline: 4 * time.Minute,
				AutoPromote:      true,
				Canary:           0,
				Stagger:          0,
			},
			want: []problem{
				{"health_check", ""},
				{"max_parallel", -1},
				{"auto_promote", true},
				{"stagger", time.Duration(0)},
				{"min_healthy_time", 6 * time.Minute},
				{"healthy_deadline", 5 * time.Minute},
			},
			reason: "the ordering rules are reported alongside the others",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("errors.Is(Validate(), ErrInvalid) = false; err = %v", err)
			}
			var got []problem
			for _, fe := range updFieldErrors(t, err) {
				got = append(got, problem{fe.Field, fe.Value})
				if fe.Problem == "" {
					t.Errorf("%s: empty Problem", fe.Field)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate problems mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestDeploys(t *testing.T) {
	tests := []struct {
		maxParallel int
		want        bool
		reason      string
	}{
		{0, false, "max_parallel = 0 replaces everything at once, with no deployment"},
		{1, true, "the default rolls one at a time"},
		{5, true, "any positive max_parallel rolls through a deployment"},
	}
	for _, tt := range tests {
		s := rollout.DefaultUpdateStrategy()
		s.MaxParallel = tt.maxParallel
		if got := s.Deploys(); got != tt.want {
			t.Errorf("max_parallel %d: Deploys() = %v, want %v (%s)", tt.maxParallel, got, tt.want, tt.reason)
		}
	}
}
