#include "backtrace_render.h"

#include <fmt/format.h>

#include "render.h"

namespace corekit::tools {
namespace {

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

nlohmann::json OrNull(const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); }

}  // namespace

std::string FrameText(const unwind::Frame& f, bool is64) {
  std::string text = fmt::format("#{:<3} {} ", f.index,
                                 f.inlined ? std::string(is64 ? 18 : 10, ' ') : HexAddress(f.pc, is64));
  text += f.function ? *f.function : "??";
  if (f.function && f.offset && !f.inlined) text += fmt::format("+{:#x}", f.offset);
  if (!f.module.empty()) text += fmt::format(" ({})", Basename(f.module));
  if (f.file) text += fmt::format(" at {}:{}", *f.file, f.line.value_or(0));
  if (f.inlined) text += " [inlined]";
  if (f.how == "frame-pointer" || f.how == "signal" || f.how == "stack-scan" || f.how == "tail-call") {
    text += fmt::format(" [{}]", f.how);
  }
  if (f.how == "signal-trampoline") text += " [signal handler called]";
  return Printable(text);  // names and paths from the core: one frame, one line
}

nlohmann::json ThreadJson(const unwind::ThreadBacktrace& bt, const target::Thread& thread, bool crashed) {
  nlohmann::json frames = nlohmann::json::array();
  for (const unwind::Frame& f : bt.frames) {
    frames.push_back({{"index", f.index}, {"pc", HexAddress(f.pc)}, {"function", OrNull(f.function)},
                      {"offset", f.offset}, {"module", f.module.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.module)},
                      {"file", OrNull(f.file)}, {"line", f.line ? nlohmann::json(*f.line) : nlohmann::json(nullptr)},
                      {"inlined", f.inlined}, {"how", f.how}});
  }
  return {{"tid", thread.tid}, {"name", OrNull(thread.name)}, {"crashed", crashed},
          {"frame_count", bt.frame_count}, {"truncated", bt.truncated}, {"frames", frames}};
}

nlohmann::json ModulesJson(const std::vector<unwind::Module>& modules) {
  nlohmann::json list = nlohmann::json::array();
  for (const unwind::Module& m : modules) {
    list.push_back({{"name", m.name}, {"other_names", m.other_names},
                    {"start", HexAddress(m.start)}, {"end", HexAddress(m.end)},
                    {"bias", HexAddress(m.bias)}, {"build_id", OrNull(m.build_id)},
                    {"file", m.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.file)},
                    {"file_origin", std::string(locate::OriginName(m.file_origin))},
                    {"verified", m.verified},
                    {"debug_file", m.debug_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.debug_file)},
                    {"debug_origin", std::string(locate::OriginName(m.debug_origin))},
                    {"alt_file", m.alt_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.alt_file)},
                    {"alt_missing", m.alt_missing.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.alt_missing)},
                    {"source", m.source}, {"note", m.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.note)}});
  }
  return list;
}

}  // namespace corekit::tools
