// corekit bt CORE [-t TID]: backtraces of every thread (or one), with function, offset,
// module, file:line and inlined frames, like `eu-stack -s -i` and gdb's `thread apply all bt`.
#include <fmt/format.h>

#include "corekit/unwind/unwinder.h"
#include "render.h"

namespace corekit::tools {
namespace {

struct BtOptions {
  CommonOptions common;
  std::optional<std::int64_t> tid;
  std::size_t max_frames = 10000;
  bool no_demangle = false;
};

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

nlohmann::json FrameJson(const unwind::Frame& f) {
  using nlohmann::json;
  return {{"index", f.index}, {"pc", HexAddress(f.pc)},
          {"function", f.function ? json(*f.function) : json(nullptr)}, {"offset", f.offset},
          {"module", f.module.empty() ? json(nullptr) : json(f.module)},
          {"file", f.file ? json(*f.file) : json(nullptr)},
          {"line", f.line ? json(*f.line) : json(nullptr)}, {"inlined", f.inlined}, {"how", f.how}};
}

std::string FrameText(const unwind::Frame& f, bool is64) {
  std::string text = fmt::format("#{:<3} {} ", f.index, f.inlined ? std::string(is64 ? 18 : 10, ' ') : HexAddress(f.pc, is64));
  text += f.function ? *f.function : "??";
  if (f.function && f.offset && !f.inlined) text += fmt::format("+{:#x}", f.offset);
  if (!f.module.empty()) text += fmt::format(" ({})", Basename(f.module));
  if (f.file) text += fmt::format(" at {}:{}", *f.file, f.line.value_or(0));
  if (f.inlined) text += " [inlined]";
  if (f.how == "frame-pointer" || f.how == "signal") text += fmt::format(" [{}]", f.how);
  return text;
}

int Run(core::CoreFile& core, const BtOptions& options) {
  unwind::UnwindOptions uo;
  uo.modules.exe = options.common.exe;
  uo.modules.sysroot = options.common.sysroot;
  uo.debug_dir = options.common.debug_dir;
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
      nlohmann::json frames = nlohmann::json::array();
      for (const unwind::Frame& f : bt.frames) frames.push_back(FrameJson(f));
      list.push_back({{"tid", t->tid}, {"name", t->name ? nlohmann::json(*t->name) : nlohmann::json(nullptr)},
                      {"crashed", is_crashed}, {"frame_count", bt.frame_count},
                      {"truncated", bt.truncated}, {"frames", frames}});
      continue;
    }
    fmt::print("Thread {}{}\n", t->tid,
               is_crashed && t->signal ? " (crashed: " + SignalText(*t->signal) + ")" : "");
    for (const unwind::Frame& f : bt.frames) fmt::print("{}\n", FrameText(f, is64));
    if (bt.truncated) fmt::print("  ... truncated: {}\n", bt.stop_reason);
    fmt::print("\n");
  }
  if (options.common.json) {
    nlohmann::json modules = nlohmann::json::array();
    for (const unwind::Module& m : (*unwinder)->modules()) {
      modules.push_back({{"name", m.name}, {"start", HexAddress(m.start)}, {"end", HexAddress(m.end)},
                         {"bias", HexAddress(m.bias)},
                         {"build_id", m.build_id ? nlohmann::json(*m.build_id) : nlohmann::json(nullptr)},
                         {"file", m.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.file)},
                         {"source", m.source},
                         {"note", m.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.note)}});
    }
    PrintJson({{"threads", list}, {"modules", modules}});
  }
  return 0;
}

}  // namespace

void AddBtCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<BtOptions>();
  CLI::App* command = app.add_subcommand("bt", "backtraces of all threads (or one)");
  AddCommonOptions(*command, options->common);
  command->add_option("-t,--tid", options->tid, "only this thread");
  command->add_option("--max-frames", options->max_frames, "frames per thread at most (default 10000)");
  command->add_flag("--no-demangle", options->no_demangle, "print C++ symbols as mangled");
  command->callback([options, &run] {
    run = [options] {
      return RunOnTarget(options->common, [&](core::CoreFile& core) { return Run(core, *options); });
    };
  });
}

}  // namespace corekit::tools
