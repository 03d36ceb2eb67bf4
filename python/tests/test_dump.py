"""corekit.dump on running processes: the core it writes, its progress, cancelling it (an
exception from the progress callback, Ctrl-C), the GIL released meanwhile, and the process
resumed on every path."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import corekit
from conftest import PROGRAMS


class Running:
    def __init__(self, tmp_path, *args):
        self.ready = tmp_path / "ready.txt"
        with open(self.ready, "w") as out:
            self.process = subprocess.Popen([str(PROGRAMS / "crash"), "--mode=wait", *args], stdout=out)
        for _ in range(200):
            if "ready" in self.ready.read_text():
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the program did not get ready")
        self.pid = self.process.pid

    def state(self):
        text = open(f"/proc/{self.pid}/stat").read()
        return text[text.rindex(")") + 2]

    def tracer(self):
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
        return None

    def assert_running_untraced(self):
        assert self.state() in ("S", "R") and self.tracer() == 0

    def stop(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def running(tmp_path):
    program = Running(tmp_path, "--threads=2")
    yield program
    program.stop()


def test_dump_writes_a_core_that_opens(running, tmp_path):
    path = tmp_path / "live.core"
    phases = []
    summary = corekit.dump(running.pid, str(path), progress=lambda phase, *counts: phases.append((phase, counts)))
    assert summary["path"] == str(path) and summary["threads"] == 3 and summary["file_size"] == path.stat().st_size
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p for p, _ in phases][:2] == ["suspend", "process notes"] and phases[-1][0] == "done", phases
    assert phases[-1][1][2] == phases[-1][1][3] > 0  # bytes done == bytes total
    running.assert_running_untraced()
    with corekit.open(path) as p:
        assert p.process.pid == running.pid and len(p.threads) == 3
        assert "park" in [f.function for f in p.main_thread.backtrace()]
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]


def test_non_stop_compact_and_compressed(running, tmp_path):
    summary = corekit.dump(running.pid, str(tmp_path / "ns.core"), non_stop=True)
    assert summary["non_stop"] is True
    full = (tmp_path / "ns.core").stat().st_size
    corekit.dump(running.pid, str(tmp_path / "small.core"), compact=True)
    assert (tmp_path / "small.core").stat().st_size < full
    corekit.dump(running.pid, str(tmp_path / "z.core"), compress=True)
    assert (tmp_path / "z.core").read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # zstd's magic
    for name in ("ns.core", "small.core", "z.core"):
        with corekit.open(tmp_path / name) as p:
            assert len(p.threads) == 3, name
    running.assert_running_untraced()


def test_an_exception_in_progress_cancels_the_dump(running, tmp_path):
    class Stop(Exception):
        pass

    def progress(phase, *counts):
        if phase == "write memory":
            raise Stop()

    with pytest.raises(Stop):
        corekit.dump(running.pid, str(tmp_path / "never.core"), progress=progress)
    assert os.listdir(tmp_path) == ["ready.txt"]  # neither the core nor its temporary file
    running.assert_running_untraced()


def test_the_gil_is_released_while_dumping(tmp_path):
    program = Running(tmp_path, "--threads=1", "--alloc-mib=256")
    try:
        ticks = []
        done = threading.Event()

        def tick():
            while not done.is_set():
                ticks.append(time.monotonic())
                time.sleep(0.001)

        ticker = threading.Thread(target=tick)
        ticker.start()
        start = time.monotonic()
        corekit.dump(program.pid, str(tmp_path / "big.core"))
        end = time.monotonic()
        done.set()
        ticker.join()
        during = [t for t in ticks if start < t < end]
        # Python ran in the other thread during the dump: with the GIL held throughout, not once.
        assert len(during) >= 10, (len(during), end - start)
        program.assert_running_untraced()
    finally:
        program.stop()


def test_ctrl_c_cancels_a_dump_and_raises_keyboard_interrupt(tmp_path):
    program = Running(tmp_path, "--threads=1", "--alloc-mib=1024")
    script = textwrap.dedent(f"""
        import sys, corekit
        def progress(phase, *counts):
            if phase == "write memory":
                print("writing", flush=True)
        try:
            corekit.dump({program.pid}, {str(tmp_path / 'cancelled.core')!r}, progress=progress)
            print("finished")
        except KeyboardInterrupt:
            print("interrupted")
    """)
    try:
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "writing"
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)
        assert out.strip().splitlines()[-1] == "interrupted", out
        assert not [f for f in os.listdir(tmp_path) if f.startswith("cancelled")]
        program.assert_running_untraced()
    finally:
        program.stop()
