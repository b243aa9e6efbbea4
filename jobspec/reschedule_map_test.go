package jobspec_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// TestReschedulePolicyRuns checks what of a reschedule block rollout runs,
// from HCL and from the API's JSON alike: the delays, the delay function,
// attempts when unlimited is false, and no rescheduling at all for
// unlimited = false with no attempts (Nomad's way to turn it off).
func TestReschedulePolicyRuns(t *testing.T) {
	cases := []struct {
		name, hcl, json string
		want            rollout.ReschedulePolicy
	}{
		{"no block: Nomad's service defaults", ``, ``, rollout.ReschedulePolicy{}},
		{"fibonacci",
			`delay = "10s"
			 max_delay = "2m"
			 delay_function = "fibonacci"`,
			`"Delay":10000000000,"MaxDelay":120000000000,"DelayFunction":"fibonacci"`,
			rollout.ReschedulePolicy{Delay: 10 * time.Second, MaxDelay: 2 * time.Minute, DelayFunction: rollout.DelayFibonacci}},
		{"constant, limited",
			`delay_function = "constant"
			 unlimited = false
			 attempts = 2
			 interval = "1h"`,
			`"DelayFunction":"constant","Unlimited":false,"Attempts":2,"Interval":3600000000000`,
			rollout.ReschedulePolicy{DelayFunction: rollout.DelayConstant, Attempts: 2, Interval: time.Hour}},
		{"turned off",
			`unlimited = false
			 attempts = 0`,
			`"Unlimited":false,"Attempts":0`,
			rollout.ReschedulePolicy{Disabled: true}},
	}
	for _, c := range cases {
		hclBlock, jsonBlock := "", ""
		if c.hcl != "" {
			hclBlock = "reschedule {\n" + c.hcl + "\n}"
			jsonBlock = `,"ReschedulePolicy":{` + c.json + `}`
		}
		hcl := fmt.Sprintf(`job "j" {
  group "g" {
    %s
    task "t" { driver = "exec" }
  }
}`, hclBlock)
		api := fmt.Sprintf(`{"Job":{"ID":"j","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Driver":"exec"}]%s}]}}`, jsonBlock)
		for _, load := range []struct {
			kind string
			load func() (*jobspec.Job, error)
		}{
			{"HCL", func() (*jobspec.Job, error) { return jobspec.Load("j.nomad", []byte(hcl), nil) }},
			{"JSON", func() (*jobspec.Job, error) { return jobspec.LoadJSON("j.json", []byte(api), nil) }},
		} {
			j, err := load.load()
			if err != nil {
				t.Fatalf("%s, %s: %v", c.name, load.kind, err)
			}
			if err := j.Validate(); err != nil {
				t.Errorf("%s, %s: Validate() = %v", c.name, load.kind, err)
			}
			if d := cmp.Diff(c.want, j.Version.Groups[0].Reschedule); d != "" {
				t.Errorf("%s, %s: reschedule policy (-want +got):\n%s", c.name, load.kind, d)
			}
		}
	}
}

// TestReschedulePolicyMerged checks that a job-level reschedule block
// reaches the group under the group's own: the function and the switch
// from the job, the delay from the group.
func TestReschedulePolicyMerged(t *testing.T) {
	src := `job "j" {
  reschedule {
    delay_function = "fibonacci"
    unlimited      = false
    attempts       = 0
  }
  group "g" {
    reschedule { delay = "10s" }
    task "t" { driver = "exec" }
  }
}`
	j, err := jobspec.Load("j.nomad", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := rollout.ReschedulePolicy{Delay: 10 * time.Second, DelayFunction: rollout.DelayFibonacci, Disabled: true}
	if d := cmp.Diff(want, j.Version.Groups[0].Reschedule); d != "" {
		t.Errorf("merged reschedule policy (-want +got):\n%s", d)
	}
}
