// Package jobspec loads Nomad job files into rollout job versions.
//
// It reads HCL2 job files (job, group, task, count, update at the job and
// group levels with rollout's analysis block in it, reschedule, restart, service and check, meta, env, config,
// resources, network, artifact, template, volume, constraint, affinity,
// spread, vault, variable blocks with defaults and -var values, a variables
// block, locals, dynamic blocks, functions such as format, join, file,
// fileexists, try and uuidv5) and the JSON that
// `nomad job inspect` and the HTTP API print. LoadFile and Load pick the
// format from the first character ('{' is JSON).
//
// Loading and validating are separate: a file loads when Nomad would parse
// it, and Job.Validate then refuses what Nomad would refuse to run (no
// groups, canary > count, canary with max_parallel = 0, a job ID with a
// space, a group without tasks, a task without a driver, ...). Every error
// is an *Error carrying file:line:column, all of them reported at once in a
// *multierror.Error. A name Nomad's job specification does not accept in a
// job, group, task, update, reschedule, restart, migrate or disconnect block fails the
// load, as in Nomad:
// a misspelt "cont = 3" is an error, not a group of one; so is a name
// outside an update block's analysis block or its check blocks
// (analysis.go shows them). Job.Warnings names what Nomad warns of in a valid job
// (max_parallel above the count, auto_promote in only some groups with
// canaries). Run-time interpolations (${NOMAD_PORT_http},
// ${node.unique.name}, ${attr.kernel.name}, ${meta.x}) are kept as written,
// as Nomad does. A construct the loader does not support (HCL's JSON
// syntax, a function it lacks) fails with a message naming it and its
// position.
//
// # Untrusted job files
//
// The defaults are the safe ones for a job file from anyone:
//
//   - Load (bytes) grants no file access: file, filebase64, fileexists,
//     abspath and pathexpand of "~" fail with "file access is not
//     granted". LoadFile grants the job file's own directory, read-only,
//     through os.Root: no "..", absolute path or symbolic link leads out
//     of it. Options.FS grants an fs.FS of the caller's choice, NoFiles
//     none. Only regular files are read (a device, pipe or directory is
//     refused before it is opened), of at most Limits.FileBytes.
//   - A value read from a file is never shown in an error: the loader's
//     messages say "a value read from a file", and the details of an
//     HCL or function error about such a value are withheld.
//   - Loading is bounded by Options.Limits, each with a documented
//     default: SourceBytes (4 MiB), Depth (128) and Tokens (50,000),
//     both scanned before the parser runs, Elements (10,000 in any
//     value), StringBytes (1 MiB in
//     any value), FileBytes (1 MiB) and Work (250,000 units, an
//     evaluation budget counted in wrappers of every function and
//     expression node: cty has no budget and a goroutine cannot be
//     stopped). A function whose result may dwarf its arguments (range,
//     setproduct, format, formatlist, join, replace, regex_replace,
//     indent, split, regexall, csvdecode, jsondecode, parseint) is refused
//     before it builds it; work that grows faster than its input (a
//     regular expression's match, distinct, the arguments of a call,
//     cty's conversion of a tuple or an object to a collection, as of a
//     conditional's results) is charged before it starts, 64 steps a
//     unit. Numbers stay within 2^±4096 and a number
//     literal's exponent within 1000; a JSON job file holds at most
//     Tokens values; a load reports at most 100 errors.
//
// A refusal is an *Error at the position of what was refused, wrapping
// ErrFileAccess or ErrLimit; the first limit refusal stops the evaluation
// (try and can do not catch it), so it is the last error reported. The worst cases measured (nested for
// expressions and dynamic blocks over the largest collections) are
// refused in about half a second of CPU and under 50 MB. Job.Validate
// reports the values of the job as loaded; a caller that grants a file
// system holding secrets should not use them as job IDs or names.
//
// # Spec: destructive and in-place updates
//
// Each group's Spec is a fingerprint of the fields whose change makes Nomad
// replace the group's allocations (a destructive update, "forces
// create/destroy update" in a plan). A change to any other field keeps the
// Spec, and rollout updates the allocations in place. The rules, each
// checked by TestDestructiveAndInPlaceFields:
//
// Destructive (the Spec changes), as in Nomad 1.10 and later:
//   - the set of tasks: a task added, removed or renamed;
//   - task driver, user, config, env, meta, resources (cpu, memory,
//     memory_max, cores, device, numa, network, ...; not disk or iops),
//     artifact, template, vault, consul, identity (an empty identity block
//     is the default one), csi_plugin, logs' disabled, volume_mount,
//     secret, and restart's render_templates (a task's over its group's);
//   - group ephemeral_disk, network (mode, ports, dns, ...), volume,
//     consul, meta, vault and secret (Nomad gives them to the tasks),
//     restart's render_templates, and of a group service with a connect
//     block: the block's presence, native, gateway, sidecar_task, the
//     sidecar_service's presence and port, and the service's port and
//     cluster, and its name when it runs a sidecar or gateway task (Nomad
//     names the task after it);
//   - job meta, vault and secret (Nomad merges job and group meta into
//     each task's meta, and gives vault and secret to the tasks).
//
// In place (the Spec stays):
//   - group count and scaling; the update block at both levels; restart
//     (but render_templates), reschedule, migrate, disconnect; constraint,
//     affinity and spread at every level (Nomad re-checks the node, which
//     is outside this library); group shutdown_delay and the
//     client-disconnect settings;
//   - service and check blocks at both levels, and of a connect block the
//     sidecar service's tags, proxy and upstreams (Consul updates them);
//   - task kill_timeout, kill_signal, shutdown_delay, leader, kind,
//     lifecycle, dispatch_payload, logs but disabled, resources disk and
//     iops, restart, scaling, constraint, service, description;
//   - job datacenters, node_pool, priority, region, namespace, all_at_once,
//     type, and the job-level update.
//
// A change to a consul block's namespace is destructive here, as in Nomad
// Enterprise; Nomad's community edition ignores Consul namespaces.
//
// Fingerprints compare versions read from the same format: a JSON job as
// the API prints it carries Nomad's defaults, which an HCL file leaves out.
//
// # Definitions
//
// Each group's Definition (rollout.GroupDefinition) holds the group as
// the file defines it, for a driver to run and a plan to show: its tasks
// with driver, user, config (as JSON values: numbers, lists and maps, not
// text), env, meta, resources, artifacts, templates, services and checks
// (type, path, port, method, header, interval, timeout, check_restart,
// on_update, success_before_passing, failures_before_critical), restart,
// kill and shutdown settings, its networks, and in Extra whatever else
// each block says. The version's Definition holds the job-level fields
// (type, datacenters, priority, ...). They never change the Spec: a
// change to a definition alone is an in-place update.
//
// # Health
//
// A group's Tasks are its task names in file order; its Checks are the
// names of its services' checks (group and task services) that gate
// health: an unnamed check is `service: "<service>" check` as Nomad names
// it, and a check with on_update = "ignore" does not count. A reschedule
// block at the job level is merged with the group's; its delay, max_delay
// and delay_function are run as written; attempts limit only with
// unlimited = false (Nomad's service default is unlimited), and
// unlimited = false with no attempts turns rescheduling off
// (ReschedulePolicy.Disabled); limited attempts count within its interval
// (ReschedulePolicy.Interval).
//
// A group's disconnect block (lost_after, replace, reconcile,
// stop_on_client_after; the API's Disconnect) is its Disconnect, and the
// older group arguments max_client_disconnect, stop_after_client_disconnect
// and prevent_reschedule_on_lost (MaxClientDisconnect,
// StopAfterClientDisconnect, PreventRescheduleOnLost) fill what the block
// leaves unset, as Nomad 1.8 merges them. Validate refuses an older
// argument beside the block's argument that replaced it (lost_after and
// max_client_disconnect, say), max_client_disconnect with
// stop_after_client_disconnect, negative durations, stop_on_client_after
// outside service and batch jobs, and prevent_reschedule_on_lost with
// max_client_disconnect while reschedule attempts are left, as Nomad does.
package jobspec
