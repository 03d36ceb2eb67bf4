#!/usr/bin/env bash
# corekit dump against gcore on the same running process (crash --mode=wait with 8 threads and
# 640 MiB of touched heap), in the same run: wall time, the core's size (apparent and on disk)
# and how long the process was stopped (corekit measures it; gcore keeps it stopped for its
# whole run, so its wall time bounds its pause); and `dump --compact` (time, pause, size against
# the full core). Prints Markdown tables for bench/RESULTS.md.
# Usage: bench/dump.sh [BUILD_DIR]   (MIB=640 to change the size)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit crash
mib=${MIB:-640}
"$build/tests/crash" --threads=8 --mode=wait --alloc-mib="$mib" > "$work/ready" &
target=$!
trap 'kill $target 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q ready "$work/ready" 2>/dev/null && break; sleep 0.1; done
seconds() { local s=$(date +%s%N); "$@" > /dev/null 2>&1; echo "$(( ($(date +%s%N) - s) / 1000000 ))"; }
size_of() { echo "$(( $(stat -c %s "$1") >> 20 )) MiB / $(( $(stat -c %b "$1") * 512 >> 20 )) MiB"; }
ck_ms=0; gc_ms=0; ck_stop=0; cc_ms=0; cc_stop=0
for i in 1 2 3; do
  rm -f "$work"/core.* "$work"/gcore.*
  ck_ms=$(( ck_ms + $(seconds "$build/corekit" dump "$target" -o "$work/core.ck" --quiet) ))
  stop=$("$build/corekit" dump "$target" -o "$work/core.ck2" --json | sed -n 's/.*"stopped_seconds": \([0-9.e-]*\).*/\1/p')
  ck_stop=$(awk "BEGIN{print $ck_stop + $stop * 1000}")
  gc_ms=$(( gc_ms + $(seconds gcore -o "$work/gcore" "$target") ))
  cc_ms=$(( cc_ms + $(seconds "$build/corekit" dump --compact "$target" -o "$work/core.compact" --quiet) ))
  stop=$("$build/corekit" dump --compact "$target" -o "$work/core.compact2" --json | sed -n 's/.*"stopped_seconds": \([0-9.e-]*\).*/\1/p')
  cc_stop=$(awk "BEGIN{print $cc_stop + $stop * 1000}")
done
echo "| process | corekit dump (s) | gcore (s) | gcore / corekit | corekit: stopped (ms) | gcore: stopped (≤ wall, s) | corekit core (apparent / disk) | gcore core (apparent / disk) |"
echo "|---|---|---|---|---|---|---|---|"
echo "| 8 threads, ${mib} MiB heap | $(awk "BEGIN{printf \"%.2f\", $ck_ms/3000}") | $(awk "BEGIN{printf \"%.2f\", $gc_ms/3000}") | $(awk "BEGIN{printf \"%.1fx\", $gc_ms/$ck_ms}") | $(awk "BEGIN{printf \"%.0f\", $ck_stop/3}") | $(awk "BEGIN{printf \"%.2f\", $gc_ms/3000}") | $(size_of "$work/core.ck") | $(size_of "$work/gcore.$target") |"
echo
echo "| --compact | dump time (s) | stopped (ms) | size | of the full core |"
echo "|---|---|---|---|---|"
echo "| 8 threads, ${mib} MiB heap | $(awk "BEGIN{printf \"%.3f\", $cc_ms/3000}") | $(awk "BEGIN{printf \"%.0f\", $cc_stop/3}") | $(( $(stat -c %s "$work/core.compact") >> 10 )) KiB | $(awk "BEGIN{printf \"%.3f%%\", 100 * $(stat -c %s "$work/core.compact") / $(stat -c %s "$work/core.ck")}") |"
echo
echo "$(date -u +%F), $(nproc) cores; means of 3 runs; cores written to $(df -h "$work" | awk 'NR==2{print $1}')."
