// The Python module's shared pieces: one opened program's state (the Target, the unwinder and
// the evaluator over it, behind one lock), corekit's errors as Python exceptions, and the Ctrl-C
// scope of long calls. Each binding file adds its classes to the module (module.cpp calls them).
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <signal.h>
#include <string>

#include "corekit/base/result.h"
#include "corekit/eval/evaluator.h"
#include "corekit/locate/locator.h"
#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::python {

namespace py = pybind11;

// What corekit.open was given, beyond the target.
struct OpenOptions {
  std::string sysroot, exe;
  std::vector<std::string> debug_dirs;
  std::optional<std::string> debuginfod;  // server URLs; "" for none (offline); nullopt: $DEBUGINFOD_URLS
  std::string store;                       // for "@ID"
};

// One opened core or process. The Target, Unwinder and Evaluator are not thread-safe: every use
// holds `lock`, taken after the GIL is released, so that Python threads may share a Program.
struct ProgramState {
  std::mutex lock;
  std::string path;  // as opened: a core's path, "PID", "@ID"
  OpenOptions options;
  std::atomic<bool> cancel{false};  // the locator's: Ctrl-C during a download
  std::unique_ptr<locate::Locator> locator;
  std::shared_ptr<target::Target> target;  // null once closed (memoryviews of a core share it)
  std::unique_ptr<unwind::Unwinder> unwinder;
  std::unique_ptr<eval::Evaluator> evaluator;
  // Backtraces by tid, made once: Frames point into them.
  std::map<std::int64_t, std::shared_ptr<const unwind::ThreadBacktrace>> backtraces;

  // Each requires `lock` held; they raise corekit.Error when the program is closed.
  target::Target& Target();
  unwind::Unwinder& Unwinder();
  eval::Evaluator& Evaluator();
  std::shared_ptr<const unwind::ThreadBacktrace> Backtrace(const target::Thread& thread);
  void Close();
};
using State = std::shared_ptr<ProgramState>;

// Holds a program's lock from code that holds the GIL. While another thread has the lock, the
// GIL is let go for the wait: that thread may need the GIL before it lets the lock go (a
// finalizer run by Python's collector, say), and neither would move.
class Hold {
 public:
  explicit Hold(ProgramState& state) : lock_(state.lock, std::try_to_lock) {
    if (!lock_.owns_lock()) {
      py::gil_scoped_release unlocked;
      lock_.lock();
    }
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

// corekit's Error, thrown as a C++ exception (safe without the GIL: a long call's failure unwinds
// through its gil_scoped_release) and turned by the module's translator into the matching Python
// exception: corekit.FaultError for memory the core lacks, FormatError for a malformed file,
// LookupError, else corekit.Error. `address`: the address a memory error is about, when known.
struct Failure : std::exception {
  Error error;
  std::optional<std::uint64_t> address;
  bool lookup = false;
  Failure(Error e, std::optional<std::uint64_t> a, bool l) : error(std::move(e)), address(a), lookup(l) {}
  const char* what() const noexcept override { return error.message.c_str(); }
};
[[noreturn]] inline void Raise(const Error& error, std::optional<std::uint64_t> address = std::nullopt) {
  throw Failure(error, address, false);
}
[[noreturn]] inline void RaiseLookup(const std::string& message) {
  throw Failure(Error{Errc::kInvalidArgument, message}, std::nullopt, true);
}
template <typename T>
T Take(Result<T> result, std::optional<std::uint64_t> address = std::nullopt) {
  if (!result) Raise(result.error(), address);
  return std::move(*result);
}

// A long call (opening, unwinding, indexing, dumping) in its scope runs without the GIL; Ctrl-C
// meanwhile (in the main thread) sets `interrupted` and cancels what can be cancelled (a download,
// a dump) instead of waiting for the call to end. Finish() raises KeyboardInterrupt if it came.
class LongCall {
 public:
  explicit LongCall(std::atomic<bool>* cancel = nullptr);
  ~LongCall();
  LongCall(const LongCall&) = delete;
  LongCall& operator=(const LongCall&) = delete;
  // Called with the GIL held again (after the scope's gil_scoped_release ended).
  void Finish();
  static bool Interrupted();

 private:
  bool installed_ = false;
  struct sigaction previous_ {};
};

// Runs `work` on the program with the GIL released and the program's lock held, for what may take
// long: unwinding, the evaluator's first index of a unit's DWARF, printing a big value, the
// report. `work` must not touch Python objects; what it throws (Failure) reaches Python as usual.
template <typename Work>
auto Unlocked(ProgramState& state, Work&& work) {
  using Returned = decltype(work());
  std::optional<Returned> result;
  LongCall call(&state.cancel);
  {
    py::gil_scoped_release unlocked;
    std::lock_guard hold(state.lock);
    result.emplace(work());
  }
  call.Finish();
  return std::move(*result);
}

// Text from a core as a Python str: UTF-8, with bytes that are not kept as surrogates
// (surrogateescape), so that `s.encode("utf-8", "surrogateescape")` gives them back.
py::str Text(const std::string& text);
py::object OptionalText(const std::optional<std::string>& text);
// An optional number (a pid, a signal, an address) as a Python int, or None.
template <typename Number>
py::object OrNone(const std::optional<Number>& value) {
  return value ? py::object(py::int_(*value)) : py::object(py::none());
}

void AddErrors(py::module_& m);
void AddProgram(py::module_& m);
void AddValues(py::module_& m);
void AddWriterAndStore(py::module_& m);

}  // namespace corekit::python
