#include "corekit/capture/handler.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "corekit/base/text.h"
#include "corekit/capture/core_stream.h"
#include "corekit/capture/proc_snapshot.h"
#include "corekit/dump/zstd_sink.h"
#include "corekit/store/store.h"

namespace corekit::capture {
namespace {

constexpr std::size_t kReportLimit = 32 << 20;

// One line to syslog, or to the kernel log when no syslog daemon listens (a container, an
// initramfs): the line must get out whatever else fails.
void Log(int priority, const std::string& line) {
  const std::string safe = Printable(line);  // the program chose its name
  struct stat st {};
  if (::stat("/dev/log", &st) == 0) {
    ::openlog("corekit", LOG_PID, LOG_DAEMON);
    ::syslog(priority, "%s", safe.c_str());
    ::closelog();
    return;
  }
  const int kmsg = ::open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
  if (kmsg < 0) return;
  const std::string record = "<" + std::to_string(LOG_DAEMON | priority) + ">corekit[" + std::to_string(::getpid()) + "]: " + safe + "\n";
  [[maybe_unused]] const ssize_t n = ::write(kmsg, record.data(), record.size());
  ::close(kmsg);
}

std::string Hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// The kernel starts its helpers with no standard output or error: make 1 and 2 /dev/null, so
// that no file this handler opens lands on them.
void OpenStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
    }
  }
}

// The analysis's debuginfod cache: the store's, passed as fd 5.
const std::vector<std::string> kSymbolCacheEnv = {"DEBUGINFOD_CACHE_PATH=/proc/self/fd/5", "HOME=/nonexistent"};

struct Analysis {
  std::optional<std::string> signature, kind, error;
  std::optional<int> signal_code;
  nlohmann::json report;
};

// The analysis's arguments after the core: the container's root as fd 4, when there is one.
std::vector<std::string> WithSysroot(std::vector<std::string> argv, int root) {
  if (root >= 0) argv.insert(argv.begin() + 2, {"--sysroot", "/proc/self/fd/4"});
  return argv;
}

// The store's cache of the symbols fetched for its crashes, made when missing: a directory owned
// by nobody, who runs the analysis, opened (O_PATH) for it to reach as /proc/self/fd/5 — the
// store's own directories need not let nobody through. -1 when there is none to be had.
int SymbolCache(const std::string& store) {
  const std::string dir = store + "/" + kSymbolCacheDir;
  constexpr uid_t kNobody = 65534;
  if (::mkdir(dir.c_str(), 0755) == 0 && ::geteuid() == 0) {
    if (::lchown(dir.c_str(), kNobody, kNobody) != 0) return -1;
  }
  const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || (::geteuid() == 0 && st.st_uid != kNobody)) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

// With debuginfod servers set for the store: everything the core needs is fetched into the
// store's cache (corekit symbols --fetch), so that the report has its names and source lines
// and the crash reads offline later. Its failure leaves the analysis to go on without them.
// Returns the cache's descriptor (for the report, which reads it) or -1.
int FetchSymbols(const HandleRequest& request, store::Store& store, std::chrono::seconds timeout, int core_fd,
                 int root) {
  auto urls = store.Setting(kDebuginfodSetting);
  if (!urls || !*urls || (*urls)->empty()) return -1;
  const int cache = SymbolCache(request.store);
  if (cache < 0) {
    Log(LOG_WARNING, "no symbol cache in " + request.store + ": symbols not fetched");
    return -1;
  }
  const int status = RunAnalysis(WithSysroot({request.self, "symbols", "--fetch", "--debuginfod", **urls, "/dev/fd/3"}, root),
                                 core_fd, -1, nullptr, 0, timeout, root, kSymbolCacheEnv, cache);
  if (status != 0) Log(LOG_WARNING, "fetching symbols from " + **urls + " failed (" + std::to_string(status) + ")");
  // libdebuginfod keeps its files 0400 in 0700 directories: readable by nobody alone. Debug
  // files are world-readable where distributions install them; so here, for the users the
  // store lets read their crashes. Done as nobody too: it can change nothing but nobody's files,
  // whatever links the cache holds.
  RunAnalysis({"/bin/chmod", "-R", "a+rX", "/proc/self/fd/5/"}, core_fd, -1, nullptr, 0, timeout, -1, {}, cache);
  ::lseek(core_fd, 0, SEEK_SET);
  return cache;
}

Analysis Analyse(const HandleRequest& request, std::chrono::seconds timeout, int core_fd, int root, int cache) {
  Analysis analysis;
  std::string text;
  const int status = RunAnalysis(WithSysroot({request.self, "report", "--json", "/dev/fd/3"}, root), core_fd, -1,
                                 &text, kReportLimit, timeout, root, cache >= 0 ? kSymbolCacheEnv : std::vector<std::string>{},
                                 cache);
  if (status == -1) {
    analysis.error = "analysis timed out after " + std::to_string(timeout.count()) + " s";
    return analysis;
  }
  if (status != 0) {
    analysis.error = "analysis failed (corekit report exited with " + std::to_string(status) + ")";
    return analysis;
  }
  analysis.report = nlohmann::json::parse(text, nullptr, false);
  if (analysis.report.is_discarded() || !analysis.report.is_object()) {
    analysis.error = "analysis failed: corekit report printed no JSON";
    analysis.report = nullptr;
    return analysis;
  }
  const nlohmann::json& crash = analysis.report["crash"];
  if (crash.is_object()) {
    if (crash["signature"].is_string()) analysis.signature = Limited(crash["signature"].get<std::string>(), 1024);
    if (crash["kind"].is_string()) analysis.kind = crash["kind"].get<std::string>();
  }
  const nlohmann::json& signal = analysis.report["signal"];
  if (signal.is_object() && signal["code"].is_number_integer()) analysis.signal_code = signal["code"].get<int>();
  return analysis;
}

// The compact core of a stored full core, written by `corekit compact` into the store.
std::optional<std::string> WriteCompact(const HandleRequest& request, std::chrono::seconds timeout, store::Store& store,
                                        int core_fd, int root, const store::Crash& crash) {
  auto out = store.CreateUnnamed();
  if (!out) return std::nullopt;
  const int status = RunAnalysis(WithSysroot({request.self, "compact", "--compress", "/dev/fd/3", "-"}, root), core_fd,
                                 *out, nullptr, 0, timeout, root);
  std::optional<std::string> name;
  if (status == 0) {
    store.Protect(*out, crash.uid, crash.dumpable);
    const std::string file = crash.id + ".compact.core.zst";
    if (store.Publish(*out, file)) name = file;
  }
  ::close(*out);
  return name;
}

// Writes the row; a failure is logged (the syslog line already says the crash happened).
void Save(store::Store& store, const store::Crash& crash) {
  if (auto u = store.Update(crash); !u) Log(LOG_ERR, "crash " + crash.id + ": " + u.error().message);
}

}  // namespace

int RunAnalysis(const std::vector<std::string>& argv, int input, int output, std::string* text, std::size_t limit,
                std::chrono::seconds timeout, int extra, const std::vector<std::string>& env, int extra5,
                bool as_nobody) {
  int pipe_fds[2] = {-1, -1};
  if (text && ::pipe2(pipe_fds, O_CLOEXEC) != 0) return -2;
  const pid_t child = ::fork();
  if (child < 0) return -2;
  if (child == 0) {
    // The child: fd 3 the core, 1 the output, 2 nowhere; nothing else inherited.
    const int out = text ? pipe_fds[1] : output;
    const int in = ::fcntl(input, F_DUPFD_CLOEXEC, 10);
    const int out_dup = ::fcntl(out, F_DUPFD_CLOEXEC, 10);
    const int extra_dup = extra >= 0 ? ::fcntl(extra, F_DUPFD_CLOEXEC, 10) : -1;
    const int extra5_dup = extra5 >= 0 ? ::fcntl(extra5, F_DUPFD_CLOEXEC, 10) : -1;
    ::dup2(in, 3);
    if (extra_dup >= 0) ::dup2(extra_dup, 4);
    if (extra5_dup >= 0) ::dup2(extra5_dup, 5);
    ::dup2(out_dup, 1);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 2);
    ::dup2(null, 0);
    // Nothing else, even what a library opened without O_CLOEXEC (a server's client sockets).
    ::close_range(6, ~0U, 0);
    // The analysis reads what the crashing program chose: it runs without privileges. Its
    // input and output are the descriptors it was given; debug files are world-readable.
    if (as_nobody && ::geteuid() == 0) {
      constexpr uid_t kNobody = 65534;
      if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(126);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> environment{const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin")};
    for (const std::string& e : env) environment.push_back(const_cast<char*>(e.c_str()));
    environment.push_back(nullptr);
    ::execve(args[0], args.data(), environment.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  if (text) {
    ::close(pipe_fds[1]);
    char buffer[65536];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      pollfd p{pipe_fds[0], POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (text->size() < limit) text->append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
  }
  int status = 0;
  if (timed_out) ::kill(child, SIGKILL);
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return -2;
    if (!timed_out && std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      ::kill(child, SIGKILL);
    }
    ::usleep(5000);
  }
  if (timed_out) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void StartUploadWorker(const std::string& self, const std::string& store) {
  const pid_t child = ::fork();
  if (child < 0) return;
  if (child == 0) {
    // The middle process ends at once, so the worker is nobody's child to reap (init's).
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    }
    ::close_range(3, ~0U, 0);
    // Only async-signal-safe calls after fork (the handler has threads): no allocation here.
    const char* argv[] = {self.c_str(), "upload", "--spool", "--store", store.c_str(), nullptr};
    ::execv(self.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
}

// `handler install --upload`: a crash whose core was stored joins the upload queue, and the
// worker that sends it is started. A crash the rate limit kept without a core stays local: the
// limit protects the network and the collector as it protects the disk.
static void Forward(const HandleRequest& request, store::Store& store, const store::Crash& crash) {
  auto url = store.Setting(kUploadSetting);
  if (!url || !*url) return;
  if (auto q = store.QueueUpload(crash.id, request.time); !q) {
    Log(LOG_ERR, "crash " + crash.id + " not queued for upload: " + q.error().message);
    return;
  }
  StartUploadWorker(request.self, request.store);
}

int Handle(const HandleRequest& request) {
  OpenStandardFds();
  ::signal(SIGPIPE, SIG_IGN);
  Log(LOG_CRIT, "process " + std::to_string(request.host_pid) + " (" + Limited(request.exe, 256) +
                    ") crashed with signal " + std::to_string(request.signal) + "; storing its core in " + request.store);

  ProcSnapshot snap = SnapshotProcess(request.host_pid, request.pidfd);
  // A process in another mount namespace (a container) has its own files: its root, held open
  // past its end, is the analysis's sysroot, so that build-ids and symbols come from the
  // container's binaries (read as data; nothing there is executed).
  const int root = snap.available && snap.other_mount_namespace
                       ? ::open(("/proc/" + std::to_string(request.host_pid) + "/root").c_str(),
                                O_PATH | O_DIRECTORY | O_CLOEXEC)
                       : -1;
  auto opened = store::Store::Open(request.store, store::Access::kWrite);
  if (!opened) {
    Log(LOG_ERR, "crash of process " + std::to_string(request.host_pid) + " not stored: " + opened.error().message);
    Drain(request.input_fd);
    return 1;
  }
  store::Store& store = **opened;
  store::Crash crash;
  auto id = store.NewId();
  if (!id) {
    Log(LOG_ERR, id.error().message);
    Drain(request.input_fd);
    return 1;
  }
  crash.id = *id;
  crash.time = request.time;
  crash.host_pid = request.host_pid;
  crash.pid = snap.own_pid ? snap.own_pid : std::optional<std::int64_t>(request.host_pid);
  crash.tid = request.host_tid;
  crash.uid = snap.uid;
  crash.gid = snap.gid;
  crash.signal = request.signal;
  crash.executable = Limited(snap.executable.empty() ? request.exe : snap.executable, 4096);
  crash.comm = snap.comm;
  crash.command_line = snap.command_line;
  crash.hostname = Limited(Hostname(), 256);
  if (snap.container) {
    crash.container = snap.container->id;
    crash.container_runtime = snap.container->runtime;
  }
  crash.dumpable = request.dumpable;
  crash.core = "receiving";
  crash.handler_pid = ::getpid();

  auto limits = store.ReadLimits();
  const store::Limits lim = limits ? *limits : store::Limits{};
  auto admitted = store.Admit(crash, lim);
  if (!admitted) {
    Log(LOG_ERR, "crash of process " + std::to_string(request.host_pid) + " not stored: " + admitted.error().message);
    Drain(request.input_fd);
    return 1;
  }
  if (admitted->suppressed > 0 && admitted->store) {
    Log(LOG_WARNING, std::to_string(admitted->suppressed) + " more crashes of " + crash.executable +
                         " suppressed in " + std::to_string(lim.rate_window) + " s");
  }
  auto finish_without_core = [&](const std::string& reason) {
    const std::uint64_t drained = Drain(request.input_fd);
    ::close(request.input_fd);
    crash.core = "none";
    if (!crash.core_reason) crash.core_reason = reason;
    crash.core_size = drained;
    crash.handler_pid.reset();
    Save(store, crash);
    Log(LOG_WARNING, "crash " + crash.id + " of " + crash.executable + ": core not stored: " + *crash.core_reason);
    return 0;
  };
  if (!admitted->store) return finish_without_core("rate limit");
  if (request.rlimit == 0) return finish_without_core("the process's RLIMIT_CORE is 0 (ulimit -c)");
  if (auto usage = store.ReadUsage(); usage && usage->fs_size > 0) {
    const std::uint64_t keep_free = std::max(lim.keep_free, usage->fs_size / 100 * lim.keep_free_percent);
    if (usage->fs_free < keep_free) {
      return finish_without_core("disk full: " + std::to_string(usage->fs_free) + " bytes free, the store keeps " +
                                 std::to_string(keep_free) + " free");
    }
  }

  auto file = store.CreateUnnamed();
  if (!file) return finish_without_core("handler error: " + file.error().message);
  auto sink = dump::ZstdSink::Create(*file);
  if (!sink) {
    ::close(*file);
    return finish_without_core("handler error: " + sink.error().message);
  }
  StreamLimits stream_limits;
  stream_limits.rlimit = request.rlimit;
  stream_limits.max_core_size = lim.max_core_size;
  // The dying process's memory, for what a compact core keeps (pointees of its stacks): readable
  // while the kernel holds the process, which it does until stdin is closed.
  const int memory = snap.available ? ::open(("/proc/" + std::to_string(request.host_pid) + "/mem").c_str(),
                                             O_RDONLY | O_CLOEXEC)
                                    : -1;
  stream_limits.memory_fd = memory;
  // A bigger pipe: fewer wake-ups of this handler and of the dumping kernel (root may go past
  // pipe-max-size; 1 MiB is its default).
  ::fcntl(request.input_fd, F_SETPIPE_SZ, 1 << 20);
  const StreamResult streamed = StreamCore(request.input_fd, **sink, stream_limits);
  if (memory >= 0) ::close(memory);
  ::close(request.input_fd);  // the kernel lets the process go
  crash.core_size = streamed.core_size.value_or(streamed.stream_bytes);
  if (streamed.error) {
    ::close(*file);  // unnamed: nothing is left of it
    const bool full = streamed.error->find("No space") != std::string::npos;
    crash.core = "none";
    crash.core_reason = (full ? "disk full: " : "handler error: ") + *streamed.error;
    crash.handler_pid.reset();
    Save(store, crash);
    Log(LOG_ERR, "crash " + crash.id + ": core not stored: " + *crash.core_reason);
    return 0;
  }
  store.Protect(*file, crash.uid, crash.dumpable);
  const std::string core_name = crash.id + ".core.zst";
  if (auto published = store.Publish(*file, core_name); !published) {
    ::close(*file);
    crash.core = "none";
    crash.core_reason = (errno == ENOSPC ? "disk full: " : "handler error: ") + published.error().message;
    crash.handler_pid.reset();
    Save(store, crash);
    return 0;
  }
  crash.core = streamed.state;
  crash.core_reason = streamed.reason;
  crash.core_file = core_name;
  crash.core_bytes = store.FileBytes(core_name).value_or((*sink)->bytes_out());
  crash.handler_pid.reset();
  Save(store, crash);
  Log(LOG_INFO, "crash " + crash.id + " of " + crash.executable + " stored (" + crash.core + ", " +
                    std::to_string(crash.core_bytes) + " bytes)");

  // Analysis, the process gone. A failure here leaves the row and the core as they are.
  ::lseek(*file, 0, SEEK_SET);
  const std::chrono::seconds timeout = request.analysis_timeout.value_or(std::chrono::seconds(lim.analysis_timeout));
  const int symbol_cache = FetchSymbols(request, store, timeout, *file, root);
  const Analysis analysis = Analyse(request, timeout, *file, root, symbol_cache);
  if (symbol_cache >= 0) ::close(symbol_cache);
  crash.signature = analysis.signature;
  crash.report_kind = analysis.kind;
  crash.signal_code = analysis.signal_code;
  crash.analysis_error = analysis.error;
  if (!analysis.error && crash.core == "present") {
    if (auto compact = WriteCompact(request, timeout, store, *file, root, crash)) {
      crash.compact_file = *compact;
      crash.core_bytes += store.FileBytes(*compact).value_or(0);
    }
  }
  ::close(*file);
  if (root >= 0) ::close(root);
  nlohmann::json details = {{"schema", "corekit.crash/1"}, {"proc", snap.available ? snap.json : nlohmann::json(nullptr)},
                            {"proc_error", snap.available ? nlohmann::json(nullptr) : nlohmann::json(snap.why_not)},
                            {"pidfd_verified", snap.pidfd_verified},
                            {"other_pid_namespace", snap.other_pid_namespace},
                            {"other_mount_namespace", snap.other_mount_namespace},
                            {"report", analysis.report}};
  const std::string details_name = crash.id + ".json";
  if (store::WriteWholeFile(store, details_name, details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                            crash.uid, crash.dumpable)) {
    crash.details_file = details_name;
  }
  Save(store, crash);
  if (analysis.error) Log(LOG_WARNING, "crash " + crash.id + ": " + *analysis.error);
  if (auto v = store.Vacuum(lim, request.time); !v) Log(LOG_ERR, "vacuum: " + v.error().message);
  Forward(request, store, crash);
  return 0;
}

}  // namespace corekit::capture
