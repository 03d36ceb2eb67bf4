#!/usr/bin/env python3
"""A deadlock finder: the threads blocked on a pthread_mutex_t, the thread that owns each mutex
(glibc's __data.__owner), and the cycles among them.

    python3 examples/deadlocks.py CORE

A thread is blocked on a mutex when a frame of pthread_mutex_lock (or glibc's __lll_lock_wait
under it) is on its stack; the mutex is that frame's argument (with glibc's debug information),
else the futex word the thread sleeps on (its futex syscall's first argument). Prints one line per
blocked thread, then each cycle, and exits 1 when there is one.
"""

import argparse
import sys
from typing import Dict, List, Optional, Tuple

import corekit

LOCK_FUNCTIONS = ("pthread_mutex_lock", "__pthread_mutex_lock", "___pthread_mutex_lock",
                  "__pthread_mutex_lock_full", "lll_mutex_lock_optimized")
LOCK_WAIT_FUNCTIONS = ("__lll_lock_wait", "__GI___lll_lock_wait")
SYS_FUTEX_X86_64 = 202


def blocked_on(thread: corekit.Thread) -> Optional[int]:
    """The address of the mutex the thread waits for, or None when it waits for none."""
    frames = thread.backtrace()
    in_lock = False
    for frame in frames:
        name = frame.function or ""
        argument = "mutex" if name in LOCK_FUNCTIONS else "futex" if name in LOCK_WAIT_FUNCTIONS else None
        if argument is None:
            continue
        in_lock = True
        try:
            value = frame[argument]
            if not value.optimized_out:
                return int(value)  # __lll_lock_wait's futex is the mutex's first word
        except corekit.Error:
            pass
    registers = thread.registers
    if in_lock and registers.get("orig_rax") == SYS_FUTEX_X86_64:
        return registers["rdi"]
    return None


def owner_of(program: corekit.Program, mutex: int) -> Optional[int]:
    """The tid glibc recorded as the mutex's owner, or None when it has none."""
    try:
        owner = int(program.evaluate(f"((pthread_mutex_t *) {mutex:#x})->__data.__owner"))
    except corekit.Error:  # no pthread_mutex_t in the debug information: glibc's layout
        owner = program.read_u32(mutex + 8)
    return owner or None


def describe(program: corekit.Program, address: int) -> str:
    try:
        symbol = program.symbol(address)
        return f"{address:#x} ({symbol.name}{'+%#x' % symbol.offset if symbol.offset else ''})"
    except corekit.LookupError:
        return f"{address:#x}"


def find_deadlocks(program: corekit.Program) -> Tuple[Dict[int, Tuple[int, Optional[int]]], List[List[int]]]:
    """{tid: (mutex, owner)} of the blocked threads, and the cycles of tids waiting on each other."""
    waits: Dict[int, Tuple[int, Optional[int]]] = {}
    for thread in program.threads:
        mutex = blocked_on(thread)
        if mutex is not None:
            waits[thread.tid] = (mutex, owner_of(program, mutex))
    cycles: List[List[int]] = []
    seen = set()
    for start in sorted(waits):
        path: List[int] = []
        tid: Optional[int] = start
        while tid is not None and tid in waits and tid not in path and tid not in seen:
            path.append(tid)
            tid = waits[tid][1]
        if tid is not None and tid in path:
            cycle = path[path.index(tid):]
            cycles.append(cycle + [tid])
        seen.update(path)
    return waits, cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("core", help="a core file, a PID or @ID of the crash store")
    args = parser.parse_args()
    with corekit.open(int(args.core) if args.core.isdigit() else args.core) as program:
        waits, cycles = find_deadlocks(program)
        for tid, (mutex, owner) in sorted(waits.items()):
            held = f"held by thread {owner}" if owner else "not held"
            print(f"thread {tid} waits for mutex {describe(program, mutex)} {held}")
        for cycle in cycles:
            print("deadlock: " + " -> ".join(map(str, cycle)))
        if not waits:
            print("no thread is blocked on a mutex")
    sys.exit(1 if cycles else 0)


if __name__ == "__main__":
    main()
