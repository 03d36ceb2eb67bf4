// corekit's JSON as the command's --json and the server's API write it: valid UTF-8 text
// (docs/json.md), and the corekit.crash/1 objects of a stored crash and of a group
// (docs/crash-store.md), so that `crashes list --json` and /api/v1/crashes return the same.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "corekit/store/store.h"

namespace corekit::server {

// The document's text: bytes that are not well-formed UTF-8 become the text `\xNN`, and DEL and
// the C1 controls \u escapes. indent < 0: compact, one line.
std::string JsonText(const nlohmann::json& value, int indent = 2);
nlohmann::json JsonWithValidUtf8(const nlohmann::json& value);

std::string Rfc3339(std::int64_t seconds);  // "2026-12-02T10:00:00Z"
std::string SignalName(int number);          // "SIGSEGV", or the number

nlohmann::json CrashJson(const store::Crash& crash);
// The crash's details file ({ "proc", "report", ... }: docs/crash-store.md), or null when it
// has none or it cannot be read or parsed.
nlohmann::json CrashDetails(const store::Directory& files, const store::Crash& crash);
nlohmann::json GroupJson(const store::Group& group);

}  // namespace corekit::server
