// CrashReport: why the process died, where, and what its other threads were doing.
//
// Analyze() takes a Target and an Unwinder over it, unwinds every thread, and classifies the
// crash from the signal, its code and fault address, the crashing thread's stack mapping and
// frames, and glibc's __abort_msg (the text of a failed assert() or of glibc's own aborts):
// null-dereference (fault in the first 64 KiB), stack-overflow (fault in or just below the
// crashing thread's stack, or sp outside any mapping), wild-access, assertion, abort,
// illegal-instruction, arithmetic, bus-error, other-signal, no-crash (no signal, or the SIGSTOP
// of a dump taken from a live process).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::analyze {

struct CrashReport {
  std::optional<target::Signal> signal;
  std::optional<std::int64_t> crashed_thread;
  std::string kind;
  std::string summary;                 // the headline
  std::optional<std::string> message;  // assertion or abort message
  std::vector<unwind::ThreadBacktrace> threads;  // in the core's order
  // Where the crash happened: the first frame of the crashing thread outside the C library's
  // own abort/raise/assert machinery.
  std::optional<unwind::Frame> location;
};

CrashReport Analyze(target::Target& target, unwind::Unwinder& unwinder);

}  // namespace corekit::analyze
