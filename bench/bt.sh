#!/usr/bin/env bash
# Backtraces of every thread, with file:line: corekit bt against eu-stack -s and gdb's
# `thread apply all bt` on the same cores in the same run — a 17-thread 2 GiB process, and the
# 20 000- and 80 000-segment cores. Prints a Markdown table for bench/RESULTS.md.
# corekit runs twice: "cold" with an empty debug cache each run (it inflates glibc's compressed
# debug sections, as eu-stack and gdb do every time) and "warm" with the cache its first run left
# (the ratios use warm; both are shown).
# Needs root (vm.max_map_count) and kernel cores in the working directory.
# Usage: bench/bt.sh [BUILD_DIR]   (EU_STACK_TIMEOUT=seconds, default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit crash many_maps
export build
limit=${EU_STACK_TIMEOUT:-120}
# Mean wall time of 3 runs after a warm-up; "> LIMIT" when a run exceeds the limit.
mean() {
  local i start end
  timeout "$limit" "$@" >/dev/null 2>&1 || { [ $? -eq 124 ] && { echo "> $limit"; return; }; }
  start=$(date +%s%N)
  for i in 1 2 3; do timeout "$limit" "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  awk "BEGIN{printf \"%.3f\", ($end - $start) / 3e9}"
}
ratio() { [[ $1 == ">"* ]] && echo "> $(awk "BEGIN{printf \"%.0f\", ${1#> } / $2}")x" || awk "BEGIN{printf \"%.1fx\", $1 / $2}"; }

exe17=$PWD/$build/tests/crash
crash_in "$work/t17" "$exe17" --threads=16 --alloc-mib=2048 --mode=segv
crash_in "$work/m20k" "$PWD/$build/tests/many_maps" --count=20000
crash_in "$work/m80k" "$PWD/$build/tests/many_maps" --count=80000

warm_cache=$work/cache

echo "| core | corekit bt, warm (s) | corekit bt, cold (s) | eu-stack -s -i (s) | gdb thread apply all bt (s) | eu-stack / corekit | gdb / corekit |"
echo "|---|---|---|---|---|---|---|"
row() {  # row LABEL EXE CORE
  local ck cold eu gdb
  ck=$(COREKIT_CACHE_DIR=$warm_cache mean "$build/corekit" bt "$3")
  cold=$(mean bash -c 'cold_corekit bt "$0"' "$3")
  eu=$(mean eu-stack -s -i -e "$2" --core="$3")
  gdb=$(mean gdb -batch -nx -ex "thread apply all bt" "$2" "$3")
  echo "| $1 | $ck | $cold | $eu | $gdb | $(ratio "$eu" "$ck") | $(ratio "$gdb" "$ck") |"
}
row "17 threads, 2 GiB ($(du -h --apparent-size "$work/t17/core" | cut -f1))" "$exe17" "$work/t17/core"
row "20 000 segments" "$PWD/$build/tests/many_maps" "$work/m20k/core"
row "80 000 segments" "$PWD/$build/tests/many_maps" "$work/m80k/core"
echo
echo "$(date -u +%F), $(nproc) cores; means of 3 runs after a warm-up; runs stopped at ${limit} s."
