#!/bin/bash
# interleave.sh runs two compiled test binaries of the benchmarks (go test
# -c) in alternation, one -count 1 run each per round, so that both see the
# same machine: on a shared host the time of a step moves from one minute
# to the next, and runs far apart in time cannot be compared.
#
# usage: interleave.sh ROUNDS BEFORE.test AFTER.test OUTPREFIX STEPREGEX BENCHTIME
#
# Each round runs BEFORE then AFTER on the BenchmarkStep rows of STEPREGEX,
# then on BenchmarkReadFloor and BenchmarkFirstDeploy, appending to
# OUTPREFIX-before.txt and OUTPREFIX-after.txt (each round starts with a
# comment line: its time and the load average).
set -euo pipefail
rounds=$1 before=$2 after=$3 out=$4 re=$5 bt=$6
: > "$out-before.txt"; : > "$out-after.txt"
for r in $(seq 1 "$rounds"); do
  for which in before after; do
    bin=$before; [ "$which" = after ] && bin=$after
    echo "# round $r $which $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> "$out-$which.txt"
    "$bin" -test.run '^$' -test.bench "$re" -test.benchmem -test.count 1 -test.benchtime "$bt" >> "$out-$which.txt" 2>&1
    "$bin" -test.run '^$' -test.bench 'ReadFloor|FirstDeploy' -test.benchmem -test.count 1 -test.benchtime "$bt" >> "$out-$which.txt" 2>&1
  done
done
