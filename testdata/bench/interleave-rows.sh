#!/bin/bash
# interleave-rows.sh is interleave.sh with one process per benchmark row:
# each round runs every row of ROWS, each in a process of its own, BEFORE
# then AFTER. A row run after others in the same process inherits their heap
# (its size sets how often the collector runs, and so whether a step's
# output lands in memory still in the cache): by itself, a row measures the
# step alone.
#
# usage: interleave-rows.sh ROUNDS BEFORE.test AFTER.test OUTPREFIX BENCHTIME ROW...
#
# Each ROW is a -test.bench pattern that names one benchmark, such as
# 'BenchmarkStep$/tenth-mid$/groups=1/allocs=10000$'. Output is appended to
# OUTPREFIX-before.txt and OUTPREFIX-after.txt, each round starting with a
# comment line: its time and the load average.
set -euo pipefail
rounds=$1 before=$2 after=$3 out=$4 bt=$5
shift 5
: > "$out-before.txt"; : > "$out-after.txt"
for r in $(seq 1 "$rounds"); do
  for which in before after; do
    echo "# round $r $which $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> "$out-$which.txt"
  done
  for row in "$@"; do
    for which in before after; do
      bin=$before; [ "$which" = after ] && bin=$after
      "$bin" -test.run '^$' -test.bench "$row" -test.benchmem -test.count 1 -test.benchtime "$bt" |
        grep '^Benchmark' >> "$out-$which.txt"
    done
  done
done
