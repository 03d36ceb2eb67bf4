"""corekit.Store over a real crash store: filled by `corekit serve` from two `corekit upload`s (a
whole core and a compact one), then listed, filtered and opened by "@ID" from Python."""

import re
import subprocess
import time

import pytest

import corekit
from conftest import COREKIT_BIN, PROGRAMS


@pytest.fixture(scope="module")
def store(tmp_path_factory, crash_core, triage_core):
    directory = tmp_path_factory.mktemp("store")
    log = directory.parent / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([COREKIT_BIN, "serve", "--store", str(directory), "--listen", "127.0.0.1:0"],
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        url = None
        for _ in range(100):
            found = re.search(r"http://[^ /]+", log.read_text())
            if found:
                url = found.group(0)
                break
            time.sleep(0.05)
        assert url, log.read_text()
        ids = {}
        for name, crashed, extra in (("crash", crash_core, ["--full"]), ("triage", triage_core, [])):
            out = subprocess.run([COREKIT_BIN, "upload", str(crashed.core), url, *extra], stdout=subprocess.PIPE,
                                 text=True, check=True, timeout=120).stdout
            ids[name] = re.search(r" as ([0-9a-f]{10})", out).group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return directory, ids


def test_crashes_are_listed_and_filtered(store):
    directory, ids = store
    s = corekit.Store(directory)
    crashes = s.crashes()
    assert sorted(c.id for c in crashes) == sorted(ids.values())
    by_id = {c.id: c for c in crashes}
    crash = by_id[ids["crash"]]
    assert crash.signal == 11 and crash.signal_name == "SIGSEGV" and crash.kind == "null-dereference"
    assert crash.executable == str(PROGRAMS / "crash") and crash.core == "present"
    assert crash.signature == "crash_here | middle | outer | worker"
    assert by_id[ids["triage"]].core == "compact" and by_id[ids["triage"]].signal_name == "SIGABRT"
    assert [c.id for c in s.crashes(exe=str(PROGRAMS / "triage"))] == [ids["triage"]]
    assert [c.id for c in s.crashes(signature=crash.signature)] == [ids["crash"]]
    assert len(s.crashes(limit=1)) == 1
    assert len(s.crashes(since="-1h")) == 2 and s.crashes(since=time.time() + 3600) == []
    assert s.crash(ids["crash"][:6]).id == ids["crash"]
    with pytest.raises(corekit.LookupError):
        s.crash("ffffffffff")


def test_stored_crashes_open_like_their_cores(store, crash_core, triage_core):
    directory, ids = store
    s = corekit.Store(directory)
    with s.open(ids["crash"]) as stored, corekit.open(crash_core.core) as original:
        assert [t.tid for t in stored.threads] == [t.tid for t in original.threads]
        assert [f.function for f in stored.crashed_thread.backtrace()] == \
            [f.function for f in original.crashed_thread.backtrace()]
    with corekit.open("@" + ids["triage"], store=str(directory)) as compact:
        assert compact.process.pid == int(triage_core.facts["pid"])
        names = [f.function for f in compact.crashed_thread.backtrace()]
        assert "main" in names
    with pytest.raises(corekit.Error, match="ffffffffff"):
        corekit.open("@ffffffffff", store=str(directory))
