// corekit debug in batch mode, each answer compared with gdb's answer to the same command on the
// same core: frame selection (by number, up/down, by function, by thread), registers recovered
// in outer frames, and x/ in every format and unit. Commands are separated by `echo` markers in
// both debuggers' output.
#include <map>
#include <thread>

#include "debug_support.h"

namespace corekit::itest {
namespace {

// gdb prints the source line under a selected frame and "[Switching to thread ...]" lines with
// its own thread naming; those are not what the registers and memory comparison is about.
std::string WithoutFrameLines(const std::string& text) {
  std::string kept;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0 || line.rfind("[Switching", 0) == 0 || line.rfind("warning:", 0) == 0) continue;
    if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0])) && line.find('\t') != std::string::npos &&
        line.rfind("0x", 0) != 0) {
      continue;  // "45\tsource text"
    }
    kept += line + "\n";
  }
  return kept;
}

TEST(Debug, AnswersLikeGdbOnAKernelCore) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=2", "--mode=segv", "--heap-marker=DEBUG-HEAP\tMARK"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const Ready ready = ParseReady(crash.out);
  const std::string heap = ready.values.at("heap");
  const std::vector<std::string> commands = {
      "info registers rip rsp rbp rbx r12 r13 r14 r15 eflags",
      "x/4xg $sp",
      "up",
      "info registers rip rsp rbx rbp r12 r13 r14 r15",
      "x/8xb $sp",
      "x/6dw $sp",
      "x/3uh $sp",
      "x/2ob $sp",
      "x/2tb $sp",
      "x/2a $sp",
      "down",
      "info registers rip",
      "frame 2",
      "info registers rip rsp",
      "frame function worker",
      "info registers rip rsp rbx",
      "x/s " + heap,
      "x/12c " + heap,
      "x/3xw " + heap,
      "thread 2",
      "info registers rip rsp",
      "x/2xg $sp",
  };
  const auto ours = Answers(CorekitDebugBatch(), commands, Quote(crash.core.string()));
  const auto gdb = Answers("gdb -batch -nx -q", commands, Quote(CRASH_BIN) + " " + Quote(crash.core.string()));
  for (std::size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE(commands[i]);
    EXPECT_EQ(WithoutFrameLines(ours[i]), WithoutFrameLines(gdb[i]));
  }
  // Frame selection lands on the same functions as gdb's.
  EXPECT_NE(ours[2].find("middle"), std::string::npos) << ours[2];
  EXPECT_NE(ours[14].find("worker"), std::string::npos) << ours[14];
}

TEST(Debug, ErrorsNeverEndTheSession) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=1", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const auto run = RunCommand(std::string(COREKIT_BIN) + " debug --batch -ex frob -ex continue -ex 'frame 99' -ex 'x/2xg 0' " +
                              "-ex 'info registers nosuch' -ex 'echo alive\\n' " + Quote(crash.core.string()));
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.err.find("Undefined command: \"frob\".  Try \"help\"."), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("The program is not being run."), std::string::npos);
  EXPECT_NE(run.err.find("Initial frame selected; you cannot go up."), std::string::npos);
  EXPECT_NE(run.err.find("Cannot access memory at address 0x0"), std::string::npos);
  EXPECT_NE(run.err.find("Invalid register `nosuch'"), std::string::npos);
  EXPECT_NE(run.out.find("alive"), std::string::npos);
  // Commands from a file (-x) and from stdin, as gdb reads them.
  const fs::path script = dir / "script.gdb";
  std::ofstream(script) << "info threads\nbt 2\nquit\necho never\n";
  const auto scripted = RunCommand(std::string(COREKIT_BIN) + " debug -x " + Quote(script.string()) + " " + Quote(crash.core.string()));
  EXPECT_NE(scripted.out.find("crash_here"), std::string::npos) << scripted.out;
  EXPECT_EQ(scripted.out.find("(More stack frames follow...)"), std::string::npos) << "gdb says so only to a terminal";
  EXPECT_EQ(scripted.out.find("never"), std::string::npos);
  const auto piped = RunCommand("printf 'bt 1\\n' | " + std::string(COREKIT_BIN) + " debug " + Quote(crash.core.string()));
  EXPECT_NE(piped.out.find("crash_here"), std::string::npos) << piped.out;
}

// Values of every C kind, through pointers, arrays, members and history, printed as gdb prints
// them; frame lines with arguments; locals and arguments of each frame; types.
TEST(Debug, PrintsCValuesLikeGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({VALUES_BIN}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  ExpectAnswersLikeGdb(VALUES_BIN, crash.core, {
      "bt", "info args", "info locals", "p *rec", "p rec->name", "p rec->scores", "p rec->zeros",
      "p rec->text_repeat", "p rec->flags", "p rec->number", "p rec->callback", "p rec->message", "p rec->matrix",
      "p rec->at", "p *list", "p list->next->label", "p tag", "p pt", "p letter", "p factor", "p depth * 2 + 1",
      "p global_counter", "p global_greeting", "p global_origin", "p global_array", "p global_ticks", "p global_pi",
      "p global_third", "p global_color", "p &global_counter", "p &rec->where", "p sizeof(struct record)",
      "p sizeof rec->name", "p (long)depth", "p (char)65", "p/x -1", "p/o 8", "p/t 10", "p/c 65", "p/d 'A'",
      "p $1", "p $", "p $$2", "p/x rec->mask", "p/x *rec->at", "ptype struct record", "ptype rec", "whatis rec->where",
      "whatis global_ticks", "ptype counter_t", "whatis counter_t", "p rec->name[0]", "p &rec->name[2]",
      "p list[0].value", "p *rec->scores@3", "p rec->scores[1] + rec->scores[2]", "p global_array[1] == 2", "p RED",
      "p (enum color)4", "p BLUE + 1", "p calls", "p nowhere", "p local_pt", "p $pc", "p $sp", "p $rip",
      "p rec->nested", "p on_event", "p *on_event", "p global_list->next->next->label", "whatis &rec->scores",
      "ptype rec->callback", "p -rec->delta", "p rec->big / 1000", "p 10 / 3.0", "p 7 % 3", "p 0x7fffffff + 1",
      "p 'A' + 1", "p rec->ratio * 2", "p !0", "p ~5", "output depth", "info frame", "up", "info frame", "info locals", "p rec", "p rec.name",
      "p first", "p first.next->label", "p $pc", "bt full", "frame 0", "list", "list", "list crash_in", "list 10",
      "frame function build_and_crash", "x/4dw rec.scores", "x/s rec.message", "x/2xg $sp", "p $nonexistent",
      "p sizeof(int) * 3", "x/2xg $sp", "x", "x/3dw", "x", "x/2i $pc", "x", "x/s global_greeting", "x", "p 5", "p",
      "info symbol main", "info symbol &global_counter", "info symbol $pc",
  });
  // Errors, on stderr, each ending its command only.
  const auto run = RunCommand(std::string(COREKIT_BIN) + " debug --batch -ex 'p nosuch' -ex 'p rec->nosuch' -ex 'p *depth' " +
                              "-ex 'p 1 +' -ex 'p depth(' -ex 'p -rec' -ex 'p rec - list' -ex 'p depth' " +
                              Quote(crash.core.string()));
  EXPECT_EQ(run.err, "No symbol \"nosuch\" in current context.\nThere is no member named nosuch.\n"
                     "Cannot access memory at address 0x3\nA syntax error in expression, near `'.\n"
                     "You can't do that without a process to debug.\nArgument to negate operation not a number.\n"
                     "First argument of `-' is a pointer and second argument is neither\n"
                     "an integer nor a pointer of the same type.\n");
  EXPECT_EQ(run.out.substr(run.out.rfind('\n', run.out.size() - 2) + 1), "$1 = 3\n");
  // Opening the core, gdb's banner: the command, the signal, the crashing frame and its line.
  EXPECT_EQ(run.out.rfind("Core was generated by `", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("Program terminated with signal SIGSEGV, Segmentation fault.\n#0  0x"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n77\t  return *nowhere"), std::string::npos) << run.out;
}

// Odd and hostile input at the prompt: deep nesting, huge counts and indexes, overflowing
// literals and arithmetic, NaN and infinity, unterminated quotes. Each ends in a value or an
// error; the session (and, in the sanitizer build, UBSan and ASan) sees no crash.
TEST(Debug, OddExpressionsEndInAnswersNotCrashes) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({VALUES_BIN}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const std::vector<std::string> odd = {
      "p " + std::string(300, '(') + "1", "p " + std::string(400, '-') + "1", "p " + std::string(400, '*') + "rec",
      "p 1.0 / 0", "p/x", "p (int)(1.0/0)", "p (char)1e300", "p (unsigned long)-1.5", "p *(char*)0",
      "p rec->name[99999999999]", "p *rec@0", "p rec->scores[-5]", "p *(long *)$sp@100000", "x/0xg $sp",
      "p 18446744073709551616", "p -9223372036854775807 - 10", "p 1 << 64", "p 1 >> -1", "p 1 % 0",
      "p 'a", "p \"abc", "p 0x", "p $$999", "p (struct nosuch *)0", "p rec->", "p ->x", "ptype struct",
      "list 99999", "list :3", "disassemble 0", "p sizeof(struct record) * 9999999999999", "p/c rec->name",
      "p/t -1", "x/3s 0", "info symbol 0", "frame 99999999999999999999", "thread 0", "up 99999"};
  std::string line = std::string(COREKIT_BIN) + " debug --batch";
  for (const std::string& command : odd) line += " -ex " + Quote(command);
  line += " -ex 'echo alive\\n' " + Quote(crash.core.string());
  const auto run = RunCommand(line);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("alive"), std::string::npos) << run.out << run.err;
  EXPECT_EQ(run.err.find("runtime error"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Expression nested too deeply."), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("value requires 800000 bytes, which is more than max-value-size"), std::string::npos) << run.err;
}

// C++: namespaces, a class with a base and a vtable, a template, references, `this` and its
// members without `this->`, a scoped enum.
TEST(Debug, PrintsCxxValuesLikeGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({VALUES_CPP_BIN}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  ExpectAnswersLikeGdb(VALUES_CPP_BIN, crash.core, {
      "bt", "info args", "info locals", "p *this", "p this->box", "p box", "p ref", "p circle", "p *shape", "p moved",
      "p flag", "p mode", "p shape->id", "p circle.radius", "ptype this", "ptype shapes::Circle", "whatis box",
      "ptype box", "p (int)mode", "p sizeof(shapes::Circle)", "info frame", "up", "info frame", "info locals", "p holder", "p holder.ref",
      "p circle", "p &circle", "p counter",
  });
}

// An optimized program: inlined frames, arguments in registers, values only at a function's
// entry (a location view), frames selected by number; in the program's own frames.
TEST(Debug, OptimizedFramesLikeGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=2", "--mode=segv-inline"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  ExpectAnswersLikeGdb(CRASH_BIN, crash.core, {
      "bt 4", "info args", "info locals", "up", "info args", "info locals", "up", "info args", "info locals",
      "frame 3", "info locals", "bt full 3", "p $pc", "p $sp", "p arg", "info frame", "frame 0", "info frame", "up 2",
      "info frame", "info threads", "thread 2", "thread", "bt", "thread apply all bt 1", "thread 1",
  });
}

// An i386 core: $_siginfo in gdb's ILP32 layout (4-byte longs and pointers, _sifields at 12),
// and the types an expression makes (pointers, long) the target's size.
TEST(Debug, I386SiginfoAndTypesLikeGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  if (auto why = I386ProgramsUnavailable(CRASH32_BIN)) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH32_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  ExpectAnswersLikeGdb(CRASH32_BIN, crash.core, {
      "p $_siginfo", "p $_siginfo._sifields._sigfault.si_addr", "p $_siginfo.si_signo", "ptype $_siginfo",
      "p sizeof($_siginfo)", "p sizeof(long)", "p sizeof(char *)", "p (long)-1", "p (unsigned long)-1", "whatis $sp",
      "p $pc",
  });
}

// Optimized library frames of an abort(): parameters' values at entry taken from the callers'
// call sites, through tail calls and values passed on (gdb's "sig=sig@entry=6"), parameters an
// out-of-line copy dropped listed from its abstract origin, the tail-call frame
// (__pthread_kill_internal) put back from call sites, every frame's locals. (Not the
// signal-handler core: there a clang-built handler keeps its argument in a register the call
// clobbers, which gdb still reads in the caller — it takes CFI's unspecified registers as
// unchanged — and corekit reports as <optimized out>.)
TEST(Debug, EntryValuesAndTailCallsLikeGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  for (const char* mode : {"--mode=abort"}) {
    SCOPED_TRACE(mode);
    TempDir dir;
    auto crash = CrashInDir({CRASH_BIN, "--threads=2", mode}, dir.path());
    ASSERT_FALSE(crash.core.empty());
    const auto gdb = Answers("gdb -batch -nx -q", {"bt"}, Quote(CRASH_BIN) + " " + Quote(crash.core.string()));
    ASSERT_NE(gdb[0].find("@entry="), std::string::npos) << "glibc's debug information is needed (libc6-dbg)";
    ASSERT_NE(gdb[0].find("__pthread_kill_internal"), std::string::npos) << gdb[0];
    ExpectAnswersLikeGdb(CRASH_BIN, crash.core, {"bt", "bt full", "thread apply all bt full", "frame 1", "info frame", "frame 2", "info frame"});
  }
}

// list, disassemble and x/i: the same lines, the same instruction addresses and offsets, "=>"
// at the same pc (the instruction text is capstone's, not objdump's).
TEST(Debug, ListsAndDisassemblesLikeGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({VALUES_BIN}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const std::vector<std::string> commands = {"disassemble", "up", "disassemble", "x/5i $pc"};
  const auto ours = Answers(CorekitDebugBatch(), commands, Quote(crash.core.string()));
  const auto gdb = Answers("gdb -batch -nx -q", commands, Quote(VALUES_BIN) + " " + Quote(crash.core.string()));
  // "=> 0x000055555555518d <+4>:\tmov ..." -> "=> 0x000055555555518d <+4>:"
  auto addresses = [](const std::string& text) {
    std::string kept;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) kept += line.substr(0, line.find('\t')) + "\n";
    return kept;
  };
  for (std::size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE(commands[i]);
    EXPECT_NE(ours[i].find("0x"), std::string::npos) << ours[i];
    EXPECT_EQ(addresses(ours[i]), addresses(gdb[i]));
  }
  EXPECT_NE(ours[0].find("=> 0x"), std::string::npos) << ours[0];
  EXPECT_NE(ours[0].find("Dump of assembler code for function crash_in:"), std::string::npos) << ours[0];
  // The text is capstone's respelled as objdump's: most lines read exactly as gdb's (calls into
  // the PLT lack gdb's <name@plt>, and a few encodings are named differently).
  std::istringstream gdb_lines(gdb[2]), our_lines(ours[2]);
  std::size_t lines = 0, same = 0;
  for (std::string a, b; std::getline(gdb_lines, a) && std::getline(our_lines, b); ++lines) same += a == b;
  EXPECT_GT(lines, 50u);
  EXPECT_GE(same * 10, lines * 9) << same << " of " << lines << " lines equal:\n" << ours[2];
}

// The interactive front end, driven under tmux: the prompt, tab completion, history (Up), Ctrl-C
// dropping the line being typed with "Quit" while the session lives on, Ctrl-D ending it.
TEST(Debug, InteractiveSessionUnderTmux) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  if (!HaveTool("tmux")) GTEST_SKIP() << "tmux is not installed";
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=1", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const std::string session = "corekit-test-" + std::to_string(::getpid());
  const std::string tmux = "tmux -L " + session;
  ASSERT_EQ(RunCommand(tmux + " new-session -d -s s -x 200 -y 50 " +
                       Quote(std::string(COREKIT_BIN) + " debug " + Quote(crash.core.string()))).status, 0);
  auto send = [&](const std::string& keys) {
    RunCommand(tmux + " send-keys -t s " + keys);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // generous: CI machines are loaded
  };
  auto screen = [&] { return RunCommand(tmux + " capture-pane -t s -p").out; };
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_NE(screen().find("(corekit)"), std::string::npos) << screen();  // capture-pane trims the space
  send("'inf' Tab");
  send("'threads' Enter");
  send("'frame 1' C-c");
  send("Up Enter");
  const std::string text = screen();
  EXPECT_NE(text.find("(corekit) info threads"), std::string::npos) << text;  // completed "inf"
  EXPECT_NE(text.find("Quit"), std::string::npos) << text;
  EXPECT_EQ(text.find("middle+0x"), std::string::npos) << "the interrupted line ran: " << text;
  std::size_t tables = 0;
  for (std::size_t at = 0; (at = text.find("Target Id", at)) != std::string::npos; ++at) ++tables;
  EXPECT_EQ(tables, 2u) << "Up recalls the last command: " << text;
  send("C-d");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_NE(RunCommand(tmux + " has-session -t s 2>/dev/null").status, 0) << "Ctrl-D ends the session";
  RunCommand(tmux + " kill-server 2>/dev/null");
}

// Completion of symbol names after the command word, and Ctrl-C stopping a long command (tens of
// thousands of instructions disassembled) with "Quit" while the session lives on.
TEST(Debug, CompletesSymbolsAndInterruptsLongCommands) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  if (!HaveTool("tmux")) GTEST_SKIP() << "tmux is not installed";
  TempDir dir;
  auto crash = CrashInDir({VALUES_BIN}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const std::string session = "corekit-test-" + std::to_string(::getpid()) + "-2";
  const std::string tmux = "tmux -L " + session;
  ASSERT_EQ(RunCommand(tmux + " new-session -d -s s -x 200 -y 50 " +
                       Quote(std::string(COREKIT_BIN) + " debug " + Quote(crash.core.string()))).status, 0);
  auto send = [&](const std::string& keys, int ms = 600) {
    RunCommand(tmux + " send-keys -t s " + keys);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  auto screen = [&] { return RunCommand(tmux + " capture-pane -t s -p").out; };
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  send("'p global_cou' Tab");
  send("Enter");
  EXPECT_NE(screen().find("= 42"), std::string::npos) << screen();  // completed to global_counter
  send("'x/2000000i __libc_start_main' Enter", 400);
  send("C-c", 1500);
  send("'echo alive\\n' Enter");
  const std::string text = screen();
  EXPECT_NE(text.find("Quit"), std::string::npos) << text;
  EXPECT_NE(text.find("alive"), std::string::npos) << text;
  RunCommand(tmux + " kill-server 2>/dev/null");
}

}  // namespace
}  // namespace corekit::itest
