// corekit: read, explain, write and debug ELF core dumps.
//
// Exit codes (the design's contract): 0 success; 1 the input is bad or the operation failed,
// with one `error:` line on stderr; 2 a usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "render.h"

int main(int argc, char** argv) {
  using namespace corekit::tools;
  CLI::App app{"corekit: read, explain, write and debug ELF core dumps", "corekit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "corekit " COREKIT_VERSION);
  Runner run;
  AddInfoCommand(app, run);
  AddNotesCommand(app, run);
  AddMapsCommand(app, run);
  AddThreadsCommand(app, run);
  AddRegsCommand(app, run);
  AddReadCommand(app, run);
  AddBtCommand(app, run);
  AddReportCommand(app, run);
  AddSymbolsCommand(app, run);
  AddDumpCommand(app, run);
  AddCompactCommand(app, run);
  AddDebugCommand(app, run);
  AddHandlerCommands(app, run);
  AddCrashesCommand(app, run);
  AddUploadCommand(app, run);
  AddServeCommand(app, run);
  // Set after the subcommands, which would inherit it. The man page is made from this help
  // (cmake/corekit_docs.cmake).
  app.footer(R"(Every reading command (info, notes, maps, threads, regs, read, bt, report, debug) takes a
core file - compressed with zstd, xz, gzip or lz4, or not - or the PID of a running process,
which is stopped while corekit reads it and then runs on, or @ID / @last: a crash in the crash
store that 'corekit handler install' fills. Text from a core or a process is
shown with control characters and invalid UTF-8 escaped (\x1b); see 'corekit COMMAND --help'.

Exit status:
  0                           success
  1                           failure, with one 'error:' line on stderr
  2                           usage error

Environment:
  COREKIT_CACHE_DIR           where inflated copies of compressed debug files are kept ('off': none)
  COREKIT_STORE               the crash store (default /var/lib/corekit)
  DEBUGINFOD_URLS             debuginfod servers to fetch missing files from (also --debuginfod)
  DEBUGINFOD_CACHE_PATH       where downloads are kept, shared with gdb and elfutils
  XDG_CACHE_HOME              the cache is $XDG_CACHE_HOME/corekit when COREKIT_CACHE_DIR is unset)");
  // gdb's `-ex CMD` for `corekit debug`: CLI11 has no two-letter short options.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::string& arg : args) {
    if (arg == "-ex") arg = "--ex";
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return run ? run() : 2;
  } catch (const std::bad_alloc&) {
    return Fail("out of memory");
  }
}
