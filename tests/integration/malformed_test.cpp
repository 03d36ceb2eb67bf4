// Malformed inputs through the command line: empty, text, random bytes, a real core truncated at
// 16/64/100/1000 bytes and at half, and random byte flips in its header and notes. Every
// command must end with exit 0 (a damaged core that still reads, warnings allowed) or exit 1
// with exactly one `error:` line on stderr — never a signal, never a hang — and print nothing a
// terminal would take as control, and only valid UTF-8.
#include <random>

#include "support.h"

namespace corekit::itest {
namespace {

struct Input {
  std::string name;
  std::vector<std::uint8_t> bytes;
  bool must_fail = false;
};

std::vector<std::uint8_t> ReadBytes(const fs::path& path) {
  const std::string s = ReadAll(path);
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

// A small real core: from the peer corpus when present, else one the kernel writes now.
std::optional<std::vector<std::uint8_t>> BaseCore(std::string* why_not) {
  const fs::path corpus = fs::path(COREKIT_CORPUS_DIR) / "lldb" / "linux-x86_64.core";
  if (fs::exists(corpus)) return ReadBytes(corpus);
  if (auto why = KernelCoresUnavailable()) {
    *why_not = "no corpus and " + *why;
    return std::nullopt;
  }
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=1", "--mode=segv"}, dir.path());
  if (crash.core.empty()) {
    *why_not = "no core could be made";
    return std::nullopt;
  }
  return ReadBytes(crash.core);
}

std::vector<Input> Inputs(const std::vector<std::uint8_t>& core) {
  std::vector<Input> inputs;
  std::mt19937_64 random(20261123);
  inputs.push_back({"empty", {}, true});
  const std::string text = "this is not a core file\n";
  inputs.push_back({"text", std::vector<std::uint8_t>(text.begin(), text.end()), true});
  for (std::size_t size : {7u, 100u, 5000u}) {
    std::vector<std::uint8_t> junk(size);
    for (auto& b : junk) b = static_cast<std::uint8_t>(random());
    inputs.push_back({"random-" + std::to_string(size), junk, true});
  }
  for (std::size_t cut : {16u, 64u, 100u, 1000u}) {
    inputs.push_back({"cut-" + std::to_string(cut), std::vector<std::uint8_t>(core.begin(), core.begin() + cut),
                      cut < 64 + 56});
  }
  inputs.push_back({"cut-half", std::vector<std::uint8_t>(core.begin(), core.begin() + core.size() / 2), false});
  // Byte flips: in the ELF header and program headers, and in the notes that follow them.
  const std::size_t notes_end = std::min<std::size_t>(core.size(), 8192);
  for (int i = 0; i < 40; ++i) {
    std::vector<std::uint8_t> flipped = core;
    const std::size_t region = i % 2 == 0 ? 64 + 56 * 4 : notes_end;
    for (int k = 0; k < 1 + i % 4; ++k) {
      flipped[random() % region] ^= static_cast<std::uint8_t>(1u << (random() % 8));
    }
    inputs.push_back({"flip-" + std::to_string(i), flipped, false});
  }
  return inputs;
}

TEST(Malformed, EveryCommandFailsCleanly) {
  std::string why_not;
  auto core = BaseCore(&why_not);
  if (!core) GTEST_SKIP() << why_not;
  const std::vector<std::string> commands = {"info", "info --json", "notes --json", "maps",
                                             "threads --json", "regs --all", "read", "read --json",
                                             "bt", "bt --json", "report", "report --json", "compact",
                                             "symbols --json",
                                             "debug --batch -ex bt -ex up -ex 'x/2xg $sp' -ex 'bt full' -ex 'info args' -ex 'p $sp' "
                                             "-ex 'p *(long *)$sp@4' -ex 'x/3i $pc' -ex disassemble -ex list -ex 'info files' "
                                             "-ex 'info line *$pc' -ex 'info scope *$pc' -ex 'info address main' -ex 'p $_siginfo'"};
  TempDir dir;
  int runs = 0;
  for (const Input& input : Inputs(*core)) {
    const fs::path path = dir / input.name;
    {
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(input.bytes.data()), static_cast<std::streamsize>(input.bytes.size()));
    }
    for (const std::string& command : commands) {
      std::string line = "timeout 20 " + std::string(COREKIT_BIN) + " " + command + " " + Quote(path.string());
      if (command.rfind("read", 0) == 0) line += " '$sp' 64";
      if (command == "compact") line += " " + Quote((dir / "compacted").string());
      const CommandResult r = RunCommand(line);
      ++runs;
      SCOPED_TRACE(input.name + ": corekit " + command);
      ASSERT_NE(r.status, 124) << "hang";
      ASSERT_LT(r.status, 128) << "killed by signal " << r.status - 128 << "\n" << r.err;
      if (input.must_fail) {
        EXPECT_EQ(r.status, 1);
      }
      EXPECT_TRUE(r.status == 0 || r.status == 1) << r.status;
      // Whatever the damage, what is printed is safe for a terminal and valid UTF-8.
      if (auto hazard = TerminalHazard(r.out)) ADD_FAILURE() << "stdout: " << *hazard;
      if (auto hazard = TerminalHazard(r.err)) ADD_FAILURE() << "stderr: " << *hazard;
      if (r.status == 1) {
        EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      }
    }
  }
  EXPECT_GT(runs, 300);
}

TEST(Malformed, UsageErrorsExitTwo) {
  // Appended, not std::string(COREKIT_BIN) + "...": g++ 12 -O2 warns falsely (-Warray-bounds) on
  // that concatenation for some lengths of the build directory's path.
  auto corekit = [](const std::string& args) {
    std::string line = COREKIT_BIN;
    line.append(1, ' ').append(args);
    return line;
  };
  EXPECT_EQ(RunCommand(COREKIT_BIN).status, 2);
  EXPECT_EQ(RunCommand(corekit("info")).status, 2);
  EXPECT_EQ(RunCommand(corekit("frobnicate x")).status, 2);
  const CommandResult missing = RunCommand(corekit("info /nonexistent/core"));
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "error: cannot open /nonexistent/core: No such file or directory\n");
  // gdb's and eu-stack's -e names the executable, as --exe does.
  const std::string core = (fs::path(COREKIT_CORPUS_DIR) / "lldb" / "linux-x86_64.core").string();
  if (fs::exists(core)) {
    const CommandResult with_e = RunCommand(corekit("bt -e /nonexistent/app " + Quote(core)));
    EXPECT_EQ(with_e.status, 0) << with_e.err;
  }
}

}  // namespace
}  // namespace corekit::itest
