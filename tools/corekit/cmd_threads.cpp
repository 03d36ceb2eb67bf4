// corekit threads CORE: one line per thread: tid, name, pc, sp, signal.
#include <fmt/format.h>

#include "render.h"

namespace corekit::tools {
namespace {

int Run(target::Target& core, const CommonOptions& options) {
  const auto& threads = core.threads();
  const std::optional<std::int64_t> crashed = core.process().signalled_thread;
  const bool is64 = core.abi().is64 || core.abi().reg_width == 8;
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const target::Thread& t : threads) {
      list.push_back({{"tid", t.tid},
                      {"name", t.name ? nlohmann::json(*t.name) : nlohmann::json(nullptr)},
                      {"pc", HexJson(t.pc)}, {"sp", HexJson(t.sp)},
                      {"signal", SignalJson(t.signal)},
                      {"crashed", crashed && *crashed == t.tid}});
    }
    PrintJson({{"threads", list}, {"diagnostics", DiagnosticsJson(core.diagnostics())}});
    return 0;
  }
  Print("{} thread{}", threads.size(), threads.size() == 1 ? "" : "s");
  if (crashed) Print(", * took the signal");
  Print("\n\n");
  const int w = is64 ? 18 : 10;
  Print("  {:<10} {:<16} {:<{}} {:<{}} {}\n", "tid", "name", "pc", w, "sp", w, "signal");
  for (const target::Thread& t : threads) {
    const bool mark = crashed && *crashed == t.tid;
    Print("{} {:<10} {:<16} {:<{}} {:<{}} {}\n", mark ? '*' : ' ', t.tid, Printable(t.name.value_or("-")),
               t.pc ? HexAddress(*t.pc, is64) : "?", w, t.sp ? HexAddress(*t.sp, is64) : "?", w,
               t.signal && t.signal->number ? SignalText(*t.signal) : "-");
  }
  return 0;
}

}  // namespace

void AddThreadsCommand(CLI::App& app, Runner& run) {
  AddCommand(app, run, "threads", "tid, name, pc, sp, signal", Run)
      ->footer(R"(One line per thread; '*' marks the one that took the signal.

Example:
  corekit threads core)");
}

}  // namespace corekit::tools
