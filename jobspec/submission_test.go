package jobspec_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/rollout-go/rollout"
	"github.com/rollout-go/rollout/jobspec"
)

// TestSubmissionRules: Validate refuses what Nomad refuses when a job is
// submitted, in a job file or the API's JSON, naming the field and the
// value at the declaration concerned.
func TestSubmissionRules(t *testing.T) {
	type problem struct {
		pos   string // "line:column" for HCL, "" for JSON
		field string
		value any
	}
	for _, tc := range []struct {
		name, file, src string
		want            []problem
	}{
		{
			name: "job ID with a space", file: "j.nomad",
			src:  "job \"bad example\" {\n  group \"web\" {\n    task \"t\" {\n      driver = \"docker\"\n    }\n  }\n}\n",
			want: []problem{{"1:1", "job.id", "bad example"}},
		},
		{
			name: "a misspelt job type, an empty datacenter", file: "j.nomad",
			src:  "job \"ex\" {\n  type        = \"servce\"\n  datacenters = [\"dc1\", \"\"]\n  group \"web\" {\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			want: []problem{{"1:1", "job.type", "servce"}, {"1:1", "job.datacenters", ""}},
		},
		{
			name: "group without tasks", file: "j.nomad",
			src:  "job \"ex\" {\n  group \"web\" {\n    count = 2\n  }\n}\n",
			want: []problem{{"2:3", `group "web" tasks`, 0}},
		},
		{
			name: "task without a driver, task name with a slash", file: "j.nomad",
			src:  "job \"ex\" {\n  group \"web\" {\n    task \"a/b\" {\n      user = \"nobody\"\n    }\n  }\n}\n",
			want: []problem{{"3:5", `group "web" task "a/b" name`, "a/b"}, {"3:5", `group "web" task "a/b" driver`, ""}},
		},
		{
			name: "API JSON: the job of Nomad's example-short-bad", file: "j.json",
			src:  `{"Job":{"ID":"bad example","Name":"example","TaskGroups":[{"Name":"cache","Tasks":[{"Name":"redis","Driver":"docker"}]}]}}`,
			want: []problem{{"", "job.id", "bad example"}},
		},
		{
			name: "API JSON: a task without name or driver", file: "j.json",
			src:  `{"Job":{"ID":"ex","TaskGroups":[{"Name":"cache","Tasks":[{"Config":{"image":"redis"}}]}]}}`,
			want: []problem{{"", `group "cache" tasks[0] name`, ""}, {"", `group "cache" tasks[0] driver`, ""}},
		},
		{
			name: "API JSON: a group without tasks", file: "j.json",
			src:  `{"Job":{"ID":"ex","TaskGroups":[{"Name":"cache","Count":1}]}}`,
			want: []problem{{"", `group "cache" tasks`, 0}},
		},
		{
			name: "reschedule: attempts while unlimited (the default)", file: "j.nomad",
			src:  resched("attempts = 3"),
			want: []problem{{"5:7", `group "web" reschedule.attempts`, 3}},
		},
		{
			name: "reschedule: limited attempts, no interval", file: "j.nomad",
			src:  resched("attempts  = 2\n      unlimited = false"),
			want: []problem{{"4:5", `group "web" reschedule.interval`, time.Duration(0)}},
		},
		{
			name: "reschedule: short delay, unknown function", file: "j.nomad",
			src:  resched("delay          = \"1s\"\n      delay_function = \"linear\""),
			want: []problem{{"5:7", `group "web" reschedule.delay`, time.Second}, {"6:7", `group "web" reschedule.delay_function`, "linear"}},
		},
		{
			name: "reschedule: max_delay under delay", file: "j.nomad",
			src:  resched("delay     = \"1m\"\n      max_delay = \"30s\""),
			want: []problem{{"6:7", `group "web" reschedule.max_delay`, 30 * time.Second}},
		},
		{
			name: "reschedule: the attempts do not fit in the interval", file: "j.nomad",
			src:  resched("attempts  = 5\n      interval  = \"1m\"\n      unlimited = false"),
			want: []problem{{"6:7", `group "web" reschedule.interval`, time.Minute}},
		},
		{
			name: "restart: unknown mode, no attempts with mode delay", file: "j.nomad",
			src:  "job \"ex\" {\n  group \"web\" {\n    restart {\n      mode = \"retry\"\n    }\n    task \"t\" {\n      driver = \"docker\"\n      restart {\n        mode     = \"delay\"\n        attempts = 0\n      }\n    }\n  }\n}\n",
			want: []problem{{"4:7", `group "web" restart.mode`, "retry"}, {"10:9", `group "web" task "t" restart.attempts`, 0}},
		},
		{
			name: "restart: the attempts' delays do not fit in the interval", file: "j.nomad",
			src:  "job \"ex\" {\n  group \"web\" {\n    restart {\n      attempts = 10\n      delay    = \"1m\"\n      interval = \"5m\"\n    }\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			want: []problem{{"6:7", `group "web" restart.interval`, 5 * time.Minute}},
		},
		{
			name: "migrate: a bad health_check, min_healthy_time over healthy_deadline", file: "j.nomad",
			src:  "job \"ex\" {\n  migrate {\n    health_check = \"http\"\n  }\n  group \"web\" {\n    migrate {\n      min_healthy_time = \"10m\"\n    }\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			want: []problem{{"3:5", `group "web" migrate.health_check`, "http"}, {"7:7", `group "web" migrate.min_healthy_time`, 10 * time.Minute}},
		},
		{
			name: "migrate in a system job", file: "j.nomad",
			src:  "job \"ex\" {\n  type = \"system\"\n  group \"agent\" {\n    migrate {\n      max_parallel = 2\n    }\n    task \"t\" { driver = \"docker\" }\n  }\n}\n",
			want: []problem{{"4:5", `group "agent" migrate`, nil}},
		},
		{
			// Unlimited left out is Nomad's default for a service job: true.
			name: "API JSON: reschedule attempts without unlimited", file: "j.json",
			src:  `{"Job":{"ID":"ex","TaskGroups":[{"Name":"cache","Tasks":[{"Name":"redis","Driver":"docker"}],"ReschedulePolicy":{"Attempts":3}}]}}`,
			want: []problem{{"", `group "cache" reschedule.attempts`, 3}},
		},
		{
			name: "API JSON: a restart policy of an unknown mode", file: "j.json",
			src:  `{"Job":{"ID":"ex","TaskGroups":[{"Name":"cache","Tasks":[{"Name":"redis","Driver":"docker"}],"RestartPolicy":{"Attempts":2,"Interval":1800000000000,"Delay":15000000000,"Mode":"bogus"}}]}}`,
			want: []problem{{"", `group "cache" restart.mode`, "bogus"}},
		},
		{
			name: "no main task, two leaders, a misspelt hook", file: "j.nomad",
			src: "job \"ex\" {\n  group \"web\" {\n    task \"a\" {\n      driver = \"exec\"\n      leader = true\n      lifecycle {\n        hook = \"prestart\"\n      }\n    }\n" +
				"    task \"b\" {\n      driver = \"exec\"\n      leader = true\n      lifecycle {\n        hook = \"prestrat\"\n      }\n    }\n  }\n}\n",
			want: []problem{{"10:5", `group "web" task "b" lifecycle.hook`, "prestrat"}, {"2:3", `group "web" tasks`, 2}, {"2:3", `group "web" tasks`, 2}},
		},
		{
			name: "API JSON: a group of lifecycle tasks only", file: "j.json",
			src:  `{"Job":{"ID":"ex","TaskGroups":[{"Name":"cache","Tasks":[{"Name":"init","Driver":"exec","Lifecycle":{"Hook":"prestart","Sidecar":false}}]}]}}`,
			want: []problem{{"", `group "cache" tasks`, 1}},
		},
		{
			// As Nomad's own scaling end-to-end test expects registration to fail.
			name: "scaling: the count above max", file: "j.nomad",
			src:  "job \"ex\" {\n  group \"web\" {\n    count = 4\n    scaling {\n      min = 2\n      max = 3\n      policy {}\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			want: []problem{{"6:7", `group "web" scaling.max`, 3}},
		},
		{
			name: "scaling: no max, min above the count", file: "j.nomad",
			src:  "job \"ex\" {\n  group \"web\" {\n    count = 4\n    scaling {\n      min = 5\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			want: []problem{{"4:5", `group "web" scaling.max`, nil}, {"5:7", `group "web" scaling.min`, 5}},
		},
		{
			name: "batch job with an update block", file: "j.nomad",
			src:  "job \"ex\" {\n  type = \"batch\"\n  group \"work\" {\n    update {\n      max_parallel = 2\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			want: []problem{{"4:5", `group "work" update`, nil}},
		},
		{
			name: "system job with a reschedule block", file: "j.nomad",
			src:  "job \"ex\" {\n  type = \"system\"\n  reschedule {\n    delay = \"30s\"\n  }\n  group \"agent\" {\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
			want: []problem{{"3:3", `group "agent" reschedule`, nil}},
		},
		{
			name: "API JSON: a limited reschedule policy without interval", file: "j.json",
			src: `{"Job":{"ID":"ex","TaskGroups":[{"Name":"cache","Tasks":[{"Name":"redis","Driver":"docker"}],
			  "ReschedulePolicy":{"Attempts":3,"Interval":0,"Delay":30000000000,"DelayFunction":"exponential","MaxDelay":3600000000000,"Unlimited":false}}]}}`,
			want: []problem{{"", `group "cache" reschedule.interval`, time.Duration(0)}},
		},
		{
			name: "API JSON: a job ID with a space, longer than rollout.MaxJobIDLength: named once, by its length", file: "j.json",
			src:  `{"Job":{"ID":"a ` + strings.Repeat("x", rollout.MaxJobIDLength) + `","TaskGroups":[{"Name":"cache","Tasks":[{"Name":"redis","Driver":"docker"}]}]}}`,
			want: []problem{{"", "job.id", nil}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := jobspec.Load(tc.file, []byte(tc.src), nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = j.Validate()
			var me *multierror.Error
			if !errors.As(err, &me) {
				t.Fatalf("Validate = %v, want a *multierror.Error", err)
			}
			var got []problem
			for _, e := range me.Errors {
				var je *jobspec.Error
				var fe *rollout.FieldError
				if !errors.As(e, &je) || !errors.As(e, &fe) {
					t.Fatalf("%v: want a *jobspec.Error wrapping a *rollout.FieldError", e)
				}
				if je.Pos.File != tc.file {
					t.Errorf("%v: file %q, want %q", e, je.Pos.File, tc.file)
				}
				pos := ""
				if je.Pos.Line != 0 {
					pos = je.Pos.String()[len(tc.file)+1:]
				}
				got = append(got, problem{pos, fe.Field, fe.Value})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %v\nwant %v\n(%v)", got, tc.want, err)
			}
		})
	}
}

// resched is a job whose group "web" has the reschedule block body given,
// its first attribute at line 5, column 7.
func resched(body string) string {
	return "job \"ex\" {\n  group \"web\" {\n    task \"t\" { driver = \"docker\" }\n    reschedule {\n      " + body + "\n    }\n  }\n}\n"
}

// TestSubmissionRulesAccept: what Nomad accepts passes: tasks of any kind
// (a prestart task is a task like any other here), a Connect gateway's
// group without tasks, and reschedule policies Nomad takes.
func TestSubmissionRulesAccept(t *testing.T) {
	src := `job "ex-1_a.b" {
  group "web" {
    task "init" {
      driver = "exec"
      lifecycle {
        hook = "prestart"
      }
    }
    task "server" {
      driver = "docker"
    }
  }
}
`
	// A Connect gateway's group declares no task: Nomad adds it.
	gateway := `job "ingress" {
  group "ingress-group" {
    network {
      mode = "bridge"
    }
    service {
      name = "my-ingress"
      port = "8080"
      connect {
        gateway {
          ingress {
            listener {
              port     = 8080
              protocol = "tcp"
              service {
                name = "uuid-api"
              }
            }
          }
        }
      }
    }
  }
}
`
	gatewayJSON := `{"Job":{"ID":"ingress","TaskGroups":[{"Name":"ingress-group","Services":[{"Name":"my-ingress",
	  "Connect":{"Gateway":{"Ingress":{"Listeners":[{"Port":8080,"Protocol":"tcp","Services":[{"Name":"uuid-api"}]}]}}}}]}]}}`
	for file, src := range map[string]string{
		"ok.nomad": src, "gateway.nomad": gateway, "gateway.json": gatewayJSON,
		// The reschedule block of Nomad's documentation.
		"resched.nomad": resched("attempts       = 15\n      interval       = \"1h\"\n      delay          = \"30s\"\n" +
			"      delay_function = \"exponential\"\n      max_delay      = \"120s\"\n      unlimited      = false"),
		// A policy that never reschedules is not checked further.
		"never.nomad": resched("attempts  = 0\n      unlimited = false\n      delay     = \"1s\""),
		// A batch job: Nomad's defaults for batch (one attempt a day), and
		// the job-level Update of zeros that nomad job inspect prints.
		"batch.nomad": "job \"b\" {\n  type = \"batch\"\n  group \"g\" {\n    reschedule {\n      attempts = 2\n    }\n    task \"t\" { driver = \"exec\" }\n  }\n}\n",
		"batch.json": `{"Job":{"ID":"b","Type":"batch","Update":{"Stagger":0,"MaxParallel":0,"HealthCheck":"","MinHealthyTime":0,"HealthyDeadline":0,"ProgressDeadline":0,"AutoRevert":false,"AutoPromote":false,"Canary":0},
		  "TaskGroups":[{"Name":"g","Update":null,"Tasks":[{"Name":"t","Driver":"exec"}],
		  "ReschedulePolicy":{"Attempts":1,"Interval":86400000000000,"Delay":5000000000,"DelayFunction":"constant","MaxDelay":0,"Unlimited":false}}]}}`,
		// A constant delay needs no max_delay.
		"constant.nomad": resched("delay_function = \"constant\"\n      max_delay      = \"0s\""),
	} {
		j, err := jobspec.Load(file, []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", file, err)
		}
	}
}
