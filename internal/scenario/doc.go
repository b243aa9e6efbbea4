// Package scenario runs scenario scripts: text files that drive
// rollout.Step the way a caller does (submit a job version, step, apply the
// decisions, report health, send commands) and compare what each step
// printed with the expected output written below it. It is the harness of
// testdata/scenarios/*.txt; the root package's TestScenarios calls Run, and
// `go test -run TestScenarios -rewrite` regenerates the expected outputs.
//
// # Format
//
// A script is a sequence of cases:
//
//	# Why this case expects what it expects (required on every case).
//	verb [positional] [key=value ...]
//	[input lines]
//	----
//	expected output, up to a blank line
//
// Comment lines directly above the verb belong to the case; a blank line
// ends a comment. The cases from one `reset` to the next form a scenario,
// run as a subtest with a fresh state; every scenario starts at
// 2026-01-01T00:00:00Z and prints times as offsets from it (+1m30s).
//
// Allocations are named by slot and by the version they were created with,
// in order of appearance: web[0]v1, then web[0]v1#2 for a second allocation
// of that name and version. An allocation updated in place keeps its alias
// (web[2]v0 running v1). Deployments are d1, d2, ... in order of
// appearance.
//
// # Verbs
//
//	reset [name=N] [start=RFC3339]   start a new scenario (N names the subtest)
//	nodes [add=a,b] [remove=c] [drain=d] [ineligible=e] [eligible=e]
//	                                 change Input.Nodes (for system jobs): add eligible
//	                                 nodes, remove (gone), drain, toggle eligibility
//	                                 (eligible also ends a drain); prints them by ID
//	job [id=ID] [type=system] [job-level update keys]
//	    group NAME count=N spec=S [tasks=a,b] [checks=c,d] [reschedule_delay=D]
//	          [reschedule_max_delay=D] [reschedule_attempts=N]
//	          [reschedule_delay_function=exponential|constant|fibonacci]
//	          [reschedule_disabled=true] [reschedule_interval=D]
//	          [disconnect_lost_after=D] [disconnect_replace=B]
//	          [disconnect_reconcile=R] [disconnect_stop_on_client_after=D]
//	          [group update keys]
//	                                 submit the next job version (the first is v0);
//	                                 update keys: max_parallel canary health_check
//	                                 min_healthy_time healthy_deadline progress_deadline
//	                                 stagger auto_revert auto_promote max_surge
//	                                 max_unavailable pause_after (1,50%) gate_timeout
//	                                 on_gate_timeout, analysis=a,b (checks of provider
//	                                 "script") analysis_interval analysis_measurements
//	                                 analysis_failure_limit analysis_on_inconclusive,
//	                                 or update={} for an empty block; no key means no block
//	stop-job                         submit the next version with the job stopped
//	allocs                           seed allocations from a table; the header names
//	    group index version [id node spec desired client canary deployment
//	          health attempts status_time]
//	    web   0-9   0       ...      the columns, "-" keeps a default (spec of that
//	                                 version, run, running, false, none, unset, 0,
//	                                 none); status_time is +D from the start; node is
//	                                 one node, or one per index of the range (n1,n2)
//	step [at=+D|RFC3339]             call rollout.Step with the queued events and
//	                                 commands, at now (or at the given time, which
//	                                 becomes now); print its decisions
//	apply                            apply the last step's output (Output.Apply) and
//	                                 persist its deployment, Stable job, revert
//	advance D                        move now forward
//	healthy [selector]               mark allocations running and healthy now
//	unhealthy [selector]             mark allocations unhealthy now
//	start [selector] [at=T]          mark running; queue task-started (and
//	                                 check-passing, under health_check=checks) events
//	event kind=K [task=T] [check=C] [at=T] [selector]
//	                                 queue one health event per allocation
//	lost [selector]                  the allocations' node is down (client lost)
//	migrate [selector]               the allocations' node is drained (Migrate set)
//	failed [selector]                client failed (verdict unhealthy now, unless
//	                                 one was reached before)
//	complete [selector]              client complete, still desired to run (the
//	                                 task finished by itself)
//	stop-alloc [selector]            stopped outside the engine: desired stop,
//	                                 client complete (its slot is now missing)
//	disconnect [selector]            the allocations' node stops heartbeating:
//	                                 client unknown, status_time now
//	reconnect [selector]             it comes back: client running, status_time now
//	promote [groups=a,b]             queue a command for the next step; a refused
//	pause | resume | fail            command makes that step print the error
//	set-health ids=a,b healthy=B
//	revert version=N
//	freeze reason=R [until=T]        (underscores in R are spaces)
//	unfreeze
//	measure group=G check=C verdict=V [value=X] [reason=R] [at=T] [as=command]
//	                                 queue an analysis result for the next step, in
//	                                 Input.Analysis (as=command: a CmdAnalysis command)
//	status [all=true]                versions, the persisted deployment, and the
//	                                 live (all: every) allocations
//
// A selector is ids=a,b (aliases), or filters group=G version=N canary=B
// n=N picking, in name order, the first n live allocations (desired run,
// not lost or finished) that match; healthy, unhealthy and start pick only
// allocations without a verdict.
//
// # Step output
//
// In order: deployment transitions; stops (alias, kind, reason); placements
// (alias, kind, replaced allocation, attempt, deployment when not the
// output's); in-place updates; health verdicts reached, then the
// allocations whose tracker state changed; ignored events; the plan per
// group (`web: 2 create/destroy update, 4 ignore`); the cancelled and the
// current deployment with each group's counters; a Stable job version or a
// revert to submit; and when to step again. A refused input prints
// `error: ...`. The runner also checks that Step leaves its input unchanged
// and gives the same output twice, and prints a BUG line otherwise.
//
// # Known bugs
//
// A case with skip=bug documents an engine bug: its expected output is the
// correct one, written by hand, and the bug is reported in BugFile. While
// the engine disagrees, the case and the rest of its scenario are skipped
// with the diff (visible with go test -v); once it agrees, they pass and the
// log says the mark can be removed. Rewrite leaves these cases alone.
package scenario
