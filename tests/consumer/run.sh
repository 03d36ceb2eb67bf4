#!/usr/bin/env bash
# tests/consumer/run.sh PREFIX CORE THREADS
# Builds the consumer program against the corekit installed under PREFIX — once through
# find_package(corekit), once through pkg-config — runs each on CORE and checks that it counts
# THREADS threads and unwinds at least one frame.
set -euo pipefail
prefix=$1 core=$2 expected=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pc_dirs=$(find "$prefix"/lib "$prefix"/lib64 -maxdepth 3 -name corekit.pc -printf '%h:' 2>/dev/null || true)
for mode in package pkg-config; do
  flags=(-DCMAKE_PREFIX_PATH="$prefix")
  [ "$mode" = pkg-config ] && flags+=(-DCONSUMER_USE_PKG_CONFIG=ON)
  if ! PKG_CONFIG_PATH="$pc_dirs${PKG_CONFIG_PATH:-}" cmake -S "$here" -B "$work/$mode" "${flags[@]}" \
       >"$work/$mode.log" 2>&1 || ! cmake --build "$work/$mode" >>"$work/$mode.log" 2>&1; then
    cat "$work/$mode.log"
    echo "FAIL ($mode): the consumer does not build against $prefix"
    exit 1
  fi
  out=$("$work/$mode/thread_count" "$core")
  if ! grep -qx "threads $expected" <<<"$out" || ! grep -qx 'frames [1-9][0-9]*' <<<"$out"; then
    echo "FAIL ($mode): expected 'threads $expected' and some frames, got:"
    echo "$out"
    exit 1
  fi
  echo "ok ($mode): $(tr '\n' ' ' <<<"$out")"
done
