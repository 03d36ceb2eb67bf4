// The crash store on a temporary directory: ids, filters, viewers, the rate limits' admission,
// and vacuum's repairs and order.
#include "corekit/store/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace corekit::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "corekit-store-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    auto opened = Store::Open(dir_ + "/store", Access::kWrite);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  // A crash with a core file of `bytes` bytes (written, published) at `time`.
  Crash Add(const std::string& exe, std::int64_t time, std::uint64_t bytes, std::int64_t uid = 0) {
    Crash c;
    c.id = *store_->NewId();
    c.time = time;
    c.executable = exe;
    c.uid = uid;
    c.core = bytes ? "present" : "none";
    if (bytes) {
      c.core_file = c.id + ".core.zst";
      EXPECT_TRUE(WriteWholeFile(*store_, c.core_file, std::string(bytes, 'x'), std::nullopt, false));
      c.core_bytes = bytes;
    }
    EXPECT_TRUE(store_->Insert(c));
    return c;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ListsOldestFirstAndFilters) {
  Add("/bin/a", 100, 0);
  Add("/bin/b", 300, 0, 1000);
  Add("/bin/a", 200, 0, 1000);
  auto all = store_->List({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].time, 100);
  EXPECT_EQ((*all)[2].time, 300);
  Filter newest;
  newest.limit = 2;
  EXPECT_EQ(store_->List(newest)->front().time, 200);  // the newest two, still oldest first
  Filter by_exe;
  by_exe.executable = "/bin/a";
  by_exe.since = 150;
  EXPECT_EQ(store_->List(by_exe)->size(), 1u);
  Filter mine;
  mine.viewer = 1000;
  EXPECT_EQ(store_->List(mine)->size(), 2u);
  EXPECT_EQ(store_->Find("last", 1000)->time, 300);
  EXPECT_EQ(store_->Find("last", std::nullopt)->time, 300);
}

TEST_F(StoreTest, FindsByPrefixAndRefusesAmbiguityAndOtherUsers) {
  const Crash a = Add("/bin/a", 100, 0, 0);
  auto found = store_->Find(a.id.substr(0, 4), std::nullopt);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, a.id);
  EXPECT_FALSE(store_->Find(a.id, 1000));          // root's crash, asked by uid 1000
  EXPECT_FALSE(store_->Find("../../etc", std::nullopt));  // not an id
  EXPECT_FALSE(store_->Find("", std::nullopt));
}

TEST_F(StoreTest, AdmitsUnderTheRateLimitsAndRecordsWhy) {
  Limits limits;
  limits.rate_per_exe = 2;
  limits.rate_global = 3;
  limits.rate_window = 60;
  auto admit = [&](const std::string& exe, std::int64_t time) {
    Crash c;
    c.id = *store_->NewId();
    c.time = time;
    c.executable = exe;
    c.core = "receiving";
    auto a = store_->Admit(c, limits);
    EXPECT_TRUE(a);
    return std::make_pair(*a, c);
  };
  EXPECT_TRUE(admit("/bin/a", 1000).first.store);
  EXPECT_TRUE(admit("/bin/a", 1001).first.store);
  auto [third, row] = admit("/bin/a", 1002);
  EXPECT_FALSE(third.store);
  EXPECT_EQ(row.core, "none");
  EXPECT_EQ(row.core_reason->rfind("rate limit", 0), 0u);
  EXPECT_EQ(admit("/bin/a", 1003).first.suppressed, 1u);  // the third, counted
  EXPECT_TRUE(admit("/bin/b", 1004).first.store);
  EXPECT_FALSE(admit("/bin/c", 1005).first.store);        // the global limit
  EXPECT_TRUE(admit("/bin/a", 1100).first.store);         // a new window
  EXPECT_EQ(store_->List({})->size(), 7u);                // every crash has its row
}

TEST_F(StoreTest, VacuumRepairsBothWaysAndRemovesTheMostCommonExecutablesOldestCoresFirst) {
  const Crash a1 = Add("/bin/a", 100, 4096);
  const Crash a2 = Add("/bin/a", 200, 4096);
  const Crash a3 = Add("/bin/a", 300, 4096);
  const Crash b1 = Add("/bin/b", 50, 4096);
  // A file without a row (old enough), and a row whose file is gone.
  {
    std::ofstream(dir_ + "/store/orphan.core.zst") << "x";
    struct timespec old[2] = {{1, 0}, {1, 0}};
    ::utimensat(AT_FDCWD, (dir_ + "/store/orphan.core.zst").c_str(), old, 0);
  }
  const Crash lost = Add("/bin/c", 400, 4096);
  fs::remove(dir_ + "/store/" + lost.core_file);
  Limits limits;
  limits.max_use_percent = 0;
  limits.keep_free_percent = 0;
  limits.max_use = 2 * 4096;  // room for two of the four cores left
  auto report = store_->Vacuum(limits, 1000);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->orphan_files, 1u);
  EXPECT_EQ(report->lost_files, 1u);
  EXPECT_EQ(report->removed_cores, 2u);
  EXPECT_FALSE(fs::exists(dir_ + "/store/orphan.core.zst"));
  // /bin/a had the most: its two oldest went, b's older core stayed.
  EXPECT_EQ(store_->Find(a1.id, std::nullopt)->core, "none");
  EXPECT_EQ(store_->Find(a2.id, std::nullopt)->core, "none");
  EXPECT_EQ(store_->Find(a3.id, std::nullopt)->core, "present");
  EXPECT_EQ(store_->Find(b1.id, std::nullopt)->core, "present");
  EXPECT_FALSE(fs::exists(dir_ + "/store/" + a1.core_file));
  const Crash after = *store_->Find(lost.id, std::nullopt);
  EXPECT_EQ(after.core, "none");
  EXPECT_NE(after.core_reason->find("lost"), std::string::npos);
  // The rows stay: every crash is still listed, and says why it has no core.
  EXPECT_EQ(store_->List({})->size(), 5u);
}

TEST_F(StoreTest, VacuumRemovesRowsPastTheMaximumAge) {
  Add("/bin/a", 100, 4096);
  Add("/bin/a", 900, 4096);
  Limits limits;
  limits.max_use_percent = 0;
  limits.keep_free_percent = 0;
  limits.max_age = 500;
  auto report = store_->Vacuum(limits, 1000);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->removed_rows, 1u);
  EXPECT_EQ(store_->List({})->size(), 1u);
}

TEST_F(StoreTest, GroupsBySignature) {
  Crash c = Add("/bin/a", 100, 0);
  c.signature = "f | g";
  ASSERT_TRUE(store_->Update(c));
  Crash d = Add("/bin/b", 200, 0);
  d.signature = "f | g";
  ASSERT_TRUE(store_->Update(d));
  auto groups = store_->Groups(std::nullopt);
  ASSERT_TRUE(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].count, 2u);
  EXPECT_EQ((*groups)[0].first_seen, 100);
  EXPECT_EQ((*groups)[0].last_seen, 200);
  EXPECT_EQ((*groups)[0].executables.size(), 2u);
}

TEST_F(StoreTest, RefusesASymlinkedStoreAndANewerSchema) {
  fs::create_symlink(dir_ + "/store", dir_ + "/link");
  EXPECT_FALSE(Store::Open(dir_ + "/link", Access::kRead));
  store_.reset();
  ASSERT_EQ(std::system(("sqlite3 " + dir_ + "/store/index.sqlite 'PRAGMA user_version = 99' 2>/dev/null || true").c_str()), 0);
  auto reopened = Store::Open(dir_ + "/store", Access::kWrite);
  if (fs::exists("/usr/bin/sqlite3")) {
    ASSERT_FALSE(reopened);
    EXPECT_NE(reopened.error().message.find("newer"), std::string::npos);
  }
}

}  // namespace
}  // namespace corekit::store
