#!/usr/bin/env bash
# The crash handler against the kernel writing the core itself, on the same process in the same
# run: a 17-thread process with 2 GiB mapped (half of it filled, half never touched), once with
# random bytes in the filled half and once with ordinary data (strings, pointers, small
# integers). For each: the time from the fatal signal to the parent's waitpid returning (what
# a crash costs the service that restarts it), and the bytes on disk (allocated blocks: the
# kernel's sparse file against the store's zstd core). Then `corekit crashes list` over a store
# of 10 000 crashes. Prints Markdown for bench/RESULTS.md.
# Needs root (core_pattern); restores core_pattern and core_pipe_limit on exit.
# Usage: bench/capture.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-3}
source bench/common.sh
bench_setup "$build" corekit bigcrash
saved_pattern=$(cat /proc/sys/kernel/core_pattern)
saved_limit=$(cat /proc/sys/kernel/core_pipe_limit)
restore() {
  echo "$saved_limit" > /proc/sys/kernel/core_pipe_limit
  echo "$saved_pattern" > /proc/sys/kernel/core_pattern
  rm -rf "$work"
}
trap restore EXIT
corekit=$PWD/$build/corekit
bigcrash=$PWD/$build/tests/bigcrash

# crash_timed DIR ARGS...: runs bigcrash in DIR, prints the seconds from its fault to waitpid.
crash_timed() {
  local dir=$1
  shift
  mkdir -p "$dir"
  python3 - "$dir" "$bigcrash" "$@" <<'PY'
import os, resource, subprocess, sys, time
dir, argv = sys.argv[1], sys.argv[2:]
def limits():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
p = subprocess.Popen(argv, cwd=dir, stdout=subprocess.PIPE, preexec_fn=limits, text=True)
fault = None
for line in p.stdout:
    if line.startswith("crashing t="):
        fault = float(line.split("=")[1])
p.wait()
done = time.clock_gettime(time.CLOCK_MONOTONIC)
print(f"{done - fault:.3f}")
PY
}

wait_handlers() {
  while pgrep -f "corekit handle --store $work/store" >/dev/null; do sleep 0.1; done
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# The floor of any pipe handler: one that only reads the pipe (dd to /dev/null). The kernel sends
# a pipe every page, the untouched ones as zeros, where it skips them in a file.
cat > "$work/drain" <<'SH'
#!/bin/sh
exec dd of=/dev/null bs=1M status=none
SH
chmod +x "$work/drain"

echo "| memory (filled half) | kernel writes core: fault→waitpid (s) | corekit handle (s) | pipe floor: a handler that only reads (s) | kernel file on disk | corekit core on disk | time ratio (kernel / corekit) | size ratio (corekit / kernel) |"
echo "|---|---|---|---|---|---|---|---|"
for kind in ${KINDS:-random ordinary}; do
  if [ "$kind" = random ]; then fill=(--random-mib=1024); else fill=(--random-mib=0 --ordinary-mib=1024); fi
  args=(--mapped-mib=2048 "${fill[@]}" --threads=16)
  kernel_times=() corekit_times=() floor_times=()
  kernel_bytes=0 corekit_bytes=0
  for i in $(seq "$runs"); do
    echo 0 > /proc/sys/kernel/core_pipe_limit
    echo core > /proc/sys/kernel/core_pattern
    rm -rf "$work/k"
    kernel_times+=("$(crash_timed "$work/k" "${args[@]}")")
    kernel_bytes=$(( $(stat -c %b "$work/k/core") * 512 ))
    echo 16 > /proc/sys/kernel/core_pipe_limit
    echo "|$work/drain" > /proc/sys/kernel/core_pattern
    floor_times+=("$(crash_timed "$work/f" "${args[@]}")")
    echo core > /proc/sys/kernel/core_pattern
    rm -rf "$work/store"
    "$corekit" handler install --store "$work/store" --rate-per-exe 1000 >/dev/null
    corekit_times+=("$(crash_timed "$work/c" "${args[@]}")")
    wait_handlers
    f=$(ls "$work"/store/*.core.zst | grep -v compact | head -1)
    corekit_bytes=$(( $(stat -c %b "$f") * 512 ))
    "$corekit" handler uninstall --store "$work/store" >/dev/null
  done
  k=$(printf '%s\n' "${kernel_times[@]}" | median)
  c=$(printf '%s\n' "${corekit_times[@]}" | median)
  f=$(printf '%s\n' "${floor_times[@]}" | median)
  echo "| $kind | $k | $c | $f | $(numfmt --to=iec-i --suffix=B "$kernel_bytes") | $(numfmt --to=iec-i --suffix=B "$corekit_bytes") | $(awk "BEGIN{printf \"%.2fx\", $k / $c}") | $(awk "BEGIN{printf \"%.3f\", $corekit_bytes / $kernel_bytes}") |"
done

# crashes list over 10 000 crashes: rows made by the store's own schema (a handler install),
# then filled with sqlite3.
rm -rf "$work/big"
"$corekit" handler install --store "$work/big" >/dev/null
"$corekit" handler uninstall --store "$work/big" >/dev/null
python3 - "$work/big/index.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = [(f"{i:010x}", 1_700_000_000 + i * 60, 1000 + i, 1000 + i, 1000 + i, 1000, 1000, 11, 1,
         f"/usr/bin/service{i % 40}", f"service{i % 40}", f"/usr/bin/service{i % 40} --port {i}", "host",
         "present", 123456, 9876543, f"{i:010x}.core.zst", f"handle_request | serve | main{i % 25}", "null-dereference")
        for i in range(10000)]
db.executemany("INSERT INTO crashes(id, time, pid, host_pid, tid, uid, gid, signal, signal_code, executable, comm, "
               "command_line, hostname, core, core_bytes, core_size, core_file, signature, report_kind) "
               "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
PY
list_time() {
  local start end i
  "$@" >/dev/null
  start=$(date +%s%N)
  for i in 1 2 3 4 5 6 7 8 9 10; do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk "BEGIN{printf \"%.3f\", ($end - $start) / 10e9}"
}
echo
echo "| 10 000 stored crashes | mean of 10 (s) |"
echo "|---|---|"
echo "| corekit crashes list | $(list_time "$corekit" crashes list --store "$work/big") |"
echo "| corekit crashes list --json | $(list_time "$corekit" crashes list --json --store "$work/big") |"
echo "| corekit crashes list -n 20 | $(list_time "$corekit" crashes list -n 20 --store "$work/big") |"
echo "| corekit crashes groups | $(list_time "$corekit" crashes groups --store "$work/big") |"
echo "| corekit --version (process start) | $(list_time "$corekit" --version) |"
