// corekit upload CORE|@ID URL: sends a crash to a `corekit serve` collector — its metadata,
// report and compact core (the full core with --full) — retrying with backoff until the server
// has stored it. The upload carries an id made from what is uploaded, so a retry (or running
// the command again) never stores the crash twice.
#include <fcntl.h>
#include <httplib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

#include "corekit/capture/handler.h"
#include "render.h"
#include "stored_crash.h"

namespace corekit::tools {
namespace {

struct UploadOptions {
  std::string target, url;
  std::string token_file;
  std::string store;
  bool full = false;
  bool spool = false;
  bool json = false;
  unsigned retries = 5;
  int timeout = 60;
};

std::string HostnameForId() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  std::string out;
  for (const char* p = name; *p && out.size() < 64; ++p) out += std::isalnum(static_cast<unsigned char>(*p)) || *p == '-' || *p == '.' ? *p : '_';
  return out.empty() ? "host" : out;
}

std::string Hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// The token: the file's one line, or its "upload TOKEN" line (a server's tokens file works too).
Result<std::string> ReadUploadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Unexpected(Errc::kIo, "cannot read the token file " + path);
  std::string line, only;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("upload ", 0) == 0) return line.substr(7);
    if (line.find(' ') == std::string::npos && only.empty()) only = line;
  }
  if (only.empty()) return Unexpected(Errc::kInvalidArgument, "no token in " + path);
  return only;
}

// What is sent: the metadata, the report, and open descriptors of the core files.
struct Crash {
  nlohmann::json metadata;
  std::string report;
  int compact_fd = -1, core_fd = -1;
  std::string label;  // for messages
};

Crash FromStoredCrash(store::Store& store, const store::Crash& c, bool full) {
  Crash out;
  out.label = "crash " + c.id;
  const nlohmann::json details = CrashDetails(store.files(), c);
  const bool has_details = details.is_object();
  out.metadata = {{"upload_id", "crash:" + HostnameForId() + ":" + c.id + ":" + std::to_string(c.time)},
                  {"crash", CrashJson(c)},
                  {"proc", has_details && details.contains("proc") ? details["proc"] : nlohmann::json(nullptr)}};
  if (has_details && details.contains("report") && details["report"].is_object()) out.report = JsonText(details["report"], -1);
  if (!c.compact_file.empty()) {
    if (auto fd = store.OpenFile(c.compact_file)) out.compact_fd = *fd;
  }
  if ((full || out.compact_fd < 0) && !c.core_file.empty()) {
    if (auto fd = store.OpenFile(c.core_file)) out.core_fd = *fd;
  }
  return out;
}

Result<Crash> FromStore(const UploadOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Unexpected(store.error());
  auto c = (*store)->Find(o.target.substr(1), Viewer());
  if (!c) return Unexpected(c.error());
  return FromStoredCrash(**store, *c, o.full);
}

// A core file: its report and compact core made by this corekit, as the handler makes them.
Result<Crash> FromCore(const UploadOptions& o) {
  const int fd = ::open(o.target.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected(Errc::kIo, "cannot open " + o.target + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  Crash out;
  out.label = o.target;
  const std::string self = SelfPath();
  if (self.empty()) {
    ::close(fd);
    return Unexpected(Errc::kIo, "cannot find the corekit executable (/proc/self/exe)");
  }
  const auto timeout = std::chrono::seconds(o.timeout);
  std::string text;
  const int status = capture::RunAnalysis({self, "report", "--json", "/dev/fd/3"}, fd, -1, &text, 64 << 20, timeout, -1,
                                         {}, -1, /*as_nobody=*/false);
  nlohmann::json report = status == 0 ? nlohmann::json::parse(text, nullptr, false) : nlohmann::json();
  if (!report.is_object()) {
    ::close(fd);
    return Unexpected(Errc::kCorrupt, "cannot analyse " + o.target + " (corekit report failed)");
  }
  out.report = text;
  if (o.full) {
    out.core_fd = fd;
  } else {
    const int compact = ::memfd_create("corekit-compact", MFD_CLOEXEC);
    if (compact >= 0 && capture::RunAnalysis({self, "compact", "--compress", "/dev/fd/3", "-"}, fd, compact, nullptr, 0, timeout, -1, {}, -1,
                                                 /*as_nobody=*/false) == 0) {
      out.compact_fd = compact;
    } else {
      if (compact >= 0) ::close(compact);
      out.core_fd = fd;  // no compact core: the whole one
    }
    if (out.core_fd != fd) ::close(fd);
  }
  const nlohmann::json& process = report.contains("process") ? report["process"] : nlohmann::json::object();
  const nlohmann::json& signal = report.contains("signal") ? report["signal"] : nlohmann::json();
  // The executable's path: the module the core maps it as (a core's own name for it is the
  // 16-byte comm).
  std::string executable = process.value("executable", "");
  if (report.contains("modules") && report["modules"].is_array()) {
    for (const auto& m : report["modules"]) {
      if (m.is_object() && m.value("source", "") == "exe" && m.contains("name") && m["name"].is_string()) executable = m["name"];
    }
  }
  nlohmann::json crash = {{"time", Rfc3339(st.st_mtim.tv_sec)}, {"hostname", Hostname()},
                          {"executable", executable}, {"comm", process.value("executable", "")}, {"command_line", process.value("command_line", "")},
                          {"pid", process.contains("pid") ? process["pid"] : nlohmann::json(nullptr)}};
  if (signal.is_object()) crash["signal"] = {{"number", signal.value("number", 0)}, {"code", signal.value("code", 0)}};
  if (report.contains("crash") && report["crash"].is_object() && report["crash"].contains("thread")) crash["tid"] = report["crash"]["thread"];
  out.metadata = {{"upload_id", fmt::format("core:{}:{:x}.{:x}.{:x}.{:x}", HostnameForId(), st.st_dev, st.st_ino, st.st_size,
                                            st.st_mtim.tv_sec)},
                  {"crash", crash}};
  return out;
}

// "http://host:port[/prefix]" -> the client's "http://host:port" and the upload path.
Result<std::pair<std::string, std::string>> Endpoint(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return Unexpected(Errc::kInvalidArgument, "not an http(s) URL: " + url);
  }
  const std::size_t slash = url.find('/', scheme + 3);
  std::string base = url.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.ends_with("/api/v1/crashes")) path += "/api/v1/crashes";
  return std::pair{base, path};
}

httplib::MultipartFormDataProvider FileProvider(const char* name, int fd) {
  return {name,
          [fd](std::size_t offset, httplib::DataSink& sink) {
            char buffer[1 << 16];
            const ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(offset));
            if (n < 0) return false;
            if (n == 0) {
              sink.done();
              return true;
            }
            return sink.write(buffer, static_cast<std::size_t>(n));
          },
          std::string(name) + ".core", "application/octet-stream"};
}

// One collector: where it is and the token that may upload to it.
struct Collector {
  std::string base, path;  // "http://host:port" and the upload's path
  std::string token;
};

Result<Collector> CollectorOf(const std::string& url, const std::string& token_file) {
  auto endpoint = Endpoint(url);
  if (!endpoint) return Unexpected(endpoint.error());
  Collector out{endpoint->first, endpoint->second, {}};
  if (!token_file.empty()) {
    auto t = ReadUploadToken(token_file);
    if (!t) return Unexpected(t.error());
    out.token = *t;
  }
  return out;
}

// One attempt's outcome: stored (the server's answer), or why not and whether trying again can
// help (the server unreachable, 5xx, 429).
struct Attempt {
  bool stored = false, retry = false;
  int status = 0;
  nlohmann::json body;
  std::string failure;
};

Attempt Send(const Collector& to, const Crash& crash, int timeout) {
  httplib::Client client(to.base);
  client.set_connection_timeout(10, 0);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(timeout, 0);
  client.set_write_timeout(timeout, 0);
  httplib::Headers headers;
  if (!to.token.empty()) headers.emplace("Authorization", "Bearer " + to.token);
  httplib::MultipartFormDataItems items = {{"metadata", JsonText(crash.metadata, -1), "", "application/json"}};
  if (!crash.report.empty()) items.push_back({"report", crash.report, "", "application/json"});
  httplib::MultipartFormDataProviderItems files;
  if (crash.compact_fd >= 0) files.push_back(FileProvider("compact", crash.compact_fd));
  if (crash.core_fd >= 0) files.push_back(FileProvider("core", crash.core_fd));
  Attempt out;
  auto res = client.Post(to.path, headers, items, files);
  if (!res) {
    out.retry = true;
    out.failure = "cannot reach " + to.base + ": " + httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  out.body = nlohmann::json::parse(res->body, nullptr, false);
  out.stored = res->status == 200 || res->status == 201;
  if (!out.stored) {
    out.retry = res->status >= 500 || res->status == 429;
    out.failure = fmt::format("the server answered {}: {}", res->status,
                              out.body.is_object() && out.body.contains("error") && out.body["error"].is_string()
                                  ? out.body["error"].get<std::string>()
                                  : res->reason);
  }
  return out;
}

void CloseFiles(Crash& crash) {
  for (int* fd : {&crash.compact_fd, &crash.core_fd}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

int Run(const UploadOptions& o) {
  auto collector = CollectorOf(o.url, o.token_file);
  if (!collector) return Fail(collector.error());
  auto crash = IsStoredCrash(o.target) ? FromStore(o) : FromCore(o);
  if (!crash) return Fail(crash.error());
  // Retried while the server cannot be reached or answers 5xx/429, with doubling waits.
  Attempt attempt;
  for (unsigned n = 0; n <= o.retries; ++n) {
    if (n > 0) std::this_thread::sleep_for(std::chrono::seconds(std::min(30u, 1u << (n - 1))));
    attempt = Send(*collector, *crash, o.timeout);
    if (attempt.stored || !attempt.retry) break;
  }
  CloseFiles(*crash);
  if (!attempt.stored) return Fail(Printable(attempt.failure));
  const nlohmann::json& body = attempt.body;
  if (o.json) {
    PrintJson(body);
  } else if (body.is_object() && body.contains("id") && body["id"].is_string()) {
    Print("{} {} as {}: {}\n", attempt.status == 200 ? "already uploaded:" : "uploaded", Printable(crash->label),
          Printable(body["id"].get<std::string>()), Printable(body.value("url", "")));
  }
  return 0;
}

// The wait before the next attempt after `attempts` failures: 1 s, doubling, at most 10 minutes
// (an hour after a refusal, which needs a person: a wrong token, a crash the server rejects).
std::int64_t Backoff(unsigned attempts, bool refused) {
  if (refused) return 3600;
  return std::min<std::int64_t>(600, std::int64_t{1} << std::min(attempts, 10u));
}

// `upload --spool`: drains the store's upload queue (what `handler install --upload` queued),
// one worker at a time, sending each due crash once and backing off those that fail, until the
// queue is empty — or it has made no progress for a day (the next crash, or the next run from a
// timer, starts a worker again).
int DrainQueue(const UploadOptions& o) {
  // No core of ours for the handler to catch while it runs as root over the network.
  ::prctl(PR_SET_DUMPABLE, 0);
  const std::string path = StorePath(o.store);
  if (::access(path.c_str(), F_OK) != 0) return Fail("no crash store at " + path);  // not one to create
  auto opened = store::Store::Open(path, store::Access::kWrite);
  if (!opened) return Fail(opened.error());
  store::Store& store = **opened;
  auto lock = store.TryLockUploads();
  if (!lock) return Fail(lock.error());
  if (*lock < 0) {
    if (!o.json) Print("another worker is sending this store's queue\n");
    return 0;
  }
  int lock_fd = *lock;
  unsigned sent = 0, failed = 0;
  auto last_progress = std::chrono::steady_clock::now();
  for (;;) {
    auto queue = store.UploadQueue();
    if (!queue) return Fail(queue.error());
    if (queue->empty()) {
      // Let go of the lock, then look once more: a handler that queued a crash meanwhile found
      // the lock held and left its crash to this worker.
      ::close(lock_fd);
      queue = store.UploadQueue();
      if (!queue || queue->empty()) break;
      auto again = store.TryLockUploads();
      if (!again || *again < 0) break;  // another worker has it now
      lock_fd = *again;
      continue;
    }
    auto url = store.Setting(capture::kUploadSetting);
    if (!url || !*url) {
      ::close(lock_fd);
      return Fail("the store has no collector to upload to (corekit handler install --upload URL)");
    }
    auto token_file = store.Setting(capture::kUploadTokenSetting);
    auto collector = CollectorOf(**url, token_file && *token_file ? **token_file : "");
    const std::int64_t now = std::time(nullptr);
    std::int64_t next = now + 600;
    bool sent_any = false;
    for (const store::QueuedUpload& q : *queue) {
      if (q.next_attempt > now) {
        next = std::min(next, q.next_attempt);
        continue;
      }
      auto c = store.Find(q.id, std::nullopt);
      if (!c) {
        // Removed from the store meanwhile: nothing to send. (An index that could not be read
        // keeps the crash queued.)
        if (c.error().code != Errc::kIo) (void)store.UploadDone(q.id);
        continue;
      }
      Attempt attempt;
      if (collector) {
        Crash crash = FromStoredCrash(store, *c, false);
        attempt = Send(*collector, crash, o.timeout);
        CloseFiles(crash);
      } else {
        attempt.failure = collector.error().message;  // a token file that went away: a person's to fix
      }
      if (attempt.stored) {
        ++sent;
        sent_any = true;
        last_progress = std::chrono::steady_clock::now();
        if (auto d = store.UploadDone(q.id); !d) return Fail(d.error());
      } else {
        ++failed;
        const std::int64_t at = std::time(nullptr) + Backoff(q.attempts, !attempt.retry);
        next = std::min(next, at);
        if (auto f = store.UploadFailed(q.id, at, Printable(attempt.failure)); !f) return Fail(f.error());
      }
    }
    if (std::chrono::steady_clock::now() - last_progress > std::chrono::hours(24)) break;
    if (sent_any) continue;  // the queue again: what came in meanwhile
    // Until the first crash is due: its backoff, or a crash queued meanwhile (due at once).
    while (std::time(nullptr) < next) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      auto now_queue = store.UploadQueue();
      if (!now_queue) break;
      const std::int64_t at = std::time(nullptr);
      if (std::any_of(now_queue->begin(), now_queue->end(), [at](const store::QueuedUpload& q) { return q.next_attempt <= at; })) break;
    }
  }
  if (o.json) {
    PrintJson({{"sent", sent}, {"failed_attempts", failed}});
  } else {
    Print("sent {} crash{}; {} failed attempt{}\n", sent, sent == 1 ? "" : "es", failed, failed == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace

void AddUploadCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<UploadOptions>();
  CLI::App* command = app.add_subcommand("upload", "send a crash to a corekit serve collector");
  command->footer(R"(Sends the crash's metadata, its report and its compact core (with --full, the whole core) to
URL's /api/v1/crashes, retrying with backoff while the server is down. A crash is stored once
however often it is sent. A core file is analysed here first (report, compact core).

Example:
  corekit upload @last http://crashes.example:8123 --token-file /etc/corekit/upload-token
  corekit upload core http://127.0.0.1:8123
  corekit upload --spool     (what `corekit handler install --upload URL` queued))");
  command->add_option("target", o->target, "a core file, or @ID / @last of the crash store");
  command->add_option("url", o->url, "the server (http://HOST:PORT)");
  command->add_flag("--spool", o->spool,
                    "send what the crash handler queued (handler install --upload) to its collector, retrying with "
                    "backoff until the queue is empty");
  command->add_option("--token-file", o->token_file, "a file with the upload token (or an \"upload TOKEN\" line)");
  command->add_option("--store", o->store, "the crash store @ID reads (default $COREKIT_STORE, else /var/lib/corekit)");
  command->add_flag("--full", o->full, "send the whole core too, not only the compact one");
  command->add_option("--retries", o->retries, "attempts after the first (default 5)");
  command->add_option("--timeout", o->timeout, "seconds for the analysis and for each request (default 60)");
  command->add_flag("--json", o->json, "print the server's answer as JSON");
  command->callback([o, &run] {
    run = [o] {
      if (o->spool) return o->target.empty() ? DrainQueue(*o) : Fail("--spool takes no core or URL: the store says where");
      if (o->target.empty() || o->url.empty()) return Fail("upload needs a core (or @ID) and the server's URL");
      return Run(*o);
    };
  });
}

}  // namespace corekit::tools
