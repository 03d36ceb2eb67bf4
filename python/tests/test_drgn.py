"""Differential tests against drgn (Debian's python3-drgn) on the same kernel cores, where drgn
can answer: thread ids, the crashed thread, the program's own frames (function, file, line) and
the values of their variables, and globals.

The C library's frames are left out of the name comparison: drgn names them by DW_AT_name
("raise"), gdb and corekit by the DWARF subprogram's name in glibc's build ("__GI_raise"); and
drgn 0.0.22 does not expand every inlined call there."""

import pytest

import corekit

drgn = pytest.importorskip("drgn")


def drgn_program(core):
    program = drgn.Program()
    program.set_core_dump(str(core))
    try:
        program.load_default_debug_info()
    except drgn.MissingDebugInfoError:
        pass  # what it lacks (the vDSO's) it reports here; the rest is loaded
    return program


def program_frames(drgn_thread):
    """drgn's frames in the test programs' own source: (frame, name, file, line)."""
    frames = []
    for frame in drgn_thread.stack_trace():
        try:
            name, (file, line, _column) = frame.name, frame.source()
        except LookupError:
            continue
        if name and "/tests/programs/" in file:
            frames.append((frame, name, file, line))
    return frames


def scalar(drgn_frame, name):
    """A variable's value as drgn gives it (an int or float), or None when drgn has none to give:
    absent, not a scalar, or a location drgn 0.0.22 cannot evaluate (DW_OP_entry_value)."""
    try:
        drgn_object = drgn_frame[name]
    except Exception:  # drgn raises a bare Exception for DWARF it does not evaluate
        return None
    if drgn_object.absent_:
        return None
    type_ = drgn_object.type_
    while type_.kind == drgn.TypeKind.TYPEDEF:
        type_ = type_.type
    kind = type_.kind
    if kind in (drgn.TypeKind.INT, drgn.TypeKind.BOOL, drgn.TypeKind.ENUM, drgn.TypeKind.POINTER, drgn.TypeKind.FLOAT):
        try:
            return drgn_object.value_()
        except drgn.FaultError:
            return None
    return None


@pytest.mark.parametrize("which", ["crash_core", "triage_core"])
def test_threads_frames_and_values_agree_with_drgn(which, request):
    crashed = request.getfixturevalue(which)
    theirs = drgn_program(crashed.core)
    with corekit.open(crashed.core) as ours:
        assert sorted(t.tid for t in ours.threads) == sorted(t.tid for t in theirs.threads())
        assert ours.crashed_thread.tid == theirs.crashed_thread().tid
        compared_frames = compared_values = 0
        for thread in ours.threads:
            by_pc = {}
            for frame in thread.backtrace():
                by_pc.setdefault(frame.pc, []).append(frame)
            for drgn_frame, name, file, line in program_frames(theirs.thread(thread.tid)):
                candidates = [f for f in by_pc.get(drgn_frame.pc, []) if f.function == name]
                assert candidates, (thread.tid, name, hex(drgn_frame.pc), [f.function for f in thread.backtrace()])
                frame = candidates[0]
                assert (frame.file, frame.line) == (file, line), name
                compared_frames += 1
                variables = {**frame.args(), **frame.locals()}
                assert set(variables) == set(drgn_frame.locals()), name
                for variable, value in variables.items():
                    expected = scalar(drgn_frame, variable)
                    if expected is None or value.optimized_out:
                        continue
                    assert value.to_python() == expected, (name, variable)
                    compared_values += 1
        assert compared_frames >= 3 and compared_values >= 1, (compared_frames, compared_values)


def test_globals_agree_with_drgn(triage_core):
    theirs = drgn_program(triage_core.core)
    with corekit.open(triage_core.core) as ours:
        assert ours.evaluate("order_count").to_python() == theirs["order_count"].value_() == 100
        assert ours.evaluate("orders").to_python() == theirs["orders"].value_()
        assert ours.address_of("orders") == theirs["orders"].address_
        node_ours, node_theirs = ours.evaluate("orders"), theirs["orders"]
        for _ in range(10):
            assert node_ours.amount.to_python() == node_theirs.amount.value_()
            assert node_ours.customer.to_python() == bytes(node_theirs.customer.value_())
            node_ours, node_theirs = node_ours.next, node_theirs.next
        assert ours.read_u64(ours.address_of("orders")) == theirs.read_u64(theirs["orders"].address_)
