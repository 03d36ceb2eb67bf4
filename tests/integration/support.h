// Integration-test plumbing: temporary directories, running commands, letting a test program
// crash under the kernel's core dumper, and asking gdb about a core.
//
// Kernel cores go to `core` in the working directory here (core_pattern "core"); when the
// pattern is a pipe (systemd-coredump, apport) kernel-core tests skip with that reason.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <iconv.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace corekit::itest {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "corekit-itest-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Every corekit the tests run keeps its debug cache (COREKIT_CACHE_DIR) and debuginfod's in one
// directory of this test process, removed at exit: the tests neither read nor fill the user's.
inline const TempDir& TestCacheDir() {
  static const TempDir dir;
  return dir;
}
inline const bool kTestCacheDirSet = [] {
  ::setenv("COREKIT_CACHE_DIR", TestCacheDir().path().c_str(), 1);
  // No test asks a debuginfod server it did not start (Debian's profile.d sets a public one),
  // nor reads what the user's debuginfod cache holds.
  ::unsetenv("DEBUGINFOD_URLS");
  ::setenv("DEBUGINFOD_CACHE_PATH", (TestCacheDir().path() / "debuginfod").c_str(), 1);
  return true;
}();

struct CommandResult {
  int status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command, capturing stdout and stderr separately.
inline CommandResult RunCommand(const std::string& command) {
  TempDir scratch;
  const fs::path err = scratch / "stderr";
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>" + Quote(err.string())).c_str(), "r");
  if (!pipe) return r;
  std::array<char, 65536> buffer;
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = ReadAll(err);
  return r;
}

// Runs `corekit ARGS` (which must print JSON) and parses its output.
inline nlohmann::json Corekit(const std::string& args) {
  auto r = RunCommand(std::string(COREKIT_BIN) + " " + args);
  EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
  return r.status == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

inline bool HaveTool(const std::string& tool) {
  return RunCommand("command -v " + Quote(tool)).status == 0;
}

// What makes `text` unsafe to show on a terminal or to read as UTF-8 — a C0 control other than
// newline and tab, DEL, a C1 control, or bytes that are not UTF-8 — or nullopt when it is safe.
// UTF-8 is checked by glibc's iconv, independently of corekit's own decoder.
inline std::optional<std::string> TerminalHazard(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7f) {
      return "control byte " + std::to_string(byte) + " at offset " + std::to_string(i);
    }
  }
  iconv_t cd = ::iconv_open("UTF-32LE", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) return "iconv cannot decode UTF-8 here";
  std::string in = text;
  std::vector<char> out(4 * text.size() + 4);
  char* in_ptr = in.data();
  char* out_ptr = out.data();
  std::size_t in_left = in.size(), out_left = out.size();
  const std::size_t done = ::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  ::iconv_close(cd);
  if (done == static_cast<std::size_t>(-1)) {
    return "invalid UTF-8 at offset " + std::to_string(in_ptr - in.data());
  }
  for (const char* p = out.data(); p + 4 <= out_ptr; p += 4) {
    std::uint32_t code = 0;
    std::memcpy(&code, p, 4);
    if (code >= 0x80 && code <= 0x9f) return "C1 control U+" + std::to_string(code);
  }
  return std::nullopt;
}

// Why the i386 test program cannot run here, or nullopt when it can: it needs the -m32
// toolchain to build and a kernel with IA-32 emulation to run (sh says 126 when exec fails).
inline std::optional<std::string> I386ProgramsUnavailable(const std::string& program) {
  if (program.empty()) return "no -m32 toolchain (libc6-dev-i386)";
  if (RunCommand(Quote(program) + " --no-such-option").status == 126) {
    return "this kernel cannot run i386 programs (no IA-32 emulation)";
  }
  return std::nullopt;
}

// Why kernel cores cannot be collected here, or nullopt when they can.
inline std::optional<std::string> KernelCoresUnavailable() {
  std::string pattern = ReadAll("/proc/sys/kernel/core_pattern");
  while (!pattern.empty() && (pattern.back() == '\n' || pattern.back() == ' ')) pattern.pop_back();
  if (!pattern.empty() && pattern[0] == '|') return "core_pattern is a pipe (" + pattern + ")";
  if (pattern.find('/') != std::string::npos) return "core_pattern writes elsewhere (" + pattern + ")";
  return std::nullopt;
}

// The facts a test program prints before it acts: "ready pid=P heap=0x.. stack=0x.. tids=a,b".
struct Ready {
  long pid = 0;
  std::map<std::string, std::string> values;
  std::vector<long> tids;
};

inline Ready ParseReady(const std::string& text) {
  Ready r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("ready ", 0) != 0) continue;
    std::istringstream words(line.substr(6));
    std::string word;
    while (words >> word) {
      auto eq = word.find('=');
      if (eq == std::string::npos) continue;
      r.values[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  if (r.values.count("pid")) r.pid = std::stol(r.values["pid"]);
  if (r.values.count("tids")) {
    std::istringstream tids(r.values["tids"]);
    std::string t;
    while (std::getline(tids, t, ',')) r.tids.push_back(std::stol(t));
  }
  return r;
}

// Starts argv with stdout on a pipe whose read end is returned in *out_fd; `prepare` runs in the
// child before exec (chdir, rlimits).
inline pid_t Spawn(const std::vector<std::string>& argv, int* out_fd,
                   const std::function<void()>& prepare = [] {}) {
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out_pipe[1], 1);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    prepare();
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  *out_fd = out_pipe[0];
  return child;
}

struct CrashResult {
  int signal = 0;
  bool dumped = false;
  fs::path core;
  std::string out;
};

// Runs argv in `dir` with RLIMIT_CORE `limit` (`also` runs in the child before exec) and waits
// for it to end: its output, and the signal that killed it.
inline CrashResult RunToDeath(const std::vector<std::string>& argv, const fs::path& dir, rlim_t limit = RLIM_INFINITY,
                              const std::function<void()>& also = [] {}) {
  CrashResult result;
  int out_fd = -1;
  const pid_t child = Spawn(argv, &out_fd, [&] {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    struct rlimit core = {limit, limit};
    ::setrlimit(RLIMIT_CORE, &core);
    also();
  });
  if (child < 0) return result;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out_fd, buffer, sizeof buffer)) > 0) result.out.append(buffer, static_cast<std::size_t>(n));
  ::close(out_fd);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.dumped = WCOREDUMP(status);
  }
  return result;
}

// Runs argv in `dir` with an unlimited core size and waits for it to die; the kernel's core is
// whatever new file named core* appears there (core, core.PID or qemu's qemu_*.core).
inline CrashResult CrashInDir(const std::vector<std::string>& argv, const fs::path& dir) {
  CrashResult result = RunToDeath(argv, dir);
  // qemu-user writes the guest's core (qemu_*.core) and then dies of the signal itself, so the
  // host kernel may add qemu's own `core`: the guest's wins.
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool guest = name.rfind("qemu_", 0) == 0 && name.size() > 5 && name.ends_with(".core");
    if (guest) {
      result.core = entry.path();
      break;
    }
    if (name.rfind("core", 0) == 0) result.core = entry.path();
  }
  return result;
}

// A test program started in the background, stopped by the destructor (SIGKILL + wait).
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv, const std::function<void()>& prepare = [] {}) {
    int out_fd = -1;
    pid_ = Spawn(argv, &out_fd, prepare);
    if (pid_ > 0) out_ = ::fdopen(out_fd, "r");
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_) ::fclose(out_);
  }
  // Reads stdout lines until the "ready" line.
  Ready WaitReady() {
    std::string text;
    char line[4096];
    while (out_ && std::fgets(line, sizeof line, out_)) {
      text += line;
      if (std::string(line).rfind("ready ", 0) == 0) break;
    }
    return ParseReady(text);
  }
  // Reads stdout lines until one starts with `prefix`; returns it ("" at end of output).
  std::string ReadLineStartingWith(const std::string& prefix) {
    char line[4096];
    while (out_ && std::fgets(line, sizeof line, out_)) {
      if (std::string(line).rfind(prefix, 0) == 0) return line;
    }
    return "";
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

// The 1-based number of the first line of `path` that contains `needle` (0 when none does).
inline int LineOf(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find(needle) != std::string::npos) return n;
  }
  return 0;
}

// Waits (up to 5 s) until every thread of the test program sits in pause(2) — syscall 34 on
// x86-64 — so that two looks at it (a live bt and a dump, gcore and corekit) see the same stacks.
inline void WaitParked(long pid) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    bool all = true;
    const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(tasks, ec)) {
      std::ifstream in(task.path() / "syscall");
      std::string number;
      in >> number;
      all = all && number == "34";
    }
    if (all) return;
    ::usleep(10000);
  }
}

// The C++ test program's two ways to die: the exception escapes main, or a worker thread.
inline const std::vector<std::vector<std::string>>& ThrowRuns() {
  static const std::vector<std::vector<std::string>> runs = {{THROW_BIN}, {THROW_BIN, "--in-thread"}};
  return runs;
}

// gdb's answers on a core, in batch mode.
inline std::string Gdb(const std::string& gdb, const std::string& exe, const fs::path& core,
                       const std::vector<std::string>& commands) {
  std::string command = gdb + " -batch -nx -q";
  for (const std::string& c : commands) command.append(" -ex ").append(Quote(c));
  command.append(" ").append(Quote(exe)).append(" ").append(Quote(core.string())).append(" 2>&1");
  return RunCommand(command).out;
}

// Parses `thread apply all p/x $REG` into {tid: value}.
inline std::map<long, std::uint64_t> GdbPerThread(const std::string& text) {
  std::map<long, std::uint64_t> out;
  // gdb may print warnings (".reg-xstate too small") between a thread's header and its value.
  static const std::regex re(R"(LWP (\d+)\)+:?\s*\n(?:[^$\n][^\n]*\n)*?\$\d+ = (0x[0-9a-f]+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    out[std::stol((*it)[1])] = std::stoull((*it)[2], nullptr, 16);
  }
  return out;
}

// Parses `x/Nxb ADDR` output into bytes.
inline std::vector<std::uint8_t> GdbBytes(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(":\t");
    if (colon == std::string::npos || line.rfind("0x", 0) != 0) continue;
    std::istringstream bytes(line.substr(colon + 2));
    std::string b;
    while (bytes >> b) out.push_back(static_cast<std::uint8_t>(std::stoul(b, nullptr, 16)));
  }
  return out;
}

// A port on 127.0.0.1 that nothing listens on (free a moment ago, as the kernel handed it out).
inline int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace corekit::itest
