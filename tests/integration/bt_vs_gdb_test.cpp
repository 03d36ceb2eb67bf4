// Differential backtraces: for every thread of the test programs' kernel, gcore and qemu cores,
// the function names corekit prints equal gdb's `thread apply all bt`, and frame 0's file:line
// too. Two rules make the comparison exact rather than loose: gdb stops at main (its default
// "backtrace past-main off"), so corekit's frames are compared up to main; and where the two
// name one address differently (glibc's clone3 / __clone3), gdb itself must say that both
// names are symbols at the same address. `??` matches only `??`. Tail-call frames (a function
// that jumped to its callee), which both synthesize from DWARF call-site data, are compared too.
#include "support.h"

namespace corekit::itest {
namespace {

using nlohmann::json;

struct GdbFrame {
  std::string function;
  std::string type;  // gdb's frame type: NORMAL, INLINE, TAILCALL, SIGTRAMP...
  std::string file;
  int line = 0;
};

// gdb's frames for every thread, with their types, through gdb's Python API. The walk stops at
// main, as `bt` does.
constexpr const char* kGdbFramesScript = R"(python
import gdb
types = {gdb.NORMAL_FRAME: "NORMAL", gdb.INLINE_FRAME: "INLINE", gdb.TAILCALL_FRAME: "TAILCALL",
         gdb.SIGTRAMP_FRAME: "SIGTRAMP", gdb.DUMMY_FRAME: "DUMMY"}
for thread in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
    thread.switch()
    print("THREAD %d" % thread.ptid[1])
    frame = gdb.newest_frame()
    while frame is not None:
        sal = frame.find_sal()
        name = frame.name() or "??"
        print("FRAME\t%s\t%s\t%s\t%d" % (types.get(frame.type(), "OTHER"), name,
              sal.symtab.filename if sal.symtab else "-", sal.line))
        if name == "main":
            break
        try:
            frame = frame.older()
        except gdb.error:
            break
end
)";

std::map<long, std::vector<GdbFrame>> GdbBacktraces(const std::string& gdb, const std::string& exe,
                                                    const fs::path& core) {
  TempDir dir;
  const fs::path script = dir / "frames.gdb";
  std::ofstream(script) << kGdbFramesScript;
  const std::string text = RunCommand(gdb + " -batch -nx -q -x " + Quote(script.string()) + " " +
                                      Quote(exe) + " " + Quote(core.string()) + " 2>&1").out;
  std::map<long, std::vector<GdbFrame>> out;
  std::vector<GdbFrame>* current = nullptr;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "THREAD") {
      long tid = 0;
      words >> tid;
      current = &out[tid];
    } else if (kind == "FRAME" && current) {
      // Tab-separated: C++ names have spaces.
      GdbFrame f;
      std::vector<std::string> fields;
      for (std::size_t start = 0, tab; start <= line.size(); start = tab + 1) {
        tab = line.find('\t', start);
        if (tab == std::string::npos) tab = line.size();
        fields.push_back(line.substr(start, tab - start));
      }
      if (fields.size() != 5) continue;
      f.type = fields[1];
      f.function = fields[2];
      f.file = fields[3];
      f.line = std::atoi(fields[4].c_str());
      if (f.file == "-") f.file.clear();
      current->push_back(f);
    }
  }
  return out;
}

// Whether gdb sees both names as symbols at one address.
bool SameAddressInGdb(const std::string& gdb, const std::string& exe, const fs::path& core,
                      const std::string& a, const std::string& b) {
  const std::string out = Gdb(gdb, exe, core, {"info address " + a, "info address " + b});
  static const std::regex at(R"(at address (0x[0-9a-f]+))");
  std::vector<std::string> addresses;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), at); it != std::sregex_iterator(); ++it) {
    addresses.push_back((*it)[1]);
  }
  return addresses.size() == 2 && addresses[0] == addresses[1];
}

void CompareBacktraces(const std::string& gdb, const std::string& exe, const fs::path& core,
                       const std::string& extra_args = "") {
  const json bt = Corekit("bt --json " + extra_args + " " + Quote(core.string()));
  const auto theirs = GdbBacktraces(gdb, exe, core);
  ASSERT_EQ(bt["threads"].size(), theirs.size());
  for (const json& thread : bt["threads"]) {
    const long tid = thread["tid"].get<long>();
    SCOPED_TRACE("thread " + std::to_string(tid));
    ASSERT_TRUE(theirs.count(tid));
    // Tail-call frames: gdb and corekit both synthesize them from DWARF call-site data, and they
    // are compared like the others.
    // gdb's SIGTRAMP frame ("<signal handler called>") is the frame corekit marks as the
    // signal trampoline; both are compared under one token.
    constexpr const char* kTrampoline = "<signal handler called>";
    std::vector<GdbFrame> gdb_frames;
    for (GdbFrame f : theirs.at(tid)) {
      // For a C++ function without a linkage name gdb composes the name from DWARF and writes
      // an empty parameter list as "(void)"; corekit prints the qualified name alone.
      if (f.function.ends_with("(void)")) f.function.resize(f.function.size() - 6);
      if (f.type == "SIGTRAMP") f.function = kTrampoline;
      gdb_frames.push_back(f);
    }
    std::vector<std::string> ours;
    for (const json& f : thread["frames"]) {
      ours.push_back(f["how"] == "signal-trampoline" ? kTrampoline
                     : f["function"].is_null()       ? "??"
                                                     : f["function"].get<std::string>());
      if (ours.back() == "main") break;
    }
    ASSERT_EQ(ours.size(), gdb_frames.size()) << "corekit: " << json(ours).dump();
    for (std::size_t i = 0; i < ours.size(); ++i) {
      const std::string& g = gdb_frames[i].function;
      if (ours[i] == g) continue;
      // gdb composes some names from DWARF with their parameters ("std::thread::thread<main::$_0,
      // , void>(main::$_0&&)": the main thread still starting the thread that throws, depending
      // on timing); `info address` cannot look those up, so the name before the list is compared.
      if (g.ends_with(")") && g.compare(0, ours[i].size() + 1, ours[i] + "(") == 0) continue;
      EXPECT_TRUE(ours[i] != "??" && g != "??" && SameAddressInGdb(gdb, exe, core, ours[i], g))
          << "frame " << i << ": corekit " << ours[i] << ", gdb " << g;
    }
    const json& top = thread["frames"][0];
    if (!gdb_frames.empty() && !gdb_frames[0].file.empty()) {
      EXPECT_EQ(top["file"], gdb_frames[0].file);
      EXPECT_EQ(top["line"], gdb_frames[0].line);
    }
  }
}

TEST(Backtrace, KernelCoreOfAWorkerSegfaultMatchesGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=3", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  CompareBacktraces("gdb", CRASH_BIN, crash.core);
  // The crashing worker's chain, three calls deep under -O2.
  const json bt = Corekit("bt --json " + Quote(crash.core.string()));
  std::vector<std::string> top;
  for (const json& f : bt["threads"][0]["frames"]) top.push_back(f["function"].get<std::string>());
  ASSERT_GE(top.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(top.begin(), top.begin() + 4),
            (std::vector<std::string>{"crash_here", "middle", "outer", "worker"}));
}

TEST(Backtrace, InlinedFramesMatchGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=2", "--mode=segv-inline"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  CompareBacktraces("gdb", CRASH_BIN, crash.core);
  const json bt = Corekit("bt --json " + Quote(crash.core.string()));
  const json& frames = bt["threads"][0]["frames"];
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames[0]["function"], "inlined_deref");
  EXPECT_TRUE(frames[0]["inlined"].get<bool>());
  EXPECT_EQ(frames[1]["function"], "inlined_middle");
  EXPECT_TRUE(frames[1]["inlined"].get<bool>());
  EXPECT_EQ(frames[1]["line"], LineOf(CRASH_SOURCE, "int inlined_middle("));
  EXPECT_EQ(frames[2]["function"], "inlined_outer");
  EXPECT_FALSE(frames[2]["inlined"].get<bool>());
  EXPECT_EQ(frames[2]["line"], LineOf(CRASH_SOURCE, "static int inlined_outer("));
  EXPECT_EQ(frames[3]["function"], "worker");
}

TEST(Backtrace, AbortThroughLibcMatchesGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=2", "--mode=abort"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  CompareBacktraces("gdb", CRASH_BIN, crash.core);
}

TEST(Backtrace, AbortInASignalHandlerUnwindsThroughTheTrampoline) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=1", "--mode=handler"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  CompareBacktraces("gdb", CRASH_BIN, crash.core);
  const json bt = Corekit("bt --json " + Quote(crash.core.string()));
  std::vector<std::string> chain;
  for (const json& f : bt["threads"][0]["frames"]) {
    if (f["how"] == "signal-trampoline") chain.push_back("<trampoline>");
    else if (!f["function"].is_null() && f["module"].get<std::string>().find("crash") != std::string::npos) {
      chain.push_back(f["function"].get<std::string>());
    }
    if (!chain.empty() && chain.back() == "main") break;
  }
  EXPECT_EQ(chain, (std::vector<std::string>{"on_usr1", "<trampoline>", "raise_usr1", "main"}));
  const json report = Corekit("report --json " + Quote(crash.core.string()));
  EXPECT_EQ(report["crash"]["kind"], "abort");
  EXPECT_NE(report["crash"]["summary"].get<std::string>().find("in on_usr1 (crash.c:"), std::string::npos);
}

TEST(Backtrace, GcoreOfALiveProcessMatchesGdb) {
  if (!HaveTool("gcore")) GTEST_SKIP() << "gcore is not installed";
  TempDir dir;
  Child child({CRASH_BIN, "--threads=4", "--mode=wait"});
  const Ready ready = child.WaitReady();
  const fs::path core = dir / "gcore";
  RunCommand("gcore -o " + Quote(core.string()) + " " + std::to_string(ready.pid));
  const fs::path written = core.string() + "." + std::to_string(ready.pid);
  ASSERT_TRUE(fs::exists(written));
  CompareBacktraces("gdb", CRASH_BIN, written);
}

TEST(Backtrace, I386KernelCoreMatchesGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  if (auto why = I386ProgramsUnavailable(CRASH32_BIN)) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH32_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  CompareBacktraces("gdb", CRASH32_BIN, crash.core);
}

// qemu-user's guest cores have no NT_FILE and no read-only segments: gdb-multiarch prints ??
// for every frame of a PIE; corekit finds the modules through the link map and names them.
TEST(Backtrace, QemuAarch64CoreWithoutNtFileIsNamed) {
  if (std::string(CRASH_AARCH64_BIN).empty()) GTEST_SKIP() << "no aarch64 cross compiler";
  if (!HaveTool("qemu-aarch64")) GTEST_SKIP() << "qemu-user is not installed";
  TempDir dir;
  auto crash = CrashInDir({"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", CRASH_AARCH64_BIN,
                           "--threads=1", "--mode=segv"},
                          dir.path());
  ASSERT_FALSE(crash.core.empty());
  const json bt = Corekit("bt --json --sysroot /usr/aarch64-linux-gnu --exe " + Quote(CRASH_AARCH64_BIN) +
                          " " + Quote(crash.core.string()));
  std::vector<std::string> top;
  for (const json& f : bt["threads"][0]["frames"]) {
    top.push_back(f["function"].is_null() ? "??" : f["function"].get<std::string>());
  }
  ASSERT_GE(top.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(top.begin(), top.begin() + 4),
            (std::vector<std::string>{"crash_here", "middle", "outer", "worker"}));
  EXPECT_EQ(bt["threads"][0]["frames"][0]["line"], LineOf(CRASH_SOURCE, "static int crash_here("));
  bool libc_from_link_map = false;
  for (const json& m : bt["modules"]) libc_from_link_map |= m["source"] == "link_map";
  EXPECT_TRUE(libc_from_link_map);
}

// Function names of one thread's frames (?? for none), from `bt --json`.
std::vector<std::string> FunctionsOf(const json& thread) {
  std::vector<std::string> names;
  for (const json& f : thread["frames"]) names.push_back(f["function"].is_null() ? "??" : f["function"].get<std::string>());
  return names;
}

std::vector<std::string> Head(const std::vector<std::string>& v, std::size_t n) {
  return {v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(n, v.size()))};
}

TEST(Backtrace, NoDebugInfoNoFramePointersNamesFromSymtabMatchGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_NODEBUG_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  CompareBacktraces("gdb", CRASH_NODEBUG_BIN, crash.core);
  const json bt = Corekit("bt --json " + Quote(crash.core.string()));
  EXPECT_EQ(Head(FunctionsOf(bt["threads"][0]), 4), (std::vector<std::string>{"crash_here", "middle", "outer", "worker"}));
  EXPECT_TRUE(bt["threads"][0]["frames"][0]["file"].is_null());
}

// The stripped binary has no .symtab and no DWARF; its debug file is found by build-id under
// --debug-dir, as gdb finds it under its debug-file-directory.
TEST(Backtrace, StrippedBinaryUsesItsDebugFileFoundByBuildId) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_STRIPPED_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const auto bare_run = RunCommand("COREKIT_CACHE_DIR=off " + std::string(COREKIT_BIN) + " bt --json " + Quote(crash.core.string()));
  const json bare = json::parse(bare_run.out);
  EXPECT_EQ(bare["threads"][0]["frames"][0]["function"], nullptr) << "the stripped binary names nothing";
  const std::string debug_dir = CRASH_DEBUG_DIR;
  CompareBacktraces("gdb -iex " + Quote("set debug-file-directory " + debug_dir + ":/usr/lib/debug"),
                    CRASH_STRIPPED_BIN, crash.core, "--debug-dir " + Quote(debug_dir));
  const json bt = Corekit("bt --json --debug-dir " + Quote(debug_dir) + " " + Quote(crash.core.string()));
  EXPECT_EQ(Head(FunctionsOf(bt["threads"][0]), 4), (std::vector<std::string>{"crash_here", "middle", "outer", "worker"}));
  EXPECT_EQ(bt["threads"][0]["frames"][0]["line"], LineOf(CRASH_SOURCE, "static int crash_here("));
}

// The stripped binary's debug file has compressed sections: the first run leaves an inflated
// copy, named by build-id, in the cache; later runs use it and answer the same. A damaged cache
// entry is ignored and replaced.
TEST(Backtrace, CompressedDebugFileIsCachedInflated) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_STRIPPED_BIN, "--threads=1", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const fs::path cache = dir / "cache";
  auto bt = [&](const std::string& cache_dir) {
    return RunCommand("COREKIT_CACHE_DIR=" + Quote(cache_dir) + " " + COREKIT_BIN + " bt --debug-dir " +
                      Quote(CRASH_DEBUG_DIR) + " " + Quote(crash.core.string())).out;
  };
  const std::string uncached = bt("off");
  ASSERT_NE(uncached.find("crash_here"), std::string::npos) << uncached;
  EXPECT_EQ(bt(cache.string()), uncached);
  const json modules = Corekit("bt --json " + Quote(crash.core.string()))["modules"];
  std::string build_id;
  for (const json& m : modules) {
    if (m["name"].get<std::string>().find("crash-stripped") != std::string::npos) build_id = m["build_id"];
  }
  ASSERT_FALSE(build_id.empty());
  const fs::path entry = cache / "debug" / (build_id + ".debug");
  ASSERT_TRUE(fs::exists(entry));
  EXPECT_EQ(RunCommand("readelf -SW " + Quote(entry.string()) + " 2>/dev/null | grep '\\] \\.debug_' | grep -c ' C '").out, "0\n")
      << "the cached copy has no compressed sections";
  EXPECT_EQ(bt(cache.string()), uncached);
  { std::ofstream(entry, std::ios::trunc) << "not an ELF file"; }
  EXPECT_EQ(bt(cache.string()), uncached);
  EXPECT_GT(fs::file_size(entry), 1000u) << "rewritten";
}

// Code without CFI and without frame pointers: libdwfl cannot get past the program's frames;
// the stack scan finds each return address (a word just after a call instruction). gdb prints
// garbage frames here, so the expected chain is the program's own.
TEST(Backtrace, StackScanRecoversFramesWithoutCfiOrFramePointers) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_NOCFI_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const json bt = Corekit("bt --json " + Quote(crash.core.string()));
  const json& crashed = bt["threads"][0];
  EXPECT_EQ(Head(FunctionsOf(crashed), 5),
            (std::vector<std::string>{"crash_here", "middle", "outer", "worker", "start_thread"}));
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(crashed["frames"][i]["how"], "stack-scan") << i;
  EXPECT_EQ(crashed["truncated"], false);
  // The idle threads: park has no CFI either; its caller is found by scanning.
  for (std::size_t t = 1; t < bt["threads"].size(); ++t) {
    const auto names = FunctionsOf(bt["threads"][t]);
    ASSERT_GE(names.size(), 3u);
    EXPECT_EQ(names[1], "park");
    EXPECT_TRUE(names[2] == "worker" || names[2] == "main") << names[2];
  }
  const std::string text = RunCommand(std::string(COREKIT_BIN) + " bt " + Quote(crash.core.string())).out;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(middle\+0x[0-9a-f]+ \(crash_nocfi\) \[stack-scan\])"))) << text;
}

TEST(Backtrace, UncaughtCxxExceptionMatchesGdb) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  for (const std::vector<std::string>& argv : ThrowRuns()) {
    SCOPED_TRACE(argv.size() == 1 ? "main" : "thread");
    TempDir dir;
    auto crash = CrashInDir(argv, dir.path());
    ASSERT_FALSE(crash.core.empty());
    CompareBacktraces("gdb", THROW_BIN, crash.core);
  }
}

}  // namespace
}  // namespace corekit::itest
