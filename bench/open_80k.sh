#!/usr/bin/env bash
# Open time and memory of a kernel core with 80 000 mappings (PN_XNUM), corekit against
# readelf -n, gdb -batch and eu-stack on the same file in the same run, then random 8-byte
# reads per second through the library. Prints a Markdown table for bench/RESULTS.md.
# Needs root (vm.max_map_count) and kernel cores written to the working directory.
# Usage: bench/open_80k.sh [BUILD_DIR]   (EU_STACK_TIMEOUT=seconds, default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit many_maps read_bench
crash_in "$work/m80k" "$PWD/$build/tests/many_maps" --count=80000
core="$work/m80k/core"
segments=$("$build/corekit" info --json "$core" | python3 -c 'import json,sys; print(json.load(sys.stdin)["segment_count"])')
# Mean wall time (s) of 5 runs after a warm-up, and max RSS (KiB) of one run.
measure() {
  local runs=5 i start end rss
  "$@" >/dev/null 2>&1 || true
  /usr/bin/time -f "%M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  rss=$(tail -1 "$work/time")
  start=$(date +%s%N)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  echo "$(awk "BEGIN{printf \"%.4f\", ($end - $start) / 1e9 / $runs}") $rss"
}
read -r ck_t ck_m < <(measure "$build/corekit" info "$core")
read -r ckt_t ckt_m < <(measure "$build/corekit" threads "$core")
read -r re_t re_m < <(measure readelf -n "$core")
read -r gdb_t gdb_m < <(measure gdb -batch -nx -ex "info threads" "$build/tests/many_maps" "$core")
limit=${EU_STACK_TIMEOUT:-120}
start=$(date +%s.%N)
if timeout "$limit" eu-stack --core="$core" >/dev/null 2>&1; then
  eu=$(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $start}")
else
  eu="> $limit (stopped)"
fi
rate() {
  COREKIT_BENCH_CORE="$core" "$build/bench/read_bench" --benchmark_filter="$1" --benchmark_format=json 2>/dev/null |
    python3 -c 'import json,sys; b=json.load(sys.stdin)["benchmarks"][0]; print("%.1f" % (b["items_per_second"]/1e6))'
}
reads=$(rate BM_RandomRead8)
runs=$(rate BM_RunRead8)
open_ms=$(COREKIT_BENCH_CORE="$core" "$build/bench/read_bench" --benchmark_filter=BM_Open \
        --benchmark_format=json 2>/dev/null | python3 -c 'import json,sys; b=json.load(sys.stdin)["benchmarks"][0]; print("%.1f" % b["real_time"])')
ratio() { awk "BEGIN{printf \"%.1fx\", $1 / $2}"; }
echo "Core: $segments program headers (PN_XNUM), $(du -h --apparent-size "$core" | cut -f1) — $(date -u +%F), $(nproc) cores"
echo
echo "| tool | wall (s) | max RSS (MiB) | time / corekit info |"
echo "|---|---|---|---|"
echo "| corekit info | $ck_t | $((ck_m / 1024)) | — |"
echo "| corekit threads | $ckt_t | $((ckt_m / 1024)) | — |"
echo "| readelf -n | $re_t | $((re_m / 1024)) | $(ratio "$re_t" "$ck_t") |"
echo "| gdb -batch -ex 'info threads' | $gdb_t | $((gdb_m / 1024)) | $(ratio "$gdb_t" "$ck_t") |"
echo "| eu-stack --core | $eu | — | $( [[ $eu == ">"* ]] && echo "> $(ratio "$limit" "$ck_t")" || ratio "$eu" "$ck_t") |"
echo
echo "Library: CoreFile::Open ${open_ms} ms; 8-byte reads: ${reads} M/s scattered at random (BM_RandomRead8), ${runs} M/s in runs of 64 consecutive words (BM_RunRead8)."
