"""Errors as Python exceptions, and the malformed sweep through Python: nothing a core contains may
crash the interpreter; every damaged core either opens (and reads what it can) or raises
corekit.Error."""

import random

import pytest

import corekit
from conftest import PROGRAMS


def test_files_that_are_not_cores(tmp_path):
    with pytest.raises(corekit.Error) as missing:
        corekit.open(tmp_path / "missing")
    assert missing.value.code == "io" and "missing" in str(missing.value)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(corekit.FormatError):
        corekit.open(empty)
    with pytest.raises(corekit.FormatError, match="not a core file"):
        corekit.open(PROGRAMS / "crash")
    assert issubclass(corekit.FaultError, corekit.Error) and issubclass(corekit.FormatError, corekit.Error)
    assert issubclass(corekit.LookupError, LookupError)


def test_lookups_faults_and_closed_programs(crash_core):
    p = corekit.open(crash_core.core)
    with pytest.raises(corekit.LookupError, match="no thread 1"):
        p.thread(1)
    with pytest.raises(corekit.FaultError) as fault:
        p.read(16, 8)
    assert fault.value.address == 16 and fault.value.code == "unmapped"
    with pytest.raises(corekit.FaultError):
        p.read_u32(0xffffffffffff0000)
    thread = p.crashed_thread
    frame = thread.backtrace()[0]
    p.close()
    p.close()  # idempotent
    for call in (lambda: p.threads, lambda: thread.backtrace(), lambda: frame.locals(), lambda: p.report(),
                 lambda: p.modules, lambda: p.evaluate("1")):
        with pytest.raises(corekit.Error, match="closed"):
            call()


def exercise(program):
    """Everything a triage script would read, on a core that may be damaged."""
    program.process.command_line
    program.mappings
    for thread in program.threads[:8]:
        thread.registers
        try:
            frames = thread.backtrace()[:16]
        except corekit.Error:  # no unwinder for a damaged machine type, say
            continue
        for frame in frames:
            frame.function, frame.file, frame.line, frame.sp
            try:
                for value in list(frame.locals().values()) + list(frame.args().values()):
                    str(value)
                    value.to_python()
            except corekit.Error:
                pass
    for call in (program.report, lambda: program.evaluate("$_siginfo"), lambda: program.read_u64(0x400000),
                 lambda: program.modules):
        try:
            call()
        except corekit.Error:
            pass


def damaged_copies(core):
    """Truncations, header and note bytes overwritten, and random bytes flipped: fixed seeds."""
    data = core.read_bytes()
    rng = random.Random(1234)
    for cut in list(range(0, 4096, 241)) + [len(data) * k // 13 for k in range(1, 13)]:
        yield f"cut at {cut}", data[:cut]
    for i in range(0, 64, 3):  # the ELF header
        yield f"ehdr byte {i}", data[:i] + b"\xff" + data[i + 1:]
    phoff = int.from_bytes(data[32:40], "little")
    for n in range(24):  # program headers (sizes and offsets)
        i = phoff + rng.randrange(56 * 8)
        yield f"phdr byte {i}", data[:i] + bytes([rng.randrange(256)]) * 4 + data[i + 4:]
    note_offset = int.from_bytes(data[phoff + 8:phoff + 16], "little")  # the first PT_NOTE: the core's first segment
    for n in range(40):
        i = note_offset + rng.randrange(6000)
        yield f"note byte {i}", data[:i] + bytes([rng.randrange(256) for _ in range(4)]) + data[i + 4:]


def test_malformed_cores_raise_or_read(crash_core, tmp_path):
    opened = refused = 0
    for what, data in damaged_copies(crash_core.core):
        path = tmp_path / "damaged"
        path.write_bytes(data)
        try:
            program = corekit.open(path, debuginfod=False)
        except corekit.Error as e:
            assert str(e), what
            refused += 1
            continue
        with program:
            exercise(program)
        opened += 1
    assert opened > 50 and refused > 10, (opened, refused)


def test_hostile_text_reaches_python_as_str(crash_core, tmp_path):
    # The command name, its arguments and the mapped files' paths rewritten with an escape
    # sequence and bytes that are not UTF-8: every text attribute, repr and the report are str,
    # the bytes kept as surrogates (surrogateescape), and nothing raises UnicodeDecodeError.
    data = bytearray(crash_core.core.read_bytes())
    notes_end = 64 * 1024
    for old in (b"crash\x00", b"--mode=segv", b"tests/crash"):
        at = data.find(old, 0, notes_end)
        assert at > 0, old
        hostile = (b"\x1b[2J\xff\xfe" + old)[:len(old)]
        data[at:at + len(old)] = hostile
    path = tmp_path / "hostile"
    path.write_bytes(bytes(data))
    with corekit.open(path) as p:
        texts = [p.process.executable, p.process.command_line, repr(p.process)]
        texts += [m.path for m in p.mappings] + [repr(m) for m in p.mappings] + [m.perms for m in p.mappings]
        texts += [m.name for m in p.modules] + [repr(m) for m in p.modules]
        for thread in p.threads:
            texts += [repr(f) for f in thread.backtrace()] + [str(f.module) for f in thread.backtrace()]
        report = p.report()
        texts += [report["process"]["executable"], report["process"]["command_line"]]
        assert all(isinstance(t, str) for t in texts)
        assert p.process.executable.encode("utf-8", "surrogateescape").startswith(b"\x1b[2J\xff\xfe")
        assert any("\udcff" in t for t in texts)
