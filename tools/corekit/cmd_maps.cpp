// corekit maps CORE: the process's mappings, and where each one's bytes can be read from.
#include <fmt/format.h>

#include "render.h"

namespace corekit::tools {
namespace {

int Run(target::Target& core, const CommonOptions& options) {
  const auto& mappings = core.mappings();
  const bool is64 = core.abi().is64;
  if (options.json) {
    PrintJson({{"mappings", MappingsJson(mappings)}, {"diagnostics", DiagnosticsJson(core.diagnostics())}});
    return 0;
  }
  std::uint64_t in_core = 0, total = 0;
  for (const target::Mapping& m : mappings) {
    in_core += m.bytes_in_core;
    total += m.end - m.start;
  }
  Print("{} mappings, {} mapped, {} of it in the core\n\n", mappings.size(), HumanSize(total),
             HumanSize(in_core));
  const int w = is64 ? 18 : 10;
  Print("{:<{}} {:<{}} {:<4} {:>10} {:>9} {:<7} {}\n", "start", w, "end", w, "perm", "offset",
             "size", "bytes", "path");
  for (const target::Mapping& m : mappings) {
    std::string path = m.path;
    const std::string_view kind = target::MappingKind(m.path);
    if (kind != "file" && kind != "anonymous" && kind != "special") path += fmt::format("  [{}]", kind);
    Print("{:<{}} {:<{}} {:<4} {:>10} {:>9} {:<7} {}\n", HexAddress(m.start, is64), w,
               HexAddress(m.end, is64), w, m.perms, HexAddress(m.offset), HumanSize(m.end - m.start),
               target::BackingName(m.backing), Printable(path));
  }
  return 0;
}

}  // namespace

void AddMapsCommand(CLI::App& app, Runner& run) {
  AddCommand(app, run, "maps", "mappings: range, perms, file offset, path, where the bytes are", Run)
      ->footer(R"(One line per mapping. Its bytes are 'core' (all in the core), 'partial', 'file' (read from the
mapped file on disk, only when its build-id matches the one in the core) or 'absent'.

Example:
  corekit maps core)");
}

}  // namespace corekit::tools
