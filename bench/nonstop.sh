#!/usr/bin/env bash
# The pause a service sees while its core is written: tests/programs/heartbeat measures the
# longest gap between its 1 ms heartbeats. For each size and thread count: corekit dump
# --non-stop, corekit dump, and (for the 640 MiB process) gcore, on the same running process,
# in the same run; plus the sizes of --compact and full cores. Prints Markdown for
# bench/RESULTS.md.   Usage: bench/nonstop.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit heartbeat
hb_pid=""
# heartbeat reads stdin: a sleep feeds it, killed with it (or it would hold our stdout open).
cleanup() { [ -n "$hb_pid" ] && kill "$hb_pid" 2>/dev/null; pkill -P $$ sleep 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# gap_of CMD...: runs CMD against the heartbeat process and prints the longest pause it saw (ms).
gap_of() {
  kill -USR1 "$hb_pid"; sleep 0.2
  "$@" > /dev/null 2>&1
  sleep 0.2; kill -USR1 "$hb_pid"; sleep 0.2
  grep status "$work/hb.out" | tail -1 | sed 's/.*max_gap_us=\([0-9]*\).*/\1/' | awk '{printf "%.1f", $1 / 1000}'
}
echo "| process | --non-stop pause (ms) | plain dump pause (ms) | gcore pause (ms) | --non-stop / gcore | full core | --compact core |"
echo "|---|---|---|---|---|---|---|"
for config in "64 1" "64 32" "640 8" "2048 1" "2048 32"; do
  set -- $config
  mib=$1 threads=$2
  sleep 1000000 | "$build/tests/heartbeat" --threads="$threads" --alloc-mib="$mib" > "$work/hb.out" &
  for _ in $(seq 100); do grep -q ready "$work/hb.out" 2>/dev/null && break; sleep 0.1; done
  hb_pid=$(sed -n 's/ready pid=\([0-9]*\).*/\1/p' "$work/hb.out")
  ns=$(gap_of "$build/corekit" dump --non-stop "$hb_pid" -o "$work/core.ns" --quiet)
  plain=$(gap_of "$build/corekit" dump "$hb_pid" -o "$work/core.full" --quiet)
  gc="-"; ratio="-"
  if [ "$mib" = 640 ]; then
    gc=$(gap_of gcore -o "$work/gcore" "$hb_pid")
    ratio=$(awk "BEGIN{printf \"%.1f%%\", 100 * $ns / $gc}")
  fi
  "$build/corekit" dump --compact "$hb_pid" -o "$work/core.compact" --quiet
  full=$(( $(stat -c %s "$work/core.full") >> 20 ))
  compact=$(( $(stat -c %s "$work/core.compact") >> 10 ))
  echo "| $mib MiB, $((threads + 3)) threads | $ns | $plain | $gc | $ratio | $full MiB | $compact KiB |"
  kill "$hb_pid"; hb_pid=""; pkill -P $$ sleep 2>/dev/null || true
  rm -f "$work"/core.* "$work"/gcore.*
done
echo
echo "$(date -u +%F), $(nproc) cores; one run each; pauses as the target's own 1 ms heartbeat saw them."
