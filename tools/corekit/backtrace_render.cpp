#include "backtrace_render.h"

#include <fmt/format.h>

#include "render.h"

namespace corekit::tools {
namespace {

std::string Basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

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

}  // namespace corekit::tools
