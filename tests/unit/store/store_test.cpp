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

TEST_F(StoreTest, PagesGroupsInTheOrderAskedWithTheirHostsAndCountsPerDay) {
  const std::int64_t day = 20000;  // days since the epoch
  auto add = [&](const char* exe, const char* host, const char* signature, std::int64_t time, int signal) {
    Crash c = Add(exe, time, 0);
    c.hostname = host;
    c.signature = signature;
    c.signal = signal;
    ASSERT_TRUE(store_->Update(c));
  };
  add("/bin/a", "h1", "a | b", day * 86400 + 10, 11);
  add("/bin/a", "h2", "a | b", day * 86400 + 20, 11);
  add("/bin/a,comma", "h2", "a | b", (day + 2) * 86400, 11);
  add("/bin/c", "h1", "c", (day + 1) * 86400, 6);
  add("/bin/d", "", "d", (day - 5) * 86400, 11);
  GroupQuery q;
  q.limit = 2;
  auto page = store_->Groups(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 3u);
  ASSERT_EQ(page->groups.size(), 2u);
  EXPECT_EQ(page->groups[0].signature, "a | b");
  EXPECT_EQ(page->groups[0].count, 3u);
  EXPECT_EQ(page->groups[0].executables, (std::vector<std::string>{"/bin/a", "/bin/a,comma"}));
  EXPECT_EQ(page->groups[0].hosts, (std::vector<std::string>{"h1", "h2"}));
  q.offset = 2;
  page = store_->Groups(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->groups.size(), 1u);
  q = GroupQuery{};
  q.order = GroupOrder::kFirstSeen;
  page = store_->Groups(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->groups[0].signature, "c");  // the newest first appearance
  EXPECT_TRUE(page->groups.back().hosts.empty());
  q.filter.signal = 6;
  page = store_->Groups(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->groups.size(), 1u);
  EXPECT_EQ(page->groups[0].signature, "c");
  q.filter = Filter{};
  q.filter.host = "h2";
  page = store_->Groups(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->groups.size(), 1u);
  EXPECT_EQ(page->groups[0].count, 2u);

  auto per_day = store_->DailyCounts({"a | b", "c", "d"}, Filter{}, day, 3);
  ASSERT_TRUE(per_day);
  EXPECT_EQ((*per_day)[0], (std::vector<std::size_t>{2, 0, 1}));
  EXPECT_EQ((*per_day)[1], (std::vector<std::size_t>{0, 1, 0}));
  EXPECT_EQ((*per_day)[2], (std::vector<std::size_t>{0, 0, 0}));  // before the window

  auto newest = store_->Page(Filter{}, 2, 0);
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].executable, "/bin/a,comma");
  EXPECT_EQ((*newest)[1].executable, "/bin/c");
  auto rest = store_->Page(Filter{}, 10, 2);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->size(), 3u);
  EXPECT_EQ(*store_->Count(Filter{}), 5u);
}

TEST_F(StoreTest, StoresAnUploadOnceWhateverTheRetries) {
  Crash c;
  c.id = *store_->NewId();
  c.time = 100;
  c.upload_id = "host:abc:1";
  c.analysis_pending = true;
  auto first = store_->InsertUpload(c);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(*first);
  Crash retry = c;
  retry.id = *store_->NewId();
  auto second = store_->InsertUpload(retry);
  ASSERT_TRUE(second);
  ASSERT_TRUE(*second);
  EXPECT_EQ((*second)->id, c.id);
  EXPECT_EQ(*store_->Count(Filter{}), 1u);
  auto pending = store_->PendingAnalysis(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].upload_id, c.upload_id);
  c.analysis_pending = false;
  ASSERT_TRUE(store_->Update(c));
  EXPECT_TRUE(store_->PendingAnalysis(10)->empty());
  Crash no_id = c;
  no_id.upload_id.reset();
  EXPECT_FALSE(store_->InsertUpload(no_id));
}

TEST_F(StoreTest, QueuesUploadsOnceBacksThemOffAndForgetsRemovedCrashes) {
  const Crash a = Add("/bin/a", 100, 10), b = Add("/bin/b", 200, 10);
  ASSERT_TRUE(store_->QueueUpload(b.id, 200));
  ASSERT_TRUE(store_->QueueUpload(a.id, 100));
  ASSERT_TRUE(store_->QueueUpload(a.id, 300));  // queued once
  auto queue = store_->UploadQueue();
  ASSERT_TRUE(queue) << queue.error().message;
  ASSERT_EQ(queue->size(), 2u);
  EXPECT_EQ((*queue)[0].id, a.id);  // oldest first
  EXPECT_EQ((*queue)[0].next_attempt, 100);
  ASSERT_TRUE(store_->UploadFailed(a.id, 160, "cannot reach http://127.0.0.1:1: Connection"));
  queue = store_->UploadQueue();
  EXPECT_EQ((*queue)[0].attempts, 1u);
  EXPECT_EQ((*queue)[0].next_attempt, 160);
  EXPECT_EQ((*queue)[0].last_error.rfind("cannot reach", 0), 0u);
  ASSERT_TRUE(store_->UploadDone(a.id));
  ASSERT_TRUE(store_->Remove(b));  // vacuumed or rm'd: nothing left to send
  EXPECT_TRUE(store_->UploadQueue()->empty());
  // One worker at a time; the lock file is the store's own, not an orphan for vacuum.
  auto first = store_->TryLockUploads();
  ASSERT_TRUE(first);
  ASSERT_GE(*first, 0);
  auto again = Store::Open(dir_ + "/store", Access::kWrite);
  ASSERT_TRUE(again);
  auto second = (*again)->TryLockUploads();
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, -1);
  ::close(*first);
  auto third = (*again)->TryLockUploads();
  ASSERT_TRUE(third);
  EXPECT_GE(*third, 0);
  ::close(*third);
  ASSERT_TRUE(store_->Vacuum(Limits{}, std::time(nullptr) + 3600));
  EXPECT_TRUE(fs::exists(dir_ + "/store/" + kUploadLockFile));
}

TEST_F(StoreTest, AReaderUpgradesAnOlderIndexWhenItMayWrite) {
  store_.reset();
  if (!fs::exists("/usr/bin/sqlite3")) GTEST_SKIP() << "no sqlite3 command to make a version-1 index";
  // A version-1 index, as corekit 0.1's handler wrote it.
  fs::remove(dir_ + "/store/index.sqlite");
  const std::string v1 =
      "CREATE TABLE crashes(id TEXT PRIMARY KEY, time INTEGER NOT NULL, pid INTEGER, host_pid INTEGER, tid INTEGER, "
      "uid INTEGER, gid INTEGER, signal INTEGER, signal_code INTEGER, executable TEXT NOT NULL DEFAULT '', comm TEXT "
      "NOT NULL DEFAULT '', command_line TEXT NOT NULL DEFAULT '', hostname TEXT NOT NULL DEFAULT '', container TEXT, "
      "container_runtime TEXT, dumpable INTEGER NOT NULL DEFAULT 1, core TEXT NOT NULL, core_reason TEXT, core_bytes "
      "INTEGER NOT NULL DEFAULT 0, core_size INTEGER NOT NULL DEFAULT 0, core_file TEXT NOT NULL DEFAULT '', "
      "compact_file TEXT NOT NULL DEFAULT '', details_file TEXT NOT NULL DEFAULT '', signature TEXT, report_kind TEXT, "
      "analysis_error TEXT, handler_pid INTEGER); CREATE INDEX crashes_time ON crashes(time); CREATE INDEX "
      "crashes_executable ON crashes(executable, time); CREATE INDEX crashes_signature ON crashes(signature); CREATE "
      "TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO crashes(id, time, core, executable) "
      "VALUES('0123456789', 5, 'none', '/bin/old'); PRAGMA user_version = 1;";
  ASSERT_EQ(std::system(("sqlite3 " + dir_ + "/store/index.sqlite \"" + v1 + "\"").c_str()), 0);
  auto reader = Store::Open(dir_ + "/store", Access::kRead);
  ASSERT_TRUE(reader) << reader.error().message;
  auto all = (*reader)->List(Filter{});
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].executable, "/bin/old");
  EXPECT_FALSE((*all)[0].upload_id);
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
