// corekit debug CORE|PID: an interactive post-mortem debugger with gdb's habits (repl/debugger.h).
// Interactive: libedit line editing, history and tab completion of command names. --batch runs
// the -ex commands and -x files in order and exits, like gdb -batch.
#include <editline/readline.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "backtrace_render.h"
#include "render.h"
#include "symbol_fetch.h"
#include "repl/debugger.h"

namespace corekit::tools {
namespace {

struct DebugOptions {
  CommonOptions common;
  std::vector<std::string> commands;  // -ex
  std::vector<std::string> scripts;   // -x
  bool batch = false;
};

Debugger* completing = nullptr;  // libedit's completion callbacks take no context
volatile sig_atomic_t interrupted = 0;

// Ctrl-C: while a line is typed, libedit restores the terminal, calls this, and goes on reading;
// the line is then dropped with gdb's "Quit" instead of run. While a command runs, the command
// stops at its next step with "Quit".
void OnInterrupt(int) {
  interrupted = 1;
  Debugger::Interrupt();
}

char* CompleteCommand(const char* text, int state) {
  static std::vector<std::string> matches;
  static std::size_t next = 0;
  if (state == 0) {
    matches.clear();
    next = 0;
    for (const std::string& name : completing->CommandNames()) {
      if (name.rfind(text, 0) == 0) matches.push_back(name);
    }
  }
  return next < matches.size() ? ::strdup(matches[next++].c_str()) : nullptr;
}

char* CompleteSymbol(const char* text, int state) {
  static std::vector<std::string> matches;
  static std::size_t next = 0;
  if (state == 0) {
    matches = completing->SymbolNames(text);
    // libedit prints the candidates to the terminal itself: a name from the core that is not
    // plain printable text (an escape sequence in a symbol) is not offered, as it cannot be typed.
    std::erase_if(matches, [](const std::string& name) { return Printable(name) != name; });
    next = 0;
  }
  return next < matches.size() ? ::strdup(matches[next++].c_str()) : nullptr;
}

// The first word completes to a command, later words to variables, functions and types.
char** Complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, start == 0 ? CompleteCommand : CompleteSymbol);
}

int Interactive(Debugger& debugger, SymbolFetch& fetch) {
  completing = &debugger;
  rl_attempted_completion_function = Complete;
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  const std::string prompt = debugger.Prompt();
  for (;;) {
    interrupted = 0;
    char* line = readline(prompt.c_str());
    if (!line && !interrupted) {  // Ctrl-D
      Print("quit\n");
      return 0;
    }
    const std::string text = line ? line : "";
    std::free(line);
    if (interrupted) {
      Print("Quit\n");
      continue;
    }
    if (!text.empty()) add_history(text.c_str());
    Debugger::ClearInterrupt();
    const bool go_on = debugger.Execute(text);
    fetch.PrintNewWarnings();
    if (!go_on) return 0;
  }
}

int Run(target::Target& target, const DebugOptions& options) {
  SymbolFetch fetch(options.common);
  auto unwinder = unwind::Unwinder::Create(target, fetch.UnwindOptions());
  if (!unwinder) return Fail(unwinder.error());
  Debugger debugger(target, **unwinder, stdout, stderr, options.common.source_dirs);
  // Each command, then what finding its files brought up (a server down, a dwz file missing).
  auto execute = [&](const std::string& line) {
    const bool go_on = debugger.Execute(line);
    fetch.PrintNewWarnings();
    return go_on;
  };
  try {
    debugger.PrintBanner();
  } catch (const std::exception& e) {  // a damaged core: the session still opens
    PrintTo(stderr, "{}\n", e.what());
  }
  fetch.PrintNewWarnings();
  for (const std::string& script : options.scripts) {
    std::ifstream in(script);
    if (!in) return Fail("cannot read " + script + ": " + std::strerror(errno));
    for (std::string line; std::getline(in, line);) {
      if (!execute(line)) return 0;
    }
  }
  for (const std::string& command : options.commands) {
    if (!execute(command)) return 0;
  }
  if (options.batch || !::isatty(STDIN_FILENO)) {
    if (!options.batch) {  // commands on stdin, as gdb reads them from a pipe
      for (std::string line; std::getline(std::cin, line);) {
        if (!execute(line)) return 0;
      }
    }
    return 0;
  }
  debugger.SetInteractive(true);
  return Interactive(debugger, fetch);
}

}  // namespace

void AddDebugCommand(CLI::App& app, Runner& run) {
  auto options = std::make_shared<DebugOptions>();
  CLI::App* command = app.add_subcommand("debug", "interactive post-mortem debugger with gdb's commands");
  command->footer(R"(gdb's commands and answers on a core or a stopped process: bt [full], frame, up, down, info
frame/threads/locals/args/registers/symbol/sharedlibrary/signal/auxv, thread, thread apply,
print, output, ptype, whatis, x, list, disassemble, set/show (print pretty, elements, repeats,
address, frame-arguments..., pagination, listsize, logging); 'help' lists them. C++'s standard
containers, strings and smart pointers print as gdb's libstdc++ printers show them (print/r:
their structure); $_siginfo, $_exitsignal, $_thread, $_ and $__ are set. Line editing, history
and tab completion of commands and symbol names; Ctrl-C stops a long command.

Example:
  corekit debug core
  corekit debug core --batch -ex 'bt full' -ex 'p *list')");
  AddCommonOptions(*command, options->common);
  // gdb's -ex: CLI11 takes no two-letter short options, so main() passes it on as --ex.
  command->add_option("--ex,--eval-command", options->commands, "run this command (-ex works too; repeatable, in order)");
  command->add_option("-x,--command", options->scripts, "run the commands in this file (repeatable)");
  command->add_flag("--batch", options->batch, "run the -ex and -x commands, then exit");
  RunWhenParsed(*command, run, options, Run);
}

}  // namespace corekit::tools
