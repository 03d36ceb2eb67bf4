#!/usr/bin/env python3
"""Every thread's backtrace, grouped by identical stacks: what 200 threads of a hung service are
doing, in a screen (as `pstack | sort | uniq -c`, eu-stack's folded output, or gdb's
`thread apply all bt` read by a person).

    python3 examples/group_stacks.py CORE [--frames N]
"""

import argparse
import collections
from typing import Dict, List, Tuple

import corekit


def stack_of(thread: corekit.Thread, frames: int) -> Tuple[str, ...]:
    """The thread's innermost `frames` function names (an address where there is no name)."""
    return tuple(f.function or f"0x{f.pc:x}" for f in thread.backtrace()[:frames])


def grouped_stacks(program: corekit.Program, frames: int = 64) -> List[Tuple[Tuple[str, ...], List[int]]]:
    """(stack, tids) pairs, the largest group first."""
    groups: Dict[Tuple[str, ...], List[int]] = collections.defaultdict(list)
    for thread in program.threads:
        groups[stack_of(thread, frames)].append(thread.tid)
    return sorted(groups.items(), key=lambda group: (-len(group[1]), group[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("core", help="a core file, a PID or @ID of the crash store")
    parser.add_argument("--frames", type=int, default=64, help="frames of each stack compared (default 64)")
    args = parser.parse_args()
    with corekit.open(int(args.core) if args.core.isdigit() else args.core) as program:
        crashed = program.crashed_thread
        for stack, tids in grouped_stacks(program, args.frames):
            marker = " (crashed)" if crashed and crashed.tid in tids else ""
            print(f"{len(tids)} thread{'s' if len(tids) > 1 else ''}{marker}: {', '.join(map(str, sorted(tids)))}")
            for name in stack:
                print(f"    {name}")


if __name__ == "__main__":
    main()
