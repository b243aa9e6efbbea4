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
		`    +/- Tags {`,
		`      - Tags: "v1"`,
		`      + Tags: "v2"`,
		`  +/- Task: "redis" (forces in-place update)`,
		`    +/- ShutdownDelay: "5s" => "10s"`,
	}},
	// Datacenters and service tags are sets: the values added and removed.
	{"plan-sets", []string{"plan", "testdata/web-v1.nomad", "testdata/web-tags.nomad"}, 0, []string{
		`+/- Datacenters {`,
		`  - Datacenters: "dc2"`,
		`  + Datacenters: "dc3"`,
		`+/- Task Group: "frontend" (3 in-place update)`,
		`      + Tags: "beta"`,
		`      - Tags: "v1"`,
	}},
	{"plan-sets-verbose", []string{"plan", "-verbose", "testdata/web-v1.nomad", "testdata/web-tags.nomad"}, 0, []string{
		`      Datacenters: "dc1"`,
		`          Tags: "public"`,
	}},
	// Group meta and the group network are destructive: their fields are
	// annotated as Count is, and no task is (their own fields are the same).
	{"plan-group-destructive", []string{"plan", "testdata/web-v1.nomad", "testdata/web-net.nomad"}, 1, []string{
		`+/- Task Group: "frontend" (1 canary, 3 ignore)`,
		`  +/- Meta[tier]: "front" => "edge" (forces create/destroy update)`,
		`      +/- To:    "8080" => "9090" (forces create/destroy update)`,
	}},
	{"plan-env-disk", []string{"plan", "testdata/web-v1.nomad", "testdata/web-env.nomad"}, 1, []string{
		`    +/- Size: "300" => "500" (forces create/destroy update)`,
		`  +/- Task: "server" (forces create/destroy update)`,
		`    +/- Env[LOG_LEVEL]: "info" => "debug"`,
	}},
	// Job meta replaces every group's allocations.
	{"plan-job-meta", []string{"plan", "testdata/web-v1.nomad", "testdata/web-job-meta.nomad"}, 1, []string{
		`+/- Meta[team]: "shop" => "cart" (forces create/destroy update)`,
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
	{"simulate-short-deadline", []string{"simulate", "testdata/short-deadline-v1.nomad", "testdata/short-deadline-v2.nomad"}, 0, []string{
		"Description = Deployment completed successfully",
	}},
	{"simulate-fail-version-group", []string{"simulate", "-fail", "v1:api", "testdata/two-groups-v1.nomad", "testdata/two-groups-v2.nomad"}, 1, []string{
		"Failed due to progress deadline - rolling back to job version 0",
	}},
	// Version 2 has version 0's spec: only version 2's allocations fail.
	{"simulate-fail-version-only", []string{"simulate", "-fail", "v2", "testdata/two-groups-v1.nomad", "testdata/two-groups-v2.nomad", "testdata/two-groups-v1.nomad"}, 1, []string{
		"3f1e41b5  shop    0            successful  Deployment completed successfully",
	}},
	// No update block: version 1 stops both allocations of version 0 and
	// places both anew in its first step.
	{"simulate-no-update-block", []string{"simulate", "testdata/inplace-v1.nomad", "testdata/inplace-v3.nomad"}, 0, []string{
		`[+5s] group "cache" of version 1 has no update block, and no deployment tracks it:`,
		`    Task Group: "cache" (2 create/destroy update)`,
		`    all at once: the 2 allocation(s) of version 0 are stopped and placed anew in this one step`,
		`[+10s] no deployment tracks version 1 (no group with an update strategy has work): its allocations are replaced all at once; 2 of them run`,
	}},
	// A failing version no deployment tracks is rescheduled for ever: the
	// simulation stops waiting for it, with exit code 1, well before its
	// step limit; with a later file, that file replaces it.
	{"simulate-no-update-block-fail", []string{"simulate", "-fail", "v1", "testdata/inplace-v1.nomad", "testdata/inplace-v3.nomad"}, 1, []string{
		`[+1m49s] version 1 keeps failing and no deployment tracks it: nothing will end it (its allocations are rescheduled for ever, with no deployment to fail or revert); stopped after 4 reschedules of its 2 allocation(s); the simulation ends here`,
	}},
	{"simulate-no-update-block-fail-then-fix", []string{"simulate", "-fail", "v1", "testdata/inplace-v1.nomad", "testdata/inplace-v3.nomad", "testdata/inplace-v1.nomad"}, 1, []string{
		`[+1m49s] version 1 keeps failing and no deployment tracks it: nothing will end it (its allocations are rescheduled for ever, with no deployment to fail or revert); stopped after 4 reschedules of its 2 allocation(s); the next file replaces it`,
		`    all at once: the 2 allocation(s) of version 1 are stopped and placed anew in this one step`,
	}},
	// A reschedule block that allows one attempt: the failures end by
	// themselves, and the version still counts as failed.
	{"simulate-no-update-block-reschedule-spent", []string{"simulate", "-fail", "v1", "testdata/inplace-v1.nomad", "testdata/reschedule-once.nomad"}, 1, []string{
		`[+50s] version 1 failed and no deployment tracks it: its allocations were rescheduled 2 time(s) and are not rescheduled again (their reschedule attempts are spent)`,
	}},
	{"simulate-batch", []string{"simulate", "testdata/batch.nomad"}, 1, []string{
		`rollout simulate: testdata/batch.nomad: job "report" is a batch job: the update block does not apply to it, and rollout simulates service and system jobs only`,
	}},
	{"validate-out-of-scope", []string{"validate", "testdata/periodic.nomad"}, 0, []string{
		`testdata/periodic.nomad: job "nightly" is a periodic job: out of scope, the update block does not apply to it (rollout plan and simulate refuse it)`,
	}},
}
