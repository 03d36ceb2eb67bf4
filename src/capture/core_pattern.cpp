#include "corekit/capture/core_pattern.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace corekit::capture {
namespace {

constexpr std::size_t kPatternMax = 127;  // the kernel's CORENAME_MAX_SIZE, less its NUL

Result<std::string> ReadSmall(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected(Errc::kIo, "cannot read " + path + ": " + std::strerror(errno));
  char buffer[512];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n < 0) return Unexpected(Errc::kIo, "cannot read " + path + ": " + std::strerror(errno));
  std::string text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

Result<void> WriteSmall(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return Unexpected(Errc::kPermission, "cannot write " + path + ": " + std::strerror(errno));
  const std::string line = text + "\n";
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int saved = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    return Unexpected(Errc::kIo, "cannot write " + path + ": " + std::strerror(saved));
  }
  return {};
}

std::string FirstWord(const std::string& pattern) {
  const std::string command = pattern.substr(1);
  return command.substr(0, command.find(' '));
}

}  // namespace

Result<KernelCoreSettings> ReadKernelCoreSettings(const std::string& dir) {
  KernelCoreSettings settings;
  auto pattern = ReadSmall(dir + "/core_pattern");
  if (!pattern) return Unexpected(pattern.error());
  settings.pattern = *pattern;
  auto limit = ReadSmall(dir + "/core_pipe_limit");
  if (!limit) return Unexpected(limit.error());
  settings.pipe_limit = std::strtoll(limit->c_str(), nullptr, 10);
  return settings;
}

Result<void> WriteKernelCoreSettings(const KernelCoreSettings& settings, const std::string& dir) {
  // The limit first: with the pattern set and the limit still 0, a crash in between would find
  // /proc/PID gone.
  if (auto w = WriteSmall(dir + "/core_pipe_limit", std::to_string(settings.pipe_limit)); !w) return w;
  return WriteSmall(dir + "/core_pattern", settings.pattern);
}

bool KernelHasPidfd() {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 16);
}

Result<std::string> HandlerPattern(const std::string& self, const std::string& store, bool default_store) {
  if (self.find(' ') != std::string::npos || store.find(' ') != std::string::npos) {
    return Unexpected(Errc::kInvalidArgument,
                      "the kernel splits core_pattern at spaces: corekit and its store need paths without them");
  }
  std::string pattern = "|" + self + " handle";
  if (!default_store) pattern += " --store " + store;
  pattern += " %P %i %s %t %c %d %E";
  if (KernelHasPidfd()) pattern += " %F";
  if (pattern.size() > kPatternMax) {
    return Unexpected(Errc::kInvalidArgument, "the handler's core_pattern would be " + std::to_string(pattern.size()) +
                                                  " bytes, more than the kernel's 127: use a shorter store path");
  }
  return pattern;
}

bool IsCorekitPattern(const std::string& pattern) {
  if (pattern.empty() || pattern[0] != '|') return false;
  const std::string command = FirstWord(pattern);
  return command.ends_with("/corekit") && pattern.find(" handle ") != std::string::npos;
}

std::optional<std::string> ForeignHandler(const std::string& pattern) {
  if (pattern.empty() || pattern[0] != '|' || IsCorekitPattern(pattern)) return std::nullopt;
  const std::string command = FirstWord(pattern);
  for (const char* known : {"systemd-coredump", "apport", "abrt-hook-ccpp", "abrt"}) {
    if (command.find(known) != std::string::npos) return std::string(known) + " (" + command + ")";
  }
  return "a pipe handler (" + command + ")";
}

}  // namespace corekit::capture
