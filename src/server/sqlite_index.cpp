// The crash store's SQLite index as the server's CrashIndex: the Store's own queries.
#include "crash_index.h"

namespace corekit::server {
namespace {

class SqliteIndex : public CrashIndex {
 public:
  explicit SqliteIndex(std::unique_ptr<store::Store> store) : store_(std::move(store)) {}
  Result<std::string> NewId() override { return store_->NewId(); }
  Result<store::GroupPage> Groups(const store::GroupQuery& query) override { return store_->Groups(query); }
  Result<std::vector<std::vector<std::size_t>>> DailyCounts(const std::vector<std::string>& signatures,
                                                            const store::Filter& filter, std::int64_t first_day,
                                                            std::size_t days) override {
    return store_->DailyCounts(signatures, filter, first_day, days);
  }
  Result<std::vector<store::Crash>> Page(const store::Filter& filter, std::size_t limit, std::size_t offset) override {
    return store_->Page(filter, limit, offset);
  }
  Result<std::size_t> Count(const store::Filter& filter) override { return store_->Count(filter); }
  Result<store::Crash> Find(const std::string& id) override {
    auto c = store_->Find(id, std::nullopt);
    if (c && c->id != id) return Unexpected(Errc::kInvalidArgument, "no crash " + id);  // a prefix is not an id here
    return c;
  }
  Result<std::optional<store::Crash>> FindUpload(const std::string& upload_id) override { return store_->FindUpload(upload_id); }
  Result<std::optional<store::Crash>> InsertUpload(const store::Crash& crash) override { return store_->InsertUpload(crash); }
  Result<std::vector<store::Crash>> PendingAnalysis(std::size_t limit) override { return store_->PendingAnalysis(limit); }
  Result<void> Update(const store::Crash& crash) override { return store_->Update(crash); }

 private:
  std::unique_ptr<store::Store> store_;
};

}  // namespace

Result<std::unique_ptr<CrashIndex>> OpenSqliteIndex(const std::string& store_dir) {
  auto store = store::Store::Open(store_dir, store::Access::kWrite);
  if (!store) return Unexpected(store.error());
  // An upload is answered once stored: its row must survive a power loss, not only a crash.
  if (auto d = (*store)->SyncEveryCommit(); !d) return Unexpected(d.error());
  return std::unique_ptr<CrashIndex>(new SqliteIndex(std::move(*store)));
}

}  // namespace corekit::server
