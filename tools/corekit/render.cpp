#include "render.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

#include "corekit/elf/core_notes.h"
#include "corekit/live/process.h"
#include "stored_crash.h"

namespace corekit::tools {

void AddCommonOptions(CLI::App& command, CommonOptions& options, bool with_target) {
  if (with_target) {
    command.add_option("target", options.target, "core file (or PID of a live process)")
        ->required();
  }
  command.add_flag("--json", options.json, "print one JSON document on stdout");
  command.add_option("-e,--exe", options.exe, "the executable the core belongs to (as gdb's and eu-stack's -e)");
  command.add_option("--sysroot", options.sysroot,
                     "look up the files the core names under this directory");
  command.add_option("--debug-dir", options.debug_dir, "where separate debug files live");
  command.add_option("--source-dir", options.source_dirs, "where to look for source files (repeatable)");
  command.add_option("--debuginfod", options.debuginfod,
                     "fetch missing files from these debuginfod servers (default $DEBUGINFOD_URLS)");
  command.add_flag("--offline", options.offline, "never ask a debuginfod server");
  command.add_option("--debuginfod-timeout", options.debuginfod_timeout,
                     "give up a debuginfod request after this many seconds without data (default 10)")
      ->check(CLI::Range(0.1, 3600.0));
  command.add_option("--store", options.store, "the crash store @ID and @last name (default $COREKIT_STORE, else /var/lib/corekit)");
}

Result<std::unique_ptr<target::Target>> OpenTarget(const CommonOptions& options) {
  const std::string& t = options.target;
  struct stat st {};
  const bool all_digits = !t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos;
  if (all_digits && ::stat(t.c_str(), &st) != 0) {
    auto process = live::Process::Attach(static_cast<pid_t>(std::stol(t)));
    if (!process) return Unexpected(process.error());
    return std::unique_ptr<target::Target>(std::move(*process));
  }
  core::Options core_options;
  core_options.sysroot = options.sysroot;
  if (IsStoredCrash(t)) {
    auto path = StoredCorePath(options.store, t);
    if (!path) return Unexpected(path.error());
    auto core = core::CoreFile::Open(*path, core_options);
    if (!core) return Unexpected(core.error());
    return std::unique_ptr<target::Target>(std::move(*core));
  }
  auto core = core::CoreFile::Open(t, core_options);
  if (!core) return Unexpected(core.error());
  return std::unique_ptr<target::Target>(std::move(*core));
}

core::CoreFile* AsCoreFile(target::Target& target, const char* command) {
  if (auto* core = dynamic_cast<core::CoreFile*>(&target)) return core;
  Fail(fmt::format("`corekit {}` reads a core file's notes, which a running process does not have: "
                   "`corekit dump PID` writes them into a core, or use info, threads, maps, regs, read, bt, "
                   "report or debug on the process", command));
  return nullptr;
}

int RunOnTarget(const CommonOptions& options, const std::function<int(target::Target&)>& body) {
  auto opened = OpenTarget(options);
  if (!opened) return Fail(opened.error());
  const int status = body(**opened);
  if (status == 0 && !options.json) PrintWarnings((*opened)->diagnostics());
  return status;
}

CLI::App* AddCommand(CLI::App& app, Runner& run, const char* name, const char* description, Body body) {
  auto options = std::make_shared<CommonOptions>();
  CLI::App* command = app.add_subcommand(name, description);
  AddCommonOptions(*command, *options);
  command->callback([options, body, &run] {
    run = [options, body] {
      return RunOnTarget(*options, [&](target::Target& target) { return body(target, *options); });
    };
  });
  return command;
}

int Fail(const Error& error) { return Fail(error.message); }

void WriteText(std::FILE* to, std::string_view text) {
  const std::string safe = Printable(text, Newlines::kKeep);
  std::fwrite(safe.data(), 1, safe.size(), to);
}

int Fail(const std::string& message) {
  std::fflush(stdout);
  PrintTo(stderr, "error: {}\n", Printable(message));  // one line, whatever the message holds
  return 1;
}

void PrintWarnings(const Diagnostics& diagnostics) {
  for (const Diagnostic& d : diagnostics.kept()) PrintTo(stderr, "warning: {}\n", Printable(d.message));
  if (diagnostics.total() > diagnostics.kept().size()) {
    PrintTo(stderr, "warning: ... and {} more\n", diagnostics.total() - diagnostics.kept().size());
  }
}

std::string SelfPath() {
  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return "";
  return self;
}

std::string HumanSize(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  unsigned unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string SignalText(const target::Signal& signal) {
  std::string name(elf::SignalName(signal.number));
  std::string text = name.empty() ? fmt::format("signal {}", signal.number) : name;
  if (signal.code) {
    std::string_view code = elf::SiCodeName(signal.number, *signal.code);
    text += code.empty() ? fmt::format(" (code {})", *signal.code) : fmt::format(" ({})", code);
  }
  if (signal.fault_address) text += fmt::format(" at {:#x}", *signal.fault_address);
  if (signal.sender_pid && signal.code && *signal.code <= 0) {
    text += fmt::format(" from pid {}", *signal.sender_pid);
  }
  return text;
}

nlohmann::json DiagnosticsJson(const Diagnostics& diagnostics) {
  nlohmann::json list = nlohmann::json::array();
  for (const Diagnostic& d : diagnostics.kept()) list.push_back(d.message);
  return list;
}

void PrintJson(const nlohmann::json& document, std::FILE* to) {
  const std::string text = JsonText(document) + '\n';
  std::fflush(to);
  std::fwrite(text.data(), 1, text.size(), to);
}

Result<std::uint64_t> ParseAddress(const std::string& text, const target::Thread* thread,
                                   const elf::Abi& abi) {
  std::string_view s = text;
  if (s.empty()) return Unexpected(Errc::kInvalidArgument, "empty address");
  std::uint64_t value = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    begin += 2;
    base = 16;
  }
  auto [ptr, ec] = std::from_chars(begin, end, value, base);
  if (ec == std::errc() && ptr == end) return value;
  // A register name, with or without gdb's '$'.
  std::string name(s.front() == '$' ? s.substr(1) : s);
  if (thread) {
    const elf::RegisterLayout& layout = elf::GeneralRegisterLayout(abi, 0);
    for (const auto& [alias, real] : layout.aliases) {
      if (alias == name) name = real;
    }
    if (name == "pc" && thread->pc) return *thread->pc;
    if (name == "sp" && thread->sp) return *thread->sp;
    if (const elf::Register* r = thread->FindRegister(name); r && r->width <= 8) return r->value;
  }
  return Unexpected(Errc::kInvalidArgument,
                    "'" + text + "' is neither an address (0x..., decimal) nor a register");
}

const target::Thread* DefaultThread(const target::Target& target) {
  const auto& threads = target.threads();
  if (threads.empty()) return nullptr;
  if (auto tid = target.process().signalled_thread) {
    if (const target::Thread* t = target.FindThread(*tid)) return t;
  }
  return &threads.front();
}

}  // namespace corekit::tools
