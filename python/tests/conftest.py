"""Shared fixtures of the Python module's tests: real kernel cores of the test programs.

ctest runs pytest with PYTHONPATH at the built package and these variables set:
COREKIT_BIN (the command), TEST_PROGRAMS (tests/ of the build: crash, triage, containers-*),
COREKIT_SOURCE_DIR. The cores are written by the kernel (core_pattern "core", in the working
directory); where it cannot, the tests that need them skip and say why.
"""

import os
import re
import resource
import subprocess
from pathlib import Path

import pytest

import corekit

COREKIT_BIN = os.environ.get("COREKIT_BIN", "corekit")
PROGRAMS = Path(os.environ.get("TEST_PROGRAMS", "."))
SOURCE_DIR = Path(os.environ.get("COREKIT_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def kernel_cores_unavailable():
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|"):
        return f"core_pattern is a pipe ({pattern})"
    if "/" in pattern:
        return f"core_pattern writes elsewhere ({pattern})"
    return None


def _unlimited_cores():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


class Crashed:
    """A program run to its crash: its core and the facts it printed ("ready k=v ...")."""

    def __init__(self, directory, core, facts):
        self.directory = directory
        self.core = core
        self.facts = facts

    def tids(self):
        return [int(t) for t in self.facts["tids"].split(",")]


def crash_program(directory, program, *args):
    """Runs PROGRAM ARGS in DIRECTORY until the kernel dumps its core; returns Crashed."""
    reason = kernel_cores_unavailable()
    if reason:
        pytest.skip(f"kernel cores cannot be written here: {reason}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([str(program), *args], cwd=directory, preexec_fn=_unlimited_cores,
                         stdout=subprocess.PIPE, text=True, timeout=60)
    assert run.returncode < 0, f"{program} did not die of a signal: {run.returncode}"
    core = directory / "core"
    if not core.exists():
        pytest.skip(f"the kernel wrote no core for {program}")
    facts = {}
    for line in run.stdout.splitlines():
        if line.startswith("ready "):
            facts = dict(re.findall(r"(\w+)=(\S+)", line))
    return Crashed(directory, core, facts)


@pytest.fixture(scope="session")
def crash_core(tmp_path_factory):
    """crash --threads=3 --mode=segv: three workers parked, the last dereferences NULL."""
    return crash_program(tmp_path_factory.mktemp("crash"), PROGRAMS / "crash", "--threads=3", "--mode=segv")


@pytest.fixture(scope="session")
def triage_core(tmp_path_factory):
    """triage: 4 idle workers, two deadlocked transfers, a 100-order list; abort()."""
    return crash_program(tmp_path_factory.mktemp("triage"), PROGRAMS / "triage")


@pytest.fixture(scope="session")
def containers_core(tmp_path_factory):
    """containers-gxx-O0: the standard library's containers in Inspect's frame."""
    program = PROGRAMS / "containers-gxx-O0"
    if not program.exists():
        pytest.skip("containers-gxx-O0 was not built")
    return crash_program(tmp_path_factory.mktemp("containers"), program)


@pytest.fixture
def crash_program_core(crash_core):
    with corekit.open(crash_core.core) as program:
        yield program


def corekit_json(*args):
    """Runs the corekit command with --json; returns its document."""
    import json

    run = subprocess.run([COREKIT_BIN, *args, "--json"], stdout=subprocess.PIPE, text=True, check=True, timeout=120)
    return json.loads(run.stdout)
