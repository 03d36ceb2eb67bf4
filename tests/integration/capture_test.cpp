// The crash handler on the real kernel: these tests install `corekit handle` as core_pattern
// with a temporary store, crash real programs and read the store. Each restores core_pattern,
// core_pipe_limit and suid_dumpable on every exit path it can (TearDown, and a handler for the
// signals ctest sends on a timeout); ctest runs them alone (RUN_SERIAL, RESOURCE_LOCK
// kernel_core_pattern), so no other test expects kernel cores meanwhile.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "debuginfod_server.h"
#include "serve_process.h"
#include "support.h"

namespace corekit::itest {
namespace {

const char* kKernel[] = {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/core_pipe_limit",
                         "/proc/sys/fs/suid_dumpable"};
std::string saved[3];
bool have_saved = false;

void RestoreKernel() {
  if (!have_saved) return;
  for (int i = 0; i < 3; ++i) {
    const int fd = ::open(kKernel[i], O_WRONLY | O_TRUNC);
    if (fd >= 0) {
      [[maybe_unused]] ssize_t n = ::write(fd, saved[i].data(), saved[i].size());
      ::close(fd);
    }
  }
}

void RestoreAndDie(int sig) {
  RestoreKernel();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool WriteProc(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_TRUNC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// The processes of `store` still running whose command line has `what` ("handle", "upload").
std::vector<pid_t> Processes(const std::string& store, const std::string& what) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadAll(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(" " + what + " --store " + store + " ") != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

std::vector<pid_t> Handlers(const std::string& store) { return Processes(store, "handle"); }

// The upload workers (`corekit upload --spool`) of `store`.
std::vector<pid_t> UploadWorkers(const std::string& store) { return Processes(store, "upload --spool"); }

class Capture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "not root: core_pattern cannot be written";
    for (int i = 0; i < 3; ++i) saved[i] = ReadAll(kKernel[i]);
    // Can it be written at all (a read-only /proc/sys in a container)?
    if (!WriteProc(kKernel[0], saved[0])) GTEST_SKIP() << "core_pattern is not writable here";
    have_saved = true;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGABRT, SIGSEGV}) ::signal(sig, RestoreAndDie);
    store_ = (dir_ / "store").string();
    Install("--rate-per-exe 1000 --rate-global 1000");
  }
  void TearDown() override {
    if (!have_saved) return;
    WaitForHandlers();
    for (pid_t worker : UploadWorkers(store_)) ::kill(worker, SIGKILL);
    RunCommand(std::string(COREKIT_BIN) + " handler uninstall --store " + Quote(store_));
    RestoreKernel();  // whatever uninstall did, the values from before the test
    have_saved = false;
    ::umount2(store_.c_str(), MNT_DETACH);  // the full-disk test's tmpfs, if mounted
  }

  void Install(const std::string& flags) {
    auto r = RunCommand(std::string(COREKIT_BIN) + " handler install --store " + Quote(store_) + " " + flags);
    ASSERT_EQ(r.status, 0) << r.err;
  }

  // Waits until no handler of this store runs (the analysis included), at most 120 s.
  void WaitForHandlers() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!Handlers(store_).empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Runs argv to its crash (RLIMIT_CORE unlimited unless `limit`), in the test's directory.
  CrashResult Crash(const std::vector<std::string>& argv, std::optional<rlim_t> limit = std::nullopt,
                    const std::function<void()>& also = [] {}) {
    return RunToDeath(argv, dir_.path(), limit.value_or(RLIM_INFINITY), also);
  }

  nlohmann::json List(const std::string& flags = "") {
    WaitForHandlers();
    return Corekit("crashes list --json --store " + Quote(store_) + " " + flags)["crashes"];
  }

  TempDir dir_;
  std::string store_;
};

std::size_t CountWhere(const nlohmann::json& crashes, const std::function<bool(const nlohmann::json&)>& pred) {
  return static_cast<std::size_t>(std::count_if(crashes.begin(), crashes.end(), pred));
}

TEST_F(Capture, WorkerThreadSegfaultIsStoredExplainedAndReadable) {
  const CrashResult crash = Crash({CRASH_BIN, "--mode=segv", "--threads=3"});
  ASSERT_EQ(crash.signal, SIGSEGV);
  const Ready ready = ParseReady(crash.out);
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  const nlohmann::json& c = crashes[0];
  EXPECT_EQ(c["pid"], ready.pid);
  EXPECT_EQ(c["host_pid"], ready.pid);
  EXPECT_EQ(c["signal"]["name"], "SIGSEGV");
  EXPECT_EQ(c["signal"]["code"], 1);  // SEGV_MAPERR, from the analysis
  EXPECT_EQ(c["executable"], fs::canonical(CRASH_BIN).string());
  EXPECT_EQ(c["core"], "present");
  EXPECT_TRUE(c["core_reason"].is_null());
  EXPECT_EQ(c["signature"], "crash_here | middle | outer | worker");
  EXPECT_EQ(c["report_kind"], "null-dereference");
  EXPECT_TRUE(c["compact"].get<bool>());
  // The files: 0640 root:root, visible only under their final names.
  const std::string id = c["id"];
  for (const std::string& name : {id + ".core.zst", id + ".compact.core.zst", id + ".json"}) {
    struct stat st {};
    ASSERT_EQ(::stat((store_ + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0640u) << name;
    EXPECT_EQ(st.st_uid, 0u);
  }
  // Every reading command takes @ID and @last; the stored core reads as the kernel's would.
  const nlohmann::json bt = Corekit("bt --json --store " + Quote(store_) + " @" + id);
  ASSERT_EQ(bt["threads"].size(), 4u);
  const nlohmann::json threads = Corekit("threads --json --store " + Quote(store_) + " @last");
  EXPECT_EQ(threads["threads"].size(), 4u);
  // info --json: the snapshot and the report.
  const nlohmann::json info = Corekit("crashes info --json --store " + Quote(store_) + " " + id.substr(0, 6));
  EXPECT_EQ(info["report"]["crash"]["kind"], "null-dereference");
  EXPECT_TRUE(info["proc"]["maps"].get<std::string>().find("crash") != std::string::npos);
  EXPECT_FALSE(info["proc"]["environ"].empty());
  // dump: the decompressed core is a core gdb reads.
  const fs::path out = dir_ / "dumped.core";
  auto dumped = RunCommand(std::string(COREKIT_BIN) + " crashes dump --store " + Quote(store_) + " -o " +
                           Quote(out.string()) + " " + id);
  ASSERT_EQ(dumped.status, 0) << dumped.err;
  const nlohmann::json from_file = Corekit("threads --json " + Quote(out.string()));
  EXPECT_EQ(from_file["threads"], threads["threads"]);
  // crashes debug: corekit debug on the stored core, and gdb on a decompressed copy.
  auto debugged = RunCommand(std::string(COREKIT_BIN) + " crashes debug --store " + Quote(store_) + " " + id +
                             " -- --batch -ex bt");
  EXPECT_EQ(debugged.status, 0) << debugged.err;
  EXPECT_NE(debugged.out.find("crash_here"), std::string::npos) << debugged.out;
  if (HaveTool("gdb")) {
    auto gdb = RunCommand(std::string(COREKIT_BIN) + " crashes debug --debugger gdb --store " + Quote(store_) + " " +
                          id + " -- -batch -nx -ex bt");
    EXPECT_EQ(gdb.status, 0) << gdb.err;
    EXPECT_NE(gdb.out.find("crash_here"), std::string::npos) << gdb.out << gdb.err;
  }
  // The kernel's log has the line the handler wrote first.
  EXPECT_NE(RunCommand("dmesg 2>/dev/null | tail -200; journalctl -q -n 200 2>/dev/null").out.find(
                "process " + std::to_string(ready.pid) + " "),
            std::string::npos);
}

TEST_F(Capture, AssertionAndTerminateSignaturesSkipTheAbortMachinery) {
  Crash({CRASH_BIN, "--mode=assert", "--threads=0"});
  Crash({THROW_BIN});
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 2u);
  const std::string assertion = crashes[0]["signature"];
  EXPECT_EQ(crashes[0]["report_kind"], "assertion");
  EXPECT_TRUE(assertion.rfind("main", 0) == 0) << assertion;
  const std::string thrown = crashes[1]["signature"];
  for (const char* machinery : {"abort", "raise", "terminate", "__cxa_throw", "__GI_", "pthread_kill", "__libc_start"}) {
    EXPECT_EQ(assertion.find(machinery), std::string::npos) << assertion;
    EXPECT_EQ(thrown.find(machinery), std::string::npos) << thrown;
  }
  EXPECT_FALSE(thrown.empty());
  // Grouped: two signatures, one crash each.
  const nlohmann::json groups = Corekit("crashes groups --json --store " + Quote(store_))["groups"];
  EXPECT_EQ(groups.size(), 2u);
}

TEST_F(Capture, SixteenAtOnceAreAllStored) {
  std::vector<std::thread> crashers;
  for (int i = 0; i < 16; ++i) {
    crashers.emplace_back([this] { Crash({CRASH_BIN, "--mode=segv", "--threads=1"}); });
  }
  for (auto& t : crashers) t.join();
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 16u);
  EXPECT_EQ(CountWhere(crashes, [](const nlohmann::json& c) { return c["core"] == "present"; }), 16u);
  // The index is consistent: every row's files exist, and vacuum finds nothing to repair.
  const nlohmann::json vacuum = Corekit("crashes vacuum --json --store " + Quote(store_))["vacuum"];
  EXPECT_EQ(vacuum["orphan_files"], 0);
  EXPECT_EQ(vacuum["lost_files"], 0);
  EXPECT_EQ(vacuum["stale_rows"], 0);
}

TEST_F(Capture, AStormIsRateLimitedAndCountedExactly) {
  Install("--rate-per-exe 10 --rate-window 60 --rate-global 1000");
  const auto start = std::chrono::steady_clock::now();
  // Two crashers at once, as a storm comes: 300 crashes in about 10 s here.
  std::vector<std::thread> crashers;
  for (int t = 0; t < 2; ++t) {
    crashers.emplace_back([this] {
      for (int i = 0; i < 150; ++i) Crash({BIGCRASH_BIN, "--mapped-mib=1", "--random-mib=0"});
    });
  }
  for (auto& t : crashers) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 300u) << "in " << seconds << " s";
  EXPECT_EQ(CountWhere(crashes, [](const nlohmann::json& c) { return c["core"] == "present"; }), 10u);
  EXPECT_EQ(CountWhere(crashes, [](const nlohmann::json& c) {
              return c["core"] == "none" && c["core_reason"].get<std::string>().rfind("rate limit", 0) == 0;
            }),
            290u);
  RecordProperty("storm_seconds", std::to_string(seconds));
}

TEST_F(Capture, RlimitCoreIsHonoured) {
  Crash({CRASH_BIN, "--mode=segv", "--threads=0"}, 0);
  Crash({BIGCRASH_BIN, "--mapped-mib=8", "--random-mib=4"}, 1 << 20);
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 2u);
  EXPECT_EQ(crashes[0]["core"], "none");
  EXPECT_NE(crashes[0]["core_reason"].get<std::string>().find("RLIMIT_CORE is 0"), std::string::npos);
  EXPECT_EQ(crashes[1]["core"], "truncated");
  // The truncated core still opens, as a truncated kernel core does.
  auto r = RunCommand(std::string(COREKIT_BIN) + " info --store " + Quote(store_) + " @" + crashes[1]["id"].get<std::string>());
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(Capture, OverThePerCoreCapOnlyTheCompactCoreIsKept) {
  Install("--max-core-size 16M");
  Crash({BIGCRASH_BIN, "--mapped-mib=64", "--random-mib=48", "--threads=2"});
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  const nlohmann::json& c = crashes[0];
  EXPECT_EQ(c["core"], "compact");
  EXPECT_NE(c["core_reason"].get<std::string>().find("per-core limit"), std::string::npos);
  EXPECT_LT(c["core_bytes"].get<std::uint64_t>(), 16u << 20);
  EXPECT_EQ(c["signature"], "main");  // the stacks were kept: the analysis still explains it
  const nlohmann::json bt = Corekit("bt --json --store " + Quote(store_) + " @last");
  EXPECT_EQ(bt["threads"].size(), 3u);
}

TEST_F(Capture, AFullDiskLeavesARowAndNoPartialFile) {
  ASSERT_EQ(::mkdir(store_.c_str(), 0755) == 0 || errno == EEXIST, true);
  if (::mount("tmpfs", store_.c_str(), "tmpfs", 0, "size=4m,mode=0755") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  Install("--rate-per-exe 1000 --keep-free-percent 0 --max-use-percent 0");
  Crash({BIGCRASH_BIN, "--mapped-mib=16", "--random-mib=16"});  // 16 MiB that zstd cannot shrink
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0]["core"], "none");
  EXPECT_EQ(crashes[0]["core_reason"].get<std::string>().rfind("disk full", 0), 0u) << crashes[0]["core_reason"];
  for (const auto& entry : fs::directory_iterator(store_)) {
    EXPECT_EQ(entry.path().filename().string().rfind("index.sqlite", 0), 0u) << entry.path();
  }
  // Room again: the next crash is stored.
  Crash({CRASH_BIN, "--mode=segv", "--threads=0"});
  EXPECT_EQ(List().back()["core"], "present");
}

TEST_F(Capture, AHandlerKilledMidStreamLeavesNothingHalfWritten) {
  // A crash big enough to take a while to stream; its handler is killed while it reads.
  std::thread crasher([this] { Crash({BIGCRASH_BIN, "--mapped-mib=1024", "--random-mib=1024"}); });
  std::vector<pid_t> handlers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((handlers = Handlers(store_)).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(handlers.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (pid_t p : handlers) ::kill(p, SIGKILL);
  crasher.join();
  nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0]["core_bytes"], 0);  // no row points to a file
  for (const auto& entry : fs::directory_iterator(store_)) {
    EXPECT_EQ(entry.path().filename().string().rfind("index.sqlite", 0), 0u) << entry.path();
  }
  // vacuum says why there is no core; the next crash is stored.
  Corekit("crashes vacuum --json --store " + Quote(store_));
  crashes = List();
  EXPECT_EQ(crashes[0]["core"], "none");
  EXPECT_NE(crashes[0]["core_reason"].get<std::string>().find("handler"), std::string::npos);
  Crash({CRASH_BIN, "--mode=segv", "--threads=0"});
  EXPECT_EQ(List().back()["core"], "present");
}

TEST_F(Capture, HostileNamesAndCommandLinesAreData) {
  const fs::path hostile = dir_ / "evil\x1b[31m\nname<script>";
  fs::copy_file(CRASH_BIN, hostile);
  fs::permissions(hostile, fs::perms::owner_all);
  const std::string long_arg(4096, 'A');
  Crash({hostile.string(), "--mode=segv", "--threads=0", "\"quoted\" '<script>alert(1)</script>'", "\x1b]0;title\x07",
         long_arg});
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_LE(crashes[0]["command_line"].get<std::string>().size(), 4096u + 3);
  EXPECT_NE(crashes[0]["command_line"].get<std::string>().find("<script>"), std::string::npos);
  for (std::string verb : {"list", "info last", "groups"}) {
    auto r = RunCommand(std::string(COREKIT_BIN) + " crashes " + verb + " --store " + Quote(store_));
    EXPECT_EQ(r.status, 0) << verb << r.err;
    EXPECT_EQ(TerminalHazard(r.out), std::nullopt) << verb;
    EXPECT_NE(r.out.find("\\x1b[31m"), std::string::npos) << verb << r.out;
  }
}

TEST_F(Capture, CoresAreTheirOwnersOnlyWhenDumpable) {
  // The test program runs as nobody from a copy it can execute.
  const fs::path bin = "/tmp/corekit-capture-crash";
  fs::copy_file(CRASH_BIN, bin, fs::copy_options::overwrite_existing);
  fs::permissions(bin, fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write);
  ::chmod(dir_.path().c_str(), 0777);
  const uid_t nobody = 65534;
  auto as_nobody = [&] {
    if (::setgid(nobody) != 0 || ::setuid(nobody) != 0) ::_exit(125);
  };
  Crash({bin.string(), "--mode=segv", "--threads=0"}, std::nullopt, as_nobody);
  // A set-uid program is not dumpable: the kernel dumps it only with suid_dumpable 2, for root
  // alone (%d = 2). (prctl(PR_SET_DUMPABLE, 0) makes a process the kernel never dumps at all.)
  const fs::path suid = "/tmp/corekit-capture-crash-suid";
  fs::copy_file(CRASH_BIN, suid, fs::copy_options::overwrite_existing);
  ::chown(suid.c_str(), 0, 0);
  ::chmod(suid.c_str(), 04755);
  ASSERT_TRUE(WriteProc(kKernel[2], "2"));
  Crash({suid.string(), "--mode=segv", "--threads=0"}, std::nullopt, as_nobody);
  const nlohmann::json crashes = List();
  fs::remove(bin);
  fs::remove(suid);
  if (crashes.size() == 1) GTEST_SKIP() << "the set-uid crash was not dumped (a nosuid /tmp?)";
  ASSERT_EQ(crashes.size(), 2u);
  EXPECT_EQ(crashes[0]["uid"], nobody);
  EXPECT_TRUE(crashes[0]["dumpable"].get<bool>());
  EXPECT_FALSE(crashes[1]["dumpable"].get<bool>());
  auto acl = [&](const nlohmann::json& c) {
    const std::string path = store_ + "/" + c["id"].get<std::string>() + ".core.zst";
    return ::getxattr(path.c_str(), "system.posix_acl_access", nullptr, 0) > 0;
  };
  EXPECT_TRUE(acl(crashes[0]));
  EXPECT_FALSE(acl(crashes[1]));
  // nobody sees their own crashes only, and can read the dumpable one's core.
  ::chmod(store_.c_str(), 0755);
  auto r = RunCommand("setpriv --reuid=65534 --regid=65534 --clear-groups " + std::string(COREKIT_BIN) +
                      " crashes list --json --store " + Quote(store_));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["crashes"].size(), 2u);
  r = RunCommand("setpriv --reuid=65534 --regid=65534 --clear-groups " + std::string(COREKIT_BIN) +
                 " threads --store " + Quote(store_) + " @" + crashes[0]["id"].get<std::string>());
  EXPECT_EQ(r.status, 0) << r.err;
  r = RunCommand("setpriv --reuid=65534 --regid=65534 --clear-groups " + std::string(COREKIT_BIN) +
                 " threads --store " + Quote(store_) + " @" + crashes[1]["id"].get<std::string>());
  EXPECT_EQ(r.status, 1);
  // root sees every crash; nobody's listing excludes root's.
  Crash({CRASH_BIN, "--mode=segv", "--threads=0"});
  EXPECT_EQ(List().size(), 3u);
  r = RunCommand("setpriv --reuid=65534 --regid=65534 --clear-groups " + std::string(COREKIT_BIN) +
                 " crashes list --json --store " + Quote(store_));
  EXPECT_EQ(nlohmann::json::parse(r.out)["crashes"].size(), 2u);
}

TEST_F(Capture, ACrashInANewPidAndMountNamespaceHasBothPids) {
  if (RunCommand("unshare --pid --mount --fork true").status != 0) GTEST_SKIP() << "unshare cannot make namespaces here";
  Crash({"unshare", "--pid", "--mount", "--fork", CRASH_BIN, "--mode=segv", "--threads=0"});
  // unshare then kills itself with its child's signal: keep the program's crash.
  const nlohmann::json crashes = List("--exe " + Quote(fs::canonical(CRASH_BIN).string()));
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0]["pid"], 1);  // the first process of its pid namespace
  EXPECT_NE(crashes[0]["host_pid"], 1);
  const nlohmann::json info = Corekit("crashes info --json --store " + Quote(store_) + " " + crashes[0]["id"].get<std::string>());
  EXPECT_NE(info["proc"]["namespaces"]["pid"], nullptr);
  // Its files were read through its own root (held open past its end): the program's module.
  bool through_root = false;
  for (const auto& m : info["report"]["modules"]) {
    through_root |= m["file"].is_string() && m["file"].get<std::string>().rfind("/proc/self/fd/4/", 0) == 0 &&
                    m["build_id"].is_string();
  }
  EXPECT_TRUE(through_root) << info["report"]["modules"].dump(1);
  EXPECT_EQ(crashes[0]["core"], "present");
}

// With debuginfod servers set for the store, the handler fetches what each crash needs into the
// store (as nobody, world-readable), so that the report names the stripped program's functions
// and the crash reads later with the server gone.
TEST_F(Capture, SymbolsAreFetchedIntoTheStoreAndReadOffline) {
  if (!HaveTool("debuginfod")) GTEST_SKIP() << "Debian's debuginfod is not installed";
  const std::string id = BuildIdOf(CRASH_STRIPPED_BIN);
  TempDir served;
  fs::copy_file(fs::path(CRASH_DEBUG_DIR) / ".build-id" / id.substr(0, 2) / (id.substr(2) + ".debug"),
                served / "crash.debug");
  auto server = std::make_unique<DebuginfodServer>(served.path(), id);
  ASSERT_TRUE(server->ready()) << "debuginfod did not start";
  Install("--debuginfod " + server->url());
  Crash({CRASH_STRIPPED_BIN, "--mode=segv", "--threads=1"});
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0]["signature"], "crash_here | middle | outer | worker");
  server.reset();  // gone: the store's copy serves from now on
  auto bt = RunCommand(std::string(COREKIT_BIN) + " bt --store " + Quote(store_) + " @last");
  EXPECT_NE(bt.out.find("crash.c:"), std::string::npos) << bt.out << bt.err;
  const nlohmann::json symbols = nlohmann::json::parse(
      RunCommand("COREKIT_CACHE_DIR=off " + std::string(COREKIT_BIN) + " symbols --json --store " + Quote(store_) + " @last").out);
  bool saw = false;
  for (const auto& m : symbols["modules"]) {
    if (m["build_id"] != id) continue;
    saw = true;
    EXPECT_EQ(m["debug_origin"], "debuginfod-cache") << m.dump();
    const std::string file = m["debug_file"].is_string() ? m["debug_file"].get<std::string>() : "";
    EXPECT_EQ(file.rfind(store_ + "/debuginfod/", 0), 0u) << file;
    struct stat st {};
    EXPECT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_NE(st.st_mode & 0004, 0u) << "readable by the users the store lets read their crashes";
  }
  EXPECT_TRUE(saw);
}

TEST_F(Capture, AnAnalysisOverItsTimeLimitLeavesTheCoreAndSaysSo) {
  Install("--analysis-timeout 0");
  Crash({CRASH_BIN, "--mode=segv", "--threads=0"});
  const nlohmann::json crashes = List();
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(crashes[0]["core"], "present");
  EXPECT_EQ(crashes[0]["analysis_error"], "analysis timed out after 0 s");
  EXPECT_TRUE(crashes[0]["signature"].is_null());
  // The core is there all the same.
  EXPECT_FALSE(Corekit("threads --json --store " + Quote(store_) + " @last")["threads"].empty());
}

TEST_F(Capture, ListFiltersAndRm) {
  for (int i = 0; i < 3; ++i) Crash({CRASH_BIN, "--mode=segv", "--threads=0"});
  Crash({THROW_BIN});
  const std::string store = " --store " + Quote(store_);
  EXPECT_EQ(List().size(), 4u);
  EXPECT_EQ(Corekit("crashes list --json -n 2" + store)["crashes"].size(), 2u);
  EXPECT_EQ(Corekit("crashes list --json --since -1h" + store)["crashes"].size(), 4u);
  EXPECT_EQ(Corekit("crashes list --json --until 2000-01-01" + store)["crashes"].size(), 0u);
  EXPECT_EQ(Corekit("crashes list --json --exe " + Quote(fs::canonical(THROW_BIN).string()) + store)["crashes"].size(), 1u);
  const nlohmann::json first = List()[0];
  EXPECT_EQ(Corekit("crashes list --json --signature " + Quote(first["signature"].get<std::string>()) + store)["crashes"].size(), 3u);
  EXPECT_EQ(Corekit("crashes list --json --pid " + std::to_string(first["pid"].get<long>()) + store)["crashes"].size(), 1u);
  EXPECT_EQ(RunCommand(std::string(COREKIT_BIN) + " crashes list --since yesterday" + store).status, 1);
  const std::string id = first["id"];
  ASSERT_EQ(RunCommand(std::string(COREKIT_BIN) + " crashes rm" + store + " " + id).status, 0);
  EXPECT_EQ(List().size(), 3u);
  for (const auto& entry : fs::directory_iterator(store_)) {
    EXPECT_EQ(entry.path().filename().string().rfind(id, 0), std::string::npos) << entry.path();
  }
  EXPECT_EQ(RunCommand(std::string(COREKIT_BIN) + " crashes info" + store + " " + id).status, 1);
}

// handler install --upload: each stored crash is queued and sent to the collector by a worker
// the handler starts; while the collector is down the crashes wait and the worker retries with
// backoff; once it is up every crash arrives, once, and the worker ends.
TEST_F(Capture, CrashesWaitForACollectorThatIsDownAndArriveOnceItIsUp) {
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const fs::path tokens = dir_ / "tokens";
  {
    std::ofstream out(tokens);
    out << "upload upload-token-0123456789abcdef\nread read-token-0123456789abcdef\n";
  }
  fs::permissions(tokens, fs::perms::owner_read | fs::perms::owner_write);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Install("--upload " + url + " --token-file " + Quote(tokens.string()));
  Crash({CRASH_BIN, "--mode=segv", "--threads=1"});
  Crash({THROW_BIN});
  ASSERT_EQ(List().size(), 2u);
  // Nothing listens: both wait, and the worker has tried.
  const std::string status = "handler status --json --store " + Quote(store_);
  auto pending = [&] { return Corekit(status)["store"]["upload"]["pending"]; };
  const auto tried_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < tried_by &&
         (pending().size() != 2 || pending()[0]["attempts"].get<unsigned>() == 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  nlohmann::json waiting = pending();
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_GE(waiting[0]["attempts"].get<unsigned>(), 1u);
  EXPECT_NE(waiting[0]["last_error"].get<std::string>().find("cannot reach"), std::string::npos) << waiting.dump();
  EXPECT_EQ(UploadWorkers(store_).size(), 1u) << "one worker retries";
  // The collector comes up on that port: the worker's next attempt sends both.
  TempDir server_store;
  ServerProcess server(server_store.path(), {"--tokens", tokens.string()}, port);
  ASSERT_TRUE(server.ok());
  const auto sent_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < sent_by && !pending().empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(pending().empty());
  // A crash while it is up goes at once.
  Crash({CRASH_BIN, "--mode=segv", "--threads=0"});
  WaitForHandlers();
  const auto idle_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < idle_by && (!pending().empty() || !UploadWorkers(store_).empty())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(pending().empty());
  EXPECT_TRUE(UploadWorkers(store_).empty()) << "the worker ends with the queue";
  const auto got = RunCommand("curl -sf -H 'Authorization: Bearer read-token-0123456789abcdef' " + server.url() +
                              "api/v1/crashes");
  ASSERT_EQ(got.status, 0) << got.err;
  const nlohmann::json listed = nlohmann::json::parse(got.out);
  EXPECT_EQ(listed["total"], 3) << listed.dump();
  std::multiset<std::string> signatures;
  std::set<std::string> pids;
  for (const auto& c : listed["crashes"]) {
    signatures.insert(c["signature"].is_string() ? c["signature"].get<std::string>() : "");
    pids.insert(c["pid"].dump());
  }
  EXPECT_EQ(signatures.count("crash_here | middle | outer | worker"), 2u) << listed.dump();
  EXPECT_EQ(pids.size(), 3u) << "three crashes, none twice";
}

TEST_F(Capture, InstallRefusesAnotherHandlerAndUninstallRestoresExactly) {
  RunCommand(std::string(COREKIT_BIN) + " handler uninstall --store " + Quote(store_));
  ASSERT_TRUE(WriteProc(kKernel[0], "|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h"));
  ASSERT_TRUE(WriteProc(kKernel[1], "3"));
  auto r = RunCommand(std::string(COREKIT_BIN) + " handler install --store " + Quote(store_));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("systemd-coredump"), std::string::npos) << r.err;
  const bool had_sysctl = fs::exists("/etc/sysctl.d/50-corekit.conf");
  r = RunCommand(std::string(COREKIT_BIN) + " handler install --force " + (had_sysctl ? "" : "--persist ") +
                 "--store " + Quote(store_));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::stoi(ReadAll(kKernel[1])), 16);
  if (!had_sysctl) {
    EXPECT_NE(ReadAll("/etc/sysctl.d/50-corekit.conf").find("kernel.core_pattern = |"), std::string::npos);
  }
  const nlohmann::json status = Corekit("handler status --json --store " + Quote(store_));
  EXPECT_TRUE(status["installed"].get<bool>());
  r = RunCommand(std::string(COREKIT_BIN) + " handler uninstall --store " + Quote(store_));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(ReadAll(kKernel[0]), "|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h\n");
  EXPECT_EQ(ReadAll(kKernel[1]), "3\n");
  EXPECT_EQ(fs::exists("/etc/sysctl.d/50-corekit.conf"), had_sysctl);
}

}  // namespace
}  // namespace corekit::itest
