package main

// planAndSimulateCases are the golden cases of plan's and simulate's
// behaviours as Nomad's: headers, in-place updates, field diffs, exit
// codes, refusals. Their job files, in testdata, exercise the features of
// Nomad's own e2e and demo jobs (canaries, several groups, system jobs,
// variables, the batch types).
var planAndSimulateCases = []struct {
	name string
	args []string
	code int
	must []string
}{
	{"plan-identical", []string{"plan", "testdata/inplace-v1.nomad", "testdata/inplace-v1.nomad"}, 0, []string{
		`Job: "shop"`,
		`    Task Group: "cache" (2 ignore)`,
	}},
	{"plan-new", []string{"plan", "testdata/cache-v1.nomad"}, 1, []string{
		`+ Job: "shop"`,
		`+ Task Group: "web" (2 create)`,
		`+ Task Group: "cache" (3 create)`,
	}},
	{"plan-in-place", []string{"plan", "testdata/inplace-v1.nomad", "testdata/inplace-v2.nomad"}, 0, []string{
		`+/- Job: "shop"`,
		`+/- Task Group: "cache" (2 in-place update)`,
		`  +/- RestartPolicy {`,
		`    +/- Attempts: "2" => "3"`,
		`    +/- Tags[1]: "v1" => "v2"`,
		`  +/- Task: "redis" (forces in-place update)`,
		`    +/- ShutdownDelay: "5s" => "10s"`,
	}},
	{"plan-config-arg", []string{"plan", "testdata/inplace-v1.nomad", "testdata/inplace-v3.nomad"}, 1, []string{
		`+/- Task Group: "cache" (2 create/destroy update)`,
		`  +/- Task: "redis" (forces create/destroy update)`,
		`      +/- args[1]: "yes" => "no"`,
	}},
	{"plan-added-group", []string{"plan", "testdata/cache-v1.nomad", "testdata/added-group.nomad"}, 1, []string{
		`+ Task Group: "worker" (1 create)`,
		`  + Task: "work" (forces create)`,
	}},
	{"plan-verbose", []string{"plan", "-verbose", jobs + "seeds/my-first-update-v2.nomad", jobs + "seeds/my-first-update-v3.nomad"}, 1, []string{
		`        AutoRevert:       "false"`,
		`    +/- MaxParallel:      "1" => "3"`,
	}},
	{"plan-variables", []string{"plan", "-var", "image=shop:2.0", "testdata/variables.nomad", "testdata/variables.nomad"}, 0, []string{
		`Job: "shop"`,
	}},
	{"plan-undeclared-var", []string{"plan", "-var", "nosuch=1", "testdata/variables.nomad"}, 255, []string{
		`-var nosuch: the job file declares no variable "nosuch" (declare it in a variable block)`,
	}},
	{"plan-two-jobs", []string{"plan", "testdata/cache-v1.nomad", "testdata/other-job.nomad"}, 255, []string{
		`rollout plan: testdata/cache-v1.nomad is job "shop" and testdata/other-job.nomad is job "other": a plan compares two versions of one job`,
	}},
	{"plan-batch", []string{"plan", "testdata/batch.nomad"}, 255, []string{
		`rollout plan: job "report" is a batch job: the update block does not apply to it, and rollout plans service and system jobs only`,
	}},
	{"plan-sysbatch", []string{"plan", "testdata/sysbatch.nomad"}, 255, nil},
	{"plan-periodic", []string{"plan", "testdata/periodic.nomad"}, 255, nil},
	{"plan-parameterized", []string{"plan", "testdata/parameterized.nomad"}, 255, nil},
}
