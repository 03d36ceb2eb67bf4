#!/usr/bin/env bash
# Opening a core in the debugger and answering: corekit debug --batch against gdb -batch with the
# same commands on the same core in the same run — the 17-thread 2 GiB core (`bt`, the issue's
# goal: within 0.2 s; `bt full`; `thread apply all bt full`). Prints a Markdown table for
# bench/RESULTS.md. corekit runs warm (the debug cache its first run filled) and cold (an empty
# cache each run: it inflates glibc's compressed debug sections, as gdb does every time).
# Needs kernel cores in the working directory.
# Usage: bench/debug.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit crash
export build
exe=$PWD/$build/tests/crash
crash_in "$work/t17" "$exe" --threads=16 --alloc-mib=2048 --mode=segv
core=$work/t17/core

echo "| commands (17 threads, 2 GiB core) | corekit debug, warm (s) | corekit debug, cold (s) | gdb (s) | gdb / corekit warm | gdb / corekit cold |"
echo "|---|---|---|---|---|---|"
for command in "bt" "bt full" "thread apply all bt full"; do
  ck=$(COREKIT_CACHE_DIR=$work/cache mean_of_5 "$build/corekit" debug --batch -ex "$command" "$core")
  cold=$(mean_of_5 bash -c 'cold_corekit debug --batch -ex "$1" "$0"' "$core" "$command")
  gdb=$(mean_of_5 gdb -batch -nx -ex "$command" "$exe" "$core")
  echo "| \`$command\` | $ck | $cold | $gdb | $(awk "BEGIN{printf \"%.1fx\", $gdb / $ck}") | $(awk "BEGIN{printf \"%.1fx\", $gdb / $cold}") |"
done
echo
echo "$(date -u +%F), $(nproc) cores; means of 5 runs after a warm-up."
