#!/usr/bin/env python3
"""A linked list in the heap, walked from a global and summed: how many nodes, the sum of a field,
and where the walk ended (NULL, a cycle, memory the core does not hold).

    python3 examples/walk_list.py CORE [--head orders] [--next next] [--field amount] [--limit N]
"""

import argparse
from typing import Optional, Tuple

import corekit


def walk(program: corekit.Program, head: str, next_member: str, field: str,
         limit: int = 1_000_000) -> Tuple[int, int, str, Optional[corekit.Value]]:
    """(nodes, sum of field, how the walk ended, the last node read)."""
    node = program.evaluate(head)
    seen = set()
    count = total = 0
    last = None
    while int(node) != 0:
        address = int(node)
        if address in seen:
            return count, total, f"a cycle back to {address:#x}", last
        if count >= limit:
            return count, total, f"the limit of {limit} nodes", last
        seen.add(address)
        try:
            total += int(node[field])
            last, node = node, node[next_member]
            int(node)  # read the link now: a node outside the core ends the walk here
        except corekit.FaultError as fault:
            where = f"{fault.address:#x}" if fault.address is not None else f"{address:#x}"
            return count, total, f"memory the core does not hold at {where}", last
        count += 1
    return count, total, "NULL", last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("core", help="a core file, a PID or @ID of the crash store")
    parser.add_argument("--head", default="orders", help="an expression for the first node (default: orders)")
    parser.add_argument("--next", default="next", help="the member that links the nodes (default: next)")
    parser.add_argument("--field", default="amount", help="the member summed (default: amount)")
    parser.add_argument("--limit", type=int, default=1_000_000, help="nodes walked at most")
    args = parser.parse_args()
    with corekit.open(int(args.core) if args.core.isdigit() else args.core) as program:
        count, total, ended, last = walk(program, args.head, args.next, args.field, args.limit)
        print(f"{count} nodes from {args.head}, {args.field} summing to {total}; the walk ended at {ended}")
        if last is not None:
            print(f"last node: {last.deref()}")


if __name__ == "__main__":
    main()
