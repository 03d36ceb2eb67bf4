// corekit bt CORE [-t TID]: backtraces of every thread (or one), with function, offset,
// module, file:line and inlined frames, like `eu-stack -s -i` and gdb's `thread apply all bt`.
#include <fmt/format.h>

#include "corekit/unwind/unwinder.h"
#include "backtrace_render.h"
#include "render.h"
#include "symbol_fetch.h"

namespace corekit::tools {
namespace {

struct BtOptions {
  CommonOptions common;
  std::optional<std::int64_t> tid;
  std::size_t max_frames = 10000;
  bool no_demangle = false;
};

int Run(target::Target& core, const BtOptions& options) {
  SymbolFetch fetch(options.common);
  unwind::UnwindOptions uo = fetch.UnwindOptions();
  uo.max_frames = options.max_frames;
  uo.demangle = !options.no_demangle;
  auto unwinder = unwind::Unwinder::Create(core, uo);
  if (!unwinder) return Fail(unwinder.error());
  std::vector<const target::Thread*> threads;
  if (options.tid) {
    const target::Thread* t = core.FindThread(*options.tid);
    if (!t) return Fail(fmt::format("no thread {} in the core", *options.tid));
    threads.push_back(t);
  } else {
    for (const target::Thread& t : core.threads()) threads.push_back(&t);
  }
  const std::optional<std::int64_t> crashed = core.process().signalled_thread;
  const bool is64 = core.abi().is64;
  nlohmann::json list = nlohmann::json::array();
  for (const target::Thread* t : threads) {
    const unwind::ThreadBacktrace bt = (*unwinder)->Backtrace(*t);
    const bool is_crashed = crashed && *crashed == t->tid;
    if (options.common.json) {
      list.push_back(ThreadJson(bt, *t, is_crashed));
      continue;
    }
    Print("Thread {}{}\n", t->tid,
               is_crashed && t->signal ? " (crashed: " + SignalText(*t->signal) + ")" : "");
    for (const unwind::Frame& f : bt.frames) Print("{}\n", FrameText(f, is64));
    if (bt.truncated) Print("  ... truncated: {}\n", bt.stop_reason);
    Print("\n");
  }
  if (options.common.json) PrintJson({{"threads", list}, {"modules", ModulesJson((*unwinder)->modules())}});
  fetch.PrintNewWarnings();
  return 0;
}

}  // namespace

void AddBtCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<BtOptions>();
  CLI::App* command = app.add_subcommand("bt", "backtraces of all threads (or one)");
  command->footer(R"(Every thread (or one), unwound with CFI, frame pointers where there is none, and a stack scan
for return addresses where neither leads on ([stack-scan]): function and offset, module,
file:line, inlined calls as frames of their own, and the frames tail calls left none of
([tail-call]). A file on disk is used only when its build-id matches the core's. --json adds
the module list.

Example:
  corekit bt core
  corekit bt -t 28572 -e ./app --debug-dir ./debug core)");
  AddCommonOptions(*command, options->common);
  command->add_option("-t,--tid", options->tid, "only this thread");
  command->add_option("--max-frames", options->max_frames, "frames per thread at most (default 10000)");
  command->add_flag("--no-demangle", options->no_demangle, "print C++ symbols as mangled");
  RunWhenParsed(*command, run, options, Run);
}

}  // namespace corekit::tools
