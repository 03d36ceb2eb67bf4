// The crash store as the commands see it: `@ID` and `@last` for a stored crash's core, who may
// see which crash, and a crash's JSON (corekit.crash/1, docs/crash-store.md).
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "corekit/server/json.h"
#include "corekit/store/store.h"

namespace corekit::tools {

// nullopt for root (every crash); otherwise the caller's uid (only their crashes).
inline std::optional<uid_t> Viewer() { return store::CallingViewer(); }

// The store a --store option names: itself, or ("") $COREKIT_STORE, else /var/lib/corekit.
std::string StorePath(const std::string& option);
// That store, for reading or for writing.
Result<std::unique_ptr<store::Store>> OpenStoreForReading(const std::string& option);
Result<std::unique_ptr<store::Store>> OpenStoreForWriting(const std::string& option);

bool IsStoredCrash(const std::string& target);  // "@..."

// The path of a stored crash's core ("@ID", "@last"), opened now: /proc/self/fd/N.
Result<std::string> StoredCorePath(const std::string& store_path, const std::string& target);

using server::CrashDetails;
using server::CrashJson;
using server::Rfc3339;
using server::SignalName;

}  // namespace corekit::tools
