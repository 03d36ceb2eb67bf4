#include "stored_crash.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <ctime>

namespace corekit::tools {

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
  auto fd = (*store)->OpenCore(target.substr(1), Viewer());
  if (!fd) return Unexpected(fd.error());
  return "/proc/self/fd/" + std::to_string(*fd);  // kept open for the command's life
}

}  // namespace corekit::tools
