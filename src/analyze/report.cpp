#include "corekit/analyze/report.h"

#include <algorithm>

#include "corekit/elf/core_notes.h"
#include "corekit/unwind/call_sites.h"
#include "cxx_exception.h"

namespace corekit::analyze {
namespace {

constexpr std::uint64_t kNullPageLimit = 64 * 1024;       // vm.mmap_min_addr's usual value
constexpr std::uint64_t kStackGuardReach = 1024 * 1024;   // how far below a stack a fault counts
constexpr int SIGILL_ = 4, SIGTRAP_ = 5, SIGABRT_ = 6, SIGBUS_ = 7, SIGFPE_ = 8, SIGSEGV_ = 11,
              SIGCONT_ = 18, SIGSTOP_ = 19, SIGTSTP_ = 20;

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The C and C++ runtimes, whose abort, assert and terminate machinery is not where a crash is.
bool IsRuntimeLibrary(const std::string& module) {
  const std::string base = Basename(module);
  for (const char* prefix : {"libc.so", "libc-", "libpthread", "ld-linux", "libstdc++", "libgcc_s", "libc++"}) {
    if (base.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool HasFunction(const unwind::ThreadBacktrace& bt, std::initializer_list<const char*> names) {
  for (const unwind::Frame& f : bt.frames) {
    for (const char* n : names) {
      if (f.function && *f.function == n) return true;
    }
  }
  return false;
}

const target::Mapping* MappingAt(const target::Target& t, std::uint64_t address) {
  for (const target::Mapping& m : t.mappings()) {
    if (address >= m.start && address < m.end) return &m;
  }
  return nullptr;
}

// A fault in or just below the crashing thread's stack, or a stack pointer that left it.
bool LooksLikeStackOverflow(const target::Target& t, const target::Thread& thread,
                            std::uint64_t fault) {
  if (!thread.sp) return false;
  const target::Mapping* stack = MappingAt(t, *thread.sp);
  if (!stack) return true;  // sp itself is outside every mapping
  const bool no_access = stack->perms.rfind("---", 0) == 0;
  if (no_access) return true;  // sp already went down into the guard page
  if (fault < stack->start && stack->start - fault <= kStackGuardReach) return true;
  const target::Mapping* at_fault = MappingAt(t, fault);
  // glibc puts a PROT_NONE guard right below each thread's stack.
  return at_fault && at_fault->perms.rfind("---", 0) == 0 && at_fault->end == stack->start;
}

// glibc's __abort_msg: a pointer to { unsigned size; char msg[]; } set by assert() and by
// glibc's own fatal errors before they abort.
std::optional<std::string> AbortMessage(target::Target& t, unwind::Unwinder& unwinder) {
  auto symbol = unwinder.SymbolAddress("__abort_msg");
  if (!symbol) return std::nullopt;
  auto pointer = t.ReadWord(*symbol, t.abi().is64 ? 8 : 4);
  if (!pointer || *pointer == 0) return std::nullopt;
  auto text = t.ReadCString(*pointer + 4, 4096);
  if (!text || text->empty()) return std::nullopt;
  std::string message = *text;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// Without __abort_msg (musl has none; a compact or truncated core may lack its page), the
// assertion's text is rebuilt from the arguments of the __assert_fail call as the caller's DWARF
// recorded them, in glibc's format: "prog: file:line: function: Assertion `expr' failed."
std::optional<std::string> AssertionFromCallSite(target::Target& t, unwind::Unwinder& unwinder,
                                                 const unwind::ThreadBacktrace& bt) {
  for (std::size_t i = 0; i + 1 < bt.frames.size(); ++i) {
    if (bt.frames[i].function != "__assert_fail" && bt.frames[i].function != "__GI___assert_fail") continue;
    const unwind::Frame& caller = bt.frames[i + 1];
    auto text_at = [&](unsigned index) -> std::optional<std::string> {
      auto pointer = unwind::CallSites(unwinder).Argument(caller, index);
      if (!pointer) return std::nullopt;
      auto text = t.ReadCString(*pointer, 4096);
      return text ? std::optional<std::string>(*text) : std::nullopt;
    };
    auto assertion = text_at(0);
    auto file = text_at(1);
    auto line = unwind::CallSites(unwinder).Argument(caller, 2);
    if (!assertion || !file || !line) return std::nullopt;
    auto function = text_at(3);
    const std::string& program = t.process().executable;
    return program + (program.empty() ? "" : ": ") + *file + ":" + std::to_string(static_cast<std::uint32_t>(*line)) +
           ": " + (function ? *function + ": " : "") + "Assertion `" + *assertion + "' failed.";
  }
  return std::nullopt;
}

std::string KindPhrase(const std::string& kind) {
  if (kind == "null-dereference") return "null pointer dereference";
  if (kind == "wild-access") return "invalid memory access";
  if (kind == "stack-overflow") return "stack overflow";
  if (kind == "assertion") return "assertion failed";
  if (kind == "abort") return "abort";
  if (kind == "illegal-instruction") return "illegal instruction";
  if (kind == "arithmetic") return "arithmetic error";
  if (kind == "bus-error") return "bus error";
  if (kind == "no-crash") return "no crash";
  return "fatal signal";
}

}  // namespace

CrashReport Analyze(target::Target& target, unwind::Unwinder& unwinder) {
  CrashReport report;
  for (const target::Thread& t : target.threads()) report.threads.push_back(unwinder.Backtrace(t));
  report.signal = target.process().signal;
  report.crashed_thread = target.process().signalled_thread;
  const int signo = report.signal ? report.signal->number : 0;
  const bool stopped = signo == SIGSTOP_ || signo == SIGTSTP_ || signo == SIGCONT_;
  const target::Thread* crashed = report.crashed_thread ? target.FindThread(*report.crashed_thread) : nullptr;
  const unwind::ThreadBacktrace* bt = nullptr;
  for (const auto& t : report.threads) {
    if (crashed && t.tid == crashed->tid) bt = &t;
  }
  if (signo == 0 || stopped || !crashed) {
    report.kind = "no-crash";
    report.crashed_thread.reset();
    report.summary = target.producer() == target::Producer::kLive
                         ? "no crash: a running process (pid " + std::to_string(target.process().pid.value_or(0)) + ")"
                     : signo == 0 ? "no crash: the process was not killed by a signal"
                                : "no crash: a dump of a stopped process (" +
                                      std::string(elf::SignalName(signo)) + ")";
    return report;
  }
  const std::optional<std::uint64_t> fault = report.signal->fault_address;
  std::optional<std::string> exception_type;  // set when an uncaught C++ exception aborted
  switch (signo) {
    case SIGSEGV_:
    case SIGBUS_:
      if (fault && LooksLikeStackOverflow(target, *crashed, *fault)) {
        report.kind = "stack-overflow";
      } else if (fault && *fault < kNullPageLimit) {
        report.kind = "null-dereference";
      } else {
        report.kind = signo == SIGBUS_ ? "bus-error" : "wild-access";
      }
      break;
    case SIGABRT_:
      report.kind = bt && HasFunction(*bt, {"__assert_fail", "__assert_fail_base", "__GI___assert_fail",
                                            "__assert_perror_fail"})
                        ? "assertion"
                        : "abort";
      report.message = AbortMessage(target, unwinder);
      if (!report.message && bt && report.kind == "assertion") report.message = AssertionFromCallSite(target, unwinder, *bt);
      if (bt && report.kind == "abort") {
        if (auto e = FindUncaughtException(target, unwinder, *bt)) {
          exception_type = e->type;
          report.message = "terminate called after throwing an instance of '" + e->type + "'" +
                           (e->what ? "\n  what():  " + *e->what : "");
        } else if (HasFunction(*bt, {"std::terminate()", "__cxa_throw", "__cxa_rethrow"})) {
          exception_type = "";
        }
      }
      break;
    case SIGILL_: report.kind = "illegal-instruction"; break;
    case SIGFPE_: report.kind = "arithmetic"; break;
    case SIGTRAP_:
    default: report.kind = "other-signal"; break;
  }
  // The crash's location: for aborts, the first frame past the C library's machinery.
  if (bt && !bt->frames.empty()) {
    report.location = bt->frames.front();
    if (signo == SIGABRT_) {
      for (const unwind::Frame& f : bt->frames) {
        if (!IsRuntimeLibrary(f.module)) {
          report.location = f;
          break;
        }
      }
    }
  }
  std::string headline = std::string(elf::SignalName(signo)) + ": " + KindPhrase(report.kind);
  if (exception_type) headline += exception_type->empty() ? " (uncaught C++ exception)" : " (uncaught " + *exception_type + ")";
  if (fault && (signo == SIGSEGV_ || signo == SIGBUS_)) {
    char hex[32];
    std::snprintf(hex, sizeof hex, " at 0x%llx", static_cast<unsigned long long>(*fault));
    headline += hex;
  }
  if (report.location) {
    headline += " in " + report.location->function.value_or("??");
    if (report.location->file) {
      headline += " (" + Basename(*report.location->file) + ":" + std::to_string(report.location->line.value_or(0)) + ")";
    }
  }
  headline += ", thread " + std::to_string(crashed->tid);
  report.summary = headline;
  return report;
}

}  // namespace corekit::analyze
