#include "corekit/store/store.h"

#include "corekit/base/io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <random>
#include <variant>

namespace corekit::store {
namespace {

sqlite3* Db(void* db) { return static_cast<sqlite3*>(db); }

Error SqlError(sqlite3* db, const std::string& what) {
  return Error{Errc::kIo, "crash store index: " + what + ": " + sqlite3_errmsg(db)};
}

// A prepared statement, bound by position, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  bool ok() const { return stmt_ != nullptr; }
  Statement& Bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(std::int64_t v) {
    sqlite3_bind_int64(stmt_, ++n_, v);
    return *this;
  }
  template <typename T>
  Statement& Bind(const std::optional<T>& v) {
    if (v) return Bind(static_cast<std::conditional_t<std::is_integral_v<T>, std::int64_t, std::string>>(*v));
    sqlite3_bind_null(stmt_, ++n_);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::int64_t Int(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool Null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string Text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }
  std::optional<std::int64_t> OptInt(int i) const { return Null(i) ? std::nullopt : std::optional(Int(i)); }
  std::optional<std::string> OptText(int i) const { return Null(i) ? std::nullopt : std::optional(Text(i)); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int n_ = 0;
};

// Schema versions, applied in order at open (PRAGMA user_version says how many are).
constexpr const char* kMigrations[] = {
    R"(CREATE TABLE crashes(
         id TEXT PRIMARY KEY, time INTEGER NOT NULL,
         pid INTEGER, host_pid INTEGER, tid INTEGER, uid INTEGER, gid INTEGER,
         signal INTEGER, signal_code INTEGER,
         executable TEXT NOT NULL DEFAULT '', comm TEXT NOT NULL DEFAULT '',
         command_line TEXT NOT NULL DEFAULT '', hostname TEXT NOT NULL DEFAULT '',
         container TEXT, container_runtime TEXT, dumpable INTEGER NOT NULL DEFAULT 1,
         core TEXT NOT NULL, core_reason TEXT, core_bytes INTEGER NOT NULL DEFAULT 0,
         core_size INTEGER NOT NULL DEFAULT 0, core_file TEXT NOT NULL DEFAULT '',
         compact_file TEXT NOT NULL DEFAULT '', details_file TEXT NOT NULL DEFAULT '',
         signature TEXT, report_kind TEXT, analysis_error TEXT, handler_pid INTEGER);
       CREATE INDEX crashes_time ON crashes(time);
       CREATE INDEX crashes_executable ON crashes(executable, time);
       CREATE INDEX crashes_signature ON crashes(signature);
       CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);)",
    // 2: crashes uploaded to `corekit serve`: the client's id of the upload (a retry finds its
    // crash), and whether the server's analysis is still to run.
    // The (signature, time) index serves the groups page's counts per day.
    R"(ALTER TABLE crashes ADD COLUMN upload_id TEXT;
       ALTER TABLE crashes ADD COLUMN analysis_pending INTEGER NOT NULL DEFAULT 0;
       CREATE UNIQUE INDEX crashes_upload ON crashes(upload_id) WHERE upload_id IS NOT NULL;
       CREATE INDEX crashes_pending ON crashes(analysis_pending) WHERE analysis_pending != 0;
       CREATE INDEX crashes_signature_time ON crashes(signature, time);
       DROP INDEX crashes_signature;)",
    // 3: crashes still to be sent to a collector (`handler install --upload`): the spool the
    // upload worker drains, with its backoff. The groups page's executables and hosts of a
    // signature come from one covering index (a scan of every row otherwise: 0.3 s at 100 000).
    R"(CREATE TABLE upload_queue(
         id TEXT PRIMARY KEY, queued INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt INTEGER NOT NULL DEFAULT 0, last_error TEXT);
       CREATE INDEX crashes_signature_names ON crashes(signature, executable, hostname);)",
};

constexpr std::int64_t kSchemaVersion = std::size(kMigrations);

constexpr const char* kColumns =
    "id, time, pid, host_pid, tid, uid, gid, signal, signal_code, executable, comm, command_line, hostname, "
    "container, container_runtime, dumpable, core, core_reason, core_bytes, core_size, core_file, compact_file, "
    "details_file, signature, report_kind, analysis_error, handler_pid, upload_id, analysis_pending";
constexpr int kColumnCount = 29;

Crash ReadCrash(const Statement& s) {
  Crash c;
  int i = 0;
  c.id = s.Text(i++);
  c.time = s.Int(i++);
  c.pid = s.OptInt(i++);
  c.host_pid = s.OptInt(i++);
  c.tid = s.OptInt(i++);
  c.uid = s.OptInt(i++);
  c.gid = s.OptInt(i++);
  if (auto v = s.OptInt(i++)) c.signal = static_cast<int>(*v);
  if (auto v = s.OptInt(i++)) c.signal_code = static_cast<int>(*v);
  c.executable = s.Text(i++);
  c.comm = s.Text(i++);
  c.command_line = s.Text(i++);
  c.hostname = s.Text(i++);
  c.container = s.OptText(i++);
  c.container_runtime = s.OptText(i++);
  c.dumpable = s.Int(i++) != 0;
  c.core = s.Text(i++);
  c.core_reason = s.OptText(i++);
  c.core_bytes = static_cast<std::uint64_t>(s.Int(i++));
  c.core_size = static_cast<std::uint64_t>(s.Int(i++));
  c.core_file = s.Text(i++);
  c.compact_file = s.Text(i++);
  c.details_file = s.Text(i++);
  c.signature = s.OptText(i++);
  c.report_kind = s.OptText(i++);
  c.analysis_error = s.OptText(i++);
  c.handler_pid = s.OptInt(i++);
  c.upload_id = s.OptText(i++);
  c.analysis_pending = s.Int(i++) != 0;
  return c;
}

void BindCrash(Statement& s, const Crash& c) {
  s.Bind(c.id).Bind(c.time).Bind(c.pid).Bind(c.host_pid).Bind(c.tid).Bind(c.uid).Bind(c.gid);
  s.Bind(c.signal ? std::optional<std::int64_t>(*c.signal) : std::nullopt);
  s.Bind(c.signal_code ? std::optional<std::int64_t>(*c.signal_code) : std::nullopt);
  s.Bind(c.executable).Bind(c.comm).Bind(c.command_line).Bind(c.hostname).Bind(c.container).Bind(c.container_runtime);
  s.Bind(std::int64_t{c.dumpable}).Bind(c.core).Bind(c.core_reason);
  s.Bind(static_cast<std::int64_t>(c.core_bytes)).Bind(static_cast<std::int64_t>(c.core_size));
  s.Bind(c.core_file).Bind(c.compact_file).Bind(c.details_file).Bind(c.signature).Bind(c.report_kind);
  s.Bind(c.analysis_error).Bind(c.handler_pid).Bind(c.upload_id).Bind(std::int64_t{c.analysis_pending});
}

// "?1, ?2, ..., ?N": the crash's values by position (an UPDATE binds the id, ?1, twice).
std::string Placeholders() {
  std::string out;
  for (int i = 1; i <= kColumnCount; ++i) out += (i > 1 ? ", ?" : "?") + std::to_string(i);
  return out;
}

// The WHERE clause of a filter, with its values in order.
struct Where {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> values;
  void Add(const std::string& condition, std::variant<std::int64_t, std::string> value) {
    sql += (sql.empty() ? " WHERE " : " AND ") + condition;
    values.push_back(std::move(value));
  }
  void BindTo(Statement& s) const {
    for (const auto& v : values) std::visit([&](const auto& x) { s.Bind(x); }, v);
  }
};

Where WhereOf(const Filter& f) {
  Where w;
  if (f.since) w.Add("time >= ?", *f.since);
  if (f.until) w.Add("time <= ?", *f.until);
  if (f.executable) w.Add("executable = ?", *f.executable);
  if (f.comm) w.Add("comm = ?", *f.comm);
  if (f.signature) w.Add("signature = ?", *f.signature);
  if (f.pid) w.Add("? IN (pid, host_pid)", *f.pid);
  if (f.host) w.Add("hostname = ?", *f.host);
  if (f.signal) w.Add("signal = ?", std::int64_t{*f.signal});
  if (f.viewer) w.Add("uid = ?", static_cast<std::int64_t>(*f.viewer));
  return w;
}

Error Errno(const std::string& what) { return Error{Errc::kIo, what + ": " + std::strerror(errno)}; }

}  // namespace

Result<std::int64_t> ParseTime(const std::string& text) {
  if (text.empty()) return Unexpected(Errc::kInvalidArgument, "empty time");
  char* end = nullptr;
  if (text[0] == '-') {
    const long long n = std::strtoll(text.c_str() + 1, &end, 10);
    const std::string unit = end;
    const std::int64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
    if (scale == 0 || n < 0) return Unexpected(Errc::kInvalidArgument, "bad time: " + text + " (e.g. -2h, -30m, -7d)");
    return static_cast<std::int64_t>(std::time(nullptr)) - n * scale;
  }
  if (text.find_first_not_of("0123456789") == std::string::npos) return std::strtoll(text.c_str(), nullptr, 10);
  std::tm tm{};
  int fields = std::sscanf(text.c_str(), "%d-%d-%d%*[T ]%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                           &tm.tm_min, &tm.tm_sec);
  if (fields < 3) return Unexpected(Errc::kInvalidArgument, "bad time: " + text + " (YYYY-MM-DD[THH:MM[:SS]], UTC)");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string Store::DefaultPath() {
  const char* env = std::getenv("COREKIT_STORE");
  return env && *env ? env : "/var/lib/corekit";
}

Store::Store(std::unique_ptr<Directory> files, void* db) : files_(std::move(files)), db_(db) {}

Store::~Store() { sqlite3_close_v2(Db(db_)); }

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, Access access) {
  auto files = Directory::Open(dir, access);
  if (!files) return Unexpected(files.error());
  const int fd = (*files)->fd();
  const std::string index = dir + "/index.sqlite";
  if (access == Access::kRead && ::faccessat(fd, "index.sqlite", R_OK, AT_SYMLINK_NOFOLLOW) != 0) {
    return Unexpected(Errno("cannot read the crash store's index " + index));
  }
  // A reader of an index an older corekit wrote upgrades it first when it may write it (root),
  // so that reading never depends on a crash having been caught since the upgrade.
  if (access == Access::kRead && ::faccessat(fd, "index.sqlite", W_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    sqlite3* probe = nullptr;
    std::int64_t version = kSchemaVersion;
    if (sqlite3_open_v2(index.c_str(), &probe, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, nullptr) == SQLITE_OK) {
      Statement v(probe, "PRAGMA user_version");
      if (v.ok() && v.Step() == SQLITE_ROW) version = v.Int(0);
    }
    sqlite3_close_v2(probe);
    if (version < kSchemaVersion) {
      auto writer = Open(dir, Access::kWrite);
      if (!writer) {
        return Unexpected(writer.error());
      }
    }
  }
  sqlite3* db = nullptr;
  const int flags = (access == Access::kWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;  // one thread per Store
  if (sqlite3_open_v2(index.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Error e = SqlError(db, "cannot open " + index);
    sqlite3_close_v2(db);
    return Unexpected(e);
  }
  auto store = std::unique_ptr<Store>(new Store(std::move(*files), db));
  sqlite3_busy_timeout(db, 10000);  // many handlers at once wait for each other, not fail
  if (access == Access::kWrite) {
    ::fchmodat(fd, "index.sqlite", 0644, 0);
    if (auto w = store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !w) return Unexpected(w.error());
    if (auto m = store->Migrate(); !m) return Unexpected(m.error());
  }
  return store;
}

Result<void> Store::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(Db(db_), sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "failed";
    sqlite3_free(message);
    return Unexpected(Errc::kIo, "crash store index: " + text);
  }
  return {};
}

Result<void> Store::Migrate() {
  if (auto b = Exec("BEGIN IMMEDIATE"); !b) return b;
  std::int64_t have = 0;
  {
    // Finalized before the migrations run: DROP INDEX refuses while a statement is open.
    Statement version(Db(db_), "PRAGMA user_version");
    if (version.ok() && version.Step() == SQLITE_ROW) have = version.Int(0);
  }
  constexpr std::int64_t kWant = kSchemaVersion;
  if (have > kWant) {
    (void)Exec("ROLLBACK");
    return Unexpected(Errc::kUnsupported, "the crash store's index is version " + std::to_string(have) +
                                              ", newer than this corekit knows (" + std::to_string(kWant) + ")");
  }
  for (std::int64_t v = have; v < kWant; ++v) {
    if (auto m = Exec(kMigrations[v]); !m) {
      (void)Exec("ROLLBACK");
      return m;
    }
  }
  if (have < kWant) (void)Exec(("PRAGMA user_version = " + std::to_string(kWant)).c_str());
  return Exec("COMMIT");
}

Result<std::string> Store::NewId() {
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::uint64_t n = (std::uint64_t{random()} << 32 | random()) & 0xffffffffffull;
    char text[11];
    std::snprintf(text, sizeof text, "%010llx", static_cast<unsigned long long>(n));
    Statement s(Db(db_), "SELECT 1 FROM crashes WHERE id = ?");
    if (!s.ok()) return Unexpected(SqlError(Db(db_), "lookup"));
    s.Bind(std::string(text));
    if (s.Step() != SQLITE_ROW) return std::string(text);
  }
  return Unexpected(Errc::kIo, "crash store: no free id");
}

Result<void> Store::Insert(const Crash& crash) {
  Statement s(Db(db_), std::string("INSERT INTO crashes(") + kColumns + ") VALUES(" + Placeholders() + ")");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "insert"));
  BindCrash(s, crash);
  if (s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "insert"));
  return {};
}

Result<void> Store::Update(const Crash& crash) {
  Statement s(Db(db_), std::string("UPDATE crashes SET (") + kColumns + ") = (" + Placeholders() + ") WHERE id = ?1");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "update"));
  BindCrash(s, crash);
  if (s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "update"));
  return {};
}

Result<Admission> Store::Admit(Crash& crash, const Limits& limits) {
  // Count and insert in one IMMEDIATE transaction, so that handlers running at once cannot all
  // see room for one more.
  if (auto b = Exec("BEGIN IMMEDIATE"); !b) return Unexpected(b.error());
  Admission admission;
  auto count = [&](const char* sql, bool by_exe) -> std::int64_t {
    Statement s(Db(db_), sql);
    if (!s.ok()) return 0;
    s.Bind(crash.time - limits.rate_window);
    if (by_exe) s.Bind(crash.executable);
    return s.Step() == SQLITE_ROW ? s.Int(0) : 0;
  };
  const char* stored_sql = "SELECT count(*) FROM crashes WHERE time > ? AND executable = ? AND core != 'none'";
  const std::int64_t of_exe = count(stored_sql, true);
  const std::int64_t all = count("SELECT count(*) FROM crashes WHERE time > ? AND core != 'none'", false);
  admission.suppressed = static_cast<std::size_t>(count(
      "SELECT count(*) FROM crashes WHERE time > ? AND executable = ? AND core_reason LIKE 'rate limit%'", true));
  if (limits.rate_per_exe > 0 && of_exe >= limits.rate_per_exe) {
    admission.store = false;
    crash.core = "none";
    crash.core_reason = "rate limit: " + std::to_string(of_exe) + " crashes of this executable stored in " +
                        std::to_string(limits.rate_window) + " s";
  } else if (limits.rate_global > 0 && all >= limits.rate_global) {
    admission.store = false;
    crash.core = "none";
    crash.core_reason = "rate limit: " + std::to_string(all) + " crashes stored in " +
                        std::to_string(limits.rate_window) + " s";
  }
  if (auto i = Insert(crash); !i) {
    (void)Exec("ROLLBACK");
    return Unexpected(i.error());
  }
  if (auto c = Exec("COMMIT"); !c) return Unexpected(c.error());
  return admission;
}

Result<void> Store::Each(const Filter& filter, const std::function<void(const Crash&)>& visit) {
  const Where where = WhereOf(filter);
  // Newest last, as coredumpctl; -n N takes the newest N.
  std::string sql = std::string("SELECT ") + kColumns + " FROM crashes" + where.sql;
  if (filter.limit) {
    sql = "SELECT * FROM (" + sql + " ORDER BY time DESC, rowid DESC LIMIT " + std::to_string(*filter.limit) +
          ") ORDER BY time, id";
  } else {
    sql += " ORDER BY time, rowid";
  }
  Statement s(Db(db_), sql);
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "list"));
  where.BindTo(s);
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) visit(ReadCrash(s));
  if (rc != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "list"));
  return {};
}

Result<std::vector<Crash>> Store::List(const Filter& filter) {
  std::vector<Crash> crashes;
  auto each = Each(filter, [&](const Crash& c) { crashes.push_back(c); });
  if (!each) return Unexpected(each.error());
  return crashes;
}

Result<Crash> Store::Find(std::string_view id, std::optional<uid_t> viewer) {
  Filter filter;
  filter.viewer = viewer;
  Where where = WhereOf(filter);
  std::string sql = std::string("SELECT ") + kColumns + " FROM crashes" + where.sql;
  if (id == "last") {
    sql += " ORDER BY time DESC, rowid DESC LIMIT 1";
  } else {
    if (id.empty() || id.size() > 10 || id.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
      return Unexpected(Errc::kInvalidArgument, "not a crash id: " + std::string(id) + " (10 hex digits, a prefix, or last)");
    }
    // A range of the primary key, not LIKE (which SQLite cannot look up by index): ids are
    // lower-case hex, and 'g' sorts after every one of its digits.
    if (id.size() == 10) {
      where.Add("id = ?", std::string(id));
    } else {
      where.Add("id >= ?", std::string(id));
      where.Add("id < ?", std::string(id) + "g");
    }
    sql = std::string("SELECT ") + kColumns + " FROM crashes" + where.sql + " LIMIT 2";
  }
  Statement s(Db(db_), sql);
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "find"));
  where.BindTo(s);
  if (s.Step() != SQLITE_ROW) {
    return Unexpected(Errc::kInvalidArgument, id == "last" ? "the crash store holds no crash" + std::string(viewer ? " of yours" : "")
                                                           : "no crash " + std::string(id) + " in the store");
  }
  Crash crash = ReadCrash(s);
  if (s.Step() == SQLITE_ROW) return Unexpected(Errc::kInvalidArgument, "crash id " + std::string(id) + " is ambiguous");
  return crash;
}

Result<std::vector<Group>> Store::Groups(std::optional<uid_t> viewer) {
  GroupQuery query;
  query.filter.viewer = viewer;
  query.limit = std::numeric_limits<std::int32_t>::max();
  auto page = Groups(query);
  if (!page) return Unexpected(page.error());
  return std::move(page->groups);
}

Result<GroupPage> Store::Groups(const GroupQuery& query) {
  Where where = WhereOf(query.filter);
  where.sql += where.sql.empty() ? " WHERE signature IS NOT NULL AND signature != ''" : " AND signature IS NOT NULL AND signature != ''";
  GroupPage page;
  {
    Statement total(Db(db_), "SELECT count(DISTINCT signature) FROM crashes" + where.sql);
    if (!total.ok()) return Unexpected(SqlError(Db(db_), "groups"));
    where.BindTo(total);
    if (total.Step() == SQLITE_ROW) page.total = static_cast<std::size_t>(total.Int(0));
  }
  const char* order = query.order == GroupOrder::kLastSeen    ? "max(time) DESC, count(*) DESC"
                      : query.order == GroupOrder::kFirstSeen ? "min(time) DESC, count(*) DESC"
                                                              : "count(*) DESC, max(time) DESC";
  Statement s(Db(db_), "SELECT signature, count(*), min(time), max(time) FROM crashes" + where.sql +
                           " GROUP BY signature ORDER BY " + order + ", signature LIMIT ? OFFSET ?");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "groups"));
  where.BindTo(s);
  s.Bind(static_cast<std::int64_t>(query.limit)).Bind(static_cast<std::int64_t>(query.offset));
  std::map<std::string, std::size_t> index;
  while (s.Step() == SQLITE_ROW) {
    index[s.Text(0)] = page.groups.size();
    page.groups.push_back(Group{s.Text(0), static_cast<std::size_t>(s.Int(1)), s.Int(2), s.Int(3), {}, {}});
  }
  if (page.groups.empty()) return page;
  // The executables and hosts of the page's groups: distinct values of the rows, exactly (a
  // group_concat's comma may be part of a path).
  std::string in;
  for (std::size_t i = 0; i < page.groups.size(); ++i) in += i ? ",?" : "?";
  for (const char* column : {"executable", "hostname"}) {
    // Sorted here: an ORDER BY would lead SQLite to walk the whole table in that column's order.
    Statement d(Db(db_), std::string("SELECT DISTINCT signature, ") + column + " FROM crashes" + where.sql +
                             " AND signature IN (" + in + ")");
    if (!d.ok()) return Unexpected(SqlError(Db(db_), "groups"));
    where.BindTo(d);
    for (const Group& g : page.groups) d.Bind(g.signature);
    while (d.Step() == SQLITE_ROW) {
      Group& g = page.groups[index[d.Text(0)]];
      std::string value = d.Text(1);
      if (std::string_view(column) == "executable") g.executables.push_back(std::move(value));
      else if (!value.empty()) g.hosts.push_back(std::move(value));
    }
  }
  for (Group& g : page.groups) {
    std::sort(g.executables.begin(), g.executables.end());
    std::sort(g.hosts.begin(), g.hosts.end());
  }
  return page;
}

Result<std::vector<std::vector<std::size_t>>> Store::DailyCounts(const std::vector<std::string>& signatures,
                                                                 const Filter& filter, std::int64_t first_day,
                                                                 std::size_t days) {
  std::vector<std::vector<std::size_t>> counts(signatures.size(), std::vector<std::size_t>(days));
  if (signatures.empty() || days == 0) return counts;
  Filter within = filter;
  within.since = std::max(filter.since.value_or(first_day * 86400), first_day * 86400);
  within.until = std::min(filter.until.value_or(std::numeric_limits<std::int64_t>::max()),
                          (first_day + static_cast<std::int64_t>(days)) * 86400 - 1);
  Where where = WhereOf(within);
  std::map<std::string, std::size_t> index;
  std::string in;
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    index[signatures[i]] = i;
    in += i ? ",?" : "?";
  }
  Statement s(Db(db_), "SELECT signature, time / 86400, count(*) FROM crashes" + where.sql +
                           (where.sql.empty() ? " WHERE" : " AND") + " signature IN (" + in + ") GROUP BY 1, 2");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "daily counts"));
  where.BindTo(s);
  for (const std::string& sig : signatures) s.Bind(sig);
  while (s.Step() == SQLITE_ROW) {
    const std::int64_t day = s.Int(1) - first_day;
    auto it = index.find(s.Text(0));
    if (it != index.end() && day >= 0 && day < static_cast<std::int64_t>(days)) {
      counts[it->second][static_cast<std::size_t>(day)] = static_cast<std::size_t>(s.Int(2));
    }
  }
  return counts;
}

Result<std::vector<Crash>> Store::Page(const Filter& filter, std::size_t limit, std::size_t offset) {
  const Where where = WhereOf(filter);
  Statement s(Db(db_), std::string("SELECT ") + kColumns + " FROM crashes" + where.sql +
                           " ORDER BY time DESC, rowid DESC LIMIT ? OFFSET ?");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "list"));
  where.BindTo(s);
  s.Bind(static_cast<std::int64_t>(limit)).Bind(static_cast<std::int64_t>(offset));
  std::vector<Crash> crashes;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) crashes.push_back(ReadCrash(s));
  if (rc != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "list"));
  return crashes;
}

Result<std::size_t> Store::Count(const Filter& filter) {
  const Where where = WhereOf(filter);
  Statement s(Db(db_), "SELECT count(*) FROM crashes" + where.sql);
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "count"));
  where.BindTo(s);
  if (s.Step() != SQLITE_ROW) return Unexpected(SqlError(Db(db_), "count"));
  return static_cast<std::size_t>(s.Int(0));
}

Result<std::optional<Crash>> Store::FindUpload(const std::string& upload_id) {
  Statement s(Db(db_), std::string("SELECT ") + kColumns + " FROM crashes WHERE upload_id = ?");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "find upload"));
  s.Bind(upload_id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<Crash>();
  if (rc != SQLITE_ROW) return Unexpected(SqlError(Db(db_), "find upload"));
  return std::optional<Crash>(ReadCrash(s));
}

Result<std::optional<Crash>> Store::InsertUpload(const Crash& crash) {
  if (!crash.upload_id) return Unexpected(Errc::kInvalidArgument, "an upload without an upload id");
  // Looked up and inserted in one IMMEDIATE transaction, so that two retries of one upload
  // arriving at once store it once (the unique index would refuse the second anyway).
  if (auto b = Exec("BEGIN IMMEDIATE"); !b) return Unexpected(b.error());
  auto found = FindUpload(*crash.upload_id);
  if (!found || *found) {
    (void)Exec("ROLLBACK");
    return found;
  }
  if (auto i = Insert(crash); !i) {
    (void)Exec("ROLLBACK");
    return Unexpected(i.error());
  }
  if (auto c = Exec("COMMIT"); !c) return Unexpected(c.error());
  return std::optional<Crash>();
}

Result<std::vector<Crash>> Store::PendingAnalysis(std::size_t limit) {
  Statement s(Db(db_), std::string("SELECT ") + kColumns + " FROM crashes WHERE analysis_pending != 0 ORDER BY rowid LIMIT ?");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "pending"));
  s.Bind(static_cast<std::int64_t>(limit));
  std::vector<Crash> crashes;
  while (s.Step() == SQLITE_ROW) crashes.push_back(ReadCrash(s));
  return crashes;
}

Result<void> Store::Remove(const Crash& crash) {
  for (const std::string* name : {&crash.core_file, &crash.compact_file, &crash.details_file}) {
    if (!name->empty()) RemoveFile(*name);
  }
  Statement s(Db(db_), "DELETE FROM crashes WHERE id = ?");
  s.Bind(crash.id);
  if (!s.ok() || s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "remove"));
  return UploadDone(crash.id);  // nothing left to send
}

Result<void> Store::QueueUpload(const std::string& id, std::int64_t now) {
  Statement s(Db(db_), "INSERT OR IGNORE INTO upload_queue(id, queued, next_attempt) VALUES(?, ?, ?)");
  s.Bind(id).Bind(now).Bind(now);
  if (!s.ok() || s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "upload queue"));
  return {};
}

Result<std::vector<QueuedUpload>> Store::UploadQueue() {
  Statement s(Db(db_), "SELECT id, queued, attempts, next_attempt, last_error FROM upload_queue ORDER BY queued, id");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "upload queue"));
  std::vector<QueuedUpload> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(QueuedUpload{s.Text(0), s.Int(1), static_cast<unsigned>(s.Int(2)), s.Int(3), s.Text(4)});
  }
  if (rc != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "upload queue"));
  return out;
}

Result<void> Store::UploadFailed(const std::string& id, std::int64_t next_attempt, const std::string& error) {
  Statement s(Db(db_), "UPDATE upload_queue SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?");
  s.Bind(next_attempt).Bind(error.substr(0, 1024)).Bind(id);
  if (!s.ok() || s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "upload queue"));
  return {};
}

Result<int> Store::TryLockUploads() {
  const int fd = ::openat(files_->fd(), kUploadLockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Unexpected(Errc::kIo, std::string("cannot open the upload lock: ") + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) return -1;
    return Unexpected(Errc::kIo, std::string("cannot lock the upload queue: ") + std::strerror(error));
  }
  return fd;
}

Result<void> Store::UploadDone(const std::string& id) {
  Statement s(Db(db_), "DELETE FROM upload_queue WHERE id = ?");
  s.Bind(id);
  if (!s.ok() || s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "upload queue"));
  return {};
}

Result<std::optional<std::string>> Store::Setting(const std::string& key) {
  Statement s(Db(db_), "SELECT value FROM settings WHERE key = ?");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "settings"));
  s.Bind(key);
  if (s.Step() != SQLITE_ROW) return std::optional<std::string>();
  return std::optional<std::string>(s.Text(0));
}

Result<void> Store::SetSetting(const std::string& key, const std::optional<std::string>& value) {
  Statement s(Db(db_), value ? "INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)" : "DELETE FROM settings WHERE key = ?");
  s.Bind(key);
  if (value) s.Bind(*value);
  if (!s.ok() || s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "settings"));
  return {};
}

Result<Limits> Store::ReadLimits() {
  Limits limits;
  Statement s(Db(db_), "SELECT key, value FROM settings");
  if (!s.ok()) return Unexpected(SqlError(Db(db_), "settings"));
  while (s.Step() == SQLITE_ROW) {
    const std::string key = s.Text(0);
    const std::string value = s.Text(1);
    const std::uint64_t n = std::strtoull(value.c_str(), nullptr, 10);
    if (key == "max_use") limits.max_use = n;
    else if (key == "max_use_percent") limits.max_use_percent = static_cast<unsigned>(n);
    else if (key == "keep_free") limits.keep_free = n;
    else if (key == "keep_free_percent") limits.keep_free_percent = static_cast<unsigned>(n);
    else if (key == "max_core_size") limits.max_core_size = n;
    else if (key == "max_age") limits.max_age = static_cast<std::int64_t>(n);
    else if (key == "rate_per_exe") limits.rate_per_exe = static_cast<unsigned>(n);
    else if (key == "rate_global") limits.rate_global = static_cast<unsigned>(n);
    else if (key == "rate_window") limits.rate_window = static_cast<std::int64_t>(n);
    else if (key == "analysis_timeout") limits.analysis_timeout = static_cast<std::int64_t>(n);
  }
  return limits;
}

Result<void> Store::WriteLimits(const Limits& l) {
  const std::pair<const char*, std::uint64_t> values[] = {
      {"max_use", l.max_use}, {"max_use_percent", l.max_use_percent}, {"keep_free", l.keep_free},
      {"keep_free_percent", l.keep_free_percent}, {"max_core_size", l.max_core_size},
      {"max_age", static_cast<std::uint64_t>(l.max_age)}, {"rate_per_exe", l.rate_per_exe},
      {"rate_global", l.rate_global}, {"rate_window", static_cast<std::uint64_t>(l.rate_window)},
      {"analysis_timeout", static_cast<std::uint64_t>(l.analysis_timeout)}};
  for (const auto& [key, value] : values) {
    Statement s(Db(db_), "INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)");
    s.Bind(std::string(key)).Bind(std::to_string(value));
    if (!s.ok() || s.Step() != SQLITE_DONE) return Unexpected(SqlError(Db(db_), "settings"));
  }
  return {};
}

Result<Usage> Store::ReadUsage() {
  Usage usage;
  Statement s(Db(db_), "SELECT count(*), coalesce(sum(core_bytes), 0) FROM crashes");
  if (s.ok() && s.Step() == SQLITE_ROW) {
    usage.crashes = static_cast<std::size_t>(s.Int(0));
    usage.core_bytes = static_cast<std::uint64_t>(s.Int(1));
  }
  struct statvfs fs {};
  if (::fstatvfs(files_->fd(), &fs) == 0) {
    usage.fs_size = std::uint64_t{fs.f_blocks} * fs.f_frsize;
    usage.fs_free = std::uint64_t{fs.f_bavail} * fs.f_frsize;
  }
  return usage;
}

Result<VacuumReport> Store::Vacuum(const Limits& limits, std::int64_t now) {
  VacuumReport report;
  auto all = List(Filter{});
  if (!all) return Unexpected(all.error());
  // Rows whose files are gone (a power cut, a hand) keep their row, which says so.
  std::map<std::string, bool> referenced;
  for (Crash& c : *all) {
    bool changed = false;
    for (std::string* name : {&c.core_file, &c.compact_file, &c.details_file}) {
      if (name->empty()) continue;
      struct stat st {};
      if (::fstatat(files_->fd(), name->c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        ++report.lost_files;
        if (name == &c.core_file || (name == &c.compact_file && c.core == "compact")) {
          c.core = "none";
          c.core_reason = "the core file was lost (found missing by vacuum)";
          c.core_bytes = 0;
        }
        name->clear();
        changed = true;
      } else {
        referenced[*name] = true;
      }
    }
    // A handler that died while receiving: its unnamed file went with it.
    if (c.core == "receiving" && c.handler_pid && (::kill(static_cast<pid_t>(*c.handler_pid), 0) != 0 && errno == ESRCH)) {
      c.core = "none";
      c.core_reason = "handler error: the handler ended before the core was stored";
      c.handler_pid.reset();
      ++report.stale_rows;
      changed = true;
    }
    if (changed) {
      if (auto u = Update(c); !u) return Unexpected(u.error());
    }
  }
  // Files without rows: a handler killed between linking and its row, or leftovers. Files of the
  // last minute may belong to a handler still writing its row.
  if (const int dup = ::dup(files_->fd()); dup >= 0) {
    if (DIR* dir = ::fdopendir(dup)) {
      while (const dirent* e = ::readdir(dir)) {
        const std::string name = e->d_name;
        if (name == "." || name == ".." || name.starts_with("index.sqlite") || name == kUploadLockFile) continue;
        if (referenced.count(name)) continue;
        struct stat st {};
        if (::fstatat(files_->fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
        if (st.st_mtime > now - 60) continue;
        ::unlinkat(files_->fd(), name.c_str(), 0);
        ++report.orphan_files;
      }
      ::closedir(dir);
    } else {
      ::close(dup);
    }
  }
  auto remove_core = [&](Crash& c, const std::string& why) -> Result<void> {
    report.freed_bytes += c.core_bytes;
    for (std::string* name : {&c.core_file, &c.compact_file}) {
      RemoveFile(*name);
      name->clear();
    }
    c.core = "none";
    c.core_reason = why;
    c.core_bytes = 0;
    ++report.removed_cores;
    return Update(c);
  };
  // Age: the row goes with its files.
  if (limits.max_age > 0) {
    for (const Crash& c : *all) {
      if (c.time < now - limits.max_age && c.core != "receiving") {
        if (auto r = Remove(c); !r) return Unexpected(r.error());
        ++report.removed_rows;
        report.freed_bytes += c.core_bytes;
      }
    }
    all = List(Filter{});
    if (!all) return Unexpected(all.error());
  }
  // Size: while over MaxUse or under KeepFree, the oldest core of the executable with the most
  // stored cores goes (its row stays and says why).
  auto usage = ReadUsage();
  if (!usage) return Unexpected(usage.error());
  std::uint64_t use = usage->core_bytes;
  std::uint64_t free_bytes = usage->fs_free;
  std::uint64_t max_use = limits.max_use;
  if (limits.max_use_percent > 0 && usage->fs_size > 0) {
    const std::uint64_t by_percent = usage->fs_size / 100 * limits.max_use_percent;
    max_use = max_use == 0 ? by_percent : std::min(max_use, by_percent);
  }
  std::uint64_t keep_free = limits.keep_free;
  if (limits.keep_free_percent > 0 && usage->fs_size > 0) {
    keep_free = std::max(keep_free, usage->fs_size / 100 * limits.keep_free_percent);
  }
  auto over = [&] { return (max_use > 0 && use > max_use) || (keep_free > 0 && free_bytes < keep_free); };
  while (over()) {
    std::map<std::string, std::vector<Crash*>> by_exe;
    for (Crash& c : *all) {
      if ((c.core == "present" || c.core == "compact" || c.core == "truncated") && c.core_bytes > 0) {
        by_exe[c.executable].push_back(&c);
      }
    }
    if (by_exe.empty()) break;
    auto most = std::max_element(by_exe.begin(), by_exe.end(), [](const auto& a, const auto& b) {
      return a.second.size() < b.second.size();
    });
    Crash* oldest = most->second.front();  // List is oldest first
    const std::uint64_t bytes = oldest->core_bytes;
    if (auto r = remove_core(*oldest, "removed by vacuum: the store was over its size limit"); !r) return Unexpected(r.error());
    use -= std::min(use, bytes);
    free_bytes += bytes;
  }
  return report;
}

Result<int> Store::OpenCore(std::string_view id, std::optional<uid_t> viewer) {
  auto crash = Find(id, viewer);
  if (!crash) return Unexpected(crash.error());
  const std::string& file = !crash->core_file.empty() ? crash->core_file : crash->compact_file;
  if (file.empty()) {
    return Unexpected(Errc::kNotInCore, "crash " + crash->id + " has no stored core: " +
                                            crash->core_reason.value_or("none was stored"));
  }
  return OpenFile(file);
}

std::optional<uid_t> CallingViewer() {
  if (::geteuid() == 0) return std::nullopt;
  return ::getuid();
}

}  // namespace corekit::store
