// corekit dump on live test programs: gdb, eu-stack and lldb read its cores as they read
// gcore's (threads, backtraces, memory the process wrote), and the target always runs on,
// untraced — after success, after Ctrl-C/SIGTERM mid-dump, after a refusal.
#include <sys/stat.h>

#include <thread>

#include "support.h"

extern "C" long ptrace(int request, ...);

namespace corekit::itest {
namespace {

using nlohmann::json;

// "State" and "TracerPid" of a process, from /proc.
std::pair<std::string, std::string> StateOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line, state, tracer;
  while (std::getline(in, line)) {
    if (line.rfind("State:", 0) == 0) state = line.substr(7);
    if (line.rfind("TracerPid:", 0) == 0) tracer = line.substr(11);
  }
  return {state, tracer};
}

void ExpectRunningUntraced(pid_t pid) {
  const auto [state, tracer] = StateOf(pid);
  EXPECT_EQ(tracer, "0") << "still traced";
  EXPECT_TRUE(!state.empty() && state[0] != 't' && state[0] != 'T' && state[0] != 'Z') << state;
}

// Per thread (in gdb's order), the function names of `thread apply all bt`.
std::vector<std::vector<std::string>> GdbFunctions(const std::string& exe, const fs::path& core) {
  const std::string out = Gdb("gdb", exe, core, {"thread apply all bt"});
  std::vector<std::vector<std::string>> threads;
  static const std::regex frame(R"(^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) )");
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Thread ", 0) == 0) threads.emplace_back();
    std::smatch m;
    if (!threads.empty() && std::regex_search(line, m, frame)) threads.back().push_back(m[1]);
  }
  return threads;
}

// eu-stack's function names, all threads in its order.
std::vector<std::string> EuStackFunctions(const std::string& exe, const fs::path& core) {
  const std::string out = RunCommand("eu-stack -e " + Quote(exe) + " --core=" + Quote(core.string()) + " 2>&1").out;
  std::vector<std::string> names;
  static const std::regex frame(R"(^#\d+\s+0x[0-9a-f]+\s+(\S+))");
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, frame)) names.push_back(m[1]);
  }
  return names;
}

TEST(Dump, ReadByGdbEuStackAndLldbLikeGcore) {
  if (!HaveTool("gcore")) GTEST_SKIP() << "gcore is not installed";
  TempDir dir;
  Child child({CRASH_BIN, "--threads=4", "--mode=wait", "--heap-marker=DUMP-HEAP-MAGIC"});
  const Ready ready = child.WaitReady();
  ASSERT_GT(ready.pid, 0);
  WaitParked(ready.pid);
  const fs::path ours = dir / "core.ours";
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump " + std::to_string(ready.pid) + " -o " +
                              Quote(ours.string()) + " --json");
  ASSERT_EQ(run.status, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["threads"], 5);
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
  struct stat st;
  ASSERT_EQ(::stat(ours.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_LT(static_cast<std::uint64_t>(st.st_blocks) * 512, static_cast<std::uint64_t>(st.st_size)) << "holes are sparse";
  for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos);

  RunCommand("gcore -o " + Quote((dir / "gcore").string()) + " " + std::to_string(ready.pid));
  const fs::path theirs = dir.path() / ("gcore." + std::to_string(ready.pid));
  ASSERT_TRUE(fs::exists(theirs));
  const auto gdb_ours = GdbFunctions(CRASH_BIN, ours), gdb_theirs = GdbFunctions(CRASH_BIN, theirs);
  ASSERT_EQ(gdb_ours.size(), 5u);
  EXPECT_EQ(gdb_ours, gdb_theirs);
  if (HaveTool("eu-stack")) {
    const auto eu = EuStackFunctions(CRASH_BIN, ours);
    EXPECT_GE(eu.size(), 15u);
    EXPECT_EQ(eu, EuStackFunctions(CRASH_BIN, theirs));
  }
  // Memory the process wrote: the heap marker and main's stack marker.
  EXPECT_NE(Gdb("gdb", CRASH_BIN, ours, {"x/s " + ready.values.at("heap")}).find("\"DUMP-HEAP-MAGIC\""), std::string::npos);
  EXPECT_NE(Gdb("gdb", CRASH_BIN, ours, {"x/s " + ready.values.at("stack")}).find("\"COREKIT-STACK-MARKER\""),
            std::string::npos);
  if (HaveTool("lldb")) {
    const std::string out = RunCommand("timeout 120 lldb --batch -o 'thread list' -o 'bt all' -c " + Quote(ours.string()) +
                                       " " + Quote(CRASH_BIN) + " 2>&1").out;
    EXPECT_NE(out.find("thread #5"), std::string::npos) << out;
    EXPECT_NE(out.find("crash`park"), std::string::npos) << out;
    EXPECT_NE(out.find("crash`worker"), std::string::npos) << out;
  }
  // corekit reads its own core: the same threads and frames as the live process had.
  const json bt = Corekit("bt --json " + Quote(ours.string()));
  EXPECT_EQ(bt["threads"].size(), 5u);
  const json info = Corekit("info --json " + Quote(ours.string()));
  EXPECT_EQ(info["producer"], "corekit");
}

TEST(Dump, ToAPipeIsTheSameCore) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=2", "--mode=wait", "--heap-marker=PIPE-HEAP-MAGIC"});
  const Ready ready = child.WaitReady();
  const fs::path piped = dir / "piped";
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump " + std::to_string(ready.pid) + " -o - --quiet | cat > " +
                              Quote(piped.string()));
  ASSERT_EQ(run.status, 0) << run.err;
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
  const json threads = Corekit("threads --json " + Quote(piped.string()));
  EXPECT_EQ(threads["threads"].size(), 3u);
  EXPECT_NE(Gdb("gdb", CRASH_BIN, piped, {"x/s " + ready.values.at("heap")}).find("\"PIPE-HEAP-MAGIC\""), std::string::npos);
}

TEST(Dump, CompressedIsTheSameCoreInAFractionOfTheBytes) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=2", "--mode=wait", "--alloc-mib=64", "--heap-marker=ZSTD-HEAP-MAGIC"});
  const Ready ready = child.WaitReady();
  const fs::path plain = dir / "plain.core", packed = dir / "packed.core.zst", flagged = dir / "flagged";
  const std::string pid = std::to_string(ready.pid);
  ASSERT_EQ(RunCommand(std::string(COREKIT_BIN) + " dump --quiet -o " + Quote(plain.string()) + " " + pid).status, 0);
  auto run = RunCommand(std::string(COREKIT_BIN) + " dump --quiet -o " + Quote(packed.string()) + " " + pid);
  ASSERT_EQ(run.status, 0) << run.err;
  ASSERT_EQ(RunCommand(std::string(COREKIT_BIN) + " dump --quiet --compress -o " + Quote(flagged.string()) + " " + pid).status, 0);
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
  // zstd by its magic, either way; the file is 0600 like every core corekit writes.
  for (const fs::path& p : {packed, flagged}) {
    EXPECT_EQ(ReadAll(p).substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4)) << p;
    EXPECT_EQ(fs::status(p).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  }
  EXPECT_LT(fs::file_size(packed) * 10, fs::file_size(plain));  // 64 MiB of one byte, and holes
  // What zstd decompresses is the core itself; readers open the compressed one directly.
  ASSERT_EQ(RunCommand("zstd -q -d -c " + Quote(packed.string()) + " > " + Quote((dir / "unpacked").string())).status, 0);
  EXPECT_EQ(Corekit("threads --json " + Quote(packed.string()))["threads"], Corekit("threads --json " + Quote(plain.string()))["threads"]);
  EXPECT_NE(Gdb("gdb", CRASH_BIN, dir / "unpacked", {"x/s " + ready.values.at("heap")}).find("\"ZSTD-HEAP-MAGIC\""), std::string::npos);
}

// Killing corekit mid-dump: its cleanup detaches, the target runs on, no file is left.
TEST(Dump, CancelledMidDumpLeavesTheTargetRunning) {
  for (int signal : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    TempDir dir;
    Child child({CRASH_BIN, "--threads=2", "--mode=wait", "--alloc-mib=1536"});
    const Ready ready = child.WaitReady();
    int out_fd = -1;
    const pid_t dumper = Spawn({COREKIT_BIN, "dump", std::to_string(ready.pid), "-o", (dir / "core").string(), "--quiet"},
                               &out_fd);
    // Wait until corekit has the target stopped, then interrupt it.
    for (int i = 0; i < 400 && StateOf(static_cast<pid_t>(ready.pid)).second == "0"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(dumper, signal);
    int status = 0;
    ::waitpid(dumper, &status, 0);
    ::close(out_fd);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
    ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
    EXPECT_TRUE(fs::is_empty(dir.path())) << "no core and no temporary file";
  }
}

// The target killed while corekit dumps it: a clear error, no file left behind.
TEST(Dump, TargetDyingMidDumpFailsCleanly) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=2", "--mode=wait", "--alloc-mib=1536"});
  const Ready ready = child.WaitReady();
  int out_fd = -1;
  const pid_t dumper =
      Spawn({COREKIT_BIN, "dump", std::to_string(ready.pid), "-o", (dir / "core").string(), "--quiet"}, &out_fd);
  for (int i = 0; i < 400 && StateOf(static_cast<pid_t>(ready.pid)).second == "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(static_cast<pid_t>(ready.pid), SIGKILL);
  int status = 0;
  ::waitpid(dumper, &status, 0);
  ::close(out_fd);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) GTEST_SKIP() << "the dump finished before the kill";
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_TRUE(fs::is_empty(dir.path())) << "no core and no temporary file";
}

TEST(Dump, RefusesATracedOrNonDumpableProcess) {
  {
    Child child({CRASH_BIN, "--threads=1", "--mode=wait"});
    const Ready ready = child.WaitReady();
    ASSERT_EQ(ptrace(0x4206 /* PTRACE_SEIZE */, static_cast<pid_t>(ready.pid), nullptr, nullptr), 0);
    const auto run = RunCommand(std::string(COREKIT_BIN) + " dump " + std::to_string(ready.pid) + " -o /dev/null");
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find("already traced by process " + std::to_string(::getpid())), std::string::npos) << run.err;
    ptrace(17 /* PTRACE_DETACH */, static_cast<pid_t>(ready.pid), nullptr, nullptr);
  }
  if (::getuid() != 0) GTEST_SKIP() << "the non-dumpable case needs root (to run the target as nobody)";
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  Child child({CRASH_BIN, "--threads=1", "--mode=wait", "--nondumpable"}, [] {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(125);
  });
  const Ready ready = child.WaitReady();
  const std::string pid = std::to_string(ready.pid);
  const auto refused = RunCommand(std::string(COREKIT_BIN) + " dump " + pid + " -o " + Quote((dir / "core").string()));
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("is not dumpable"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "core"));
  const auto forced = RunCommand(std::string(COREKIT_BIN) + " dump --force " + pid + " -o " + Quote((dir / "core").string()));
  EXPECT_EQ(forced.status, 0) << forced.err;
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
}

// --max-size drops whole mappings, the big anonymous heap first, keeps the stacks (so the
// backtraces stand), and says what it dropped in the COREKIT note.
TEST(Dump, MaxSizeDropsWholeMappingsLeastUsefulFirst) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=2", "--mode=wait", "--alloc-mib=96"});
  const Ready ready = child.WaitReady();
  const fs::path core = dir / "core";
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump " + std::to_string(ready.pid) + " --max-size 48M -o " +
                              Quote(core.string()) + " --json");
  ASSERT_EQ(run.status, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_LE(fs::file_size(core), 48u << 20);
  ASSERT_GE(summary["dropped"].size(), 1u);
  EXPECT_EQ(summary["dropped"][0]["path"], "");  // the anonymous 96 MiB block
  const json info = Corekit("info --json " + Quote(core.string()));
  EXPECT_NE(info.dump().find("dropped"), std::string::npos);
  const json bt = Corekit("bt --json " + Quote(core.string()));
  ASSERT_EQ(bt["threads"].size(), 3u);
  for (const json& t : bt["threads"]) EXPECT_GE(t["frames"].size(), 3u);
  const auto gdb = GdbFunctions(CRASH_BIN, core);
  ASSERT_EQ(gdb.size(), 3u);
  EXPECT_NE(std::find(gdb[0].begin(), gdb[0].end(), "park"), gdb[0].end());
}

TEST(Dump, ProgressBarAndErrors) {
  Child child({CRASH_BIN, "--threads=1", "--mode=wait"});
  const Ready ready = child.WaitReady();
  TempDir dir;
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump " + std::to_string(ready.pid) + " --progress -o " +
                              Quote((dir / "core").string()));
  EXPECT_EQ(run.status, 0);
  EXPECT_NE(run.err.find("threads 2/2"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("was stopped for"), std::string::npos) << run.out;
  const auto missing = RunCommand(std::string(COREKIT_BIN) + " dump 999999999 -o " + Quote((dir / "x").string()));
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "error: no process 999999999\n");
}

// The reading commands take a PID as they take a core: bt of the live process equals bt of its
// dump, and the process runs on untraced after each command.
TEST(Live, ReadingCommandsTakeAPid) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=3", "--mode=wait", "--heap-marker=LIVE-HEAP-MAGIC"});
  const Ready ready = child.WaitReady();
  WaitParked(ready.pid);
  const std::string pid = std::to_string(ready.pid);
  const json live_bt = Corekit("bt --json " + pid);
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
  const fs::path core = dir / "core";
  ASSERT_EQ(RunCommand(std::string(COREKIT_BIN) + " dump --quiet " + pid + " -o " + Quote(core.string())).status, 0);
  const json core_bt = Corekit("bt --json " + Quote(core.string()));
  ASSERT_EQ(live_bt["threads"].size(), 4u);
  ASSERT_EQ(live_bt["threads"].size(), core_bt["threads"].size());
  for (std::size_t i = 0; i < live_bt["threads"].size(); ++i) {
    EXPECT_EQ(live_bt["threads"][i]["tid"], core_bt["threads"][i]["tid"]);
    EXPECT_EQ(live_bt["threads"][i]["frames"].size(), core_bt["threads"][i]["frames"].size());
    for (std::size_t k = 0; k < live_bt["threads"][i]["frames"].size(); ++k) {
      EXPECT_EQ(live_bt["threads"][i]["frames"][k]["function"], core_bt["threads"][i]["frames"][k]["function"]);
    }
  }
  const json threads = Corekit("threads --json " + pid);
  EXPECT_EQ(threads["threads"][0]["tid"], ready.pid);
  EXPECT_EQ(threads["threads"][0]["name"], "crash");
  const json maps = Corekit("maps --json " + pid);
  EXPECT_GT(maps["mappings"].size(), 10u);
  const auto raw = RunCommand(std::string(COREKIT_BIN) + " read --raw " + pid + " " + ready.values.at("heap") + " 15");
  EXPECT_EQ(raw.out, "LIVE-HEAP-MAGIC");
  const json report = Corekit("report --json " + pid);
  EXPECT_EQ(report["crash"]["kind"], "no-crash");
  // info summarizes the process as it does a core; notes has none to show, and says so.
  const json info = Corekit("info --json " + pid);
  EXPECT_EQ(info["pid"], ready.pid);
  EXPECT_EQ(info["producer"], "live");
  EXPECT_EQ(info["thread_count"], threads["threads"].size());
  EXPECT_EQ(info["mapping_count"], maps["mappings"].size());
  EXPECT_TRUE(info["path"].is_null());
  const auto info_text = RunCommand(std::string(COREKIT_BIN) + " info " + pid);
  EXPECT_EQ(info_text.status, 0) << info_text.err;
  EXPECT_EQ(info_text.out.rfind("process " + pid + " (crash): linux x86_64", 0), 0u) << info_text.out;
  const auto notes = RunCommand(std::string(COREKIT_BIN) + " notes " + pid);
  EXPECT_EQ(notes.status, 1);
  EXPECT_NE(notes.err.find("which a running process does not have"), std::string::npos) << notes.err;
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
}

// gdb's `thread apply all bt full` (every frame's arguments and locals), without the lines that
// name the core file.
std::string GdbBtFull(const std::string& exe, const fs::path& core) {
  const std::string out = Gdb("gdb", exe, core, {"thread apply all bt full"});
  std::string kept;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.find(core.string()) == std::string::npos && line.rfind("[New ", 0) != 0) kept += line + "\n";
  }
  return kept;
}

json ReportCrashAndThreads(const fs::path& core) {
  const json r = Corekit("report --json " + Quote(core.string()));
  return {{"crash", r["crash"]}, {"signal", r["signal"]}, {"threads", r["threads"]}};
}

// A kernel core compacted: a sliver of its size, and gdb, eu-stack and corekit report say the
// same on both — every frame's arguments and locals included.
TEST(Compact, KernelCoreReadsTheSameAtASliverOfItsSize) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=4", "--mode=segv", "--alloc-mib=256"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  const fs::path small = dir / "small";
  const auto run = RunCommand(std::string(COREKIT_BIN) + " compact --json " + Quote(crash.core.string()) + " " +
                              Quote(small.string()));
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_LE(fs::file_size(small) * 50, fs::file_size(crash.core)) << "at most 2%";
  EXPECT_EQ(GdbBtFull(CRASH_BIN, small), GdbBtFull(CRASH_BIN, crash.core));
  if (HaveTool("eu-stack")) {
    EXPECT_EQ(EuStackFunctions(CRASH_BIN, small), EuStackFunctions(CRASH_BIN, crash.core));
  }
  EXPECT_EQ(ReportCrashAndThreads(small), ReportCrashAndThreads(crash.core));
  const json info = Corekit("info --json " + Quote(small.string()));
  EXPECT_EQ(info["thread_count"], 5);
}

TEST(Compact, LiveDumpCompactReadsLikeTheFullDump) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=4", "--mode=wait", "--alloc-mib=128"});
  const Ready ready = child.WaitReady();
  WaitParked(ready.pid);
  const std::string pid = std::to_string(ready.pid);
  const fs::path full = dir / "full", small = dir / "small";
  ASSERT_EQ(RunCommand(std::string(COREKIT_BIN) + " dump --quiet " + pid + " -o " + Quote(full.string())).status, 0);
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump --compact --json " + pid + " -o " + Quote(small.string()));
  ASSERT_EQ(run.status, 0) << run.err;
  ExpectRunningUntraced(static_cast<pid_t>(ready.pid));
  EXPECT_LE(fs::file_size(small) * 50, fs::file_size(full));
  EXPECT_EQ(GdbBtFull(CRASH_BIN, small), GdbBtFull(CRASH_BIN, full));
  EXPECT_NE(Corekit("info --json " + Quote(small.string())).dump().find("--compact"), std::string::npos);
}

// A heartbeat service with its stdin on a pipe the test holds.
struct Heartbeat {
  int stdin_pipe[2] = {-1, -1};
  std::unique_ptr<Child> child;
  Ready ready;
  explicit Heartbeat(std::vector<std::string> args, bool as_nobody = false) {
    if (::pipe(stdin_pipe) != 0) return;
    args.insert(args.begin(), HEARTBEAT_BIN);
    const int read_end = stdin_pipe[0];
    child = std::make_unique<Child>(args, [read_end, as_nobody] {
      ::dup2(read_end, 0);
      if (as_nobody && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(125);
    });
    ::close(stdin_pipe[0]);
    ready = child->WaitReady();
  }
  ~Heartbeat() { ::close(stdin_pipe[1]); }
  // "status max_gap_us=G sigchld=C" -> {G, C}
  std::pair<long, long> Status() {
    ::kill(static_cast<pid_t>(ready.pid), SIGUSR1);
    const std::string line = child->ReadLineStartingWith("status ");
    long gap = -1, sigchld = -1;
    std::sscanf(line.c_str(), "status max_gap_us=%ld sigchld=%ld", &gap, &sigchld);
    return {gap, sigchld};
  }
  bool EchoesAfterwards() {
    const char text[] = "still-reading\n";
    if (::write(stdin_pipe[1], text, sizeof text - 1) != static_cast<ssize_t>(sizeof text - 1)) return false;
    return child->ReadLineStartingWith("read: ") == "read: still-reading\n";
  }
};

std::vector<std::string> ChildrenOf(long pid) {
  std::vector<std::string> children;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (std::string c; in >> c;) children.push_back(c);
  }
  return children;
}

// --non-stop: the service is paused for the fork only — as its own heartbeat measures it — and
// afterwards has no child, no zombie, no SIGCHLD, no tracer, and its thread blocked in read(2)
// still reads. The core holds every thread and the memory of the moment of the fork.
TEST(NonStop, PausesTheProcessOnlyForTheSnapshot) {
  Heartbeat hb({"--threads=8", "--alloc-mib=256"});
  ASSERT_GT(hb.ready.pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  hb.Status();  // resets the longest gap
  TempDir dir;
  const fs::path core = dir / "core";
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump --non-stop --json " + std::to_string(hb.ready.pid) +
                              " -o " + Quote(core.string()));
  ASSERT_EQ(run.status, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["non_stop"], true) << summary.dump();
  EXPECT_EQ(summary["threads"], 11);  // main (in read), heartbeat, status, 8 idle
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto [gap_us, sigchld] = hb.Status();
  // Generous bounds for a loaded CI machine; bench/nonstop.sh measures the real figures.
  EXPECT_LT(gap_us, 500000) << "the heartbeat saw a pause of " << gap_us << " us";
  EXPECT_LT(summary["stopped_seconds"].get<double>(), 0.5);
  EXPECT_EQ(sigchld, 0);
  EXPECT_TRUE(ChildrenOf(hb.ready.pid).empty()) << "a child or zombie is left";
  ExpectRunningUntraced(static_cast<pid_t>(hb.ready.pid));
  EXPECT_TRUE(hb.EchoesAfterwards()) << "the read(2) it was blocked in did not resume";
  // The snapshot's memory and every thread's stack.
  EXPECT_NE(Gdb("gdb", HEARTBEAT_BIN, core, {"x/8xb " + hb.ready.values.at("heap")}).find("0x5a\t0x5a"), std::string::npos);
  const auto threads = GdbFunctions(HEARTBEAT_BIN, core);
  ASSERT_EQ(threads.size(), 11u);
  std::size_t idle = 0;
  for (const auto& t : threads) idle += std::find(t.begin(), t.end(), "idle") != t.end();
  EXPECT_EQ(idle, 8u);
}

// The fork injected into a thread busy in user code: its registers come back exactly (its
// self-checking loop would say "corrupt"); a MADV_DONTFORK mapping is not in the snapshot and
// the summary says so.
TEST(NonStop, RestoresABusyThreadExactlyAndSkipsDontforkMemory) {
  Heartbeat hb({"--busy", "--dontfork", "--threads=2"});
  ASSERT_GT(hb.ready.pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  TempDir dir;
  for (int i = 0; i < 5; ++i) {
    const auto run = RunCommand(std::string(COREKIT_BIN) + " dump --non-stop " + std::to_string(hb.ready.pid) + " -o " +
                                Quote((dir / ("core" + std::to_string(i))).string()));
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.err.find("1 MADV_DONTFORK/MADV_WIPEONFORK mappings are not in the snapshot"), std::string::npos) << run.err;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto [gap, sigchld] = hb.Status();  // "corrupt" would have ended the process first
  EXPECT_GE(gap, 0) << "the process is gone";
  EXPECT_EQ(sigchld, 0);
  EXPECT_TRUE(hb.EchoesAfterwards());
  EXPECT_TRUE(ChildrenOf(hb.ready.pid).empty());
  ExpectRunningUntraced(static_cast<pid_t>(hb.ready.pid));
}

// Where a snapshot is impossible the dump still happens, the ordinary way, and says why.
TEST(NonStop, FallsBackWhenTheProcessCannotFork) {
  {
    SCOPED_TRACE("seccomp");
    Heartbeat hb({"--seccomp"});
    TempDir dir;
    const auto run = RunCommand(std::string(COREKIT_BIN) + " dump --non-stop --json " + std::to_string(hb.ready.pid) +
                                " -o " + Quote((dir / "core").string()));
    ASSERT_EQ(run.status, 0) << run.err;
    const json summary = json::parse(run.out);
    EXPECT_EQ(summary["non_stop"], false);
    EXPECT_NE(summary["non_stop_failure"].get<std::string>().find("seccomp"), std::string::npos);
    ExpectRunningUntraced(static_cast<pid_t>(hb.ready.pid));
    EXPECT_TRUE(hb.EchoesAfterwards());
  }
  if (::getuid() != 0) GTEST_SKIP() << "RLIMIT_NPROC binds only non-root processes; the test runs one as nobody";
  SCOPED_TRACE("RLIMIT_NPROC=0");
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  Heartbeat hb({"--nproc0"}, /*as_nobody=*/true);
  const auto run = RunCommand(std::string(COREKIT_BIN) + " dump --non-stop --json " + std::to_string(hb.ready.pid) +
                              " -o " + Quote((dir / "core").string()));
  ASSERT_EQ(run.status, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["non_stop"], false);
  EXPECT_NE(summary["non_stop_failure"].get<std::string>().find("could not fork"), std::string::npos) << summary.dump();
  ExpectRunningUntraced(static_cast<pid_t>(hb.ready.pid));
  EXPECT_TRUE(hb.EchoesAfterwards());
  EXPECT_EQ(hb.Status().second, 0);
}

}  // namespace
}  // namespace corekit::itest
