// corekit debug in batch mode, each answer compared with gdb's answer to the same command on the
// same core: frame selection (by number, up/down, by function, by thread), registers recovered
// in outer frames, and x/ in every format and unit. Commands are separated by `echo` markers in
// both debuggers' output.
#include <thread>

#include "support.h"

namespace corekit::itest {
namespace {

// The output of each command, in order, from a debugger run with -ex for each.
std::vector<std::string> Answers(const std::string& prefix, const std::vector<std::string>& commands,
                                 const std::string& suffix) {
  std::string line = prefix;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    line += " -ex " + Quote("echo @@" + std::to_string(i) + "\\n") + " -ex " + Quote(commands[i]);
  }
  const std::string out = RunCommand(line + " " + suffix + " 2>&1").out;
  std::vector<std::string> answers(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const std::string marker = "@@" + std::to_string(i) + "\n";
    const auto begin = out.find(marker);
    if (begin == std::string::npos) continue;
    const auto end = out.find("@@" + std::to_string(i + 1) + "\n", begin);
    answers[i] = out.substr(begin + marker.size(), end == std::string::npos ? std::string::npos : end - begin - marker.size());
  }
  return answers;
}

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
  const auto ours = Answers(std::string(COREKIT_BIN) + " debug --batch", commands, Quote(crash.core.string()));
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
  EXPECT_NE(scripted.out.find("(More stack frames follow...)"), std::string::npos);
  EXPECT_EQ(scripted.out.find("never"), std::string::npos);
  const auto piped = RunCommand("printf 'bt 1\\n' | " + std::string(COREKIT_BIN) + " debug " + Quote(crash.core.string()));
  EXPECT_NE(piped.out.find("crash_here"), std::string::npos) << piped.out;
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

}  // namespace
}  // namespace corekit::itest
