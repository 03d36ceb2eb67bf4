// Debugger: gdb's post-mortem commands over a Target and its Unwinder — the session state
// (selected thread and frame) and one method that runs a command line.
//
// Commands take gdb's names and forms, and unambiguous prefixes of them: backtrace/bt [N] [full],
// frame [N], frame function NAME, up [N], down [N], info frame, info threads, thread [N],
// thread apply all CMD, info registers [REG...], info all-registers, print[/F] EXPR, output,
// ptype, whatis, info locals, info args, x/NFU ADDR, info symbol, list, disassemble, info sharedlibrary,
// info signal, info proc mappings, info auxv, help, quit. Expressions are eval::Evaluator's.
// Execution commands (run, continue, step...) answer that a core cannot run. An error ends the
// command, never the session: Execute() prints it and returns true. Interrupt() (from a SIGINT
// handler) ends the running command at its next step with "Quit".
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <csignal>

#include "corekit/analyze/source_lines.h"
#include "corekit/eval/evaluator.h"
#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::tools {

// An error in one command: printed, and the session goes on.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Debugger {
 public:
  Debugger(target::Target& target, unwind::Unwinder& unwinder, std::FILE* out, std::FILE* err,
           std::vector<std::string> source_dirs = {});
  ~Debugger();
  Debugger(const Debugger&) = delete;
  Debugger& operator=(const Debugger&) = delete;

  // What gdb says on opening a core: the command line, the signal, the crashing frame.
  void PrintBanner();
  // Runs one command line; false when it was `quit`.
  bool Execute(const std::string& line);
  // The command names, for completion.
  std::vector<std::string> CommandNames() const;
  // Variables, functions and types starting with `prefix`, for completion of expressions.
  std::vector<std::string> SymbolNames(const std::string& prefix);
  // Async-signal-safe: asks the running command to stop.
  static void Interrupt() { interrupt_ = 1; }
  static void ClearInterrupt() { interrupt_ = 0; }
  std::string Prompt() const { return "(corekit) "; }
  // At a terminal, gdb says a little more (that more frames follow a limited bt).
  void SetInteractive(bool interactive) { interactive_ = interactive; }

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
  // gdb's frame line: "#1  0x... in f (a=1) at file.c:12"; with_source adds the line's text.
  void PrintFrameLine(const unwind::Frame& frame, bool with_source = false);
  std::string GdbFrameText(const unwind::Frame& frame);
  std::string LibraryName(const unwind::Frame& frame) const;
  // " <symbol+offset>" for an address in a symbol, "" otherwise; by the linkage name where gdb
  // shows one (x, x/i, disassembled operands, info line: its asm-demangle is off).
  std::string AddressLabel(std::uint64_t address, bool linkage = false);
  // The frames outward from `frame` in the selected thread's backtrace (what it returns to).
  std::span<const unwind::Frame> CallersOf(const unwind::Frame& frame);
  // The evaluator looking at the selected frame.
  eval::Evaluator& Evaluator();
  eval::Value EvaluateOrThrow(const std::string& expression);
  // Throws "Quit" when Interrupt() was called since the command began.
  void CheckInterrupt();
  void PrintBacktrace(std::size_t thread_index, std::optional<long> limit, bool full = false);
  void SelectFrame(long index);
  // A register of the selected frame, by our name or gdb's ($pc, $sp, $fp): nullopt when the
  // unwinder did not recover it there.
  std::optional<std::uint64_t> FrameRegister(const std::string& name);
  // gdb's frame base on x86-64 ("Arglist at"), from the function's prologue.
  std::optional<std::uint64_t> Amd64FrameBase(const unwind::Frame& frame);
  // ADDR expressions: numbers, $registers, symbols, and + / - of those.
  std::uint64_t EvaluateAddress(const std::string& text);

  void Backtrace(const std::string& args);
  void Frame(const std::string& args);
  void Info(const std::string& args);
  void InfoRegisters(const std::string& args, bool all);
  void InfoThreads();
  // gdb's name for a thread: "Thread 0x7f37bcb07740 (LWP 4304)", or "LWP 4304".
  std::string TargetId(std::size_t thread_index) const;
  void InfoFrame();
  void InfoSymbol(const std::string& args);
  void InfoSource();
  void InfoSharedLibrary();
  // symbol_commands.cpp. A linespec as info line and info scope take it: *ADDRESS, a function
  // (its entry), LINE in the current source file, FILE:LINE; "" is the current line.
  struct LineSpec {
    std::optional<std::uint64_t> address;
    std::string file;
    int line = 0;
  };
  LineSpec ParseLineSpec(const std::string& text);
  void InfoLine(const std::string& args);
  void InfoAddress(const std::string& args);
  void InfoScope(const std::string& args);
  void InfoFiles();
  void InfoSymbols(eval::Evaluator::SymbolKind kind, const std::string& args);
  void Thread(const std::string& args);
  void Examine(const std::string& args);
  void Help(const std::string& args);
  // data_commands.cpp
  void Print(const std::string& args, bool record);
  void Ptype(const std::string& args, bool whatis);
  void PrintNamedValues(bool locals, const std::string& indent);
  void List(const std::string& args);
  void Disassemble(const std::string& args);
  // Prints `count` instructions from `address` (x/i), "=> " marking the selected frame's pc;
  // returns the address after the last one.
  std::uint64_t PrintInstructions(std::uint64_t address, std::size_t count, std::uint64_t end, bool offsets);

  // settings.cpp: gdb's set and show. A setting has gdb's name, its kind and gdb's sentence for
  // `show`.
  struct Setting {
    enum class Kind { kBool, kLimit, kEnum, kText };
    std::string name;  // "print pretty"
    Kind kind;
    std::string sentence;  // with {} for the value
    std::vector<std::string> choices;
    std::function<std::string()> get;
    std::function<void(const std::string&)> set;  // a value already checked against the kind
  };
  void RegisterSettings();
  const Setting* FindSetting(const std::string& text, std::string* rest, std::string* group) const;
  void Set(const std::string& args);
  void Show(const std::string& args);
  void SetLogging(bool on);
  // The convenience variables that follow the selected thread ($_siginfo, $_thread).
  void UpdateThreadVariables();
  // A C integer type by name ("int32_t"), else int.
  const eval::Type* IntType(const char* name = "int");

  target::Target& target_;
  unwind::Unwinder& unwinder_;
  std::FILE* out_;
  std::FILE* err_;
  std::map<std::string, Command> commands_;
  std::map<std::string, std::string> aliases_;
  std::map<std::size_t, unwind::ThreadBacktrace> backtraces_;
  std::map<std::size_t, std::uint64_t> past_main_pc_;  // by thread: the pc main returns to (hidden)
  std::size_t thread_ = 0;
  std::size_t frame_ = 0;
  bool quit_ = false;
  bool interactive_ = false;
  eval::Evaluator evaluator_;
  const unwind::Frame* evaluator_frame_ = nullptr;
  analyze::SourceLines sources_;
  std::set<std::string> missing_sources_;  // files already reported missing
  // Where `list` goes on from: the frame it listed, and the next line.
  std::optional<std::pair<const unwind::Frame*, int>> list_next_;
  static volatile std::sig_atomic_t interrupt_;
  // The last x command's count, format and unit, and where it ended (a bare `x` goes on there).
  struct ExamineState {
    std::size_t count = 1;
    char format = 'x';
    char unit = 'w';
    std::optional<std::uint64_t> next;
  } examine_;
  std::vector<Setting> settings_;
  char last_format_ = 0;  // gdb's last_format: the last letter print/F or x/F used
  bool pagination_ = true;
  bool confirm_ = true;
  unsigned height_ = 0, width_ = 0;  // 0: unlimited, as gdb has them without a terminal
  unsigned listsize_ = 10;
  // `list`'s lines: listsize, unlimited (0) read as a large count.
  int ListLines() const { return listsize_ == 0 ? 1000000 : static_cast<int>(listsize_); }
  struct Tee {
    std::FILE* screen;  // nullptr with `set logging redirect on`
    std::FILE* file;
  };
  struct Logging {
    std::string file = "gdb.txt";
    bool overwrite = false, redirect = false;
    std::FILE* out = nullptr;  // while enabled: the tees out_ and err_ now are
    std::FILE* err = nullptr;
    std::FILE* file_stream = nullptr;
    std::FILE* screen_out = nullptr;
    std::FILE* screen_err = nullptr;
  } logging_;
  std::optional<std::size_t> variables_thread_;
  const unwind::Frame* source_frame_ = nullptr;  // the last frame line with a source file  // the thread $_siginfo and $_thread describe
};

}  // namespace corekit::tools
