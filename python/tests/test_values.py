"""corekit.Value and corekit.Type: gdb's text (the corekit debugger's, itself compared with gdb's
by the C++ suite), member access, indexing, dereferencing and to_python, on a C program's core
(every kind of C value) and a C++ program's (the standard library's containers)."""

import re
import subprocess

import pytest

import corekit
from conftest import COREKIT_BIN, PROGRAMS, crash_program


@pytest.fixture(scope="module")
def values_core(tmp_path_factory):
    return crash_program(tmp_path_factory.mktemp("values"), PROGRAMS / "values")


def frame_named(program, prefix):
    return next(f for f in program.crashed_thread.backtrace() if (f.function or "").startswith(prefix))


def debugger_prints(core, frame_function, names):
    """What `corekit debug` prints for `p NAME` in the frame of frame_function, by name."""
    args = [COREKIT_BIN, "debug", str(core), "--batch", "-ex", f"frame function {frame_function}"]
    for name in names:
        args += ["-ex", f"p {name}"]
    out = subprocess.run(args, stdout=subprocess.PIPE, text=True, check=True, timeout=120).stdout
    printed = re.findall(r"^\$\d+ = (.*)$", out, re.M)
    assert len(printed) == len(names), out
    return dict(zip(names, printed))


def test_c_values_print_as_the_debugger_prints_them(values_core):
    with corekit.open(values_core.core) as p:
        frame = frame_named(p, "crash_in")
        names = list(frame.locals()) + list(frame.args())
        expected = debugger_prints(values_core.core, "crash_in", names)
        for name in names:
            assert str(frame[name]) == expected[name], name
        for expression in ("*rec", "rec->flags", "rec->number", "list->next->label", "global_origin"):
            assert str(frame.evaluate(expression)) == debugger_prints(values_core.core, "crash_in", [expression])[expression]


def test_c_values_as_python(values_core):
    with corekit.open(values_core.core) as p:
        frame = frame_named(p, "crash_in")
        rec = frame["rec"]
        assert rec.type.kind == "pointer" and rec.type.target.name == "struct record"
        record = rec.deref()
        assert record.type.name == "struct record" and record.address == int(rec)
        assert rec.name.to_python() == b"widget" + bytes(10)
        assert rec.scores.to_python() == [10, 20, 30, 40, 50] and len(rec.scores) == 5
        assert rec.scores[2].to_python() == 30 and rec["scores"][4].to_python() == 50
        assert rec.ratio.to_python() == 0.1 and float(rec.weight) == 2.5
        assert int(rec.color) == 4 and str(rec.color) == "GREEN"
        assert rec.where.to_python() == {"x": 12, "y": -34}
        assert rec.at.deref().to_python() == {"x": -3, "y": 7}
        assert rec.flags.to_python() == {"ready": 1, "mode": 5, "level": -3}
        assert rec.active.to_python() is True
        assert rec.small.to_python() == -7 and rec.byte.to_python() == 200 and rec.delta.to_python() == -1234
        assert rec.big.to_python() == -9876543210 and rec.mask.to_python() == 0xdeadbeefcafef00d
        assert rec.matrix.to_python() == [[0, 1, 4], [9, 16, 25]]
        assert rec.nested.to_python() == {"inner_a": 77, "inner_b": ord("k")}
        assert p.read_cstring(int(rec.message)) == b"it's \"quoted\""
        assert rec.callback.to_python() == p.address_of("on_event")
        # A list walked through Values, as a script would.
        node, labels = frame["list"], []
        while node:
            labels.append(p.read_cstring(int(node.label)).decode())
            node = node.next
        assert labels == ["first", "second", "third"]
        fields = record.type.fields
        assert [f.name for f in fields[:3]] == ["name", "scores", "ratio"]
        assert fields[1].offset == 16 and fields[1].type.length == 5
        flags = next(f for f in fields if f.name == "flags").type.fields
        assert [(f.name, f.bit_size) for f in flags] == [("ready", 1), ("mode", 3), ("level", 4)]
        color = next(f for f in fields if f.name == "color").type
        assert color.kind == "enum" and color.enumerators == [("RED", 0), ("GREEN", 4), ("BLUE", 5)]
        assert frame["global_counter"].to_python() == 42  # a global the frame sees
        assert frame["calls"].to_python() == 8            # a function's static, incremented once
        assert frame.evaluate("global_array[1] + 1").to_python() == 3
        with pytest.raises(AttributeError, match="no member named nothing"):
            rec.nothing
        with pytest.raises(corekit.LookupError):
            frame["no_such_variable"]
        with pytest.raises(corekit.FaultError):
            frame["nowhere"].deref().to_python()


CONTAINERS = {
    "text": "hello, world", "long_text": "x" * 40, "wide": "wide", "u16": "sixteen", "view": "hello, world",
    "numbers": [1, 2, 3], "empty_numbers": [], "bits": [True, False, True, True], "queue": [7, 8, 9, 10],
    "names": ["ann", "bob"], "no_names": [], "singles": [11, 12], "by_id": {1: "one", 2: "two", 3: "three"},
    "multi": [(1, 10), (1, 11)], "unique": [1, 3, 5], "repeated": [2, 2], "counts": {"a": 1}, "hashed": [42],
    "no_owner": 0, "no_share": 0, "maybe": 3, "nothing": None, "maybe_numbers": [8, 9], "triple": [1, ord("c"), 2.5],
    "two": {"first": 1, "second": "pair"}, "nested": [[1], [2, 3]], "zeros": [0] * 300,
    "index": {"odd": [1, 3], "even": [2]},
}


def test_cxx_containers(containers_core):
    with corekit.open(containers_core.core) as p:
        frame = frame_named(p, "Inspect")
        local_names = list(frame.locals())
        expected = debugger_prints(containers_core.core, "Inspect", local_names)
        for name in local_names:
            assert str(frame[name]) == expected[name], name
        for name, value in CONTAINERS.items():
            assert frame[name].to_python() == value, name
        # gdb's xmethods: v[i] of a vector, *p and p->m of a smart pointer.
        assert frame["numbers"][1].to_python() == 2
        assert frame["owned"].deref().id.to_python() == 9 and frame["owned"].id.to_python() == 9
        assert frame["owned"].qty.deref().to_python() == 7
        assert frame["orders"][0].qty.deref().to_python() == 7
        assert frame["orders"][1].to_python() == {"id": 2, "qty": 0}
        assert frame["numbers"].type.name == "std::vector<int, std::allocator<int> >"
        assert frame["owned"].deref().type.name == "Order"
        assert [f.name for f in frame["owned"].deref().type.fields] == ["id", "qty"]
        assert frame["g_numbers"].to_python() == [10, 20, 30]
        assert p.evaluate("g_seven").to_python() == 7
