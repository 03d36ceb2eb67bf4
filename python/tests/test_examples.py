"""The examples/ scripts, run as a triager runs them, on the triage program's core."""

import subprocess
import sys

from conftest import SOURCE_DIR


def run_example(name, *args, check=True):
    return subprocess.run([sys.executable, str(SOURCE_DIR / "examples" / name), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=check)


def test_group_stacks(triage_core):
    out = run_example("group_stacks.py", str(triage_core.core)).stdout
    groups = [line for line in out.splitlines() if not line.startswith(" ")]
    assert len(groups) == 4, out  # the idle workers, main, and each of the two transfers
    workers = out.split("\n\n")[0] if "\n\n" in out else out
    assert groups[0].startswith("4 threads: ") and "wait_for_job" in workers and "worker_loop" in workers
    pid = triage_core.facts["pid"]
    assert f"1 thread (crashed): {pid}" in groups


def test_deadlocks(triage_core):
    run = run_example("deadlocks.py", str(triage_core.core), check=False)
    ab, ba = triage_core.facts["ab"], triage_core.facts["ba"]
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert any(line.startswith(f"thread {ab} waits for mutex ") and f"(lock_b) held by thread {ba}" in line for line in lines), lines
    assert any(line.startswith(f"thread {ba} waits for mutex ") and f"(lock_a) held by thread {ab}" in line for line in lines), lines
    assert f"deadlock: {min(ab, ba, key=int)} -> {max(ab, ba, key=int)} -> {min(ab, ba, key=int)}" in lines
    assert len([line for line in lines if "waits for mutex" in line]) == 2  # not the idle workers


def test_walk_list(triage_core):
    out = run_example("walk_list.py", str(triage_core.core)).stdout
    assert out.splitlines()[0] == "100 nodes from orders, amount summing to 14950; the walk ended at NULL"
    assert "id = 99, amount = 298" in out
    out = run_example("walk_list.py", str(triage_core.core), "--field", "id", "--limit", "10").stdout
    assert out.splitlines()[0] == "10 nodes from orders, id summing to 45; the walk ended at the limit of 10 nodes"
