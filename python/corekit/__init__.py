"""corekit: ELF core dumps and live processes, for scripted triage.

    import corekit
    with corekit.open("core") as program:
        for thread in program.threads:
            print(thread.tid, [frame.function for frame in thread.backtrace()])
        print(program.crashed_thread.backtrace()[0]["p"])

corekit.open reads a core file, a live process (by pid) or a crash of the crash store ("@ID").
A Program's threads unwind into Frames whose variables are Values, printed as gdb prints them.
corekit.dump writes a running process's core; corekit.Store lists the crash store's crashes.
Errors are corekit.Error and its subclasses, with the message the corekit command would print.
"""

from corekit._corekit import (
    Crash,
    Error,
    FaultError,
    Field,
    FormatError,
    Frame,
    LookupError,
    Mapping,
    Module,
    Process,
    Program,
    Signal,
    Store,
    Symbol,
    Thread,
    Type,
    Value,
    __version__,
    dump,
    open,
)

__all__ = [
    "Crash",
    "Error",
    "FaultError",
    "Field",
    "FormatError",
    "Frame",
    "LookupError",
    "Mapping",
    "Module",
    "Process",
    "Program",
    "Signal",
    "Store",
    "Symbol",
    "Thread",
    "Type",
    "Value",
    "dump",
    "open",
]
