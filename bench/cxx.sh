#!/usr/bin/env bash
# C++ values in the debugger: corekit debug --batch against gdb -batch (Debian's libstdc++
# printers, which gdb auto-loads) with the same commands on the same kernel core in the same run
# — `info locals` of a frame holding a 1 000 000-element std::vector<long> and a 100 000-node
# std::map<int, int> at `print elements 200` (the issue's goal: at most a tenth of gdb's time,
# since corekit reads only the elements it prints), and opening the C++ test core with `bt full`
# (tests/programs/containers.cpp, g++ -O0). Prints a Markdown table for bench/RESULTS.md.
# Needs kernel cores in the working directory.
# Usage: bench/cxx.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit containers_programs
export build
exe=$(realpath "$build")/tests/containers-gxx-O0
crash_in "$work/big" "$exe" --big
crash_in "$work/inspect" "$exe"

row() {  # row LABEL CORE COMMAND...
  local label=$1 core=$2
  shift 2
  local ours=() theirs=()
  for command in "$@"; do ours+=(-ex "$command"); theirs+=(-ex "$command"); done
  local ck gdb
  ck=$(COREKIT_CACHE_DIR=$work/cache mean_of_5 "$build/corekit" debug --batch "${ours[@]}" "$core")
  gdb=$(mean_of_5 gdb -batch -nx "${theirs[@]}" "$exe" "$core")
  echo "| $label | $ck | $gdb | $(awk "BEGIN{printf \"%.1fx\", $gdb / $ck}") |"
}

# Both debuggers print the same text; checked once here so the table compares like with like.
diff <(COREKIT_CACHE_DIR=$work/cache "$build/corekit" debug --batch -ex 'frame 1' -ex 'info locals' "$work/big/core" 2>&1 | tail -n 3) \
     <(gdb -batch -nx -ex 'frame 1' -ex 'info locals' "$exe" "$work/big/core" 2>&1 | tail -n 3) >&2 ||
  echo "warning: the answers differ (above)" >&2

echo "| commands | corekit debug (s) | gdb with its printers (s) | gdb / corekit |"
echo "|---|---|---|---|"
row 'opening the big core, `frame 1` (the floor of the rows below it)' "$work/big/core" 'frame 1'
row '`frame 1`, `info locals`: a 1 000 000-element vector, a 100 000-node map' "$work/big/core" 'frame 1' 'info locals'
row 'the same with `set print elements 10000`' "$work/big/core" 'set print elements 10000' 'frame 1' 'info locals'
row 'open the C++ test core, `bt full`' "$work/inspect/core" 'bt full'
row 'open the C++ test core, `frame 1`, `info locals`' "$work/inspect/core" 'frame 1' 'info locals'
echo
echo "$(date -u +%F), $(nproc) cores; means of 5 runs after a warm-up; corekit's debug cache warm."
