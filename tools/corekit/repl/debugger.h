// Debugger: gdb's post-mortem commands over a Target and its Unwinder — the session state
// (selected thread and frame) and one method that runs a command line.
//
// Commands take gdb's names and forms, and unambiguous prefixes of them: backtrace/bt [N],
// frame [N], frame function NAME, up [N], down [N], info frame, info threads, thread [N],
// thread apply all bt, info registers [REG...], info all-registers, x/NFU ADDR, info
// sharedlibrary, info signal, info proc mappings, info auxv, help, quit. Execution commands
// (run, continue, step...) answer that a core cannot run. An error ends the command, never the
// session: Execute() prints it and returns true.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::tools {

class Debugger {
 public:
  Debugger(target::Target& target, unwind::Unwinder& unwinder, std::FILE* out, std::FILE* err);

  // Runs one command line; false when it was `quit`.
  bool Execute(const std::string& line);
  // The command names, for completion.
  std::vector<std::string> CommandNames() const;
  std::string Prompt() const { return "(corekit) "; }

 private:
  using Handler = std::function<void(const std::string& args)>;
  struct Command {
    Handler run;
    std::string help;
  };
  void Register(const std::string& name, std::string help, Handler run);
  void Alias(const std::string& alias, const std::string& name);
  // The command `word` names: itself, an alias, or an unambiguous prefix.
  const Command* Find(const std::string& word, std::string* error) const;

  const unwind::ThreadBacktrace& Backtrace(std::size_t thread_index);
  const unwind::Frame& SelectedFrame();
  void PrintFrameLine(const unwind::Frame& frame);
  void PrintBacktrace(std::size_t thread_index, std::optional<long> limit);
  void SelectFrame(long index);
  // A register of the selected frame, by our name or gdb's ($pc, $sp, $fp): nullopt when the
  // unwinder did not recover it there.
  std::optional<std::uint64_t> FrameRegister(const std::string& name);
  // ADDR expressions: numbers, $registers, symbols, and + / - of those.
  std::uint64_t EvaluateAddress(const std::string& text);

  void Backtrace(const std::string& args);
  void Frame(const std::string& args);
  void Info(const std::string& args);
  void InfoRegisters(const std::string& args, bool all);
  void InfoThreads();
  void InfoFrame();
  void Thread(const std::string& args);
  void Examine(const std::string& args);
  void Help(const std::string& args);

  target::Target& target_;
  unwind::Unwinder& unwinder_;
  std::FILE* out_;
  std::FILE* err_;
  std::map<std::string, Command> commands_;
  std::map<std::string, std::string> aliases_;
  std::map<std::size_t, unwind::ThreadBacktrace> backtraces_;
  std::size_t thread_ = 0;
  std::size_t frame_ = 0;
  bool quit_ = false;
};

}  // namespace corekit::tools
