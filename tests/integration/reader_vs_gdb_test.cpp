// Differential tests: cores written by the kernel, gcore and qemu-user for the programs in
// tests/programs, read by corekit and by gdb; threads, registers, signal and memory must agree,
// and the markers the program reported before dying must be found in the core.
#include "support.h"

namespace corekit::itest {
namespace {

using nlohmann::json;

std::string RawRead(const fs::path& core, const std::string& address, std::size_t length) {
  auto r = RunCommand(std::string(COREKIT_BIN) + " read " + Quote(core.string()) + " " + Quote(address) + " " +
               std::to_string(length) + " --raw");
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

std::uint64_t Hex(const json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

// Compares corekit and gdb on one core of `exe`: thread ids, pc and sp per thread, the signal
// and the crashing thread, and 64 bytes at the crashing thread's sp.
void CompareWithGdb(const std::string& gdb, const std::string& exe, const fs::path& core,
                    const std::string& signal_name) {
  const json threads = Corekit("threads --json " + Quote(core.string()));
  std::map<long, std::uint64_t> pcs, sps;
  long crashed = 0;
  for (const json& t : threads["threads"]) {
    pcs[t["tid"].get<long>()] = Hex(t["pc"]);
    sps[t["tid"].get<long>()] = Hex(t["sp"]);
    if (t["crashed"].get<bool>()) crashed = t["tid"].get<long>();
  }
  const std::string pc_out = Gdb(gdb, exe, core, {"thread apply all p/x $pc"});
  EXPECT_EQ(GdbPerThread(pc_out), pcs) << pc_out;
  const std::string sp_out = Gdb(gdb, exe, core, {"thread apply all p/x $sp"});
  EXPECT_EQ(GdbPerThread(sp_out), sps) << sp_out;

  const std::string info = Gdb(gdb, exe, core, {"info threads"});
  if (!signal_name.empty()) {
    EXPECT_NE(info.find("Program terminated with signal " + signal_name), std::string::npos) << info;
    const json summary = Corekit("info --json " + Quote(core.string()));
    EXPECT_EQ(summary["signal"]["name"], signal_name);
    // gdb selects the thread that took the signal.
    static const std::regex current(R"(\* \d+ +(?:Thread 0x[0-9a-f]+ \()?LWP (\d+))");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(info, m, current)) << info;
    EXPECT_EQ(std::stol(m[1]), crashed);
  }

  // The stack is in the core; the code at pc is not (file-backed text), so corekit reads it
  // from the executable after checking its build-id against the one in the core.
  for (const char* where : {"$sp", "$pc"}) {
    const std::string ours = RawRead(core, where, 64);
    const std::string x = Gdb(gdb, exe, core, {std::string("x/64xb ") + where});
    const auto gdb_bytes = GdbBytes(x);
    ASSERT_EQ(gdb_bytes.size(), 64u) << where << "\n" << x;
    EXPECT_EQ(std::vector<std::uint8_t>(ours.begin(), ours.end()), gdb_bytes) << where;
  }
}

void ExpectMarkers(const fs::path& core, const Ready& ready, const std::string& heap_marker) {
  EXPECT_EQ(RawRead(core, ready.values.at("heap"), heap_marker.size()), heap_marker);
  EXPECT_EQ(RawRead(core, ready.values.at("stack"), 20), "COREKIT-STACK-MARKER");
}

TEST(KernelCore, X86_64SegfaultInWorkerMatchesGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=3", "--mode=segv"}, dir.path());
  ASSERT_EQ(crash.signal, SIGSEGV);
  ASSERT_TRUE(crash.dumped && !crash.core.empty()) << "no core; is RLIMIT_CORE honoured?";
  const Ready ready = ParseReady(crash.out);
  const json threads = Corekit("threads --json " + Quote(crash.core.string()));
  ASSERT_EQ(threads["threads"].size(), 4u);
  // The last worker took the signal, as the program says; the kernel writes it first.
  EXPECT_EQ(threads["threads"][0]["tid"].get<long>(), ready.tids.back());
  EXPECT_TRUE(threads["threads"][0]["crashed"].get<bool>());
  EXPECT_EQ(threads["threads"][0]["signal"]["code_name"], "SEGV_MAPERR");
  EXPECT_EQ(threads["threads"][0]["signal"]["fault_address"], "0x0");
  const json info = Corekit("info --json " + Quote(crash.core.string()));
  EXPECT_EQ(info["pid"].get<long>(), ready.pid);
  EXPECT_EQ(info["producer"], "kernel");
  EXPECT_EQ(info["arch"], "x86_64");
  CompareWithGdb("gdb", CRASH_BIN, crash.core, "SIGSEGV");
  ExpectMarkers(crash.core, ready, "COREKIT-HEAP-MARKER");
}

TEST(KernelCore, AbortCarriesTheSenderAndFpeItsCode) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=1", "--mode=abort"}, dir.path());
  ASSERT_EQ(crash.signal, SIGABRT);
  ASSERT_FALSE(crash.core.empty());
  const Ready ready = ParseReady(crash.out);
  const json info = Corekit("info --json " + Quote(crash.core.string()));
  EXPECT_EQ(info["signal"]["name"], "SIGABRT");
  EXPECT_EQ(info["signal"]["code_name"], "SI_TKILL");
  EXPECT_EQ(info["signal"]["sender_pid"].get<long>(), ready.pid);
  CompareWithGdb("gdb", CRASH_BIN, crash.core, "SIGABRT");

  TempDir dir2;
  auto fpe = CrashInDir({CRASH_BIN, "--threads=1", "--mode=fpe"}, dir2.path());
  ASSERT_EQ(fpe.signal, SIGFPE);
  const json fpe_info = Corekit("info --json " + Quote(fpe.core.string()));
  EXPECT_EQ(fpe_info["signal"]["code_name"], "FPE_INTDIV");
  EXPECT_NE(fpe_info["signal"]["fault_address"], nullptr);
}

TEST(GcoreCore, LiveProcessMatchesGdb) {
  if (!HaveTool("gcore")) GTEST_SKIP() << "gcore is not installed";
  TempDir dir;
  Child child({CRASH_BIN, "--threads=4", "--mode=wait"});
  const Ready ready = child.WaitReady();
  ASSERT_GT(ready.pid, 0);
  const fs::path core = dir / "gcore";
  auto g = RunCommand("gcore -o " + Quote(core.string()) + " " + std::to_string(ready.pid));
  const fs::path written = core.string() + "." + std::to_string(ready.pid);
  ASSERT_TRUE(fs::exists(written)) << g.out << g.err;
  const json info = Corekit("info --json " + Quote(written.string()));
  EXPECT_EQ(info["producer"], "gcore");
  EXPECT_EQ(info["thread_count"].get<int>(), 5);
  EXPECT_EQ(info["pid"].get<long>(), ready.pid);
  CompareWithGdb("gdb", CRASH_BIN, written, "");
  ExpectMarkers(written, ready, "COREKIT-HEAP-MARKER");
}

TEST(KernelCore, PnXnumCoreWithEightyThousandMappings) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  const std::string max_map = "/proc/sys/vm/max_map_count";
  if (std::stol(ReadAll(max_map)) < 200000) {
    std::ofstream raise(max_map);
    raise << 200000;
    raise.close();
    if (std::stol(ReadAll(max_map)) < 200000) GTEST_SKIP() << "cannot raise vm.max_map_count (not root?)";
  }
  TempDir dir;
  auto crash = CrashInDir({MANY_MAPS_BIN, "--count=80000"}, dir.path());
  ASSERT_EQ(crash.signal, SIGSEGV) << crash.out;
  ASSERT_FALSE(crash.core.empty());
  const Ready ready = ParseReady(crash.out);
  const json info = Corekit("info --json " + Quote(crash.core.string()));
  EXPECT_TRUE(info["pn_xnum"].get<bool>());
  EXPECT_GT(info["segment_count"].get<long>(), 80000);
  // Page i of the big mapping holds the byte i & 0xff; gdb reads the same through PN_XNUM.
  const std::uint64_t base = std::stoull(ready.values.at("base"), nullptr, 16);
  const std::uint64_t page = 79999;
  const std::string address = "0x" + ([&] {
    std::ostringstream os;
    os << std::hex << base + page * 4096;
    return os.str();
  })();
  EXPECT_EQ(RawRead(crash.core, address, 1), std::string(1, static_cast<char>(page & 0xff)));
  const auto gdb_bytes = GdbBytes(Gdb("gdb", MANY_MAPS_BIN, crash.core, {"x/1xb " + address}));
  ASSERT_EQ(gdb_bytes.size(), 1u);
  EXPECT_EQ(gdb_bytes[0], page & 0xff);
}

TEST(KernelCore, I386MatchesGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  if (auto why = I386ProgramsUnavailable(CRASH32_BIN)) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH32_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_EQ(crash.signal, SIGSEGV);
  ASSERT_FALSE(crash.core.empty());
  const json info = Corekit("info --json " + Quote(crash.core.string()));
  EXPECT_EQ(info["arch"], "i386");
  EXPECT_EQ(info["class"], "ELF32");
  CompareWithGdb("gdb", CRASH32_BIN, crash.core, "SIGSEGV");
  ExpectMarkers(crash.core, ParseReady(crash.out), "COREKIT-HEAP-MARKER");
}

TEST(QemuCore, Aarch64GuestCoreMatchesGdbMultiarch) {
  if (std::string(CRASH_AARCH64_BIN).empty()) GTEST_SKIP() << "no aarch64 cross compiler";
  if (!HaveTool("qemu-aarch64")) GTEST_SKIP() << "qemu-user is not installed";
  if (!HaveTool("gdb-multiarch")) GTEST_SKIP() << "gdb-multiarch is not installed";
  TempDir dir;
  auto crash = CrashInDir({"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", CRASH_AARCH64_BIN,
                           "--threads=1", "--mode=segv"},
                          dir.path());
  ASSERT_FALSE(crash.core.empty()) << "qemu wrote no core (signal " << crash.signal << ")";
  const json info = Corekit("info --json " + Quote(crash.core.string()));
  EXPECT_EQ(info["arch"], "aarch64");
  EXPECT_EQ(info["signal"]["name"], "SIGSEGV");
  EXPECT_EQ(info["file_mapping_count"].get<int>(), 0);  // qemu writes no NT_FILE
  const json regs = Corekit("regs --json " + Quote(crash.core.string()));
  const std::string out = Gdb("gdb-multiarch", CRASH_AARCH64_BIN, crash.core, {"p/x $pc", "p/x $sp", "p/x $x29"});
  static const std::regex values(R"(\$\d+ = (0x[0-9a-f]+))");
  std::vector<std::uint64_t> gdb_values;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), values); it != std::sregex_iterator(); ++it) {
    gdb_values.push_back(std::stoull((*it)[1], nullptr, 16));
  }
  ASSERT_EQ(gdb_values.size(), 3u) << out;
  std::map<std::string, std::uint64_t> ours;
  for (const json& r : regs["registers"]) ours[r["name"]] = std::stoull(r["value"].get<std::string>(), nullptr, 16);
  EXPECT_EQ(ours["pc"], gdb_values[0]);
  EXPECT_EQ(ours["sp"], gdb_values[1]);
  EXPECT_EQ(ours["x29"], gdb_values[2]);
  const Ready ready = ParseReady(crash.out);
  EXPECT_EQ(RawRead(crash.core, ready.values.at("stack"), 20), "COREKIT-STACK-MARKER");
}

}  // namespace
}  // namespace corekit::itest
