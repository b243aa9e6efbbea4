// Package analysis runs the checks of rollout's canary analysis (the update
// block's analysis step) and hands their results to the core: providers
// behind one small interface (Provider), a webhook provider (Webhook) and a
// Prometheus provider (Prometheus) on client_golang's API client, with
// thresholds and a judge of the canary against its baseline (MannWhitneyU),
// and a Loop that runs the checks Step says are due (rollout.DueChecks) and
// records their results with a rollout.RecordAnalysis command, through a
// callback such as controller.Manager.Command.
//
// A query error, an unreachable provider or an empty result is
// inconclusive, never a pass: the analysis block's on_inconclusive decides
// what it does.
package analysis
