#include "repl/debugger.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include "backtrace_render.h"
#include "render.h"
#include "repl/command_text.h"

namespace corekit::tools {
namespace {

long ParseCount(const std::string& text, long fallback) {
  if (text.empty()) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 0);
  if (*end != '\0') throw CommandError("Invalid number \"" + text + "\".");
  return value;
}

// The model's name for a register gdb names differently.
std::string CanonicalRegister(std::string name) {
  if (!name.empty() && name[0] == '$') name.erase(0, 1);
  if (name == "eflags") return "rflags";
  if (name == "fs_base") return "fs.base";
  if (name == "gs_base") return "gs.base";
  return name;
}

// gdb's name for a register of the model.
std::string GdbRegisterName(const std::string& name) {
  if (name == "rflags") return "eflags";
  if (name == "fs.base") return "fs_base";
  if (name == "gs.base") return "gs_base";
  return name;
}

}  // namespace

volatile std::sig_atomic_t Debugger::interrupt_ = 0;

Debugger::Debugger(target::Target& target, unwind::Unwinder& unwinder, std::FILE* out, std::FILE* err,
                   std::vector<std::string> source_dirs)
    : target_(target), unwinder_(unwinder), out_(out), err_(err), evaluator_(target, unwinder),
      sources_(std::move(source_dirs), [&unwinder](const unwind::Frame& f, const std::string& path) {
        return unwinder.FetchSource(f, path);
      }) {
  const std::size_t crashed = [&] {
    const auto tid = target.process().signalled_thread;
    for (std::size_t i = 0; tid && i < target.threads().size(); ++i) {
      if (target.threads()[i].tid == *tid) return i;
    }
    return std::size_t{0};
  }();
  thread_ = crashed;
  // gdb's $_exitsignal on a core of a process a signal killed ($_exitcode stays void).
  if (target.process().signal && target.producer() != target::Producer::kLive) {
    evaluator_.SetConvenience("_exitsignal", evaluator_.MakeScalar(IntType(), static_cast<std::uint64_t>(target.process().signal->number)));
  }
  RegisterSettings();
  Register("backtrace", "backtrace [N]: the selected thread's frames (the innermost N)", [this](const std::string& a) { Backtrace(a); });
  Alias("bt", "backtrace");
  Alias("where", "backtrace");
  Register("frame", "frame [N] | frame function NAME: select a frame, or show the selected one", [this](const std::string& a) { Frame(a); });
  Alias("f", "frame");
  Register("up", "up [N]: select the frame N outer (callers) of this one", [this](const std::string& a) {
    SelectFrame(static_cast<long>(frame_) + ParseCount(a, 1));
  });
  Register("down", "down [N]: select the frame N inner of this one", [this](const std::string& a) {
    SelectFrame(static_cast<long>(frame_) - ParseCount(a, 1));
  });
  Register("info", "info threads|frame|locals|args|registers|all-registers|sharedlibrary|signal|source|line|address|scope|files|target|functions|variables|types [REGEX]|proc [exe|cmdline|mappings]|auxv", [this](const std::string& a) { Info(a); });
  Alias("i", "info");
  Register("thread", "thread [N] | thread apply all bt: select thread N (as `info threads` numbers them)", [this](const std::string& a) { Thread(a); });
  Register("x", "x/NFU ADDR: examine memory; F: x d u o t c s a i, U: b h w g", [this](const std::string& a) { Examine(a); });
  Register("print", "print[/F] EXPR: evaluate EXPR in the selected frame (F: x d u o t c a z)", [this](const std::string& a) { Print(a, true); });
  Alias("p", "print");
  Alias("inspect", "print");
  Register("output", "output EXPR: print the value alone, without history or newline", [this](const std::string& a) { Print(a, false); });
  Register("call", "call FUNC(ARGS): not for a core — the program is not running", [](const std::string&) {
    throw CommandError("You can't do that without a process to debug.");
  });
  Register("ptype", "ptype EXPR|TYPE: the type, structs and enums expanded", [this](const std::string& a) { Ptype(a, false); });
  Register("whatis", "whatis EXPR|TYPE: the type's name", [this](const std::string& a) { Ptype(a, true); });
  Register("list", "list [LINE|FUNCTION|FILE:LINE]: source lines around the frame's line, then the next ones", [this](const std::string& a) { List(a); });
  Alias("l", "list");
  Register("disassemble", "disassemble [ADDR]: the selected frame's function, => at its pc", [this](const std::string& a) { Disassemble(a); });
  Register("help", "help [COMMAND]", [this](const std::string& a) { Help(a); });
  Register("echo", "echo TEXT: print TEXT (\\n for a newline), as gdb's scripts use it", [this](const std::string& a) {
    std::string text;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == '\\' && i + 1 < a.size()) {
        const char c = a[++i];
        text += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        text += a[i];
      }
    }
    PrintTo(out_, "{}", text);
  });
  Alias("h", "help");
  Register("quit", "quit: end the session", [this](const std::string&) { quit_ = true; });
  Alias("q", "quit");
  for (const char* run : {"run", "continue", "step", "next", "stepi", "nexti", "finish", "start", "kill", "signal", "jump", "until"}) {
    Register(run, std::string(run) + ": not for a core — the program is not running", [](const std::string&) {
      throw CommandError("The program is not being run.");
    });
  }
  Alias("c", "continue");
  Alias("s", "step");
  Alias("n", "next");
  Alias("r", "run");
}

void Debugger::PrintBanner() {
  const target::Process& process = target_.process();
  if (target_.producer() == target::Producer::kLive) {
    // gdb's words on attaching; the process stays stopped until the session ends.
    PrintTo(out_, "Attached to process {}{}.\n", process.pid.value_or(0),
               process.command_line.empty() ? "" : " (" + process.command_line + ")");
  } else if (!process.command_line.empty()) {
    PrintTo(out_, "Core was generated by `{}'.\n", Printable(process.command_line));
  }
  if (process.signal && target_.producer() != target::Producer::kLive) {
    // gdb's descriptions of the signals a crash ends with.
    static const std::pair<const char*, const char*> kDescriptions[] = {
        {"SIGSEGV", "Segmentation fault"}, {"SIGABRT", "Aborted"}, {"SIGFPE", "Arithmetic exception"},
        {"SIGBUS", "Bus error"}, {"SIGILL", "Illegal instruction"}, {"SIGTRAP", "Trace/breakpoint trap"},
        {"SIGQUIT", "Quit"}, {"SIGKILL", "Killed"}, {"SIGTERM", "Terminated"}, {"SIGSYS", "Bad system call"},
        {"SIGINT", "Interrupt"}, {"SIGHUP", "Hangup"}, {"SIGPIPE", "Broken pipe"}, {"SIGALRM", "Alarm clock"},
        {"SIGXCPU", "CPU time limit exceeded"}, {"SIGXFSZ", "File size limit exceeded"}};
    const std::string name(elf::SignalName(process.signal->number));
    std::string description;
    for (const auto& [signal, text] : kDescriptions) {
      if (name == signal) description = text;
    }
    PrintTo(out_, "Program terminated with signal {}{}.\n", name, description.empty() ? "" : ", " + description);
  }
  if (thread_ < target_.threads().size() && !Backtrace(thread_).frames.empty()) {
    PrintFrameLine(SelectedFrame(), true);
    if (target_.threads().size() > 1) {
      PrintTo(out_, "[Current thread is {} ({})]\n", thread_ + 1, TargetId(thread_));
    }
  }
  std::fflush(out_);
}

void Debugger::Register(const std::string& name, std::string help, Handler run) {
  commands_[name] = Command{std::move(run), std::move(help)};
}

void Debugger::Alias(const std::string& alias, const std::string& name) { aliases_[alias] = name; }

std::vector<std::string> Debugger::CommandNames() const {
  std::vector<std::string> names;
  for (const auto& [name, command] : commands_) names.push_back(name);
  return names;
}

const Debugger::Command* Debugger::Find(const std::string& word, std::string* error) const {
  if (auto alias = aliases_.find(word); alias != aliases_.end()) return &commands_.at(alias->second);
  if (auto exact = commands_.find(word); exact != commands_.end()) return &exact->second;
  std::vector<std::string> matches;
  for (const auto& [name, command] : commands_) {
    if (name.rfind(word, 0) == 0) matches.push_back(name);
  }
  if (matches.size() == 1) return &commands_.at(matches[0]);
  if (matches.empty()) {
    *error = "Undefined command: \"" + word + "\".  Try \"help\".";
  } else {
    std::string list;
    for (const std::string& m : matches) list += (list.empty() ? "" : ", ") + m;
    *error = "Ambiguous command \"" + word + "\": " + list + ".";
  }
  return nullptr;
}

bool Debugger::Execute(const std::string& raw) {
  const std::string line = Trim(raw);
  if (line.empty() || line[0] == '#') return true;
  auto [word, args] = SplitCommand(line);
  std::string error;
  const Command* command = Find(word, &error);
  try {
    if (!command) throw CommandError(error);
    command->run(args);
  } catch (const std::exception& e) {  // CommandError, and anything a damaged core provokes
    std::fflush(out_);
    PrintTo(err_, "{}\n", e.what());
  }
  std::fflush(out_);
  return !quit_;
}

const unwind::ThreadBacktrace& Debugger::Backtrace(std::size_t thread_index) {
  if (thread_index >= target_.threads().size()) throw CommandError("No stack.");  // a core without threads
  auto it = backtraces_.find(thread_index);
  if (it == backtraces_.end()) {
    unwind::ThreadBacktrace bt = unwinder_.Backtrace(target_.threads().at(thread_index));
    // gdb's `backtrace past-main off`: the frames outside main (libc's start-up) are not shown.
    for (std::size_t i = 0; i < bt.frames.size(); ++i) {
      if (!bt.frames[i].inlined && bt.frames[i].function && *bt.frames[i].function == "main") {
        if (i + 1 < bt.frames.size()) past_main_pc_[thread_index] = bt.frames[i + 1].pc;  // main's return address
        bt.frames.resize(i + 1);
        break;
      }
    }
    it = backtraces_.emplace(thread_index, std::move(bt)).first;
  }
  return it->second;
}

const unwind::Frame& Debugger::SelectedFrame() {
  const auto& bt = Backtrace(thread_);
  if (bt.frames.empty()) throw CommandError("No stack.");
  return bt.frames.at(std::min(frame_, bt.frames.size() - 1));
}

Debugger::~Debugger() { SetLogging(false); }

const eval::Type* Debugger::IntType(const char* name) {
  auto type = evaluator_.ParseType(name);
  if (!type) type = evaluator_.ParseType("int");
  return type ? *type : nullptr;
}

void Debugger::UpdateThreadVariables() {
  if (variables_thread_ == thread_) return;
  variables_thread_ = thread_;
  const auto& threads = target_.threads();
  evaluator_.SetSiginfo(thread_ < threads.size() ? std::span<const std::uint8_t>(threads[thread_].siginfo) : std::span<const std::uint8_t>());
  const auto number = evaluator_.MakeScalar(IntType(), thread_ + 1);
  evaluator_.SetConvenience("_thread", number);
  evaluator_.SetConvenience("_gthread", number);
}

eval::Evaluator& Debugger::Evaluator() {
  UpdateThreadVariables();
  const unwind::Frame* frame = nullptr;
  if (thread_ < target_.threads().size() && !Backtrace(thread_).frames.empty()) frame = &SelectedFrame();
  if (frame != evaluator_frame_) {
    evaluator_.SelectFrame(frame, frame ? CallersOf(*frame) : std::span<const unwind::Frame>());
    evaluator_frame_ = frame;
  }
  return evaluator_;
}

eval::Value Debugger::EvaluateOrThrow(const std::string& expression) {
  auto value = Evaluator().Evaluate(expression);
  if (!value) throw CommandError(value.error().message);
  return *value;
}

void Debugger::CheckInterrupt() {
  if (interrupt_) throw CommandError("Quit");  // cleared by the front end before each command
}

std::span<const unwind::Frame> Debugger::CallersOf(const unwind::Frame& f) {
  const auto& frames = Backtrace(thread_).frames;
  if (f.index >= frames.size() || &frames[f.index] != &f) return {};
  return std::span<const unwind::Frame>(frames).subspan(f.index + 1);
}

// The name gdb gives the library holding `pc` in "from LIB": the dynamic linker's, when the link
// map names it ("/lib/x86_64-linux-gnu/libc.so.6"), else the frame's module path.
std::string Debugger::LibraryName(const unwind::Frame& f) const {
  for (const unwind::Module& m : unwinder_.modules()) {
    if (f.pc >= m.start && f.pc < m.end && !m.link_map_name.empty()) return m.link_map_name;
  }
  return f.module;
}

std::string Debugger::GdbFrameText(const unwind::Frame& f) {
  const auto& frames = Backtrace(thread_).frames;
  if (f.how == "signal-trampoline") return fmt::format("#{:<3}<signal handler called>", f.index);
  // gdb shows the pc unless the frame is a caller an inlined call was expanded from (its pc is
  // its callee's) or the pc starts a line exactly (a frame stopped at a line's first instruction).
  const bool holds_inlined_call = f.index > 0 && frames[f.index - 1].inlined && frames[f.index - 1].pc == f.pc;
  bool show_address = !holds_inlined_call;
  if (show_address && f.lookup == f.pc && unwinder_.IsLineStart(f.pc)) show_address = false;
  std::string text = fmt::format("#{:<3}", f.index);
  if (show_address) text += HexAddress(f.pc, target_.abi().is64) + " in ";
  if (!f.function) return text + "?? ()" + (f.module.empty() ? "" : " from " + LibraryName(f));
  if (f.dwarf_function) {
    text += Evaluator().FrameFunctionName(f).value_or(unwind::WithoutSignature(*f.function));
  } else {
    text += unwinder_.MinimalSymbolName(f.lookup).value_or(*f.function);
  }
  text += " (" + (f.dwarf_function ? Evaluator().FrameArguments(f, CallersOf(f)) : std::string()) + ")";
  if (f.file) {
    text += fmt::format(" at {}:{}", *f.file, f.line.value_or(0));
  } else if (!f.module.empty()) {
    text += " from " + LibraryName(f);
  }
  return text;
}

void Debugger::PrintFrameLine(const unwind::Frame& f, bool with_source) {
  PrintTo(out_, "{}\n", Printable(GdbFrameText(f)));  // names and paths: one frame, one line
  if (f.file && f.dwarf_function) source_frame_ = &f;
  if (!with_source || !f.file || !f.line) return;
  if (auto text = sources_.Line(f)) {
    PrintTo(out_, "{}\t{}\n", *f.line, Printable(*text));
  } else {
    // gdb says so on stderr the first time, and then only "LINE\tin FILE" on stdout.
    if (missing_sources_.insert(*f.file).second) {
      std::fflush(out_);
      PrintTo(err_, "{}\t{}: No such file or directory.\n", *f.line, Printable(*f.file));
    } else {
      PrintTo(out_, "{}\tin {}\n", *f.line, Printable(*f.file));
    }
  }
  list_next_.reset();  // `list` now centers on this frame's line
}

void Debugger::PrintBacktrace(std::size_t thread_index, std::optional<long> limit, bool full) {
  const std::size_t selected_thread = thread_;
  thread_ = thread_index;
  const auto& bt = Backtrace(thread_index);
  std::size_t shown = 0;
  for (const unwind::Frame& f : bt.frames) {
    CheckInterrupt();
    if (limit && static_cast<long>(shown) >= *limit) {
      if (interactive_) PrintTo(out_, "(More stack frames follow...)\n");
      break;
    }
    PrintFrameLine(f);
    if (full) {
      const std::size_t frame = frame_;
      frame_ = f.index;
      try {
        PrintNamedValues(true, "        ");
      } catch (const CommandError& e) {
        PrintTo(out_, "{}\n", e.what());
      }
      frame_ = frame;
    }
    ++shown;
  }
  thread_ = selected_thread;
  if (bt.truncated) PrintTo(out_, "... truncated: {}\n", bt.stop_reason);
}

void Debugger::Backtrace(const std::string& args) {
  std::istringstream in(args);
  std::optional<long> limit;
  bool full = false;
  for (std::string word; in >> word;) {
    if (word == "full" || word == "-full") {
      full = true;
      continue;
    }
    limit = ParseCount(word, 0);
  }
  PrintBacktrace(thread_, limit, full);
}

void Debugger::SelectFrame(long index) {
  const auto& bt = Backtrace(thread_);
  if (bt.frames.empty()) throw CommandError("No stack.");
  if (index < 0) throw CommandError("Bottom (innermost) frame selected; you cannot go down.");
  if (index >= static_cast<long>(bt.frames.size())) throw CommandError("Initial frame selected; you cannot go up.");
  frame_ = static_cast<std::size_t>(index);
  PrintFrameLine(SelectedFrame(), true);
}

void Debugger::Frame(const std::string& args) {
  if (args.empty()) {
    PrintFrameLine(SelectedFrame(), true);
    return;
  }
  if (args.rfind("function ", 0) == 0) {
    const std::string name = Trim(args.substr(9));
    const auto& bt = Backtrace(thread_);
    for (std::size_t i = 0; i < bt.frames.size(); ++i) {
      const auto& fn = bt.frames[i].function;
      if (fn && (*fn == name || unwind::WithoutSignature(*fn) == name)) {
        SelectFrame(static_cast<long>(i));
        return;
      }
    }
    throw CommandError("No frame for function \"" + name + "\".");
  }
  SelectFrame(ParseCount(args, 0));
}

void Debugger::Thread(const std::string& args) {
  const auto& threads = target_.threads();
  if (args.rfind("apply all", 0) == 0) {
    std::string command = Trim(args.substr(9));
    if (command.empty()) throw CommandError("Please specify a command following the thread ID list");
    const std::size_t selected = thread_, frame = frame_;
    for (std::size_t i = threads.size(); i-- > 0;) {  // gdb goes from the highest number down
      CheckInterrupt();
      PrintTo(out_, "\nThread {} ({}):\n", i + 1, TargetId(i));
      thread_ = i;
      frame_ = 0;
      Execute(command);
    }
    thread_ = selected;
    frame_ = frame;
    return;
  }
  if (threads.empty()) throw CommandError("No threads.");
  if (args.empty()) {
    PrintTo(out_, "[Current thread is {} ({})]\n", thread_ + 1, TargetId(thread_));
    return;
  }
  const long n = ParseCount(args, 0);
  if (n < 1 || n > static_cast<long>(threads.size())) throw CommandError("Invalid thread ID: " + args);
  thread_ = static_cast<std::size_t>(n - 1);
  frame_ = 0;
  PrintTo(out_, "[Switching to thread {} ({})]\n", n, TargetId(thread_));
  PrintFrameLine(SelectedFrame(), true);
}

std::string Debugger::TargetId(std::size_t thread_index) const {
  const target::Thread& t = target_.threads().at(thread_index);
  // On x86-64 a thread's fs base is its pthread_t, which gdb (through libthread_db) shows.
  if (target_.abi().arch == elf::Arch::kX86_64) {
    if (const elf::Register* fs = t.FindRegister("fs.base"); fs && fs->value != 0) {
      return fmt::format("Thread {:#x} (LWP {})", fs->value, t.tid);
    }
  }
  return fmt::format("LWP {}", t.tid);
}

void Debugger::InfoThreads() {
  const auto& threads = target_.threads();
  std::size_t width = std::string("Target Id").size();
  for (std::size_t i = 0; i < threads.size(); ++i) width = std::max(width, TargetId(i).size());
  PrintTo(out_, "  {:<4} {:<{}} Frame \n", "Id", "Target Id", width);
  const std::size_t selected = thread_;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    CheckInterrupt();
    thread_ = i;  // frame lines read the thread's own backtrace
    std::string where;
    try {
      const auto& bt = Backtrace(i);
      if (!bt.frames.empty()) where = GdbFrameText(bt.frames[0]).substr(4);
    } catch (const CommandError&) {
    }
    thread_ = selected;
    PrintTo(out_, "{} {:<4} {:<{}} {}\n", i == selected ? "*" : " ", i + 1, TargetId(i), width, where);
  }
}

void Debugger::InfoFrame() {
  const unwind::Frame& f = SelectedFrame();
  const auto& frames = Backtrace(thread_).frames;
  eval::Evaluator& evaluator = Evaluator();
  const auto facts = evaluator.DescribeFrame(f);
  // A tail-call frame has no stack of its own: gdb gives it the CFA of the frame it jumped to.
  std::function<std::optional<std::uint64_t>(std::size_t)> cfa_of = [&](std::size_t index) {
    if (frames[index].how == "tail-call" && index > 0) return cfa_of(index - 1);
    return evaluator.DescribeFrame(frames[index]).cfa;
  };
  auto hex = [](std::optional<std::uint64_t> v) { return v ? fmt::format("{:#x}", *v) : std::string("<unavailable>"); };
  const bool x86_64 = target_.abi().arch == elf::Arch::kX86_64;
  const std::string pc_name = x86_64 ? "rip" : "pc";
  PrintTo(out_, "Stack level {}, frame at {}:\n", f.index, hex(cfa_of(f.index)));
  std::string where = fmt::format(" {} = {:#x}", pc_name, f.pc);
  if (f.function) where += " in " + (f.file ? unwind::WithoutSignature(*f.function) : *f.function);
  if (f.file) where += fmt::format(" ({}:{})", *f.file, f.line.value_or(0));
  // The caller's pc: the next physical frame's.
  // A tail-call frame returns where the frame that called it returns (gdb's "saved rip").
  std::optional<std::uint64_t> saved_pc;
  std::size_t from = f.index;
  if (f.how == "tail-call" && f.index + 1 < frames.size()) from = f.index + 1;
  for (std::size_t i = from + 1; i < frames.size(); ++i) {
    if (frames[i].pc != frames[from].pc || !frames[i - 1].inlined) {
      saved_pc = frames[i].pc;
      break;
    }
  }
  if (!saved_pc) {
    if (auto it = past_main_pc_.find(thread_); it != past_main_pc_.end()) saved_pc = it->second;
  }
  PrintTo(out_, "{}; saved {} = {}\n", where, pc_name, hex(saved_pc));
  std::string links;
  if (f.inlined) {
    links += fmt::format(" inlined into frame {}", f.index + 1);
  } else if (f.how == "tail-call") {
    links += " tail call frame";
  } else if (f.index + 1 < frames.size()) {
    links += " called by frame at " + hex(cfa_of(f.index + 1));
  }
  if (f.index > 0) links += std::string(links.empty() ? " " : ", ") + "caller of frame at " + hex(cfa_of(f.index - 1));
  if (!links.empty()) PrintTo(out_, "{}\n", links);
  if (!facts.language.empty()) PrintTo(out_, " source language {}.\n", facts.language);
  if (f.inlined || f.how == "tail-call") {
    PrintTo(out_, " Arglist at unknown address.\n Locals at unknown address, Previous frame's sp in {}\n", x86_64 ? "rsp" : "sp");
    return;
  }
  if (x86_64 && facts.cfa) {
    const std::uint64_t base = Amd64FrameBase(f).value_or(*facts.cfa - 16);
    PrintTo(out_, " Arglist at {:#x}, args: {}\n", base, f.dwarf_function ? evaluator.FrameArguments(f, CallersOf(f)) : std::string());
    PrintTo(out_, " Locals at {:#x}, Previous frame's sp is {:#x}\n", base, *facts.cfa);
  }
  if (!facts.saved.empty()) {
    // In gdb's register order (rax, rbx, rcx, rdx...), not DWARF's.
    static const unsigned kGdbOrder[] = {0, 3, 2, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    std::string saved;
    for (unsigned regno : kGdbOrder) {
      for (const auto& [number, address] : facts.saved) {
        if (number != regno) continue;
        std::string name(unwinder_.RegisterName(regno));
        if (regno == 16 && x86_64) name = "rip";
        saved += fmt::format("{}{} at {:#x}", saved.empty() ? "" : ", ", name, address);
      }
    }
    PrintTo(out_, " Saved registers:\n  {}\n", saved);
  }
}

std::optional<std::uint64_t> Debugger::Amd64FrameBase(const unwind::Frame& f) {
  // As gdb's amd64 prologue analyzer has it: past `push %rbp; mov %rsp,%rbp` at the function's
  // start (after an endbr64), the base is rbp; otherwise rsp, less 8 before the push.
  const auto bounds = unwinder_.SymbolBounds(f.lookup);
  const auto rsp = FrameRegister("rsp");
  if (!bounds || !rsp) return std::nullopt;
  std::uint8_t code[16] = {};
  auto got = target_.ReadSome(bounds->first, code);
  if (!got) return std::nullopt;
  std::uint64_t at = bounds->first;
  std::size_t i = 0;
  if (*got >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa) i = 4;  // endbr64
  std::int64_t sp_offset = -8;
  if (i < *got && code[i] == 0x55 && f.pc > at + i) {  // push %rbp executed
    sp_offset = 0;
    const std::size_t mov = i + 1;
    const bool is_mov = mov + 2 < *got && code[mov] == 0x48 &&
                        ((code[mov + 1] == 0x89 && code[mov + 2] == 0xe5) || (code[mov + 1] == 0x8b && code[mov + 2] == 0xec));
    if (is_mov && f.pc > at + mov) return FrameRegister("rbp");
  }
  return *rsp + static_cast<std::uint64_t>(sp_offset);
}

std::optional<std::uint64_t> Debugger::FrameRegister(const std::string& raw) {
  std::string name = CanonicalRegister(raw);
  const bool x86_64 = target_.abi().arch == elf::Arch::kX86_64;
  if (name == "pc") return SelectedFrame().pc;
  if (name == "sp") name = x86_64 ? "rsp" : target_.abi().arch == elf::Arch::kI386 ? "esp" : "sp";
  if (name == "fp") name = x86_64 ? "rbp" : target_.abi().arch == elf::Arch::kI386 ? "ebp" : "x29";
  const unwind::Frame& f = SelectedFrame();
  if (f.index == 0 || f.how == "initial") {
    const target::Thread& t = target_.threads().at(thread_);
    if (const elf::Register* r = t.FindRegister(name); r && r->width <= 8) return r->value;
  }
  if ((name == "rip" || name == "eip") && f.index > 0) return f.pc;
  for (const auto& [regno, value] : f.registers) {
    if (unwinder_.RegisterName(regno) == name) return value;
  }
  return std::nullopt;
}

void Debugger::InfoRegisters(const std::string& args, bool all) {
  if (thread_ >= target_.threads().size()) throw CommandError("No registers.");
  const target::Thread& t = target_.threads()[thread_];
  std::vector<std::string> names;
  std::istringstream in(args);
  for (std::string n; in >> n;) names.push_back(CanonicalRegister(n));
  if (names.empty()) {
    for (const elf::Register& r : t.registers) {
      if (r.name != "orig_rax" && r.name != "orig_eax") names.push_back(r.name);
    }
  }
  auto print_value = [&](const std::string& name, std::uint64_t value) {
    std::string natural = std::to_string(static_cast<std::int64_t>(value));
    if (name == "rip" || name == "eip" || name == "pc") {
      natural = HexAddress(value) + AddressLabel(value);
    } else if (name == "rsp" || name == "rbp" || name == "esp" || name == "ebp" || name == "sp") {
      natural = HexAddress(value);
    } else if (name == "rflags" || name == "eflags") {
      static const std::pair<int, const char*> flags[] = {
          {0, "CF"}, {2, "PF"}, {4, "AF"}, {6, "ZF"}, {7, "SF"}, {8, "TF"}, {9, "IF"}, {10, "DF"}, {11, "OF"},
          {14, "NT"}, {16, "RF"}, {17, "VM"}, {18, "AC"}, {19, "VIF"}, {20, "VIP"}, {21, "ID"}};
      natural = "[ ";
      for (const auto& [bit, flag] : flags) {
        if (value & (std::uint64_t{1} << bit)) natural += std::string(flag) + " ";
      }
      natural += "]";
    }
    PrintTo(out_, "{:<15}{:<19}{}\n", GdbRegisterName(name), HexAddress(value), " " + natural);
  };
  for (const std::string& name : names) {
    const elf::Register* r = t.FindRegister(name);
    if (r && r->width > 8) {
      if (!all && args.empty()) continue;
      std::string bytes;
      for (std::uint8_t b : r->bytes) bytes += fmt::format("{}{:#04x}", bytes.empty() ? "" : ",", b);
      PrintTo(out_, "{:<15}{{{}}}\n", name, bytes);
      continue;
    }
    if (auto value = FrameRegister(name)) {
      print_value(name, *value);
    } else if (r || name == "pc" || name == "sp" || name == "fp") {
      PrintTo(out_, "{:<15}<not saved>\n", GdbRegisterName(name));
    } else {
      throw CommandError("Invalid register `" + name + "'");
    }
  }
  if (all && args.empty()) {
    for (const auto* set : {&t.fp_registers, &t.vector_registers}) {
      for (const elf::Register& r : *set) {
        if (r.width <= 8) {
          PrintTo(out_, "{:<15}{:<19}{}\n", r.name, HexAddress(r.value), r.value);
        } else {
          std::string bytes;
          for (std::uint8_t b : r.bytes) bytes += fmt::format("{}{:#04x}", bytes.empty() ? "" : ",", b);
          PrintTo(out_, "{:<15}{{{}}}\n", r.name, bytes);
        }
      }
    }
  }
}

std::uint64_t Debugger::EvaluateAddress(const std::string& text) {
  if (Trim(text).empty()) throw CommandError("Argument required (starting display address).");
  auto address = Evaluator().AsAddress(EvaluateOrThrow(text));
  if (!address) throw CommandError(address.error().message);
  return *address;
}

void Debugger::Examine(const std::string& args) {
  // x/NFU ADDR; without ADDR, on from where the last x ended, and N, F and U as they were.
  std::size_t count = examine_.count;
  char format = examine_.format, unit = examine_.unit;
  std::string rest = args;
  if (!rest.empty() && rest[0] == '/') {
    count = 1;  // a count is given with the format, or it is 1
    std::size_t i = 1;
    std::string digits;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) digits += rest[i++];
    if (!digits.empty()) count = std::stoul(digits);
    for (; i < rest.size() && !std::isspace(static_cast<unsigned char>(rest[i])); ++i) {
      const char c = rest[i];
      if (std::string("bhwg").find(c) != std::string::npos) unit = c;
      else if (std::string("xduotcsai").find(c) != std::string::npos) format = c;
      else throw CommandError(std::string("Undefined output format \"") + c + "\".");
    }
    rest = rest.substr(i);
  }
  if (format == 'a') unit = target_.abi().is64 ? 'g' : 'w';
  if (format == 'c' && args.find_first_of("hwg") == std::string::npos) unit = 'b';
  std::uint64_t address = 0;
  if (Trim(rest).empty()) {
    if (!examine_.next) throw CommandError("Argument required (starting display address).");
    address = *examine_.next;
  } else {
    address = EvaluateAddress(rest);
  }
  count = std::min<std::size_t>(count, 1 << 16);
  examine_ = {count, format, unit, address};
  last_format_ = format;
  if (format == 'i') {
    examine_.next = PrintInstructions(address, count, ~std::uint64_t{0}, false);
    return;
  }
  auto label = [&](std::uint64_t a) {
    return HexAddress(a) + AddressLabel(a, true) + ":";
  };
  if (format == 's') {
    for (std::size_t n = 0; n < count; ++n) {
      auto text = target_.ReadCString(address, 200);
      if (!text) throw CommandError(fmt::format("Cannot access memory at address {}", HexAddress(address)));
      std::string quoted;
      for (unsigned char c : *text) quoted += eval::EscapedChar(c, '"');
      PrintTo(out_, "{}\t\"{}\"\n", label(address), quoted);
      address += text->size() + 1;
      examine_.next = address;
    }
    return;
  }
  const unsigned size = unit == 'b' ? 1 : unit == 'h' ? 2 : unit == 'w' ? 4 : 8;
  const std::size_t per_line = format == 'c' ? 8 : size == 8 ? 2 : size == 4 ? 4 : 8;
  std::string line;
  for (std::size_t n = 0; n < count; ++n) {
    CheckInterrupt();
    const std::uint64_t at = address + n * size;
    auto value = target_.ReadWord(at, size);
    if (!value) {
      if (!line.empty()) PrintTo(out_, "{}\n", line);
      throw CommandError(fmt::format("Cannot access memory at address {}", HexAddress(at)));
    }
    if (n % per_line == 0) {
      if (!line.empty()) PrintTo(out_, "{}\n", line);
      line = label(at);
    }
    const std::uint64_t v = *value;
    const std::int64_t sv = size == 8 ? static_cast<std::int64_t>(v)
                            : size == 4 ? static_cast<std::int32_t>(v)
                            : size == 2 ? static_cast<std::int16_t>(v)
                                        : static_cast<std::int8_t>(v);
    std::string cell;
    switch (format) {
      case 'x': cell = fmt::format("0x{:0{}x}", v, size * 2); break;
      case 'd': cell = std::to_string(sv); break;
      case 'u': cell = std::to_string(v); break;
      case 'o': cell = v ? fmt::format("0{:o}", v) : "0"; break;
      case 't': cell = fmt::format("{:0{}b}", v, size * 8); break;
      case 'a': {
        cell = HexAddress(v);
        cell += AddressLabel(v, true);
        break;
      }
      case 'c': {
        const unsigned char c = static_cast<unsigned char>(v);
        cell = fmt::format("{} '{}'", static_cast<int>(static_cast<signed char>(c)), eval::EscapedChar(c, '\''));
        break;
      }
    }
    line += "\t" + cell;
    examine_.next = at + size;
    // gdb's $_ (the last address examined, typed) and $__ (its contents).
    const eval::Type* type = IntType(size == 1 ? "int8_t" : size == 2 ? "int16_t" : size == 4 ? "int32_t" : "int64_t");
    if (auto pointer = evaluator_.ParseType(std::string(size == 1 ? "int8_t" : size == 2 ? "int16_t" : size == 4 ? "int32_t" : "int64_t") + " *")) {
      evaluator_.SetConvenience("_", evaluator_.MakeScalar(*pointer, at));
    }
    evaluator_.SetConvenience("__", evaluator_.MakeScalar(type, static_cast<std::uint64_t>(sv)));
  }
  if (!line.empty()) PrintTo(out_, "{}\n", line);
}

// gdb's `info sharedlibrary`: the link map's libraries in load order, by the names the dynamic
// linker gave them, each with its .text range and whether its debug information was found.
void Debugger::InfoSharedLibrary() {
  unwinder_.LoadDebugInfo();
  std::vector<const unwind::Module*> libraries;
  for (const unwind::Module& m : unwinder_.modules()) {
    if (m.link_map_index >= 0 && m.source != "exe" && m.source != "vdso") libraries.push_back(&m);
  }
  if (libraries.empty()) {
    PrintTo(out_, "No shared libraries loaded at this time.\n");
    return;
  }
  std::sort(libraries.begin(), libraries.end(), [](auto* a, auto* b) { return a->link_map_index < b->link_map_index; });
  PrintTo(out_, "{:<20}{:<20}{:<12}{}\n", "From", "To", "Syms Read", "Shared Object Library");
  bool any_without_debug = false;
  for (const unwind::Module* m : libraries) {
    const auto text = unwinder_.TextRange(m->start);
    const bool without_debug = m->debug_origin == locate::Origin::kNone;
    any_without_debug |= without_debug;
    PrintTo(out_, "{:<20}{:<20}{:<12}{}{}\n", text ? fmt::format("{:#018x}", text->first) : "",
            text ? fmt::format("{:#018x}", text->second) : "", m->file.empty() ? "No" : without_debug ? "Yes (*)" : "Yes",
            Printable(m->link_map_name), !m->file.empty() && !m->verified ? " (unverified: the core holds no build-id for it)" : "");
  }
  if (any_without_debug) PrintTo(out_, "(*): Shared library is missing debugging information.\n");
}

// gdb's `info source`: the selected frame's file and its compilation unit.
void Debugger::InfoSource() {
  // gdb's current source file is the last one a frame line showed, when this frame has none.
  const unwind::Frame* selected = &SelectedFrame();
  if (!selected->file || !selected->dwarf_function) selected = source_frame_;
  if (!selected) {
    PrintTo(out_, "No current source file.\n");
    return;
  }
  const unwind::Frame& f = *selected;
  const eval::Evaluator::FrameFacts facts = Evaluator().DescribeFrame(f);
  PrintTo(out_, "Current source file is {}\n", Printable(*f.file));
  if (facts.comp_dir) PrintTo(out_, "Compilation directory is {}\n", Printable(*facts.comp_dir));
  if (auto path = sources_.Path(f)) PrintTo(out_, "Located in {}\n", Printable(*path));
  if (auto lines = sources_.LineCount(f)) PrintTo(out_, "Contains {} lines.\n", *lines);
  PrintTo(out_, "Source language is {}.\n", facts.language.empty() ? "unknown" : facts.language);
  if (facts.producer) PrintTo(out_, "Producer is {}.\n", Printable(*facts.producer));
  if (facts.dwarf_version) PrintTo(out_, "Compiled with DWARF {} debugging format.\n", facts.dwarf_version);
  PrintTo(out_, "{}\n", facts.has_macros ? "Includes preprocessor macro info." : "Does not include preprocessor macro info.");
}

std::string Debugger::AddressLabel(std::uint64_t address, bool linkage) {
  auto sym = Evaluator().CodeLabel(address);
  if (!sym) sym = unwinder_.SymbolAt(address, linkage);
  if (!sym) return "";
  return sym->second ? fmt::format(" <{}+{}>", Printable(sym->first), sym->second) : fmt::format(" <{}>", Printable(sym->first));
}

void Debugger::InfoSymbol(const std::string& args) {
  if (Trim(args).empty()) throw CommandError("Argument required (address).");
  const std::uint64_t address = EvaluateAddress(args);
  const auto symbol = unwinder_.SymbolAt(address);
  const auto section = unwinder_.SectionOf(address);
  if (!symbol || !section) throw CommandError("No symbol matches " + Trim(args) + ".");
  std::string object;
  for (const unwind::Module& m : unwinder_.modules()) {
    if (address >= m.start && address < m.end) object = m.file.empty() ? m.name : m.file;
  }
  PrintTo(out_, "{}{} in section {}{}\n", symbol->first, symbol->second ? fmt::format(" + {}", symbol->second) : "",
             *section, object.empty() ? "" : " of " + object);
}

void Debugger::Info(const std::string& args) {
  auto [what, rest] = SplitCommand(args);
  const std::vector<std::pair<std::string, std::function<void()>>> topics = {
      {"threads", [this] { InfoThreads(); }},
      {"frame", [this] { InfoFrame(); }},
      {"locals", [this] { PrintNamedValues(true, ""); }},
      {"symbol", [this, rest = rest] { InfoSymbol(rest); }},
      {"args", [this] { PrintNamedValues(false, ""); }},
      {"registers", [this, rest = rest] { InfoRegisters(rest, false); }},
      {"all-registers", [this, rest = rest] { InfoRegisters(rest, true); }},
      {"sharedlibrary", [this] { InfoSharedLibrary(); }},
      {"signal", [this] {
         const auto& s = target_.process().signal;
         if (!s) {
           PrintTo(out_, "The process was not killed by a signal.\n");
           return;
         }
         PrintTo(out_, "Program terminated with signal {}.\n", SignalText(*s));
       }},
      {"source", [this] { InfoSource(); }},
      {"line", [this, rest = rest] { InfoLine(rest); }},
      {"address", [this, rest = rest] { InfoAddress(rest); }},
      {"scope", [this, rest = rest] { InfoScope(rest); }},
      {"files", [this] { InfoFiles(); }},
      {"functions", [this, rest = rest] { InfoSymbols(eval::Evaluator::SymbolKind::kFunctions, rest); }},
      {"variables", [this, rest = rest] { InfoSymbols(eval::Evaluator::SymbolKind::kVariables, rest); }},
      {"types", [this, rest = rest] { InfoSymbols(eval::Evaluator::SymbolKind::kTypes, rest); }},
      {"target", [this] { InfoFiles(); }},
      {"proc", [this, rest = rest] {
         // What a core records of the process: its command line (the kernel's first 80
         // characters), whose first word is gdb's exe; not its working directory.
         const std::string& psargs = target_.process().command_line;
         if (rest.empty() || rest == "exe") {
           if (psargs.empty()) throw CommandError("unable to handle request");
           PrintTo(out_, "exe = '{}'\n", Printable(psargs.substr(0, psargs.find(' '))));
           return;
         }
         if (rest == "cmdline") {
           if (psargs.empty()) throw CommandError("unable to handle request");
           PrintTo(out_, "cmdline = '{}'\n", Printable(psargs));
           return;
         }
         if (rest == "cwd") throw CommandError("unable to handle request");
         if (rest != "mappings") throw CommandError("Undefined info proc command: \"" + rest + "\".  Try \"help info proc\".");
         PrintTo(out_, "{:>18} {:>18} {:>10} {:>10}  {:<5} {}\n", "Start Addr", "End Addr", "Size", "Offset", "Perms", "objfile");
         for (const target::Mapping& m : target_.mappings()) {
           PrintTo(out_, "{:>18} {:>18} {:>10} {:>10}  {:<5} {}\n", HexAddress(m.start), HexAddress(m.end),
                      HexAddress(m.end - m.start), HexAddress(m.offset), m.perms, Printable(m.path));
         }
       }},
      {"auxv", [this] {
         for (const elf::AuxvEntry& e : target_.process().auxv) {
           PrintTo(out_, "{:<4} {:<20} {}\n", e.type, elf::AuxvName(e.type), HexAddress(e.value));
         }
       }},
  };
  std::vector<const std::pair<std::string, std::function<void()>>*> matches;
  for (const auto& topic : topics) {
    if (!what.empty() && topic.first.rfind(what, 0) == 0) matches.push_back(&topic);
  }
  // gdb's own abbreviations, where a prefix would be ambiguous (`i r`, `info f`), and exact names.
  static const std::map<std::string, std::string> kAbbreviations = {{"r", "registers"}, {"f", "frame"}};
  const auto abbreviation = kAbbreviations.find(what);
  for (const auto& topic : topics) {
    if (topic.first == what || (abbreviation != kAbbreviations.end() && topic.first == abbreviation->second)) matches = {&topic};
  }
  if (matches.size() != 1) {
    throw CommandError(what.empty() ? "List of info subcommands: threads, frame, locals, args, symbol, registers, all-registers, "
                                      "sharedlibrary, signal, source, line, address, scope, files, target, functions, variables, types, proc mappings, auxv."
                                    : "Undefined info command: \"" + what + "\".  Try \"help info\".");
  }
  matches[0]->second();
}

void Debugger::Help(const std::string& args) {
  if (!args.empty()) {
    std::string error;
    const Command* c = Find(args, &error);
    if (!c) throw CommandError(error);
    PrintTo(out_, "{}\n", c->help);
    return;
  }
  PrintTo(out_, "corekit debug: gdb's post-mortem commands on a core or a stopped process.\n");
  for (const auto& [name, command] : commands_) {
    if (command.help.find("not for a core") != std::string::npos) continue;
    PrintTo(out_, "  {}\n", command.help);
  }
  PrintTo(out_, "  (run, continue, step, next... answer that a core cannot run)\n");
}

}  // namespace corekit::tools
