// corekit regs CORE [-t TID] [--all]: a thread's registers (the signalled thread by default).
#include <fmt/format.h>

#include "render.h"

namespace corekit::tools {
namespace {

struct RegsOptions {
  CommonOptions common;
  std::optional<std::int64_t> tid;
  bool all = false;
};

int Run(target::Target& core, const RegsOptions& options) {
  const target::Thread* thread = options.tid ? core.FindThread(*options.tid) : DefaultThread(core);
  if (!thread) {
    return Fail(options.tid ? fmt::format("no thread {} in the core", *options.tid)
                            : std::string("the core has no threads"));
  }
  std::vector<const std::vector<elf::Register>*> sets = {&thread->registers};
  if (options.all) {
    sets.push_back(&thread->fp_registers);
    sets.push_back(&thread->vector_registers);
  }
  if (options.common.json) {
    nlohmann::json missing = nlohmann::json::array();
    for (unsigned f : thread->xsave_missing) missing.push_back(std::string(elf::XsaveFeatureName(f)));
    PrintJson({{"tid", thread->tid}, {"pc", HexJson(thread->pc)}, {"sp", HexJson(thread->sp)},
               {"xcr0", HexJson(thread->xcr0)}, {"xsave_missing", missing}, {"registers", RegistersJson(sets)}});
    return 0;
  }
  Print("thread {}{}\n", thread->tid,
             thread->signal && thread->signal->number ? ", " + SignalText(*thread->signal) : "");
  for (const auto* set : sets) {
    for (const elf::Register& r : *set) {
      if (r.width <= 8) {
        Print("  {:<10} {:<20} {}\n", r.name, RegisterValueText(r),
                   static_cast<std::int64_t>(r.value));
      } else {
        Print("  {:<10} {}\n", r.name, RegisterValueText(r));
      }
    }
  }
  if (options.all && thread->xcr0) {
    Print("  xcr0       {:#x}\n", *thread->xcr0);
    for (unsigned f : thread->xsave_missing) {
      Print("  ({} state is enabled in XCR0 but not in the note)\n", elf::XsaveFeatureName(f));
    }
  }
  return 0;
}

}  // namespace

void AddRegsCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<RegsOptions>();
  CLI::App* command = app.add_subcommand("regs", "a thread's registers");
  command->footer(R"(The general registers of the thread that took the signal (or of -t TID); --all adds x87/SSE
and the XSAVE state (ymm, opmask, zmm, pkru).

Example:
  corekit regs --all core)");
  AddCommonOptions(*command, options->common);
  command->add_option("-t,--tid", options->tid, "thread id (default: the one that took the signal)");
  command->add_flag("--all", options->all, "also floating-point and vector registers");
  RunWhenParsed(*command, run, options, Run);
}

}  // namespace corekit::tools
