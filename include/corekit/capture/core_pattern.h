// The kernel's core settings (/proc/sys/kernel/core_pattern and core_pipe_limit) and the
// pattern that makes corekit the crash handler.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "corekit/base/result.h"

namespace corekit::capture {

struct KernelCoreSettings {
  std::string pattern;        // without its trailing newline
  std::int64_t pipe_limit = 0;
};

// `dir` is /proc/sys/kernel; tests never pass another.
Result<KernelCoreSettings> ReadKernelCoreSettings(const std::string& dir = "/proc/sys/kernel");
Result<void> WriteKernelCoreSettings(const KernelCoreSettings& settings, const std::string& dir = "/proc/sys/kernel");

// The kernel passes a pidfd of the crashed process for %F from Linux 6.16.
bool KernelHasPidfd();

// "|/usr/bin/corekit handle --store DIR %P %i %s %t %c %d %E %F" (without --store for the
// default store, without %F before Linux 6.16). Fails when it would not fit the kernel's 127
// bytes or the store's path has a space (the kernel splits the pattern at spaces).
Result<std::string> HandlerPattern(const std::string& self, const std::string& store, bool default_store);

// A pattern that runs `corekit handle`.
bool IsCorekitPattern(const std::string& pattern);

// The name of another pipe handler a pattern runs (systemd-coredump, apport, abrt), "a pipe
// handler (PATH)" for one unknown, or nullopt for a file pattern or corekit's own.
std::optional<std::string> ForeignHandler(const std::string& pattern);

}  // namespace corekit::capture
