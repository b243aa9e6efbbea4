package rollout_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rollout-go/rollout"
)

func TestJobVersionJSONRefusesBadInput(t *testing.T) {
	tests := []struct {
		name, in string
		field    string // the FieldError that must be reported
		reason   string
	}{
		{"typo", `{"id":"web","Grups":[]}`, "Grups", "a typo must not decode into a job with no groups"},
		{"typo suggests", `{"id":"web","group":[]}`, "group", "a near miss is unknown too"},
		{"wrong type", `{"id":"web","version":"1"}`, "version", "a string is not a version"},
		{"negative version", `{"id":"web","version":-1}`, "version", "versions are unsigned"},
		{"bad duration", `{"id":"web","groups":[{"name":"a","reschedule":{"delay":"soon"}}]}`, "groups[0].reschedule.delay", "durations must parse"},
		{"nested update", `{"id":"web","groups":[{"name":"a","update":{"canary":"1"}}]}`, "groups[0].update.canary", "update block problems carry their path"},
		{"mixed spelling", `{"id":"web","Version":1}`, "Version", "one spelling per object"},
		{"repeated key", `{"id":"web","id":"x"}`, "id", "a key written twice is ambiguous"},
		{"tasks not strings", `{"groups":[{"tasks":[1]}]}`, "groups[0].tasks[0]", "task names are strings"},
		{"submit time", `{"submit_time":"yesterday"}`, "submit_time", "times are RFC 3339"},
		{"not an object", `[1]`, "job", "a job is an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j rollout.JobVersion
			err := json.Unmarshal([]byte(tt.in), &j)
			if !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("%s: err = %v, want ErrInvalid", tt.reason, err)
			}
			var fe *rollout.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("%s: err = %v, want a FieldError for %q", tt.reason, err, tt.field)
			}
			if !cmp.Equal(j, rollout.JobVersion{}, cmpopts.EquateEmpty()) {
				t.Errorf("the job changed on error: %+v", j)
			}
		})
	}
}

func TestJobVersionJSONRoundTrip(t *testing.T) {
	rev := uint64(1)
	mp, canary := 2, 1
	job := rollout.JobVersion{
		ID: "web", Version: 3, Stable: true, Stop: false,
		SubmitTime: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Update:     &rollout.UpdateBlock{MaxParallel: &mp},
		RevertOf:   &rev,
		Groups: []rollout.Group{{
			Name: "api", Count: 6, Update: &rollout.UpdateBlock{Canary: &canary},
			Spec: "img:2", Tasks: []string{"server"}, Checks: []string{"http"},
			Reschedule: rollout.ReschedulePolicy{Delay: 30 * time.Second, MaxDelay: time.Hour, Attempts: 3, DelayFunction: rollout.DelayFibonacci, Interval: 2 * time.Hour},
		}, {
			Name: "worker", Count: 1, Spec: "img:2",
			Reschedule: rollout.ReschedulePolicy{Disabled: true},
		}},
	}
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"id"`, `"groups"`, `"max_parallel"`, `"delay":"30s"`, `"revert_of":1`, `"delay_function":"fibonacci"`, `"disabled":true`, `"interval":"2h0m0s"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("job file spelling: %s lacks %s", data, key)
		}
	}
	var back rollout.JobVersion
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(job, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}

	// The API spelling: Go field names, nanoseconds (what encoding/json
	// wrote before the tags, so stored states still read).
	api := `{"ID":"web","Version":3,"Groups":[{"Name":"api","Count":6,"Reschedule":{"Delay":30000000000,"MaxDelay":0,"Attempts":0},"Tasks":null}],"RevertOf":null}`
	var fromAPI rollout.JobVersion
	if err := json.Unmarshal([]byte(api), &fromAPI); err != nil {
		t.Fatal(err)
	}
	if fromAPI.Groups[0].Reschedule.Delay != 30*time.Second || fromAPI.RevertOf != nil {
		t.Errorf("API spelling decoded to %+v", fromAPI)
	}
	var fn rollout.ReschedulePolicy
	if err := json.Unmarshal([]byte(`{"DelayFunction":"constant","Disabled":false}`), &fn); err != nil || fn.DelayFunction != rollout.DelayConstant {
		t.Errorf("API spelling of the delay function decoded to %+v, %v", fn, err)
	}
}

// TestValidateReschedulePolicy checks that Validate names a reschedule
// policy's bad field and value: an unknown delay function, and attempts
// with rescheduling disabled.
func TestValidateReschedulePolicy(t *testing.T) {
	cases := []struct {
		p     rollout.ReschedulePolicy
		field string
		value any
	}{
		{rollout.ReschedulePolicy{DelayFunction: "linear"}, `group "web" reschedule.delay_function`, "linear"},
		{rollout.ReschedulePolicy{Disabled: true, Attempts: 2}, `group "web" reschedule.attempts`, 2},
		{rollout.ReschedulePolicy{Attempts: 2, Interval: -time.Minute}, `group "web" reschedule.interval`, -time.Minute},
	}
	for _, c := range cases {
		j := rollout.JobVersion{ID: "example", Groups: []rollout.Group{{Name: "web", Count: 1, Reschedule: c.p}}}
		err := j.Validate()
		var fe *rollout.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Value != c.value || !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("Validate() with %+v = %v, want a FieldError for %s = %v", c.p, err, c.field, c.value)
		}
	}
	for _, fn := range append([]rollout.DelayFunction{""}, rollout.DelayFunctions...) {
		j := rollout.JobVersion{ID: "example", Groups: []rollout.Group{{Name: "web", Count: 1, Reschedule: rollout.ReschedulePolicy{DelayFunction: fn}}}}
		if err := j.Validate(); err != nil {
			t.Errorf("Validate() with delay function %q = %v, want nil", fn, err)
		}
	}
}

func TestValidateRefusesJobWithNoGroups(t *testing.T) {
	err := (&rollout.JobVersion{ID: "web"}).Validate()
	var fe *rollout.FieldError
	if !errors.As(err, &fe) || fe.Field != "job.groups" || !errors.Is(err, rollout.ErrInvalid) {
		t.Fatalf("Validate() = %v, want a FieldError for job.groups: Nomad refuses a job with no task groups", err)
	}
}

func FuzzJobVersionJSON(f *testing.F) {
	f.Add(`{"id":"web","version":1,"groups":[{"name":"a","count":2,"update":{"canary":1},"reschedule":{"delay":"30s"}}]}`)
	f.Add(`{"ID":"web","Groups":[{"Name":"a","Reschedule":{"Delay":5}}],"RevertOf":2}`)
	f.Add(`{"Grups":[]}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, in string) {
		var j rollout.JobVersion
		err := json.Unmarshal([]byte(in), &j)
		if err != nil {
			if !errors.Is(err, rollout.ErrInvalid) {
				var se *json.SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error %v wraps neither ErrInvalid nor a syntax error", err)
				}
			}
			return
		}
		data, err := json.Marshal(j)
		if err != nil {
			return // health_check not UTF-8
		}
		var back rollout.JobVersion
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("re-decoding %s: %v", data, err)
		}
		if d := cmp.Diff(j, back, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)); d != "" {
			t.Fatalf("round trip of %s (-first +second):\n%s", data, d)
		}
	})
}

// TestGroupDisconnectJSON: the disconnect block and Nomad's older group
// fields read in both spellings, and the block is written back in the job
// file's spelling.
func TestGroupDisconnectJSON(t *testing.T) {
	f := false
	tests := []struct {
		name, in string
		want     *rollout.Disconnect
	}{
		{"jobspec", `{"name":"web","disconnect":{"lost_after":"1h","replace":false,"reconcile":"keep_original"}}`,
			&rollout.Disconnect{LostAfter: time.Hour, Replace: &f, Reconcile: rollout.ReconcileKeepOriginal}},
		{"api", `{"Name":"web","Disconnect":{"LostAfter":60000000000,"StopOnClientAfter":0}}`,
			&rollout.Disconnect{LostAfter: time.Minute}},
		{"older fields", `{"name":"web","max_client_disconnect":"30m","prevent_reschedule_on_lost":true}`,
			&rollout.Disconnect{LostAfter: 30 * time.Minute, Replace: &f}},
		{"none", `{"name":"web"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g rollout.Group
			if err := json.Unmarshal([]byte(tt.in), &g); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, g.Disconnect); diff != "" {
				t.Fatalf("decoded (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			var back rollout.Group
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if diff := cmp.Diff(tt.want, back.Disconnect); diff != "" {
				t.Fatalf("round trip through %s (-want +got):\n%s", out, diff)
			}
		})
	}
	var g rollout.Group
	err := json.Unmarshal([]byte(`{"name":"web","disconnect":{"lost_after":"soon"}}`), &g)
	var fe *rollout.FieldError
	if !errors.As(err, &fe) || fe.Field != "disconnect.lost_after" {
		t.Fatalf("bad lost_after: %v, want a FieldError naming disconnect.lost_after", err)
	}
}
