#include "corekit/server/json.h"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <ctime>

#include "corekit/base/text.h"

namespace corekit::server {

nlohmann::json JsonWithValidUtf8(const nlohmann::json& value) {
  if (value.is_string()) return ValidUtf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& element : value) out.push_back(JsonWithValidUtf8(element));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, element] : value.items()) out[ValidUtf8(key)] = JsonWithValidUtf8(element);
    return out;
  }
  return value;
}

namespace {

// Whether every string (and key) of `value` is well-formed UTF-8 already: the common case, in
// which the document is printed as it is rather than copied.
bool AllValidUtf8(const nlohmann::json& value) {
  auto valid = [](const std::string& s) {
    for (const char c : s) {
      if (static_cast<unsigned char>(c) >= 0x80) return ValidUtf8(s) == s;  // only then decode
    }
    return true;
  };
  if (value.is_string()) return valid(value.get_ref<const std::string&>());
  if (value.is_array()) {
    for (const auto& element : value) {
      if (!AllValidUtf8(element)) return false;
    }
  } else if (value.is_object()) {
    for (const auto& [key, element] : value.items()) {
      if (!valid(key) || !AllValidUtf8(element)) return false;
    }
  }
  return true;
}

}  // namespace

std::string JsonText(const nlohmann::json& value, int indent) {
  // The encoder leaves DEL and the C1 controls (U+0080..U+009F) raw, as JSON allows; they are
  // terminal controls, so they are written as \u escapes too. Outside strings JSON is ASCII, so
  // these bytes can only be inside one.
  const std::string raw = AllValidUtf8(value) ? value.dump(indent) : JsonWithValidUtf8(value).dump(indent);
  std::string text;
  text.reserve(raw.size() + 1);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    // Runs without DEL or a C1 lead byte are copied whole.
    const std::size_t special = raw.find_first_of("\x7f\xc2", i);
    if (special != i) {
      const std::size_t end = special == std::string::npos ? raw.size() : special;
      text.append(raw, i, end - i);
      i = end - 1;
      continue;
    }
    const auto byte = static_cast<unsigned char>(raw[i]);
    const auto next = i + 1 < raw.size() ? static_cast<unsigned char>(raw[i + 1]) : 0;
    if (byte == 0x7f) {
      text += "\\u007f";
    } else if (byte == 0xc2 && next >= 0x80 && next <= 0x9f) {
      text += fmt::format("\\u{:04x}", next);
      ++i;
    } else {
      text += raw[i];
    }
  }
  return text;
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

nlohmann::json CrashDetails(const store::Directory& files, const store::Crash& crash) {
  if (crash.details_file.empty()) return nullptr;
  // Written by corekit: the report (at most 32 MiB as uploaded) and the /proc snapshot.
  auto text = store::ReadWholeFile(files, crash.details_file, 64 << 20);
  if (!text) return nullptr;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_object() ? j : nlohmann::json(nullptr);
}

nlohmann::json GroupJson(const store::Group& g) {
  return {{"signature", g.signature}, {"signature_version", "corekit.sig/1"}, {"count", g.count},
          {"first_seen", Rfc3339(g.first_seen)}, {"last_seen", Rfc3339(g.last_seen)},
          {"executables", g.executables}, {"hosts", g.hosts}};
}

}  // namespace corekit::server
