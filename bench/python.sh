#!/usr/bin/env bash
# The Python module against drgn (Debian's python3-drgn) on the same core in the same run:
#  1. read_u64 calls per second from Python on the 17-thread 2 GiB core (words of the crashed
#     thread's stack, as a sampling profiler peeks at stacks);
#  2. every thread's backtrace of that core with function names: corekit's Thread.backtrace()
#     against drgn's Thread.stack_trace(), end to end (open, debug information, 17 backtraces)
#     and the backtraces alone (the program opened and its debug information loaded first; a new
#     Program each time, since corekit keeps a thread's backtrace once made).
# Prints a Markdown table for bench/RESULTS.md. Needs kernel cores in the working directory.
# Usage: bench/python.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
source bench/common.sh
bench_setup "$build" corekit_python crash
build_dir=$(cd "$build" && pwd)
crash_in "$work/t17" "$build_dir/tests/crash" --threads=16 --alloc-mib=2048 --mode=segv
PYTHONPATH="$build_dir/python" /usr/bin/python3 - "$work/t17/core" <<'PY'
import statistics, sys, time
import corekit, drgn

core = sys.argv[1]

def drgn_open():
    program = drgn.Program()
    program.set_core_dump(core)
    try:
        program.load_default_debug_info()
    except drgn.MissingDebugInfoError:
        pass
    return program

def best_rate(read, addresses, rounds=5):
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for a in addresses:
            read(a)
        rates.append(len(addresses) / (time.perf_counter() - start))
    return max(rates)

def mean_seconds(work, runs=5):
    work()  # warm-up: page cache, corekit's debug cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.mean(times)

ours = corekit.open(core)
theirs = drgn_open()
sp = ours.crashed_thread.sp
addresses = [sp + 8 * (i % 256) for i in range(500_000)]
assert all(ours.read_u64(a) == theirs.read_u64(a) for a in addresses[:256])
corekit_rate = best_rate(ours.read_u64, addresses)
drgn_rate = best_rate(theirs.read_u64, addresses)

def corekit_all(program):
    return [[f.function for f in t.backtrace()] for t in program.threads]

def drgn_all(program):
    names = []
    for t in program.threads():
        frames = []
        for f in t.stack_trace():
            try:
                frames.append(f.name)
            except LookupError:
                frames.append(None)
        names.append(frames)
    return names

def corekit_end_to_end():
    with corekit.open(core) as p:
        corekit_all(p)

def drgn_end_to_end():
    drgn_all(drgn_open())

def corekit_backtraces_only():
    p = corekit.open(core)
    p.modules  # the unwinder made and every debug file found
    start = time.perf_counter()
    corekit_all(p)
    elapsed = time.perf_counter() - start
    p.close()
    return elapsed

def drgn_backtraces_only():
    p = drgn_open()
    start = time.perf_counter()
    drgn_all(p)
    return time.perf_counter() - start

def mean_inner(work, runs=5):
    work()
    return statistics.mean(work() for _ in range(runs))

threads = len(ours.threads)
e2e_ours, e2e_theirs = mean_seconds(corekit_end_to_end), mean_seconds(drgn_end_to_end)
only_ours, only_theirs = mean_inner(corekit_backtraces_only), mean_inner(drgn_backtraces_only)
frames_ours = sum(len(t.backtrace()) for t in ours.threads)
frames_theirs = sum(len(t.stack_trace()) for t in theirs.threads())

print("| measurement (17-thread 2 GiB core) | corekit | drgn | corekit / drgn |")
print("|---|---|---|---|")
print(f"| `read_u64` calls per second | {corekit_rate:,.0f} | {drgn_rate:,.0f} | {corekit_rate / drgn_rate:.2f}x the rate |")
print(f"| all {threads} threads' backtraces with names, from opening the core (s) | {e2e_ours:.3f} | {e2e_theirs:.3f} | {e2e_ours / e2e_theirs:.2f} of the time |")
print(f"| the same, backtraces alone (s) | {only_ours:.4f} | {only_theirs:.4f} | {only_ours / only_theirs:.2f} of the time |")
print()
print(f"Frames: corekit {frames_ours}, drgn {frames_theirs} (drgn ends each thread with a frame whose pc it cannot name, past clone3).")
PY
echo
echo "$(date -u +%F), $(nproc) cores; read_u64: the best of 5 rounds of 500 000 calls; times: means of 5 runs after a warm-up."
