package jobspec

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The arguments and blocks Nomad's job specification accepts in each of
// the blocks the loader reads, whether it uses them or not (the policy
// blocks' arguments are their kinds' names, in policies.go). A name outside
// these is refused, as Nomad refuses it: a misspelt "cont = 3" is an
// error, not a group of one. Either form is accepted for each name (a
// block may be written as an attribute, as Nomad allows), and the content
// of the blocks the loader does not read (config, service, ...) is not
// checked.
var (
	jobNames = names("region", "namespace", "id", "name", "type", "priority", "all_at_once", "datacenters",
		"node_pool", "constraint", "affinity", "group", "update", "multiregion", "spread", "periodic",
		"parameterized", "reschedule", "migrate", "meta", "ui", "vault", "secret", "task")
	groupNames = names("count", "constraint", "affinity", "task", "spread", "volume", "restart", "disconnect",
		"reschedule", "ephemeral_disk", "update", "migrate", "network", "meta", "service", "shutdown_delay",
		"max_run_duration", "stop_after_client_disconnect", "max_client_disconnect", "scaling", "consul",
		"prevent_reschedule_on_lost", "vault", "secret")
	taskNames = names("driver", "user", "lifecycle", "config", "constraint", "affinity", "env", "service",
		"resources", "restart", "meta", "kill_timeout", "logs", "artifact", "vault", "consul", "template",
		"dispatch_payload", "volume_mount", "csi_plugin", "leader", "shutdown_delay", "kill_signal", "kind",
		"scaling", "secret", "identity", "action", "schedule")
	rescheduleNames = namesOf(rescheduleKinds)
	restartNames    = namesOf(restartKinds)
	migrateNames    = namesOf(migrateKinds)
	scalingNames    = names("min", "max", "enabled", "type", "policy")
	lifecycleNames  = namesOf(lifecycleKinds)
)

func names(ns ...string) map[string]bool {
	m := make(map[string]bool, len(ns))
	for _, n := range ns {
		m[n] = true
	}
	return m
}

func namesOf(kinds map[string]valueKind) map[string]bool {
	m := make(map[string]bool, len(kinds))
	for n := range kinds {
		m[n] = true
	}
	return m
}

// unexpected reports each item that the block kind (job, group, task, ...)
// does not accept, at the item.
func (l *loader) unexpected(its []item, kind string, accepted map[string]bool) {
	for _, it := range its {
		switch {
		case it.attr != nil && !accepted[it.attr.Name]:
			l.fail(it.attr.NameRange, "unsupported argument %q in %s %s block", it.attr.Name, article(kind), kind)
		case it.block != nil && !accepted[it.block.Type]:
			l.fail(it.block.TypeRange, "unsupported block %q in %s %s block", it.block.Type, article(kind), kind)
		}
	}
}

// unexpectedIn is unexpected for a block's own attributes and blocks, with
// no dynamic blocks expanded.
func (l *loader) unexpectedIn(b *hclsyntax.Block, kind string, accepted map[string]bool) {
	var its []item
	for _, a := range sortedAttrs(b.Body) {
		its = append(its, item{attr: a})
	}
	for _, bl := range b.Body.Blocks {
		its = append(its, item{block: bl})
	}
	l.unexpected(its, kind, accepted)
}

// article is "an" before a kind that starts with a vowel ("an analysis
// block"), else "a".
func article(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}
