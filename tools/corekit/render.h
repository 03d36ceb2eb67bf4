// Shared pieces of the corekit commands: the common options, opening a target, and the small
// formatting rules every command follows (hex addresses, human sizes, one `error:` line).
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analyze/report_json.h"
#include "corekit/base/text.h"
#include "corekit/core/core_file.h"
#include "corekit/server/json.h"

namespace corekit::tools {

// Options every reading command accepts.
struct CommonOptions {
  std::string target;  // CORE path, PID, or @ID of a stored crash
  std::string store;   // for @ID: the crash store ("" for the default)
  bool json = false;
  std::string exe;
  std::string sysroot;
  std::string debug_dir;
  std::vector<std::string> source_dirs;
  std::string debuginfod;           // server URLs (DEBUGINFOD_URLS' syntax); "" for the environment's
  bool offline = false;             // no debuginfod
  double debuginfod_timeout = 10;   // seconds a request may go without receiving a byte
};

// Adds the target argument and the common options to a subcommand.
void AddCommonOptions(CLI::App& command, CommonOptions& options, bool with_target = true);

// Opens the target named on the command line: a core file, or (all digits, and no such file) the
// PID of a live process, attached and stopped until the target is destroyed.
Result<std::unique_ptr<target::Target>> OpenTarget(const CommonOptions& options);

// The target as a core file, for commands that read a file's headers and notes; otherwise fails
// with one error line naming the command and returns nullptr.
core::CoreFile* AsCoreFile(target::Target& target, const char* command);

// Every line a command or the debugger prints goes through these: the text is formatted, then
// made Printable (base/text.h) with its line breaks kept, so that a control character or an
// invalid UTF-8 byte from a core reaches no terminal, whichever field it came in. A field that
// must stay on its line (a path, a name) is also passed through Printable() itself, which
// escapes its newlines.
void WriteText(std::FILE* to, std::string_view text);
template <typename... Args>
void PrintTo(std::FILE* to, fmt::format_string<Args...> format, Args&&... args) {
  WriteText(to, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Print(fmt::format_string<Args...> format, Args&&... args) {
  WriteText(stdout, fmt::format(format, std::forward<Args>(args)...));
}

// Prints "error: <message>" on stderr and returns exit code 1.
int Fail(const Error& error);
int Fail(const std::string& message);

// Prints each diagnostic as "warning: ..." on stderr (text mode only).
void PrintWarnings(const Diagnostics& diagnostics);

using analyze::HexAddress;  // 0x7ffc12345678; with is64, the word's width: 0x00007ffc12345678
std::string HumanSize(std::uint64_t bytes);          // "1.5 MiB"
// This corekit executable's absolute path (what the handler and the server run again), or ""
// when /proc cannot say.
std::string SelfPath();
std::string SignalText(const target::Signal& signal);  // "SIGSEGV (SEGV_MAPERR) at 0x0"

// The contract's JSON pieces, shared with the Python module (analyze/report_json.h).
using analyze::HexJson;
using analyze::MappingsJson;
using analyze::RegistersJson;
using analyze::RegisterValueText;
using analyze::SignalJson;
nlohmann::json DiagnosticsJson(const Diagnostics& diagnostics);

// Prints one JSON document on stdout. Strings are valid UTF-8 always: bytes that are not become
// the text `\xNN` (ValidUtf8; docs/json.md), as in every command's JSON.
void PrintJson(const nlohmann::json& document, std::FILE* to = stdout);
// The text PrintJson prints, without its newline (JsonText): for documents written a piece at a
// time.
using server::JsonText;
using server::JsonWithValidUtf8;

// Parses an address: hex (0x...), decimal, or a register name of `thread` ($pc, sp, rip...).
Result<std::uint64_t> ParseAddress(const std::string& text, const target::Thread* thread,
                                   const elf::Abi& abi);

// The thread a command should show by default: the one that took the signal, else the first.
const target::Thread* DefaultThread(const target::Target& target);

// Opens the target, runs `body` on it, and in text mode prints the target's diagnostics as
// warnings after the output. Returns body's exit code, or 1 when the target cannot be opened.
int RunOnTarget(const CommonOptions& options, const std::function<int(target::Target&)>& body);

// Registers a subcommand whose work runs after parsing: `run` returns the exit code.
using Runner = std::function<int()>;
// A subcommand with only the common options, whose body runs on the opened target.
using Body = int (*)(target::Target& target, const CommonOptions& options);
CLI::App* AddCommand(CLI::App& app, Runner& run, const char* name, const char* description, Body body);

// For a subcommand with options of its own (a struct with a `common` member): once parsed, run
// `body` on the opened target.
template <typename Options>
void RunWhenParsed(CLI::App& command, Runner& run, std::shared_ptr<Options> options,
                   int (*body)(target::Target&, const Options&)) {
  command.callback([options, body, &run] {
    run = [options, body] {
      return RunOnTarget(options->common, [&](target::Target& target) { return body(target, *options); });
    };
  });
}
void AddInfoCommand(CLI::App& app, Runner& run);
void AddDumpCommand(CLI::App& app, Runner& run);
void AddCompactCommand(CLI::App& app, Runner& run);
void AddDebugCommand(CLI::App& app, Runner& run);
void AddNotesCommand(CLI::App& app, Runner& run);
void AddMapsCommand(CLI::App& app, Runner& run);
void AddThreadsCommand(CLI::App& app, Runner& run);
void AddRegsCommand(CLI::App& app, Runner& run);
void AddReadCommand(CLI::App& app, Runner& run);
void AddBtCommand(CLI::App& app, Runner& run);
void AddReportCommand(CLI::App& app, Runner& run);
void AddHandlerCommands(CLI::App& app, Runner& run);
void AddCrashesCommand(CLI::App& app, Runner& run);
void AddServeCommand(CLI::App& app, Runner& run);
void AddUploadCommand(CLI::App& app, Runner& run);
void AddSymbolsCommand(CLI::App& app, Runner& run);

}  // namespace corekit::tools
