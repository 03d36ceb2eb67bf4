#!/usr/bin/env bash
# Symbols from a debuginfod server: `bt` of the 17-thread core of a stripped program whose debug
# files — the program's, glibc's and the loader's — are only on a local debuginfod server
# (Debian's, on 127.0.0.1; /usr/lib/debug is hidden by a tmpfs in a mount namespace), corekit
# against gdb's `thread apply all bt` (debuginfod enabled), in the same run on the same server:
#   cold — empty debuginfod cache (and corekit's inflated-copy cache) on every run;
#   warm — the cache full, against corekit reading the same debug files from a local directory
#          (--debug-dir, offline); corekit's own cache off in both, so each reads what it found.
# Prints Markdown for bench/RESULTS.md. Needs root (mount namespace) and kernel cores in the cwd.
# Usage: bench/debuginfod.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit crash_stripped_program
command -v debuginfod >/dev/null || { echo "Debian's debuginfod is not installed" >&2; exit 1; }

stripped=$PWD/$build/tests/crash-stripped
crash_in "$work/t17" "$stripped" --threads=16 --mode=segv
core=$work/t17/core

# The served files, also laid out as a local .build-id tree for the warm comparison.
served=$work/served
mkdir -p "$served"
cp -r "$PWD/$build/tests/crash-debug/.build-id" "$served/"
for lib in /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; do
  id=$(readelf -n "$lib" | awk '/Build ID/{print $3}')
  src=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
  [ -f "$src" ] || { echo "no debug file for $lib in /usr/lib/debug (libc6-dbg)" >&2; exit 1; }
  mkdir -p "$served/.build-id/${id:0:2}"
  cp "$src" "$served/.build-id/${id:0:2}/${id:2}.debug"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
debuginfod -d :memory: -F "$served" -p "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
id=$(readelf -n "$stripped" | awk '/Build ID/{print $3}')
for _ in $(seq 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/buildid/$id/debuginfo" && break
  sleep 0.2
done
export DEBUGINFOD_URLS=http://127.0.0.1:$port

# hidden CMD...: CMD with /usr/lib/debug empty (the debug files are the server's alone).
hidden() { unshare -m sh -c 'mount -t tmpfs none /usr/lib/debug && exec "$0" "$@"' "$@"; }
export -f hidden

# Mean wall time of 3 runs of `bash -c SCRIPT` after a warm-up.
mean() {
  local i start end
  bash -c "$1" >/dev/null 2>&1
  start=$(date +%s%N)
  for i in 1 2 3; do bash -c "$1" >/dev/null 2>&1; done
  end=$(date +%s%N)
  awk "BEGIN{printf \"%.3f\", ($end - $start) / 3e9}"
}
ratio() { awk "BEGIN{printf \"%.2fx\", $1 / $2}"; }
export build core stripped work

# A fresh directory per run for the caches that must start empty.
fresh='d=$(mktemp -d -p "$work"); export DEBUGINFOD_CACHE_PATH=$d/dfd COREKIT_CACHE_DIR=$d/ck'
ck_cold=$(mean "$fresh; hidden $build/corekit bt \$core; rm -rf \$d")
gdb_cold=$(mean "$fresh; hidden gdb -batch -nx -iex 'set debuginfod enabled on' -ex 'thread apply all bt' \$stripped \$core; rm -rf \$d")

# Warm: one cache, filled by the warm-up run.
export DEBUGINFOD_CACHE_PATH=$work/warm
ck_warm=$(mean "COREKIT_CACHE_DIR=off hidden $build/corekit bt \$core")
ck_local=$(mean "COREKIT_CACHE_DIR=off hidden $build/corekit bt --offline --debug-dir $served \$core")
gdb_warm=$(mean "hidden gdb -batch -nx -iex 'set debuginfod enabled on' -ex 'thread apply all bt' \$stripped \$core")

# The same frames either way (a check, not a timing).
a=$(COREKIT_CACHE_DIR=off hidden "$build/corekit" bt "$core")
b=$(COREKIT_CACHE_DIR=off hidden "$build/corekit" bt --offline --debug-dir "$served" "$core")
[ "$a" = "$b" ] || { echo "bt through debuginfod differs from bt with the local debug files" >&2; exit 1; }
grep -q 'crash.c:' <<<"$a" || { echo "no source lines through debuginfod" >&2; exit 1; }

echo "| bt of the 17-thread stripped core, debug files on a local debuginfod | corekit (s) | gdb (s) | corekit / gdb |"
echo "|---|---|---|---|"
echo "| cold: empty caches every run | $ck_cold | $gdb_cold | $(ratio "$ck_cold" "$gdb_cold") |"
echo "| warm: debuginfod's cache full | $ck_warm | $gdb_warm | $(ratio "$ck_warm" "$gdb_warm") |"
echo
echo "| warm, corekit | from debuginfod's cache (s) | from a local --debug-dir (s) | cache / local |"
echo "|---|---|---|---|"
echo "| same debug files, corekit's inflated-copy cache off | $ck_warm | $ck_local | $(ratio "$ck_warm" "$ck_local") |"
echo
echo "$(date -u +%F), $(nproc) cores; means of 3 runs after a warm-up; the program's, glibc's and ld.so's debug files ($(du -sh "$served" | cut -f1)) served by Debian's debuginfod on 127.0.0.1."
