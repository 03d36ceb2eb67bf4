// The rows the server reads and writes, in one of two databases: the crash store's own SQLite
// index (one machine: `corekit serve --store DIR`), or PostgreSQL (a fleet: several servers,
// `--db postgresql://...`, their files in one shared directory). Both apply their versioned
// schema migrations when opened. One CrashIndex is one connection: one thread's at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/store/store.h"

namespace corekit::server {

class CrashIndex {
 public:
  virtual ~CrashIndex() = default;
  virtual Result<std::string> NewId() = 0;
  virtual Result<store::GroupPage> Groups(const store::GroupQuery& query) = 0;
  virtual Result<std::vector<std::vector<std::size_t>>> DailyCounts(const std::vector<std::string>& signatures,
                                                                    const store::Filter& filter, std::int64_t first_day,
                                                                    std::size_t days) = 0;
  virtual Result<std::vector<store::Crash>> Page(const store::Filter& filter, std::size_t limit, std::size_t offset) = 0;
  virtual Result<std::size_t> Count(const store::Filter& filter) = 0;
  virtual Result<store::Crash> Find(const std::string& id) = 0;  // the exact id
  // The crash stored by the upload with this client-made id, if any.
  virtual Result<std::optional<store::Crash>> FindUpload(const std::string& upload_id) = 0;
  // Inserts unless a crash with the upload's id exists: that one is returned then.
  virtual Result<std::optional<store::Crash>> InsertUpload(const store::Crash& crash) = 0;
  virtual Result<std::vector<store::Crash>> PendingAnalysis(std::size_t limit) = 0;
  virtual Result<void> Update(const store::Crash& crash) = 0;
};

// Opens one more connection to the same database.
using IndexFactory = std::function<Result<std::unique_ptr<CrashIndex>>()>;

// The crash store's index in `store_dir` (created and migrated when missing).
Result<std::unique_ptr<CrashIndex>> OpenSqliteIndex(const std::string& store_dir);
// A PostgreSQL database ("postgresql://user@host:port/db" or key=value): its schema created or
// migrated at open, under an advisory lock so that servers starting together migrate once.
Result<std::unique_ptr<CrashIndex>> OpenPostgresIndex(const std::string& conninfo);

}  // namespace corekit::server
