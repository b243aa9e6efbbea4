package rollout_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/rollout-go/rollout"
)

// updPrintStrategy prints a resolved strategy as an update block.
func updPrintStrategy(group string, s rollout.UpdateStrategy) {
	fmt.Printf("group %q {\n  update {\n", group)
	fmt.Printf("    max_parallel      = %d\n", s.MaxParallel)
	fmt.Printf("    health_check      = %q\n", s.HealthCheck)
	fmt.Printf("    min_healthy_time  = %q\n", s.MinHealthyTime)
	fmt.Printf("    healthy_deadline  = %q\n", s.HealthyDeadline)
	fmt.Printf("    progress_deadline = %q\n", s.ProgressDeadline)
	fmt.Printf("    auto_revert       = %t\n", s.AutoRevert)
	fmt.Printf("    auto_promote      = %t\n", s.AutoPromote)
	fmt.Printf("    canary            = %d\n", s.Canary)
	fmt.Printf("    stagger           = %q\n", s.Stagger)
	fmt.Printf("  }\n}\n")
}

// The "Upgrade Stanza Inheritance" example: shared fields go in the job's
// update block, and each group writes only what differs. Fields that no
// block writes take their defaults; progress_deadline, written nowhere, is
// healthy_deadline + 5m because that is more than 10m.
func ExampleMerge() {
	minutes := func(n int) *time.Duration { d := time.Duration(n) * time.Minute; return &d }
	integer := func(n int) *int { return &n }
	taskStates := rollout.HealthTaskStates

	// job "example" {
	//   update {
	//     max_parallel     = 2
	//     health_check     = "task_states"
	//     healthy_deadline = "10m"
	//   }
	//   group "one" { update { canary = 1 } }
	//   group "two" { update { min_healthy_time = "3m" } }
	// }
	job := &rollout.UpdateBlock{MaxParallel: integer(2), HealthCheck: &taskStates, HealthyDeadline: minutes(10)}
	one := &rollout.UpdateBlock{Canary: integer(1)}
	two := &rollout.UpdateBlock{MinHealthyTime: minutes(3)}

	for _, g := range []struct {
		name  string
		block *rollout.UpdateBlock
	}{{"one", one}, {"two", two}} {
		s, ok := rollout.Merge(job, g.block)
		if !ok {
			continue // no update block anywhere: no deployments for this group
		}
		if err := s.Validate(); err != nil {
			fmt.Println(err)
			continue
		}
		updPrintStrategy(g.name, s)
	}

	// A group of a job with no update block at all has no strategy.
	_, ok := rollout.Merge(nil, nil)
	fmt.Println("strategy without any update block:", ok)

	// Output:
	// group "one" {
	//   update {
	//     max_parallel      = 2
	//     health_check      = "task_states"
	//     min_healthy_time  = "10s"
	//     healthy_deadline  = "10m0s"
	//     progress_deadline = "15m0s"
	//     auto_revert       = false
	//     auto_promote      = false
	//     canary            = 1
	//     stagger           = "30s"
	//   }
	// }
	// group "two" {
	//   update {
	//     max_parallel      = 2
	//     health_check      = "task_states"
	//     min_healthy_time  = "3m0s"
	//     healthy_deadline  = "10m0s"
	//     progress_deadline = "15m0s"
	//     auto_revert       = false
	//     auto_promote      = false
	//     canary            = 0
	//     stagger           = "30s"
	//   }
	// }
	// strategy without any update block: false
}

// Validate reports every broken rule at once. Each problem is a
// *rollout.FieldError naming the field as written in a job file.
func ExampleUpdateStrategy_Validate() {
	s := rollout.DefaultUpdateStrategy()
	s.MaxParallel = -1
	s.HealthCheck = "healthy"
	s.AutoPromote = true // without canaries
	s.MinHealthyTime = 6 * time.Minute
	s.HealthyDeadline = 5 * time.Minute
	s.ProgressDeadline = 3 * time.Minute

	err := s.Validate()
	fmt.Println("invalid:", errors.Is(err, rollout.ErrInvalid))

	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			var fe *rollout.FieldError
			if errors.As(e, &fe) {
				fmt.Printf("%s: %v\n", fe.Field, fe)
			}
		}
	}
	// Output:
	// invalid: true
	// health_check: health_check = "healthy": must be one of "checks", "task_states", "manual"
	// max_parallel: max_parallel = -1: must not be negative
	// auto_promote: auto_promote = true: requires canary greater than zero (canary = 0)
	// min_healthy_time: min_healthy_time = 6m0s: must be less than healthy_deadline (5m0s)
	// healthy_deadline: healthy_deadline = 5m0s: must be less than progress_deadline (3m0s)
}

// An update block decodes from the job file's spelling and from Nomad's API
// spelling (what `nomad job inspect` prints); it encodes to either.
func ExampleUpdateBlock_UnmarshalJSON() {
	var fromJobspec, fromAPI rollout.UpdateBlock
	if err := json.Unmarshal([]byte(`{
		"max_parallel": 2,
		"min_healthy_time": "30s",
		"canary": 1
	}`), &fromJobspec); err != nil {
		fmt.Println(err)
	}
	if err := json.Unmarshal([]byte(`{
		"MaxParallel": 2,
		"MinHealthyTime": 30000000000,
		"Canary": 1,
		"AutoRevert": null
	}`), &fromAPI); err != nil {
		fmt.Println(err)
	}
	jobspec, _ := json.Marshal(fromJobspec)
	api, _ := fromAPI.MarshalAPIJSON()
	fmt.Println(string(jobspec))
	fmt.Println(string(api))

	// Mistakes are reported together, each naming the key as written.
	var bad rollout.UpdateBlock
	err := json.Unmarshal([]byte(`{"max_parallel": "2", "min_healthy_time": "10 minutes", "Canary": 1}`), &bad)
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			fmt.Println(e)
		}
	}
	// Output:
	// {"max_parallel":2,"min_healthy_time":"30s","canary":1}
	// {"MaxParallel":2,"MinHealthyTime":30000000000,"Canary":1}
	// max_parallel = "2": must be an integer, not a string
	// min_healthy_time = "10 minutes": must be a duration such as "30s", "10m" or "1h30m"
	// Canary = 1: is API spelling, but this document uses jobspec spelling (from "max_parallel"); write "canary"
}
