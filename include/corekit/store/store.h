// The crash store: a directory of stored cores and their index, one SQLite database beside them.
//
// One lifecycle for files and rows: a core is written to an unnamed file in the store
// (O_TMPFILE) and linked under its final name only when complete; its row is written after the
// link, and `Vacuum` removes a file without a row and says of a row whose file is gone that it
// is gone. Nothing in the store is reached through a symbolic link: every file is opened relative
// to the directory's descriptor with O_NOFOLLOW, and the database with SQLITE_OPEN_NOFOLLOW.
//
// The index is written by many handlers at once (WAL mode, a busy timeout, the admission of a
// crash under the rate limits in one IMMEDIATE transaction). Crashes of other users are
// filtered out of what a viewer who is not root is shown (Filter::viewer).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/store/directory.h"

namespace corekit::store {

// What the store holds of a crash's core: "receiving" while a handler streams it, then
// "present" (whole), "compact" (only what a post-mortem needs), "truncated" (cut at a limit), or
// "none" with the reason in `core_reason`.
struct Crash {
  std::string id;          // short, stable: 10 hex digits
  std::int64_t time = 0;   // the crash, seconds since the epoch (the kernel's %t)
  std::optional<std::int64_t> pid;       // in the process's own pid namespace
  std::optional<std::int64_t> host_pid;  // in the initial pid namespace
  std::optional<std::int64_t> tid;       // the thread that took the signal (host)
  std::optional<std::int64_t> uid, gid;
  std::optional<int> signal;
  std::optional<int> signal_code;
  std::string executable;    // as the process's own mount namespace names it
  std::string comm;
  std::string command_line;  // arguments joined by spaces
  std::string hostname;
  std::optional<std::string> container;          // id, from the cgroup path
  std::optional<std::string> container_runtime;  // docker, podman, containerd, kubepods
  bool dumpable = true;      // the kernel's %d: 0 makes the core root's alone
  std::string core = "none";
  std::optional<std::string> core_reason;
  std::uint64_t core_bytes = 0;   // on disk
  std::uint64_t core_size = 0;    // the core as the kernel wrote it
  std::string core_file;          // name in the store, or ""
  std::string compact_file;       // name in the store, or ""
  std::optional<std::string> signature;
  std::optional<std::string> report_kind;
  std::optional<std::string> analysis_error;  // the analysis failed or timed out
  std::optional<std::int64_t> handler_pid;     // while receiving
  std::string details_file;       // ID.json: the /proc snapshot and the report
  std::optional<std::string> upload_id;  // the uploader's id for it: a retry finds this row
  bool analysis_pending = false;  // uploaded, not yet analysed by the server
};

struct Filter {
  std::optional<std::int64_t> since, until;
  std::optional<std::size_t> limit;  // the newest N
  std::optional<std::string> executable, comm, signature;
  std::optional<std::string> host;   // hostname
  std::optional<std::int64_t> pid;
  std::optional<int> signal;
  std::optional<uid_t> viewer;       // not root: only this uid's crashes
};

// Who is reading the store: nullopt for root (every crash), else the caller's real uid (only
// their crashes), as Filter::viewer and Find take it.
std::optional<uid_t> CallingViewer();

// A time as the filters take it: "2026-12-02", "2026-12-02T10:00[:00][Z]", "2026-12-02 10:00"
// (UTC), "-2h" / "-30m" / "-7d" (ago), or seconds since the epoch.
Result<std::int64_t> ParseTime(const std::string& text);

struct Group {
  std::string signature;
  std::size_t count = 0;
  std::int64_t first_seen = 0, last_seen = 0;
  std::vector<std::string> executables;  // sorted, distinct
  std::vector<std::string> hosts;        // hostnames: sorted, distinct, "" left out
};

enum class GroupOrder { kCount, kLastSeen, kFirstSeen };

// One page of groups, for the server's pages and API.
struct GroupQuery {
  Filter filter;  // limit is ignored: the page is `limit` groups from `offset`
  GroupOrder order = GroupOrder::kCount;
  std::size_t limit = 50, offset = 0;
};
// The file in the store whose lock says an upload worker is draining the queue.
inline constexpr const char* kUploadLockFile = "upload.lock";

// A crash waiting to be sent to a collector (`corekit handler install --upload`).
struct QueuedUpload {
  std::string id;
  std::int64_t queued = 0;        // when the handler queued it
  unsigned attempts = 0;          // failed so far
  std::int64_t next_attempt = 0;  // not before (the backoff)
  std::string last_error;
};

struct GroupPage {
  std::vector<Group> groups;
  std::size_t total = 0;  // groups matching the filter
};

// The store's limits, kept in the index (settings table): `handler install` writes them, every
// handler reads them. 0 means no limit.
struct Limits {
  std::uint64_t max_use = 0;          // bytes of cores in all
  unsigned max_use_percent = 10;      // of the file system's size
  std::uint64_t keep_free = 0;        // bytes the file system keeps free
  unsigned keep_free_percent = 15;
  std::uint64_t max_core_size = 0;    // one core; over it only the compact core is kept
  std::int64_t max_age = 0;           // seconds
  unsigned rate_per_exe = 10;         // crashes stored per executable per window
  unsigned rate_global = 50;          // crashes stored per window
  std::int64_t rate_window = 60;      // seconds
  std::int64_t analysis_timeout = 60; // seconds the handler's analysis may take
};

struct Admission {
  bool store = true;             // false: the rate limit holds; the row says so
  std::size_t suppressed = 0;    // crashes of this executable suppressed earlier in the window
};

struct Usage {
  std::uint64_t core_bytes = 0;       // the store's files
  std::uint64_t fs_size = 0, fs_free = 0;
  std::size_t crashes = 0;
};

struct VacuumReport {
  std::size_t removed_cores = 0, removed_rows = 0, orphan_files = 0, lost_files = 0, stale_rows = 0;
  std::uint64_t freed_bytes = 0;
};

class Store {
 public:
  // $COREKIT_STORE, else /var/lib/corekit.
  static std::string DefaultPath();
  // kWrite creates the directory (0755) and the index when missing.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, Access access);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return files_->path(); }
  int dir_fd() const { return files_->fd(); }

  // A new id, unused in the index.
  Result<std::string> NewId();
  Result<void> Insert(const Crash& crash);
  Result<void> Update(const Crash& crash);
  // Inserts `crash` as the rate limits allow: store=false rows get core "none" and the reason.
  Result<Admission> Admit(Crash& crash, const Limits& limits);
  Result<std::vector<Crash>> List(const Filter& filter);
  // The same rows, one at a time (nothing kept: `crashes list` over many thousands).
  Result<void> Each(const Filter& filter, const std::function<void(const Crash&)>& visit);
  // "ID", an unambiguous prefix of one, or "last" (the newest the viewer may see).
  Result<Crash> Find(std::string_view id, std::optional<uid_t> viewer);
  Result<std::vector<Group>> Groups(std::optional<uid_t> viewer);
  Result<GroupPage> Groups(const GroupQuery& query);
  // Crashes per UTC day of each signature, for the days [first_day, first_day + days) (day =
  // time / 86400), under the filter's other conditions.
  Result<std::vector<std::vector<std::size_t>>> DailyCounts(const std::vector<std::string>& signatures,
                                                            const Filter& filter, std::int64_t first_day,
                                                            std::size_t days);
  // Newest first: `limit` crashes from `offset` (filter.limit ignored), and how many match.
  Result<std::vector<Crash>> Page(const Filter& filter, std::size_t limit, std::size_t offset);
  Result<std::size_t> Count(const Filter& filter);
  // Inserts an uploaded crash (upload_id set) unless a crash with its upload_id is stored: then
  // returns that one, and inserts nothing.
  Result<std::optional<Crash>> InsertUpload(const Crash& crash);
  // The crash an upload with this id stored, if any.
  Result<std::optional<Crash>> FindUpload(const std::string& upload_id);
  // Uploaded crashes whose analysis has not run, oldest first.
  Result<std::vector<Crash>> PendingAnalysis(std::size_t limit);
  // Removes the crash's files, its row and its place in the upload queue.
  Result<void> Remove(const Crash& crash);

  // The upload queue: crashes the handler stored and the upload worker has yet to send. A
  // crash is queued once; done (or removed) leaves the queue.
  Result<void> QueueUpload(const std::string& id, std::int64_t now);
  Result<std::vector<QueuedUpload>> UploadQueue();  // oldest first
  Result<void> UploadFailed(const std::string& id, std::int64_t next_attempt, const std::string& error);
  Result<void> UploadDone(const std::string& id);
  // Every commit synced to disk before it returns (SQLite's synchronous=FULL), where the store's
  // default (NORMAL, in WAL mode) may lose the last commits to a power loss, never to a crash.
  Result<void> SyncEveryCommit() { return Exec("PRAGMA synchronous=FULL;"); }
  // The upload worker's lock (kUploadLockFile, flock): its descriptor, which holds it until
  // closed, or -1 when another worker holds it.
  Result<int> TryLockUploads();

  // Other settings (the kernel's values before `handler install`), by key.
  Result<std::optional<std::string>> Setting(const std::string& key);
  Result<void> SetSetting(const std::string& key, const std::optional<std::string>& value);

  Result<Limits> ReadLimits();
  Result<void> WriteLimits(const Limits& limits);
  Result<Usage> ReadUsage();
  // Repairs rows and files both ways, then applies the age and size limits: the oldest cores of
  // the executable with the most stored go first.
  Result<VacuumReport> Vacuum(const Limits& limits, std::int64_t now);

  // Files: the directory's (directory.h).
  Directory& files() { return *files_; }
  const Directory& files() const { return *files_; }
  Result<int> CreateUnnamed() { return files_->CreateUnnamed(); }
  Result<void> Publish(int fd, const std::string& name) { return files_->Publish(fd, name); }
  Result<int> OpenFile(const std::string& name) const { return files_->OpenFile(name); }
  // The core of a stored crash ("ID", a prefix, "last"), opened for reading: its whole core, else
  // its compact one. The caller owns the descriptor. Errors: kNotInCore when the crash has no
  // stored core (the message says why), those of Find.
  Result<int> OpenCore(std::string_view id, std::optional<uid_t> viewer);
  Result<std::uint64_t> FileBytes(const std::string& name) const { return files_->FileBytes(name); }
  void RemoveFile(const std::string& name) { files_->RemoveFile(name); }
  void Protect(int fd, std::optional<std::int64_t> uid, bool share) { files_->Protect(fd, uid, share); }

 private:
  Store(std::unique_ptr<Directory> files, void* db);
  Result<void> Exec(const char* sql);
  Result<void> Migrate();
  std::unique_ptr<Directory> files_;
  void* db_;  // sqlite3*
};

inline Result<void> WriteWholeFile(Store& store, const std::string& name, std::string_view text,
                                   std::optional<std::int64_t> uid, bool share) {
  return WriteWholeFile(store.files(), name, text, uid, share);
}

}  // namespace corekit::store
