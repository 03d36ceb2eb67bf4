// corekit symbols CORE|PID|@ID [--fetch] [--json]: where each module's files came from — the
// executable or library, its debug file, its dwz file — or that they are missing, and whether
// the build-id was checked. --fetch downloads from debuginfod everything the core needs (with
// the sources its backtraces name), so that it can be read offline later.
#include <fmt/format.h>
#include <sys/stat.h>

#include <set>

#include "backtrace_render.h"
#include "render.h"
#include "symbol_fetch.h"

namespace corekit::tools {
namespace {

struct SymbolsOptions {
  CommonOptions common;
  bool fetch = false;
};

std::string FileText(const std::string& path, locate::Origin origin) {
  if (path.empty()) return std::string(locate::OriginName(origin));
  return fmt::format("{} ({})", Printable(path), locate::OriginName(origin));
}

std::string ModuleLine(const unwind::Module& m) {
  std::string names = Printable(m.name);
  for (const std::string& other : m.other_names) names += " = " + Printable(other);
  std::string file;
  if (!m.file.empty()) {
    file = FileText(m.file, m.file_origin) + (m.verified ? ", verified" : ", unverified");
  } else if (!m.image.empty()) {
    file = "core memory, verified";
  } else {
    file = "missing" + (m.note.empty() ? std::string() : " (" + Printable(m.note) + ")");
  }
  std::string debug = m.debug_origin == locate::Origin::kEmbedded ? "in the file"
                      : m.debug_file.empty()                      ? "missing"
                                                                  : FileText(m.debug_file, m.debug_origin);
  std::string line = fmt::format("{}-{}  {}  build-id {}  file: {}  debug: {}", HexAddress(m.start),
                                 HexAddress(m.end), names, m.build_id.value_or("none"), file, debug);
  if (!m.alt_file.empty()) line += "  dwz: " + FileText(m.alt_file, m.alt_origin);
  if (!m.alt_missing.empty()) line += "  dwz: missing " + Printable(m.alt_missing);
  return line;
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The sources the backtraces of every thread name, fetched where this machine lacks them.
std::size_t FetchSources(target::Target& target, unwind::Unwinder& unwinder) {
  std::set<std::pair<std::string, std::string>> seen;
  std::size_t fetched = 0;
  for (const target::Thread& thread : target.threads()) {
    for (const unwind::Frame& f : unwinder.Backtrace(thread).frames) {
      if (!f.file || f.file->empty()) continue;
      std::string path = *f.file;
      if (path[0] != '/' && f.comp_dir) path = *f.comp_dir + "/" + path;
      if (path[0] != '/' || IsFile(path) || !seen.emplace(f.module, path).second) continue;
      if (unwinder.FetchSource(f, path)) ++fetched;
    }
  }
  return fetched;
}

int Run(target::Target& target, const SymbolsOptions& options) {
  CommonOptions common = options.common;
  // Without --fetch nothing is downloaded: what debuginfod's cache already holds is shown.
  if (!options.fetch) common.offline = true;
  SymbolFetch fetch(common);
  if (options.fetch && !fetch.locator().debuginfod_enabled()) {
    return Fail("--fetch needs a debuginfod server: --debuginfod URL, or DEBUGINFOD_URLS in the environment");
  }
  auto unwinder = unwind::Unwinder::Create(target, fetch.UnwindOptions());
  if (!unwinder) return Fail(unwinder.error());
  (*unwinder)->LoadDebugInfo();
  const std::size_t sources = options.fetch ? FetchSources(target, **unwinder) : 0;
  const auto& modules = (*unwinder)->modules();
  if (options.common.json) {
    PrintJson({{"modules", ModulesJson(modules)}, {"sources_fetched", sources}});
  } else {
    for (const unwind::Module& m : modules) Print("{}\n", ModuleLine(m));
    if (options.fetch) Print("{} source file{} fetched\n", sources, sources == 1 ? "" : "s");
  }
  fetch.PrintNewWarnings();
  return 0;
}

}  // namespace

void AddSymbolsCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<SymbolsOptions>();
  CLI::App* command = app.add_subcommand("symbols", "where each module's files and debug info come from");
  command->footer(R"(One line per module: its address range, its names (NT_FILE's and the link map's, when they
differ), its build-id, its file and where it was found (path, sysroot, exe-option,
build-id-dir, debuginfod, debuginfod-cache) and whether its build-id was verified against the
core, its debug file (in the file, build-id-dir, debuglink, debuginfod, debuginfod-cache,
corekit-cache) and its dwz file, or "missing". Files are searched in gdb's order: --sysroot and
the path the core names, --debug-dir and /usr/lib/debug (.build-id, then .gnu_debuglink with its
CRC), then debuginfod; a file whose build-id differs is named once and not used. Without --fetch
nothing is downloaded: debuginfod's cache is read. --fetch downloads what is missing (and the
sources the backtraces name), so the core can be read offline later.

Example:
  corekit symbols core
  corekit symbols --fetch --debuginfod http://127.0.0.1:8002 core)");
  AddCommonOptions(*command, options->common);
  command->add_flag("--fetch", options->fetch, "download what is missing from debuginfod (and cache it)");
  RunWhenParsed(*command, run, options, Run);
}

}  // namespace corekit::tools
