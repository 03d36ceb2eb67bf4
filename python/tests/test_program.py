"""corekit.open, Program, Thread, Frame and memory on real kernel cores, checked against what the
program printed before it crashed and against the corekit command's own JSON."""

import os
import subprocess

import pytest

import corekit
from conftest import PROGRAMS, corekit_json


def test_process_and_threads_are_the_programs(crash_core, crash_program_core):
    p = crash_program_core
    facts = crash_core.facts
    assert p.process.pid == int(facts["pid"])
    assert p.process.executable == "crash"
    assert "--mode=segv" in p.process.command_line
    assert p.process.signal.number == 11 and p.process.signal.name == "SIGSEGV"
    assert p.process.signal.code_name == "SEGV_MAPERR" and p.process.signal.address == 0
    assert sorted(t.tid for t in p.threads) == sorted([int(facts["pid"])] + crash_core.tids())
    assert p.main_thread.tid == int(facts["pid"])
    crashed = p.crashed_thread
    assert crashed.tid == crash_core.tids()[-1] == p.process.signal.thread
    assert p.thread(crashed.tid) == crashed
    assert p.arch == "x86_64"
    assert crashed.registers["rip"] == crashed.pc and crashed.registers["rsp"] == crashed.sp


def test_backtraces_and_frames(crash_program_core):
    p = crash_program_core
    frames = p.crashed_thread.backtrace()
    assert [f.function for f in frames[:4]] == ["crash_here", "middle", "outer", "worker"]
    top = frames[0]
    assert top.how == "initial" and frames[1].how == "cfi"
    assert top.file.endswith("crash.c") and top.line > 0
    assert top.module.endswith("/crash")
    assert top.pc == p.crashed_thread.pc and top.sp == p.crashed_thread.sp
    assert top.cfa == top.sp + 8  # a leaf at -O2: the return address alone
    assert [f.index for f in frames] == list(range(len(frames)))
    args = top.args()
    assert list(args) == ["p"]
    assert str(args["p"]) == "(int *) 0x0" and args["p"].to_python() == 0 and int(top["p"]) == 0
    # Every thread unwinds to its start.
    for thread in p.threads:
        names = [f.function for f in thread.backtrace()]
        assert names[-1] in ("clone3", "_start"), names


def test_memory_reads(crash_core, crash_program_core):
    p = crash_program_core
    heap = int(crash_core.facts["heap"], 16)
    text = p.read_cstring(heap)
    assert text.startswith(b"COREKIT-HEAP-MARKER"), text
    view = p.read(heap, len(text))
    assert isinstance(view, memoryview) and view.readonly and bytes(view) == text
    assert p.read_u8(heap) == text[0]
    assert p.read_u16(heap) == int.from_bytes(text[:2], "little")
    assert p.read_u32(heap) == int.from_bytes(text[:4], "little")
    assert p.read_u64(heap) == int.from_bytes(text[:8], "little")
    # The view is the core's own bytes: it stays valid after the program is closed.
    p.close()
    assert bytes(view) == text
    with pytest.raises(corekit.Error, match="closed"):
        p.read_u64(heap)


def test_report_is_the_commands(crash_core, crash_program_core):
    report = crash_program_core.report()
    expected = corekit_json("report", str(crash_core.core))
    report["core"]["path"] = expected["core"]["path"]
    assert report == expected
    assert report["crash"]["kind"] == "null-dereference"


def test_mappings_and_modules_are_the_commands(crash_core, crash_program_core):
    p = crash_program_core
    maps = corekit_json("maps", str(crash_core.core))["mappings"]
    assert [(m.start, m.end, m.perms, m.path) for m in p.mappings] == \
        [(int(m["start"], 16), int(m["end"], 16), m["perms"], m["path"]) for m in maps]
    report = corekit_json("report", str(crash_core.core))
    modules = {m.name: m for m in p.modules}
    for expected in report["modules"]:
        m = modules[expected["name"]]
        assert (m.start, m.end, m.bias, m.build_id) == \
            (int(expected["start"], 16), int(expected["end"], 16), int(expected["bias"], 16), expected["build_id"])
    exe = next(m for m in p.modules if m.name.endswith("/crash"))
    assert exe.verified and exe.file == str(PROGRAMS / "crash")


def test_symbols(crash_program_core):
    p = crash_program_core
    main = p.address_of("main")
    symbol = p.symbol(main + 3)
    assert (symbol.name, symbol.address, symbol.offset) == ("main", main, 3)
    assert symbol.size > 3 and symbol.module.endswith("/crash")
    with pytest.raises(corekit.LookupError):
        p.address_of("no_such_symbol_anywhere")
    with pytest.raises(LookupError):  # also the builtin's
        p.symbol(8)


def test_evaluate_in_the_crashed_frame(crash_program_core):
    p = crash_program_core
    assert p.evaluate("p").to_python() == 0
    assert int(p.evaluate("$_siginfo.si_signo")) == 11
    assert int(p.evaluate("sizeof(long)")) == 8
    pointee = p.evaluate("*p")  # lazy, as drgn's objects: read when converted
    assert pointee.address == 0 and pointee.type.name == "int"
    with pytest.raises(corekit.FaultError) as fault:
        pointee.to_python()
    assert fault.value.address == 0
    assert "Cannot access memory at address 0x0" in str(pointee)
    with pytest.raises(corekit.Error, match="No symbol"):
        p.evaluate("no_such_variable")


def test_live_process_is_stopped_then_resumed(tmp_path):
    ready = tmp_path / "ready"
    with open(ready, "w") as out:
        process = subprocess.Popen([str(PROGRAMS / "crash"), "--threads=2", "--mode=wait"], stdout=out)
    try:
        for _ in range(100):
            if ready.read_text():
                break
            import time
            time.sleep(0.05)
        with corekit.open(process.pid) as p:
            assert p.process.pid == process.pid
            assert len(p.threads) == 3
            assert "park" in [f.function for f in p.main_thread.backtrace()]
            assert _state(process.pid) == "t"  # traced and stopped while open
        assert _state(process.pid) in ("S", "R")  # resumed and detached on close
    finally:
        process.kill()
        process.wait()


def _state(pid):
    stat = open(f"/proc/{pid}/stat").read()
    return stat[stat.rindex(")") + 2]


def test_open_takes_paths_and_options(crash_core):
    with corekit.open(os.fspath(crash_core.core), debuginfod=False, debug_dirs=["/nonexistent"]) as p:
        assert p.path == str(crash_core.core)
    with corekit.open(crash_core.core, exe=str(PROGRAMS / "crash")) as p:
        assert p.crashed_thread.backtrace()[0].function == "crash_here"


def test_threads_share_a_program(crash_core):
    # Python threads using one Program at once (its calls take turns, the GIL let go in long ones)
    # get what one thread alone gets.
    import threading

    with corekit.open(crash_core.core) as alone:
        expected = {t.tid: [f.function for f in t.backtrace()] for t in alone.threads}
    with corekit.open(crash_core.core) as shared:
        results, errors = [], []

        def work():
            try:
                for thread in shared.threads:
                    names = [f.function for f in thread.backtrace()]
                    str(thread.backtrace()[0].args())
                    results.append((thread.tid, names))
                    shared.read_u64(thread.sp)
                shared.report()
            except Exception as e:  # reported below: a thread's exception is not the test's
                errors.append(e)

        workers = [threading.Thread(target=work) for _ in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors
        assert len(results) == 6 * len(expected)
        assert all(expected[tid] == names for tid, names in results)
