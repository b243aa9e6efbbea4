package jobspec_test

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout/jobspec"
)

// A job file that loads but that Nomad would refuse: each problem comes
// with its position and the field it concerns.
func ExampleJob_Validate() {
	src := `job "web app" {
  group "web" {
    count = 3
    reschedule {
      attempts = 5
    }
    task "server" {
      config {
        image = "nginx:1.27"
      }
    }
  }
}
`
	job, err := jobspec.Load("web.nomad", []byte(src), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var me *multierror.Error
	if errors.As(job.Validate(), &me) {
		for _, e := range me.Errors {
			fmt.Println(e)
		}
	}
	// Output:
	// web.nomad:1:1: job.id = "web app": must not contain a space
	// web.nomad:7:5: group "web" task "server" driver = "": must be set: it names the task driver that runs the task
	// web.nomad:5:7: group "web" reschedule.attempts = 5: limits nothing while unlimited is true (Nomad refuses the two together): set unlimited = false
}

// A valid job with a setting Nomad warns of.
func ExampleJob_Warnings() {
	src := `job "web" {
  group "web" {
    count = 2
    update {
      max_parallel = 3
    }
    task "server" {
      driver = "docker"
    }
  }
}
`
	job, err := jobspec.Load("web.nomad", []byte(src), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("valid:", job.Validate() == nil)
	var me *multierror.Error
	if errors.As(job.Warnings(), &me) {
		for _, e := range me.Errors {
			fmt.Println(e)
		}
	}
	// Output:
	// valid: true
	// web.nomad:4:5: group "web" update.max_parallel = 3: is more than the group's count 2: a destructive change replaces every allocation at once
}
