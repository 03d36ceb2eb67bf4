// Symbols from anywhere: a real debuginfod server (Debian's `debuginfod` on 127.0.0.1) serving
// the debug files of stripped programs, dwz-compressed debug info and its alt file, and the ways
// a server fails — down, silent, serving the wrong file — each with a fresh debuginfod cache.
// The stripped program read through debuginfod must read exactly as the unstripped one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "debuginfod_server.h"
#include "support.h"

namespace corekit::itest {
namespace {


// A server of our own: answers every request with `body` (200), or accepts connections and
// never answers (`silent`), or sends the body in ten pieces `pause` apart. Counts the requests.
class FakeServer {
 public:
  explicit FakeServer(std::string body, bool silent = false,
                      std::chrono::milliseconds pause = std::chrono::milliseconds(0))
      : body_(std::move(body)), silent_(silent), pause_(pause) {
    port_ = FreePort();
    fd_ = ListenOn(port_);
    if (!silent_) thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++requests_;
      timeval tv{2, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string request;
      char buffer[4096];
      ssize_t n;
      while (request.find("\r\n\r\n") == std::string::npos && (n = ::read(client, buffer, sizeof buffer)) > 0) {
        request.append(buffer, static_cast<std::size_t>(n));
      }
      const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body_.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body_;
      const std::size_t piece = pause_.count() ? response.size() / 10 + 1 : response.size();
      for (std::size_t done = 0; done < response.size() && !stop_;) {
        const ssize_t w = ::write(client, response.data() + done, std::min(piece, response.size() - done));
        if (w <= 0) break;
        done += static_cast<std::size_t>(w);
        if (pause_.count()) std::this_thread::sleep_for(pause_);
      }
      ::close(client);
    }
  }
  std::string body_;
  bool silent_;
  std::chrono::milliseconds pause_;
  int port_ = 0;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A core of the stripped crash program and the directory a server serves its debug file from.
struct StrippedCore {
  TempDir dir;
  fs::path core;
  fs::path served;  // holds a copy of the program's debug file
  std::string build_id;
};

void MakeStrippedCore(StrippedCore& s) {
  auto crash = CrashInDir({CRASH_STRIPPED_BIN, "--threads=2", "--mode=segv"}, s.dir.path());
  ASSERT_TRUE(crash.dumped) << "no kernel core";
  s.core = crash.core;
  s.build_id = BuildIdOf(CRASH_STRIPPED_BIN);
  ASSERT_FALSE(s.build_id.empty());
  s.served = s.dir / "served";
  fs::create_directories(s.served);
  const fs::path debug = fs::path(CRASH_DEBUG_DIR) / ".build-id" / s.build_id.substr(0, 2) /
                         (s.build_id.substr(2) + ".debug");
  fs::copy_file(debug, s.served / "crash.debug");
}

// corekit with a fresh debuginfod cache of its own and no cache of inflated debug files, so
// that every file comes from where the test says.
std::string Corekit(const fs::path& cache, const std::string& args) {
  return "env DEBUGINFOD_CACHE_PATH=" + Quote(cache.string()) + " COREKIT_CACHE_DIR=off " + COREKIT_BIN + " " + args;
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The files libdebuginfod left in its cache for `build_id`: "debuginfo", or a negative entry
// (an empty file; mode 000 in older releases).
std::vector<std::string> CacheEntries(const fs::path& cache, const std::string& build_id) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache / build_id, ec)) {
    struct stat st;
    ::stat(e.path().c_str(), &st);
    const bool negative = (st.st_mode & 0777) == 0 || st.st_size == 0;
    out.push_back(e.path().filename().string() + (negative ? " (negative)" : ""));
  }
  return out;
}

class Debuginfod : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
    if (!HaveTool("debuginfod")) GTEST_SKIP() << "Debian's debuginfod is not installed";
  }
};

TEST_F(Debuginfod, StrippedProgramReadsAsUnstripped) {
  StrippedCore s;
  MakeStrippedCore(s);
  DebuginfodServer server(s.served, s.build_id);
  ASSERT_TRUE(server.ready()) << "debuginfod did not start";
  const fs::path cache = s.dir / "cache";
  const std::string core = Quote(s.core.string());
  const std::string via = "--debuginfod " + server.url() + " ";
  // The oracle: the same core, read with the unstripped program (same build-id, DWARF inside).
  const std::string unstripped = "--offline -e " + Quote(CRASH_BIN) + " ";

  auto bt = RunCommand(Corekit(cache, "bt " + via + core));
  auto expected_bt = RunCommand(Corekit(cache, "bt " + unstripped + core));
  ASSERT_EQ(bt.status, 0) << bt.err;
  EXPECT_NE(bt.out.find("crash.c:"), std::string::npos) << bt.out;
  EXPECT_EQ(bt.out, expected_bt.out);
  EXPECT_EQ(bt.err, "");
  EXPECT_EQ(CacheEntries(cache, s.build_id), std::vector<std::string>{"debuginfo"});

  const std::string session = "--batch -ex 'frame 0' -ex 'list' -ex 'info locals' -ex 'up' -ex 'info locals' ";
  auto report = RunCommand(Corekit(cache, "report " + via + core));
  EXPECT_EQ(report.out, RunCommand(Corekit(cache, "report " + unstripped + core)).out);
  auto debug = RunCommand(Corekit(cache, "debug " + via + session + core));
  EXPECT_EQ(debug.out, RunCommand(Corekit(cache, "debug " + unstripped + session + core)).out);
  EXPECT_NE(debug.out.find("crash.c"), std::string::npos) << debug.out;

  // Where each file came from: the debug file from debuginfod's cache now, verified program.
  auto symbols = nlohmann::json::parse(RunCommand(Corekit(cache, "symbols --json " + core)).out);
  bool saw_program = false;
  for (const auto& m : symbols["modules"]) {
    if (m["build_id"] != s.build_id) continue;
    saw_program = true;
    EXPECT_EQ(m["debug_origin"], "debuginfod-cache") << m.dump();
    EXPECT_EQ(m["file_origin"], "path");
    EXPECT_TRUE(m["verified"].get<bool>());
  }
  EXPECT_TRUE(saw_program);
}

// A core read on another machine: the program is not on this one. Its executable and its debug
// file both come from the server, by the build-id in the core.
TEST_F(Debuginfod, TheExecutableItselfComesFromTheServer) {
  StrippedCore s;
  const fs::path program = s.dir / "app";
  fs::copy_file(CRASH_STRIPPED_BIN, program);
  auto crash = CrashInDir({program.string(), "--threads=1", "--mode=segv"}, s.dir.path());
  ASSERT_TRUE(crash.dumped);
  s.build_id = BuildIdOf(CRASH_STRIPPED_BIN);
  s.served = s.dir / "served";
  fs::create_directories(s.served);
  fs::rename(program, s.served / "app");  // gone from where the core says it was
  fs::copy_file(fs::path(CRASH_DEBUG_DIR) / ".build-id" / s.build_id.substr(0, 2) / (s.build_id.substr(2) + ".debug"),
                s.served / "app.debug");
  DebuginfodServer server(s.served, s.build_id);
  ASSERT_TRUE(server.ready());
  const fs::path cache = s.dir / "cache";
  const std::string core = Quote(crash.core.string());
  auto offline = RunCommand(Corekit(cache, "bt --offline " + core));
  EXPECT_EQ(offline.out.find("crash_here"), std::string::npos) << offline.out;
  auto bt = RunCommand(Corekit(cache, "bt --debuginfod " + server.url() + " " + core));
  EXPECT_EQ(bt.status, 0) << bt.err;
  // Named from the fetched debug file, in the module named as the core names it (the offset
  // into crash_here depends on the compiler).
  EXPECT_TRUE(std::regex_search(bt.out, std::regex(" crash_here(\\+0x[0-9a-f]+)? \\(app\\) at .*crash\\.c:")))
      << bt.out << bt.err;
  auto symbols = nlohmann::json::parse(RunCommand(Corekit(cache, "symbols --json " + core)).out);
  bool saw = false;
  for (const auto& m : symbols["modules"]) {
    if (m["build_id"] != s.build_id) continue;
    saw = true;
    EXPECT_EQ(m["file_origin"], "debuginfod-cache") << m.dump();
    EXPECT_TRUE(m["verified"].get<bool>());
    EXPECT_EQ(m["debug_origin"], "debuginfod-cache") << m.dump();
  }
  EXPECT_TRUE(saw);
}

TEST_F(Debuginfod, OfflineAsksNoServerButReadsTheCache) {
  StrippedCore s;
  MakeStrippedCore(s);
  FakeServer server("not used");
  const fs::path cache = s.dir / "cache";
  const std::string core = Quote(s.core.string());
  auto offline = RunCommand(Corekit(cache, "bt --offline --debuginfod " + server.url() + " " + core));
  EXPECT_EQ(offline.status, 0);
  EXPECT_EQ(server.requests(), 0);
  EXPECT_EQ(offline.out.find("crash.c:"), std::string::npos) << "no debug file anywhere: " << offline.out;

  // `symbols --fetch` fills the cache; an offline run then reads from it.
  DebuginfodServer real(s.served, s.build_id);
  ASSERT_TRUE(real.ready());
  auto fetched = RunCommand(Corekit(cache, "symbols --fetch --debuginfod " + real.url() + " " + core));
  ASSERT_EQ(fetched.status, 0) << fetched.err;
  EXPECT_NE(fetched.out.find("(debuginfod)"), std::string::npos) << fetched.out;
  auto later = RunCommand(Corekit(cache, "bt --offline " + core));
  EXPECT_NE(later.out.find("crash.c:"), std::string::npos) << later.out;
}

TEST_F(Debuginfod, ServerDownIsFastWithOneWarning) {
  StrippedCore s;
  MakeStrippedCore(s);
  const int port = FreePort();  // nothing listens there
  const auto start = Clock::now();
  auto bt = RunCommand(Corekit(s.dir / "cache", "bt --debuginfod http://127.0.0.1:" + std::to_string(port) + " " +
                                                     Quote(s.core.string())));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(bt.status, 0) << bt.err;
  EXPECT_LT(seconds, 10.0);
  EXPECT_EQ(Count(bt.err, "warning:"), 1u) << bt.err;
  EXPECT_NE(bt.err.find("cannot be reached"), std::string::npos) << bt.err;
  EXPECT_NE(bt.out.find("Thread"), std::string::npos);
}

TEST_F(Debuginfod, SilentServerTimesOutOnceAndLeavesNoNegativeEntry) {
  StrippedCore s;
  MakeStrippedCore(s);
  FakeServer silent("", /*silent=*/true);
  const fs::path cache = s.dir / "cache";
  const auto start = Clock::now();
  auto bt = RunCommand(Corekit(cache, "bt --debuginfod-timeout 1 --debuginfod " + silent.url() + " " +
                                          Quote(s.core.string())));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(bt.status, 0) << bt.err;
  // One request waits its second (libdebuginfod polls once a second), then no other is made.
  EXPECT_LT(seconds, 8.0);
  EXPECT_EQ(Count(bt.err, "warning:"), 1u) << bt.err;
  EXPECT_NE(bt.err.find("sent nothing for 1 s"), std::string::npos) << bt.err;
  EXPECT_TRUE(CacheEntries(cache, s.build_id).empty());
}

TEST_F(Debuginfod, CtrlCCancelsTheDownloadAndTheCommandGoesOn) {
  StrippedCore s;
  MakeStrippedCore(s);
  FakeServer silent("", /*silent=*/true);
  const fs::path cache = s.dir / "cache";
  TempDir out;
  // The first request is cancelled by Ctrl-C; the next one (the vDSO's debug file) waits out its
  // timeout, after which no other is made.
  const std::string command = Corekit(cache, "bt --debuginfod-timeout 4 --debuginfod " + silent.url() + " " +
                                                 Quote(s.core.string())) +
                              " >" + Quote((out / "out").string()) + " 2>" + Quote((out / "err").string());
  Child child({"sh", "-c", "exec " + command});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto start = Clock::now();
  ::kill(child.pid(), SIGINT);
  int status = 0;
  ::waitpid(child.pid(), &status, 0);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(seconds, 10.0);
  const std::string err = ReadAll(out / "err");
  EXPECT_NE(err.find("was cancelled: going on without it"), std::string::npos) << err;
  EXPECT_NE(ReadAll(out / "out").find("Thread"), std::string::npos);
  // libdebuginfod recorded the cancelled request as "not found"; corekit removed that.
  for (const std::string& entry : CacheEntries(cache, s.build_id)) {
    EXPECT_EQ(entry.find("negative"), std::string::npos) << entry;
  }
}

TEST_F(Debuginfod, WrongFileIsRejectedByBuildId) {
  StrippedCore s;
  MakeStrippedCore(s);
  FakeServer liar(ReadAll(CRASH_NODEBUG_BIN));  // an ELF file with another build-id
  const fs::path cache = s.dir / "cache";
  auto bt = RunCommand(Corekit(cache, "bt --debuginfod " + liar.url() + " " + Quote(s.core.string())));
  EXPECT_EQ(bt.status, 0) << bt.err;
  EXPECT_GT(liar.requests(), 0);
  EXPECT_NE(bt.err.find("not " + s.build_id + ": not used"), std::string::npos) << bt.err;
  EXPECT_EQ(bt.out.find("crash.c:"), std::string::npos) << bt.out;
  // Nor is it kept for the next run.
  EXPECT_TRUE(CacheEntries(cache, s.build_id).empty() ||
              CacheEntries(cache, s.build_id) == std::vector<std::string>{"debuginfo (negative)"});
  EXPECT_FALSE(fs::exists(cache / s.build_id / "debuginfo") &&
               CacheEntries(cache, s.build_id) == std::vector<std::string>{"debuginfo"});
}

// On a terminal (tmux), a download shows one progress line — what, how much, how fast — which
// ends as one "Downloaded ..." line; piped, nothing is shown.
TEST_F(Debuginfod, ProgressLineOnATerminal) {
  if (!HaveTool("tmux")) GTEST_SKIP() << "tmux is not installed";
  StrippedCore s;
  MakeStrippedCore(s);
  FakeServer slow(ReadAll(s.served / "crash.debug"), false, std::chrono::milliseconds(250));
  const fs::path cache = s.dir / "cache";
  const std::string session = "corekit-test-" + std::to_string(::getpid()) + "-dl";
  const std::string tmux = "tmux -L " + session;
  ASSERT_EQ(RunCommand(tmux + " new-session -d -s s -x 250 -y 50 " +
                       Quote(Corekit(cache, "bt --debuginfod " + slow.url() + " " + Quote(s.core.string())) +
                             "; sleep 30")).status, 0);
  std::string seen_while_running, text;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    text = RunCommand(tmux + " capture-pane -t s -p").out;
    if (text.find("Downloading debug info for") != std::string::npos && seen_while_running.empty()) seen_while_running = text;
    if (text.find("Downloaded debug info for") != std::string::npos) break;
  }
  RunCommand(tmux + " kill-server 2>/dev/null");
  EXPECT_NE(seen_while_running.find(" KiB"), std::string::npos) << seen_while_running;
  EXPECT_EQ(Count(text, "Downloaded debug info for " + fs::path(CRASH_STRIPPED_BIN).string()), 1u) << text;
  EXPECT_NE(text.find("/s)"), std::string::npos) << "a rate: " << text;
  // Not on a pipe.
  auto piped = RunCommand(Corekit(s.dir / "cache2", "bt --debuginfod " + slow.url() + " " + Quote(s.core.string())));
  EXPECT_EQ(piped.err.find("Download"), std::string::npos) << piped.err;
}

// Two programs compiled here, sharing a struct, their DWARF compressed together by dwz into an
// alt file; the first is then split into a stripped program and its debug file, and its source
// removed (so that it can only come from the server).
struct DwzPrograms {
  TempDir dir;
  fs::path program, debug, alt, core, unstripped;
  std::string build_id, alt_build_id, source;
};

void MakeDwzPrograms(DwzPrograms& d) {
  if (!HaveTool("dwz") || !HaveTool("gcc")) GTEST_SKIP() << "dwz or gcc is not installed";
  const std::string common = R"(#include <stdlib.h>
struct config { int mode; const char* name; double ratio; };
struct config* make(int m) { struct config* c = malloc(sizeof *c); c->mode = m; c->name = "alpha"; c->ratio = 0.5; return c; }
__attribute__((noinline)) int use(struct config* cm) { volatile int* p = 0; int local = cm->mode + 1; *p = local; return local; }
)";
  fs::create_directories(d.dir / "src");
  d.source = (d.dir / "src" / "a.c").string();
  std::ofstream(d.source) << common << "int main(int argc, char** argv) { return use(make(argc + 6 + !argv)); }\n";
  std::ofstream(d.dir / "src" / "b.c") << common << "int main(int argc, char** argv) { return use(make(argc + !argv)); }\n";
  const std::string in = "cd " + Quote(d.dir.path().string()) + " && ";
  ASSERT_EQ(RunCommand(in + "gcc -g -O0 -o a src/a.c && gcc -g -O0 -o b src/b.c && cp a a.unstripped").status, 0);
  ASSERT_EQ(RunCommand(in + "dwz -m alt.debug -M /nonexistent/alt.debug a b").status, 0);
  ASSERT_EQ(RunCommand(in + "objcopy --only-keep-debug a a.debug && objcopy --strip-all a a.stripped").status, 0);
  d.program = d.dir / "a.stripped";
  d.debug = d.dir / "a.debug";
  d.alt = d.dir / "alt.debug";
  d.unstripped = d.dir / "a.unstripped";
  d.build_id = BuildIdOf(d.program.string());
  d.alt_build_id = BuildIdOf(d.alt.string());
  ASSERT_FALSE(d.build_id.empty());
  ASSERT_FALSE(d.alt_build_id.empty()) << "dwz gave the alt file no build-id";
  auto crash = CrashInDir({d.program.string()}, d.dir.path());
  ASSERT_TRUE(crash.dumped);
  d.core = crash.core;
}

TEST_F(Debuginfod, DwzAltFileAndSourceComeFromTheServer) {
  DwzPrograms d;
  MakeDwzPrograms(d);
  if (HasFatalFailure() || IsSkipped()) return;
  // The oracle: the program before dwz, its source still there.
  const std::string session = " --batch -ex 'p *cm' -ex 'ptype cm' -ex 'info locals' -ex 'list' ";
  const std::string expected = RunCommand(Corekit(d.dir / "c0", "debug --offline -e " + Quote(d.unstripped.string()) +
                                                                    session + Quote(d.core.string()))).out;
  ASSERT_NE(expected.find("mode = 7"), std::string::npos) << expected;
  const std::string source_text = ReadAll(d.source);
  fs::create_directories(d.dir / "served");
  fs::copy_file(d.debug, d.dir / "served" / "a.debug");
  fs::copy_file(d.alt, d.dir / "served" / "alt.debug");
  DebuginfodServer server(d.dir / "served", d.build_id);
  ASSERT_TRUE(server.ready());
  ASSERT_EQ(HttpStatus(std::stoi(server.url().substr(server.url().rfind(':') + 1)),
                       "/buildid/" + d.alt_build_id + "/debuginfo"), 200);
  // The server reads the source where the DWARF says it is; corekit must not find it there, so
  // it runs in a mount namespace of its own with an empty directory over the sources.
  const std::string hide = "unshare -m sh -c " +
                           Quote("mount -t tmpfs none " + Quote((d.dir / "src").string()) + " && exec \"$0\" \"$@\"") + " ";
  if (RunCommand(hide + "true").status != 0) GTEST_SKIP() << "no mount namespace here (unshare -m needs CAP_SYS_ADMIN)";
  auto got = RunCommand(hide + Corekit(d.dir / "c1", "debug --debuginfod " + server.url() + session + Quote(d.core.string())));
  EXPECT_EQ(got.err, "");
  EXPECT_EQ(got.out.find("void"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("mode = 7"), std::string::npos) << got.out;
  EXPECT_EQ(got.out, expected);
  auto symbols = nlohmann::json::parse(RunCommand(Corekit(d.dir / "c1", "symbols --json " + Quote(d.core.string()))).out);
  bool saw = false;
  for (const auto& m : symbols["modules"]) {
    if (m["build_id"] != d.build_id) continue;
    saw = true;
    EXPECT_EQ(m["debug_origin"], "debuginfod-cache") << m.dump();
    EXPECT_FALSE(m["alt_file"].is_null()) << m.dump();
  }
  EXPECT_TRUE(saw);
  // The source is in debuginfod's cache now, by build-id and path.
  EXPECT_EQ(CacheEntries(d.dir / "c1", d.build_id).size(), 2u);
  EXPECT_EQ(ReadAll(d.dir / "c1" / d.build_id / ("source" + std::regex_replace(d.source, std::regex("/"), "##"))),
            source_text);
}

TEST_F(Debuginfod, MissingDwzFileIsUnavailableNeverVoid) {
  DwzPrograms d;
  MakeDwzPrograms(d);
  if (HasFatalFailure() || IsSkipped()) return;
  fs::create_directories(d.dir / "served");
  fs::copy_file(d.debug, d.dir / "served" / "a.debug");  // the alt file is nowhere
  DebuginfodServer server(d.dir / "served", d.build_id);
  ASSERT_TRUE(server.ready());
  auto got = RunCommand(Corekit(d.dir / "c", "debug --debuginfod " + server.url() +
                                                 " --batch -ex 'p *cm' -ex 'ptype cm' -ex 'p cm' -ex 'info args' " +
                                                 Quote(d.core.string())));
  EXPECT_EQ(got.out.find("void"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("<unavailable>"), std::string::npos) << got.out;
  EXPECT_EQ(Count(got.err, "dwz file"), 1u) << got.err;
  EXPECT_NE(got.err.find(d.alt_build_id), std::string::npos) << got.err;
}

// A core whose mappings have no ELF header in it (coredump_filter without bit 4): the files on
// disk cannot be checked against a build-id, so they are used, marked unverified.
TEST(Symbols, FilesTheCoreCannotVerifyAreMarkedUnverified) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = RunToDeath({CRASH_BIN, "--threads=1", "--mode=segv"}, dir.path(), RLIM_INFINITY, [] {
    const int fd = ::open("/proc/self/coredump_filter", O_WRONLY);
    if (fd >= 0) {
      (void)!::write(fd, "0x23", 4);
      ::close(fd);
    }
  });
  ASSERT_TRUE(crash.dumped);
  const std::string core = Quote((dir / "core").string());
  auto symbols = nlohmann::json::parse(RunCommand(std::string(COREKIT_BIN) + " symbols --json " + core).out);
  int unverified = 0;
  for (const auto& m : symbols["modules"]) {
    if (m["name"] == "[vdso]") continue;
    if (!m["file"].is_null() && !m["verified"].get<bool>()) ++unverified;
    if (!m["file"].is_null()) {
      EXPECT_FALSE(m["verified"].get<bool>()) << m.dump();
    }
  }
  EXPECT_GT(unverified, 0);
  auto text = RunCommand(std::string(COREKIT_BIN) + " symbols " + core);
  EXPECT_NE(text.out.find(", unverified"), std::string::npos) << text.out;
  auto session = RunCommand(std::string(COREKIT_BIN) + " debug --batch -ex 'info sharedlibrary' " + core);
  EXPECT_NE(session.out.find("(unverified"), std::string::npos) << session.out;
}

}  // namespace
}  // namespace corekit::itest
