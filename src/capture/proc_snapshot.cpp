#include "corekit/capture/proc_snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>


namespace corekit::capture {
namespace {

constexpr std::size_t kFileLimit = 64 << 10;    // status, cmdline, environ, limits, cgroup
constexpr std::size_t kLongFileLimit = 1 << 20;  // maps, mountinfo
constexpr std::size_t kFieldLimit = 4096;         // one name or path
constexpr std::size_t kMaxFds = 1024;

// At most `limit` bytes of the file `name` under `dir`, or nullopt when it cannot be read.
std::optional<std::string> ReadAt(int dir, const char* name, std::size_t limit) {
  const int fd = ::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  std::array<char, 16384> buffer;
  while (text.size() < limit) {
    const ssize_t n = ::read(fd, buffer.data(), std::min(buffer.size(), limit - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

std::optional<std::string> LinkAt(int dir, const char* name) {
  std::array<char, 4096> buffer;
  const ssize_t n = ::readlinkat(dir, name, buffer.data(), buffer.size());
  if (n < 0) return std::nullopt;
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

// NUL-separated fields (cmdline, environ) as a list.
nlohmann::json Fields(const std::string& text) {
  nlohmann::json list = nlohmann::json::array();
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\0', at);
    if (end == std::string::npos) end = text.size();
    list.push_back(Limited(text.substr(at, end - at), kFieldLimit));
    at = end + 1;
  }
  return list;
}

std::string StatusField(const std::string& status, std::string_view key) {
  const std::string prefix = std::string(key) + ":";
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    if (end == std::string::npos) end = status.size();
    if (status.compare(at, prefix.size(), prefix) == 0) {
      std::string value = status.substr(at + prefix.size(), end - at - prefix.size());
      const std::size_t first = value.find_first_not_of(" \t");
      return first == std::string::npos ? std::string() : value.substr(first);
    }
    at = end + 1;
  }
  return {};
}

std::optional<std::int64_t> FirstNumber(const std::string& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  return std::strtoll(text.c_str(), nullptr, 10);
}

bool IsHex(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

// The pid a pidfd refers to, from /proc/self/fdinfo.
std::optional<std::int64_t> PidOfPidfd(int pidfd) {
  const int self = ::open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self < 0) return std::nullopt;
  auto info = ReadAt(self, std::to_string(pidfd).c_str(), 4096);
  ::close(self);
  if (!info) return std::nullopt;
  return FirstNumber(StatusField(*info, "Pid"));
}

}  // namespace

std::string Limited(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;  // not inside a character
  text.resize(cut);
  return text + "\u2026";
}

std::optional<Container> ContainerOfCgroup(std::string_view cgroup) {
  // The innermost long hex id in the path is the container's.
  std::string id;
  for (std::size_t at = 0; at < cgroup.size();) {
    const std::size_t start = cgroup.find_first_of("0123456789abcdef", at);
    if (start == std::string_view::npos) break;
    std::size_t end = start;
    while (end < cgroup.size() && IsHex(cgroup.substr(end, 1))) ++end;
    if (end - start >= 32) id = std::string(cgroup.substr(start, end - start));
    at = end + 1;
  }
  if (id.empty()) return std::nullopt;
  std::string runtime;
  if (cgroup.find("kubepods") != std::string_view::npos) runtime = "kubepods";
  else if (cgroup.find("libpod") != std::string_view::npos) runtime = "podman";
  else if (cgroup.find("docker") != std::string_view::npos) runtime = "docker";
  else if (cgroup.find("crio") != std::string_view::npos) runtime = "crio";
  else if (cgroup.find("containerd") != std::string_view::npos) runtime = "containerd";
  else return std::nullopt;  // a long hex name elsewhere (a systemd unit) is not a container
  return Container{id, runtime};
}

ProcSnapshot SnapshotProcess(pid_t pid, int pidfd) {
  ProcSnapshot snap;
  const std::string path = "/proc/" + std::to_string(pid);
  const int dir = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) {
    snap.why_not = path + ": " + std::strerror(errno);
    return snap;
  }
  // The process cannot be reaped while the kernel waits for this handler, so its pid cannot be
  // reused: a pidfd that names this pid now names the process /proc/PID shows.
  if (pidfd >= 0) {
    const auto named = PidOfPidfd(pidfd);
    snap.pidfd_verified = named && *named == pid;
    if (named && *named != pid) {
      ::close(dir);
      snap.why_not = "the kernel's pidfd names pid " + std::to_string(*named) + ", not " + std::to_string(pid);
      return snap;
    }
  }
  snap.available = true;
  nlohmann::json& j = snap.json;
  for (const char* name : {"status", "limits", "cgroup", "comm", "oom_score", "stat", "loginuid", "sessionid"}) {
    if (auto text = ReadAt(dir, name, kFileLimit)) j[name] = Limited(*text, kFileLimit);
  }
  for (const char* name : {"maps", "mountinfo"}) {
    if (auto text = ReadAt(dir, name, kLongFileLimit)) j[name] = *text;
  }
  if (auto text = ReadAt(dir, "cmdline", kFileLimit)) j["cmdline"] = Fields(*text);
  if (auto text = ReadAt(dir, "environ", kFileLimit)) j["environ"] = Fields(*text);
  for (const char* name : {"cwd", "root", "exe"}) {
    if (auto link = LinkAt(dir, name)) j[name] = Limited(*link, kFieldLimit);
  }
  // Namespaces, compared with the handler's own (the initial ones: the kernel runs it there).
  nlohmann::json ns = nlohmann::json::object();
  for (const char* name : {"pid", "mnt", "net", "uts", "ipc", "user", "cgroup"}) {
    const std::string link = std::string("ns/") + name;
    auto theirs = LinkAt(dir, link.c_str());
    if (!theirs) continue;
    ns[name] = *theirs;
    std::array<char, 256> ours{};
    const std::string self = "/proc/self/ns/" + std::string(name);
    const ssize_t n = ::readlink(self.c_str(), ours.data(), ours.size());
    const bool differs = n > 0 && *theirs != std::string(ours.data(), static_cast<std::size_t>(n));
    if (std::string_view(name) == "pid") snap.other_pid_namespace = differs;
    if (std::string_view(name) == "mnt") snap.other_mount_namespace = differs;
  }
  j["namespaces"] = ns;
  // Open files: where each descriptor points, bounded.
  nlohmann::json fds = nlohmann::json::object();
  if (const int fd_dir = ::openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); fd_dir >= 0) {
    if (DIR* d = ::fdopendir(fd_dir)) {
      std::size_t count = 0;
      while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        if (++count > kMaxFds) {
          j["fds_truncated"] = true;
          break;
        }
        if (auto link = LinkAt(fd_dir, e->d_name)) fds[e->d_name] = Limited(*link, kFieldLimit);
      }
      ::closedir(d);
    } else {
      ::close(fd_dir);
    }
  }
  j["fds"] = fds;
  ::close(dir);

  const std::string status = j.value("status", "");
  snap.comm = Limited(j.contains("comm") ? j["comm"].get<std::string>() : StatusField(status, "Name"), 64);
  while (!snap.comm.empty() && snap.comm.back() == '\n') snap.comm.pop_back();
  snap.uid = FirstNumber(StatusField(status, "Uid"));
  snap.gid = FirstNumber(StatusField(status, "Gid"));
  const std::string nspid = StatusField(status, "NSpid");
  if (const std::size_t last = nspid.find_last_of(" \t"); !nspid.empty()) {
    snap.own_pid = FirstNumber(last == std::string::npos ? nspid : nspid.substr(last + 1));
  }
  snap.executable = j.value("exe", "");
  snap.cwd = j.value("cwd", "");
  snap.root = j.value("root", "");
  if (j.contains("cmdline")) {
    for (const auto& arg : j["cmdline"]) {
      if (!snap.command_line.empty()) snap.command_line += ' ';
      snap.command_line += arg.get<std::string>();
    }
    snap.command_line = Limited(snap.command_line, kFieldLimit);
  }
  if (j.contains("cgroup")) snap.container = ContainerOfCgroup(j["cgroup"].get<std::string>());
  return snap;
}

}  // namespace corekit::capture
