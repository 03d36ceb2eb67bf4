// corekit report on the test programs' cores: the crash kind, the headline, the message of a
// failed assertion, the truncated stack of an overflow, and no-crash for a gcore.
#include "support.h"

namespace corekit::itest {
namespace {

using nlohmann::json;

int LineOf(const std::string& needle) { return itest::LineOf(CRASH_SOURCE, needle); }

json ReportOf(const std::string& mode, std::string* text = nullptr) {
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=3", "--mode=" + mode}, dir.path());
  EXPECT_FALSE(crash.core.empty()) << mode;
  if (crash.core.empty()) return json();
  if (text) *text = RunCommand(std::string(COREKIT_BIN) + " report " + Quote(crash.core.string())).out;
  return Corekit("report --json " + Quote(crash.core.string()));
}

TEST(Report, NullDereferenceInAWorker) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  std::string text;
  const json r = ReportOf("segv", &text);
  EXPECT_EQ(r["schema"], "corekit.report/1");
  EXPECT_EQ(r["crash"]["kind"], "null-dereference");
  EXPECT_EQ(r["signal"]["name"], "SIGSEGV");
  EXPECT_EQ(r["signal"]["code_name"], "SEGV_MAPERR");
  EXPECT_EQ(r["signal"]["fault_address"], "0x0");
  const std::string headline = "SIGSEGV: null pointer dereference at 0x0 in crash_here (crash.c:" +
                               std::to_string(LineOf("static int crash_here(")) + "), thread " +
                               std::to_string(r["crash"]["thread"].get<long>());
  EXPECT_EQ(r["crash"]["summary"], headline);
  EXPECT_EQ(text.substr(0, text.find('\n')), headline);
  // Three idle workers... two here, and main: folded by identical stacks.
  EXPECT_NE(text.find("2 threads in __libc_pause <- park <- worker"), std::string::npos) << text;
  EXPECT_NE(text.find("1 thread in __libc_pause <- park <- main"), std::string::npos) << text;
  for (const char* key : {"core", "process", "signal", "crash", "threads"}) EXPECT_TRUE(r.contains(key)) << key;
  EXPECT_EQ(r["process"]["pid"].get<long>() > 0, true);
}

TEST(Report, FailedAssertionCarriesItsMessage) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  const json r = ReportOf("assert");
  EXPECT_EQ(r["crash"]["kind"], "assertion");
  const std::string message = r["crash"]["message"].get<std::string>();
  EXPECT_NE(message.find("Assertion `thread_count == 12345 && \"the ledger must balance\"' failed."),
            std::string::npos) << message;
  EXPECT_NE(r["crash"]["summary"].get<std::string>().find("assertion failed in main (crash.c:"), std::string::npos);
}

// Marks the PT_LOAD segment holding `address` as not dumped (p_filesz 0) in a 64-bit
// little-endian core, as a size-limited or compact dump would leave it.
bool DropSegmentHolding(const fs::path& core, std::uint64_t address) {
  std::fstream f(core, std::ios::in | std::ios::out | std::ios::binary);
  auto read64 = [&](std::uint64_t at) {
    std::uint64_t v = 0;
    f.seekg(static_cast<std::streamoff>(at));
    f.read(reinterpret_cast<char*>(&v), 8);
    return v;
  };
  const std::uint64_t phoff = read64(32);
  std::uint16_t phentsize = 0, phnum = 0;
  f.seekg(54);
  f.read(reinterpret_cast<char*>(&phentsize), 2);
  f.read(reinterpret_cast<char*>(&phnum), 2);
  for (std::uint16_t i = 0; i < phnum; ++i) {
    const std::uint64_t ph = phoff + std::uint64_t{i} * phentsize;
    std::uint32_t type = 0;
    f.seekg(static_cast<std::streamoff>(ph));
    f.read(reinterpret_cast<char*>(&type), 4);
    const std::uint64_t vaddr = read64(ph + 16), memsz = read64(ph + 40);
    if (type == 1 && address >= vaddr && address < vaddr + memsz) {
      const std::uint64_t zero = 0;
      f.seekp(static_cast<std::streamoff>(ph + 32));
      f.write(reinterpret_cast<const char*>(&zero), 8);
      return static_cast<bool>(f);
    }
  }
  return false;
}

// Without glibc's __abort_msg in the core, the message is rebuilt from the __assert_fail call's
// arguments as main's DWARF call-site records give them, and reads the same.
TEST(Report, AssertionMessageFromTheCallSiteWhenAbortMsgIsGone) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=1", "--mode=assert"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const json before = Corekit("report --json " + Quote(crash.core.string()));
  const std::string out = Gdb("gdb", CRASH_BIN, crash.core, {"p/x *(long*)&__abort_msg"});
  const auto at = out.rfind("= 0x");
  ASSERT_NE(at, std::string::npos) << out;
  const std::uint64_t message_page = std::stoull(out.substr(at + 2), nullptr, 16);
  ASSERT_TRUE(DropSegmentHolding(crash.core, message_page));
  const json after = Corekit("report --json " + Quote(crash.core.string()));
  EXPECT_EQ(after["crash"]["kind"], "assertion");
  if (after["crash"]["message"].is_null() &&
      RunCommand("objdump --dwarf=info " + Quote(CRASH_BIN) + " | grep -c __assert_fail").out == "0\n") {
    GTEST_SKIP() << "the compiler recorded no call site for __assert_fail (clang 14 records none for noreturn calls)";
  }
  EXPECT_EQ(after["crash"]["message"], before["crash"]["message"]);
  EXPECT_NE(after["crash"]["message"].get<std::string>().find("crash.c:" + std::to_string(LineOf("assert(thread_count")) +
                                                               ": main: Assertion `thread_count == 12345"),
            std::string::npos);
}

TEST(Report, AbortArithmeticAndStackOverflow) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  EXPECT_EQ(ReportOf("abort")["crash"]["kind"], "abort");
  EXPECT_EQ(ReportOf("fpe")["crash"]["kind"], "arithmetic");
  const json r = ReportOf("overflow");
  EXPECT_EQ(r["crash"]["kind"], "stack-overflow");
  const long tid = r["crash"]["thread"].get<long>();
  for (const json& t : r["threads"]) {
    if (t["tid"].get<long>() != tid) continue;
    EXPECT_TRUE(t["truncated"].get<bool>());        // > 10 000 frames of recurse
    EXPECT_EQ(t["frame_count"].get<int>(), 10000);  // the default limit
    EXPECT_EQ(t["frames"][0]["function"], "recurse");
  }
}

TEST(Report, GcoreOfALiveProcessIsNoCrash) {
  if (!HaveTool("gcore")) GTEST_SKIP() << "gcore is not installed";
  TempDir dir;
  Child child({CRASH_BIN, "--threads=2", "--mode=wait"});
  const Ready ready = child.WaitReady();
  RunCommand("gcore -o " + Quote((dir / "g").string()) + " " + std::to_string(ready.pid));
  const json r = Corekit("report --json " + Quote((dir / "g").string() + "." + std::to_string(ready.pid)));
  EXPECT_EQ(r["crash"]["kind"], "no-crash");
  EXPECT_EQ(r["crash"]["thread"], nullptr);
  EXPECT_EQ(r["threads"].size(), 3u);
}

// An exception nothing catches: libstdc++ terminates, and the report names the exception's type
// and what() from the core's memory, and places the crash at the throw, past the runtimes.
TEST(Report, UncaughtCxxExceptionNamesTypeAndMessage) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  for (const std::vector<std::string>& argv : ThrowRuns()) {
    SCOPED_TRACE(argv.size() == 1 ? "main" : "thread");
    TempDir dir;
    auto crash = CrashInDir(argv, dir.path());
    ASSERT_FALSE(crash.core.empty());
    const json r = Corekit("report --json " + Quote(crash.core.string()));
    EXPECT_EQ(r["crash"]["kind"], "abort");
    EXPECT_EQ(r["crash"]["message"],
              "terminate called after throwing an instance of 'std::runtime_error'\n  what():  ledger is empty");
    const int line = itest::LineOf(THROW_SOURCE, "throw std::runtime_error");
    EXPECT_EQ(r["crash"]["summary"].get<std::string>().substr(0, r["crash"]["summary"].get<std::string>().rfind(',')),
              "SIGABRT: abort (uncaught std::runtime_error) in orders::ledger_total(orders::Ledger const&) (throw.cpp:" +
                  std::to_string(line) + ")");
    // The human report shows the throwing line's text under its frame.
    const std::string text = RunCommand(std::string(COREKIT_BIN) + " report " + Quote(crash.core.string())).out;
    EXPECT_NE(text.find(std::to_string(line) + "\t  if (ledger.amounts.empty()) throw std::runtime_error(\"ledger is empty\");"),
              std::string::npos) << text;
  }
}

}  // namespace
}  // namespace corekit::itest
