#include "stored_crash.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <ctime>

namespace corekit::tools {

std::optional<uid_t> Viewer() {
  if (::geteuid() == 0) return std::nullopt;
  return ::getuid();
}

std::string StorePath(const std::string& option) { return option.empty() ? store::Store::DefaultPath() : option; }

Result<std::unique_ptr<store::Store>> OpenStoreForReading(const std::string& option) {
  return store::Store::Open(StorePath(option), store::Access::kRead);
}

Result<std::unique_ptr<store::Store>> OpenStoreForWriting(const std::string& option) {
  return store::Store::Open(StorePath(option), store::Access::kWrite);
}

bool IsStoredCrash(const std::string& target) { return target.size() > 1 && target[0] == '@'; }

Result<std::string> StoredCorePath(const std::string& store_path, const std::string& target) {
  auto store = OpenStoreForReading(store_path);
  if (!store) return Unexpected(store.error());
  auto crash = (*store)->Find(target.substr(1), Viewer());
  if (!crash) return Unexpected(crash.error());
  const std::string& file = !crash->core_file.empty() ? crash->core_file : crash->compact_file;
  if (file.empty()) {
    return Unexpected(Errc::kNotInCore, "crash " + crash->id + " has no stored core: " +
                                            crash->core_reason.value_or("none was stored"));
  }
  auto fd = (*store)->OpenFile(file);
  if (!fd) return Unexpected(fd.error());
  return "/proc/self/fd/" + std::to_string(*fd);  // kept open for the command's life
}

std::string Rfc3339(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string SignalName(int number) {
  const char* abbrev = ::sigabbrev_np(number);
  return abbrev ? std::string("SIG") + abbrev : std::to_string(number);
}

nlohmann::json CrashJson(const store::Crash& c) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json signal = nullptr;
  if (c.signal) signal = {{"number", *c.signal}, {"name", SignalName(*c.signal)}, {"code", opt(c.signal_code)}};
  nlohmann::json container = nullptr;
  if (c.container) container = {{"id", *c.container}, {"runtime", opt(c.container_runtime)}};
  return {{"id", c.id}, {"time", Rfc3339(c.time)}, {"pid", opt(c.pid)}, {"host_pid", opt(c.host_pid)},
          {"tid", opt(c.tid)}, {"uid", opt(c.uid)}, {"gid", opt(c.gid)}, {"signal", signal},
          {"executable", c.executable}, {"comm", c.comm}, {"command_line", c.command_line},
          {"hostname", c.hostname}, {"container", container}, {"dumpable", c.dumpable},
          {"core", c.core}, {"core_reason", opt(c.core_reason)}, {"core_bytes", c.core_bytes},
          {"core_size", c.core_size}, {"compact", !c.compact_file.empty()},
          {"signature", opt(c.signature)}, {"signature_version", c.signature ? nlohmann::json("corekit.sig/1") : nlohmann::json(nullptr)},
          {"report_kind", opt(c.report_kind)}, {"analysis_error", opt(c.analysis_error)}};
}

}  // namespace corekit::tools
