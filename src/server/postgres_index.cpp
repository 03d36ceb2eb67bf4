// PostgreSQL as the server's CrashIndex, through libpq: the crash store's rows and queries in a
// database that many `corekit serve` processes share. Text parameters always (the server parses
// them by the column's type), so that nothing is formatted into SQL.
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <variant>

#include "corekit/base/text.h"
#include "crash_index.h"

namespace corekit::server {
namespace {

// Versions in order; schema_version holds how many are applied.
constexpr const char* kMigrations[] = {
    R"(CREATE TABLE crashes(
         id TEXT PRIMARY KEY, time BIGINT NOT NULL,
         pid BIGINT, host_pid BIGINT, tid BIGINT, uid BIGINT, gid BIGINT, signal INTEGER, signal_code INTEGER,
         executable TEXT NOT NULL DEFAULT '', comm TEXT NOT NULL DEFAULT '', command_line TEXT NOT NULL DEFAULT '',
         hostname TEXT NOT NULL DEFAULT '', container TEXT, container_runtime TEXT,
         dumpable BOOLEAN NOT NULL DEFAULT TRUE, core TEXT NOT NULL, core_reason TEXT,
         core_bytes BIGINT NOT NULL DEFAULT 0, core_size BIGINT NOT NULL DEFAULT 0,
         core_file TEXT NOT NULL DEFAULT '', compact_file TEXT NOT NULL DEFAULT '', details_file TEXT NOT NULL DEFAULT '',
         signature TEXT, report_kind TEXT, analysis_error TEXT, handler_pid BIGINT,
         upload_id TEXT UNIQUE, analysis_pending BOOLEAN NOT NULL DEFAULT FALSE, seq BIGSERIAL);
       CREATE INDEX crashes_time ON crashes(time, seq);
       CREATE INDEX crashes_signature_time ON crashes(signature, time);
       CREATE INDEX crashes_executable ON crashes(executable, time);
       CREATE INDEX crashes_hostname ON crashes(hostname);
       CREATE INDEX crashes_signature_names ON crashes(signature, executable, hostname);
       CREATE INDEX crashes_pending ON crashes(seq) WHERE analysis_pending;)",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));
constexpr long long kMigrationLock = 0x636f72656b6974;  // "corekit"

constexpr const char* kColumns =
    "id, time, pid, host_pid, tid, uid, gid, signal, signal_code, executable, comm, command_line, hostname, "
    "container, container_runtime, dumpable, core, core_reason, core_bytes, core_size, core_file, compact_file, "
    "details_file, signature, report_kind, analysis_error, handler_pid, upload_id, analysis_pending";
constexpr int kColumnCount = 29;

// PostgreSQL's text holds valid UTF-8 without NUL: what a crash says is kept as the JSON form
// gives it (ill-formed bytes as \xNN), a NUL as \x00.
std::string PgText(const std::string& text) {
  std::string valid = ValidUtf8(text);
  std::string out;
  for (const char c : valid) out += c == '\0' ? std::string("\\x00") : std::string(1, c);
  return out;
}

using Param = std::optional<std::string>;

Param P(const std::string& v) { return PgText(v); }
Param P(std::int64_t v) { return std::to_string(v); }
Param P(bool v) { return std::string(v ? "t" : "f"); }
template <typename T>
Param P(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) return P(*v);
  else return P(static_cast<std::int64_t>(*v));
}

std::vector<Param> CrashParams(const store::Crash& c) {
  return {P(c.id), P(c.time), P(c.pid), P(c.host_pid), P(c.tid), P(c.uid), P(c.gid), P(c.signal), P(c.signal_code),
          P(c.executable), P(c.comm), P(c.command_line), P(c.hostname), P(c.container), P(c.container_runtime),
          P(c.dumpable), P(c.core), P(c.core_reason), P(static_cast<std::int64_t>(c.core_bytes)),
          P(static_cast<std::int64_t>(c.core_size)), P(c.core_file), P(c.compact_file), P(c.details_file),
          P(c.signature), P(c.report_kind), P(c.analysis_error), P(c.handler_pid), P(c.upload_id), P(c.analysis_pending)};
}

// A result, freed when it goes.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r) {}
  ~Rows() { PQclear(r_); }
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows(const Rows&) = delete;
  int size() const { return PQntuples(r_); }
  bool Null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::string Text(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::int64_t Int(int row, int col) const {
    std::int64_t v = 0;
    const char* s = PQgetvalue(r_, row, col);
    std::from_chars(s, s + std::strlen(s), v);
    return v;
  }
  std::optional<std::int64_t> OptInt(int row, int col) const { return Null(row, col) ? std::nullopt : std::optional(Int(row, col)); }
  std::optional<std::string> OptText(int row, int col) const { return Null(row, col) ? std::nullopt : std::optional(Text(row, col)); }
  bool Bool(int row, int col) const { return Text(row, col) == "t"; }
  PGresult* raw() const { return r_; }

 private:
  PGresult* r_;
};

store::Crash ReadCrash(const Rows& r, int row) {
  store::Crash c;
  int i = 0;
  c.id = r.Text(row, i++);
  c.time = r.Int(row, i++);
  c.pid = r.OptInt(row, i++);
  c.host_pid = r.OptInt(row, i++);
  c.tid = r.OptInt(row, i++);
  c.uid = r.OptInt(row, i++);
  c.gid = r.OptInt(row, i++);
  if (auto v = r.OptInt(row, i++)) c.signal = static_cast<int>(*v);
  if (auto v = r.OptInt(row, i++)) c.signal_code = static_cast<int>(*v);
  c.executable = r.Text(row, i++);
  c.comm = r.Text(row, i++);
  c.command_line = r.Text(row, i++);
  c.hostname = r.Text(row, i++);
  c.container = r.OptText(row, i++);
  c.container_runtime = r.OptText(row, i++);
  c.dumpable = r.Bool(row, i++);
  c.core = r.Text(row, i++);
  c.core_reason = r.OptText(row, i++);
  c.core_bytes = static_cast<std::uint64_t>(r.Int(row, i++));
  c.core_size = static_cast<std::uint64_t>(r.Int(row, i++));
  c.core_file = r.Text(row, i++);
  c.compact_file = r.Text(row, i++);
  c.details_file = r.Text(row, i++);
  c.signature = r.OptText(row, i++);
  c.report_kind = r.OptText(row, i++);
  c.analysis_error = r.OptText(row, i++);
  c.handler_pid = r.OptInt(row, i++);
  c.upload_id = r.OptText(row, i++);
  c.analysis_pending = r.Bool(row, i++);
  return c;
}

// "$N". (Built by append: g++ 12 -O3 warns, falsely, of an overlapping copy in "$" + string.)
std::string Dollar(int n) { return std::string("$").append(std::to_string(n)); }

// A filter's WHERE clause with $N placeholders numbered from `first`.
struct Where {
  std::string sql;
  std::vector<Param> params;
  int next;
  explicit Where(int first = 1) : next(first) {}
  void Add(const std::string& condition, Param value) {
    std::string c = condition;
    const std::size_t at = c.find('?');
    c.replace(at, 1, Dollar(next++));
    sql += (sql.empty() ? " WHERE " : " AND ") + c;
    params.push_back(std::move(value));
  }
};

Where WhereOf(const store::Filter& f, int first = 1) {
  Where w(first);
  if (f.since) w.Add("time >= ?", P(*f.since));
  if (f.until) w.Add("time <= ?", P(*f.until));
  if (f.executable) w.Add("executable = ?", P(*f.executable));
  if (f.comm) w.Add("comm = ?", P(*f.comm));
  if (f.signature) w.Add("signature = ?", P(*f.signature));
  if (f.pid) w.Add("? IN (pid, host_pid)", P(*f.pid));
  if (f.host) w.Add("hostname = ?", P(*f.host));
  if (f.signal) w.Add("signal = ?", P(std::int64_t{*f.signal}));
  if (f.viewer) w.Add("uid = ?", P(static_cast<std::int64_t>(*f.viewer)));
  return w;
}

std::string Placeholders(int from, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out.append(i ? ", " : "").append(Dollar(from + i));
  return out;
}

class PostgresIndex : public CrashIndex {
 public:
  PostgresIndex(PGconn* conn, std::string conninfo) : conn_(conn), conninfo_(std::move(conninfo)) {}
  ~PostgresIndex() override { PQfinish(conn_); }

  // Runs `sql`; a connection that broke (a restarted server) is re-established and the
  // statement tried once more.
  Result<Rows> Exec(const std::string& sql, const std::vector<Param>& params = {}) {
    for (int attempt = 0;; ++attempt) {
      std::vector<const char*> values;
      for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
      // Without parameters, PQexec: a migration is several statements.
      Rows rows(params.empty() ? PQexec(conn_, sql.c_str())
                               : PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                              nullptr, nullptr, 0));
      const ExecStatusType status = PQresultStatus(rows.raw());
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
      if (attempt == 0 && PQstatus(conn_) != CONNECTION_OK) {
        PQreset(conn_);
        if (PQstatus(conn_) == CONNECTION_OK) continue;
      }
      std::string message = PQerrorMessage(conn_);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      const char* state = PQresultErrorField(rows.raw(), PG_DIAG_SQLSTATE);
      return Unexpected(Errc::kIo, "PostgreSQL: " + message + (state ? std::string(" (") + state + ")" : ""));
    }
  }

  Result<void> Migrate() {
    // One server migrates at a time (the advisory lock ends with the transaction).
    if (auto b = Exec("BEGIN"); !b) return Unexpected(b.error());
    auto fail = [&](const Error& e) -> Result<void> {
      (void)Exec("ROLLBACK");
      return Unexpected(e);
    };
    if (auto l = Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")"); !l) return fail(l.error());
    if (auto c = Exec("CREATE TABLE IF NOT EXISTS corekit_schema(version INTEGER NOT NULL)"); !c) return fail(c.error());
    auto version = Exec("SELECT version FROM corekit_schema");
    if (!version) return fail(version.error());
    int have = version->size() ? static_cast<int>(version->Int(0, 0)) : 0;
    if (version->size() == 0) {
      if (auto i = Exec("INSERT INTO corekit_schema VALUES (0)"); !i) return fail(i.error());
    }
    if (have > kSchemaVersion) {
      return fail(Error{Errc::kUnsupported, "the database's corekit schema is version " + std::to_string(have) +
                                                ", newer than this corekit's " + std::to_string(kSchemaVersion)});
    }
    for (; have < kSchemaVersion; ++have) {
      if (auto m = Exec(kMigrations[have]); !m) return fail(m.error());
    }
    if (auto u = Exec("UPDATE corekit_schema SET version = " + std::to_string(kSchemaVersion)); !u) return fail(u.error());
    if (auto c = Exec("COMMIT"); !c) return Unexpected(c.error());
    return {};
  }

  Result<std::string> NewId() override {
    std::random_device random;
    const std::uint64_t n = (std::uint64_t{random()} << 32 | random()) & 0xffffffffffull;
    char text[11];
    std::snprintf(text, sizeof text, "%010llx", static_cast<unsigned long long>(n));
    return std::string(text);  // taken (one in 2^40): the insert fails and says so
  }

  Result<store::GroupPage> Groups(const store::GroupQuery& query) override {
    Where where = WhereOf(query.filter);
    where.sql += where.sql.empty() ? " WHERE signature IS NOT NULL AND signature != ''" : " AND signature IS NOT NULL AND signature != ''";
    store::GroupPage page;
    const char* order = query.order == store::GroupOrder::kLastSeen    ? "max(time) DESC, count(*) DESC"
                        : query.order == store::GroupOrder::kFirstSeen ? "min(time) DESC, count(*) DESC"
                                                                       : "count(*) DESC, max(time) DESC";
    std::vector<Param> params = where.params;
    params.push_back(P(static_cast<std::int64_t>(query.limit)));
    params.push_back(P(static_cast<std::int64_t>(query.offset)));
    // The number of groups comes with the page (a window over all of them, before LIMIT): a
    // count(DISTINCT) of its own sorts every row, 0.1 s at 100 000.
    auto rows = Exec("SELECT signature, count(*), min(time), max(time), count(*) OVER () FROM crashes" + where.sql +
                         " GROUP BY signature ORDER BY " + order + ", signature LIMIT $" + std::to_string(where.next) +
                         " OFFSET $" + std::to_string(where.next + 1),
                     params);
    if (!rows) return Unexpected(rows.error());
    if (rows->size() > 0) {
      page.total = static_cast<std::size_t>(rows->Int(0, 4));
    } else if (query.offset > 0) {  // past the last page: counted on its own
      auto total = Exec("SELECT count(*) FROM (SELECT signature FROM crashes" + where.sql + " GROUP BY signature) g", where.params);
      if (!total) return Unexpected(total.error());
      page.total = static_cast<std::size_t>(total->Int(0, 0));
    }
    std::map<std::string, std::size_t> index;
    for (int i = 0; i < rows->size(); ++i) {
      index[rows->Text(i, 0)] = page.groups.size();
      page.groups.push_back(store::Group{rows->Text(i, 0), static_cast<std::size_t>(rows->Int(i, 1)), rows->Int(i, 2),
                                         rows->Int(i, 3), {}, {}});
    }
    if (page.groups.empty()) return page;
    std::vector<Param> in_params = where.params;
    in_params.push_back(P(SignatureArray(page.groups)));
    for (const char* column : {"executable", "hostname"}) {
      auto d = Exec(std::string("SELECT DISTINCT signature, ") + column + " FROM crashes" + where.sql +
                        " AND signature = ANY($" + std::to_string(where.next) + "::text[]) ORDER BY 2",
                    in_params);
      if (!d) return Unexpected(d.error());
      for (int i = 0; i < d->size(); ++i) {
        auto it = index.find(d->Text(i, 0));
        if (it == index.end()) continue;
        store::Group& g = page.groups[it->second];
        std::string value = d->Text(i, 1);
        if (std::string_view(column) == "executable") g.executables.push_back(std::move(value));
        else if (!value.empty()) g.hosts.push_back(std::move(value));
      }
    }
    return page;
  }

  Result<std::vector<std::vector<std::size_t>>> DailyCounts(const std::vector<std::string>& signatures,
                                                            const store::Filter& filter, std::int64_t first_day,
                                                            std::size_t days) override {
    std::vector<std::vector<std::size_t>> counts(signatures.size(), std::vector<std::size_t>(days));
    if (signatures.empty() || days == 0) return counts;
    store::Filter within = filter;
    within.since = std::max(filter.since.value_or(first_day * 86400), first_day * 86400);
    within.until = std::min(filter.until.value_or(std::numeric_limits<std::int64_t>::max()),
                            (first_day + static_cast<std::int64_t>(days)) * 86400 - 1);
    Where where = WhereOf(within);
    std::vector<store::Group> as_groups;
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < signatures.size(); ++i) {
      index[PgText(signatures[i])] = i;
      as_groups.push_back(store::Group{signatures[i], 0, 0, 0, {}, {}});
    }
    std::vector<Param> params = where.params;
    params.push_back(P(SignatureArray(as_groups)));
    auto rows = Exec("SELECT signature, time / 86400, count(*) FROM crashes" + where.sql + " AND signature = ANY($" +
                         std::to_string(where.next) + "::text[]) GROUP BY 1, 2",
                     params);
    if (!rows) return Unexpected(rows.error());
    for (int i = 0; i < rows->size(); ++i) {
      const std::int64_t day = rows->Int(i, 1) - first_day;
      auto it = index.find(rows->Text(i, 0));
      if (it != index.end() && day >= 0 && day < static_cast<std::int64_t>(days)) {
        counts[it->second][static_cast<std::size_t>(day)] = static_cast<std::size_t>(rows->Int(i, 2));
      }
    }
    return counts;
  }

  Result<std::vector<store::Crash>> Page(const store::Filter& filter, std::size_t limit, std::size_t offset) override {
    Where where = WhereOf(filter);
    std::vector<Param> params = where.params;
    params.push_back(P(static_cast<std::int64_t>(limit)));
    params.push_back(P(static_cast<std::int64_t>(offset)));
    return Crashes(std::string("SELECT ") + kColumns + " FROM crashes" + where.sql + " ORDER BY time DESC, seq DESC LIMIT $" +
                       std::to_string(where.next) + " OFFSET $" + std::to_string(where.next + 1),
                   params);
  }

  Result<std::size_t> Count(const store::Filter& filter) override {
    Where where = WhereOf(filter);
    auto rows = Exec("SELECT count(*) FROM crashes" + where.sql, where.params);
    if (!rows) return Unexpected(rows.error());
    return static_cast<std::size_t>(rows->Int(0, 0));
  }

  Result<store::Crash> Find(const std::string& id) override {
    auto found = Crashes(std::string("SELECT ") + kColumns + " FROM crashes WHERE id = $1", {P(id)});
    if (!found) return Unexpected(found.error());
    if (found->empty()) return Unexpected(Errc::kInvalidArgument, "no crash " + id);
    return found->front();
  }

  Result<std::optional<store::Crash>> FindUpload(const std::string& upload_id) override {
    auto found = Crashes(std::string("SELECT ") + kColumns + " FROM crashes WHERE upload_id = $1", {P(upload_id)});
    if (!found) return Unexpected(found.error());
    if (found->empty()) return std::optional<store::Crash>();
    return std::optional<store::Crash>(found->front());
  }

  Result<std::optional<store::Crash>> InsertUpload(const store::Crash& crash) override {
    if (!crash.upload_id) return Unexpected(Errc::kInvalidArgument, "an upload without an upload id");
    // One statement: a retry arriving at the same moment finds the conflict, not a duplicate.
    auto inserted = Exec(std::string("INSERT INTO crashes(") + kColumns + ") VALUES(" + Placeholders(1, kColumnCount) +
                             ") ON CONFLICT (upload_id) DO NOTHING RETURNING id",
                         CrashParams(crash));
    if (!inserted) return Unexpected(inserted.error());
    if (inserted->size() == 1) return std::optional<store::Crash>();
    auto existing = FindUpload(*crash.upload_id);
    if (!existing) return Unexpected(existing.error());
    if (!*existing) return Unexpected(Errc::kIo, "PostgreSQL: upload " + *crash.upload_id + " conflicted but is not stored");
    return existing;
  }

  Result<std::vector<store::Crash>> PendingAnalysis(std::size_t limit) override {
    return Crashes(std::string("SELECT ") + kColumns + " FROM crashes WHERE analysis_pending ORDER BY seq LIMIT $1",
                   {P(static_cast<std::int64_t>(limit))});
  }

  Result<void> Update(const store::Crash& crash) override {
    auto updated = Exec(std::string("UPDATE crashes SET (") + kColumns + ") = (" + Placeholders(1, kColumnCount) +
                            ") WHERE id = $1",
                        CrashParams(crash));
    if (!updated) return Unexpected(updated.error());
    return {};
  }

 private:
  Result<std::vector<store::Crash>> Crashes(const std::string& sql, const std::vector<Param>& params) {
    auto rows = Exec(sql, params);
    if (!rows) return Unexpected(rows.error());
    std::vector<store::Crash> crashes;
    for (int i = 0; i < rows->size(); ++i) crashes.push_back(ReadCrash(*rows, i));
    return crashes;
  }

  // A text[] literal of the groups' signatures: {"a","b"} with " and \ escaped.
  static std::string SignatureArray(const std::vector<store::Group>& groups) {
    std::string out = "{";
    for (std::size_t i = 0; i < groups.size(); ++i) {
      out += i ? ",\"" : "\"";
      for (const char c : PgText(groups[i].signature)) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    return out + "}";
  }

  PGconn* conn_;
  std::string conninfo_;
};

}  // namespace

Result<std::unique_ptr<CrashIndex>> OpenPostgresIndex(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = conn ? PQerrorMessage(conn) : "out of memory";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    return Unexpected(Errc::kIo, "cannot connect to PostgreSQL: " + message);
  }
  PQsetClientEncoding(conn, "UTF8");
  // The server's notices ("relation ... already exists, skipping" as the migration re-checks)
  // are not the operator's business; errors come back with each statement.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  auto index = std::make_unique<PostgresIndex>(conn, conninfo);
  if (auto m = index->Migrate(); !m) return Unexpected(m.error());
  return std::unique_ptr<CrashIndex>(std::move(index));
}

}  // namespace corekit::server
