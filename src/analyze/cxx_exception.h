// The C++ exception that escaped to std::terminate, read out of a core's memory.
//
// When nothing catches an exception, libstdc++'s __cxa_throw calls std::terminate with the
// exception's header still live on the heap; while __cxa_throw waits for terminate to return, a
// callee-saved register holds the address of its _Unwind_Exception (class "GNUCC++\0"). From
// there the Itanium C++ ABI layout gives the type_info (its mangled name) and the thrown object;
// for classes derived from std::runtime_error or std::logic_error, libstdc++'s message string.
#pragma once

#include <optional>
#include <string>

#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::analyze {

struct UncaughtException {
  std::string type;                   // demangled: "std::runtime_error"
  std::optional<std::string> what;    // for std::runtime_error and std::logic_error subclasses
};

// The exception `bt` (the crashing thread's backtrace) is terminating with, when __cxa_throw is
// on it and the header can be found and read.
std::optional<UncaughtException> FindUncaughtException(target::Target& target, unwind::Unwinder& unwinder,
                                                       const unwind::ThreadBacktrace& bt);

}  // namespace corekit::analyze
