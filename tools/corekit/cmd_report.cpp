// corekit report CORE: the crash in one screen — why, where, what the other threads were doing —
// or one corekit.report/1 JSON document.
#include <fmt/format.h>

#include <map>

#include "backtrace_render.h"
#include "corekit/analyze/report.h"
#include "corekit/analyze/source_lines.h"
#include "render.h"
#include "symbol_fetch.h"

namespace corekit::tools {
namespace {

constexpr std::size_t kFramesShown = 12;

// "3 threads in __libc_pause <- park <- worker": the other threads, folded by identical stacks.
std::vector<std::string> FoldedThreads(const analyze::CrashReport& report) {
  std::map<std::vector<std::string>, std::size_t> counts;
  std::vector<std::vector<std::string>> order;
  for (const unwind::ThreadBacktrace& bt : report.threads) {
    if (report.crashed_thread && bt.tid == *report.crashed_thread) continue;
    std::vector<std::string> names;
    for (const unwind::Frame& f : bt.frames) names.push_back(f.function.value_or("??"));
    if (counts[names]++ == 0) order.push_back(names);
  }
  std::vector<std::string> lines;
  for (const auto& names : order) {
    std::string chain;
    for (std::size_t i = 0; i < names.size() && i < 4; ++i) chain += (i ? " <- " : "") + names[i];
    if (names.size() > 4) chain += " <- ...";
    const std::size_t n = counts[names];
    lines.push_back(fmt::format("{} thread{} in {}", n, n == 1 ? "" : "s", chain.empty() ? "??" : chain));
  }
  return lines;
}

int Run(target::Target& core, const CommonOptions& options) {
  SymbolFetch fetch(options);
  auto unwinder = unwind::Unwinder::Create(core, fetch.UnwindOptions());
  if (!unwinder) return Fail(unwinder.error());
  const analyze::CrashReport report = analyze::Analyze(core, **unwinder);
  if (options.json) {
    PrintJson(analyze::ReportJson(core, **unwinder, report, options.target, options.source_dirs));
    fetch.PrintNewWarnings();
    return 0;
  }
  Print("{}\n", Printable(report.summary));
  // A message may span lines (an exception's what()); its other controls are escaped.
  if (report.message) Print("message: {}\n", Printable(*report.message, Newlines::kKeep));
  const bool is64 = core.abi().is64;
  for (std::size_t i = 0; i < report.threads.size(); ++i) {
    const unwind::ThreadBacktrace& bt = report.threads[i];
    if (!report.crashed_thread || bt.tid != *report.crashed_thread) continue;
    Print("\nThread {} (crashed)\n", bt.tid);
    analyze::SourceLines sources(options.source_dirs, [&](const unwind::Frame& f, const std::string& path) {
      return (*unwinder)->FetchSource(f, path);
    });
    for (std::size_t k = 0; k < bt.frames.size() && k < kFramesShown; ++k) {
      const unwind::Frame& f = bt.frames[k];
      Print("  {}\n", FrameText(f, is64));
      // The source line of each frame outside the C library, as gdb shows it for frame 0.
      if (auto text = sources.Line(f)) Print("{:>12}\t{}\n", *f.line, Printable(*text));
    }
    if (bt.frames.size() > kFramesShown) {
      Print("  ... {} more frames{}\n", bt.frames.size() - kFramesShown, bt.truncated ? " (truncated: " + bt.stop_reason + ")" : "");
    }
  }
  const auto folded = FoldedThreads(report);
  if (!folded.empty()) {
    Print("\nOther threads:\n");
    for (const std::string& line : folded) Print("  {}\n", Printable(line));
  }
  const target::Process& p = core.process();
  Print("\nProcess: pid {}, {}\n", p.pid ? std::to_string(*p.pid) : "?",
        Printable(p.command_line.empty() ? p.executable : p.command_line));
  Print("{}: {} ({} {} {})\n", core.producer() == target::Producer::kLive ? "Process" : "Core", options.target, elf::OsName(core.abi().os), elf::ArchName(core.abi().arch),
             core.producer() == target::Producer::kLive ? "live process" : "core from " + std::string(target::ProducerName(core.producer())));
  fetch.PrintNewWarnings();
  return 0;
}

}  // namespace

void AddReportCommand(CLI::App& app, Runner& run) {
  AddCommand(app, run, "report", "crash report: why, where, what else", Run)
      ->footer(R"(The signal with its code and fault address, the kind of crash (null-dereference, wild-access,
stack-overflow, assertion, abort, illegal-instruction, arithmetic, bus-error, other-signal,
no-crash), an assertion's or glibc's abort message, an uncaught C++ exception's type and what(),
the crashing thread's frames with source lines, the other threads folded by identical stacks.

Example:
  corekit report core
  corekit report --json --source-dir ~/src/app core)");
}

}  // namespace corekit::tools
