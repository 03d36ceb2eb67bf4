"""The type stubs agree with the built module (mypy's stubtest), the examples type-check against
them (mypy --strict), and help() reads well."""

import os
import pydoc
import subprocess
import sys
from pathlib import Path

import corekit
from conftest import SOURCE_DIR

PACKAGE_ROOT = Path(corekit.__file__).resolve().parents[1]


def run_mypy(*args, tmp_path, stubs=PACKAGE_ROOT):
    """mypy or stubtest in tmp_path (its cache there), the stubs found in `stubs`."""
    env = dict(os.environ, MYPYPATH=str(stubs), PYTHONPATH=str(PACKAGE_ROOT))
    return subprocess.run([sys.executable, "-m", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=240, cwd=tmp_path)


def test_stubs_match_the_module(tmp_path):
    run = run_mypy("mypy.stubtest", "corekit", "--allowlist", str(SOURCE_DIR / "python/stubtest-allowlist.txt"),
                   tmp_path=tmp_path)
    assert run.returncode == 0, run.stdout
    assert (PACKAGE_ROOT / "corekit/py.typed").exists()


def test_stubtest_sees_a_missing_name(tmp_path):
    # The check can fail: the stubs without one of the module's methods do not pass.
    stubs = tmp_path / "stubs" / "corekit"
    stubs.mkdir(parents=True)
    text = (PACKAGE_ROOT / "corekit/__init__.pyi").read_text()
    (stubs / "__init__.pyi").write_text(text.replace("    def read_u64(self, address: int) -> int: ...\n", ""))
    run = run_mypy("mypy.stubtest", "corekit", "--allowlist", str(SOURCE_DIR / "python/stubtest-allowlist.txt"),
                   tmp_path=tmp_path, stubs=stubs.parent)
    assert run.returncode != 0 and "read_u64" in run.stdout, run.stdout


def test_examples_type_check_against_the_stubs(tmp_path):
    run = run_mypy("mypy", "--strict", str(SOURCE_DIR / "examples"), tmp_path=tmp_path)
    assert run.returncode == 0, run.stdout


def test_help_reads_well():
    text = pydoc.render_doc(corekit.Program, renderer=pydoc.plaintext)
    for phrase in ("A core file, or a live process", "read_u64", "The unsigned 64-bit word at address",
                   "as `corekit report --json` prints", "crashed thread's innermost frame"):
        assert phrase in text, phrase
    assert "corekit.open reads a core file" in corekit.__doc__
    assert "Ctrl-C" in corekit.dump.__doc__
