// corekit upload CORE|@ID URL: sends a crash to a `corekit serve` collector — its metadata,
// report and compact core (the full core with --full) — retrying with backoff until the server
// has stored it. The upload carries an id made from what is uploaded, so a retry (or running
// the command again) never stores the crash twice.
#include <fcntl.h>
#include <httplib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
  bool json = false;
  unsigned retries = 5;
  int timeout = 60;
};

std::string SelfPath() {
  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return "corekit";
  return self;
}

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

Result<Crash> FromStore(const UploadOptions& o) {
  auto store = OpenStoreForReading(o.store);
  if (!store) return Unexpected(store.error());
  auto c = (*store)->Find(o.target.substr(1), Viewer());
  if (!c) return Unexpected(c.error());
  Crash out;
  out.label = "crash " + c->id;
  nlohmann::json details = nullptr;
  if (auto fd = (*store)->OpenFile(c->details_file)) {
    std::string text;
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(*fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    ::close(*fd);
    details = nlohmann::json::parse(text, nullptr, false);
  }
  const bool has_details = details.is_object();
  out.metadata = {{"upload_id", "crash:" + HostnameForId() + ":" + c->id + ":" + std::to_string(c->time)},
                  {"crash", CrashJson(*c)},
                  {"proc", has_details && details.contains("proc") ? details["proc"] : nlohmann::json(nullptr)}};
  if (has_details && details.contains("report") && details["report"].is_object()) out.report = JsonText(details["report"], -1);
  if (!c->compact_file.empty()) {
    if (auto fd = (*store)->OpenFile(c->compact_file)) out.compact_fd = *fd;
  }
  if ((o.full || out.compact_fd < 0) && !c->core_file.empty()) {
    if (auto fd = (*store)->OpenFile(c->core_file)) out.core_fd = *fd;
  }
  return out;
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

int Run(const UploadOptions& o) {
  auto endpoint = Endpoint(o.url);
  if (!endpoint) return Fail(endpoint.error());
  std::string token;
  if (!o.token_file.empty()) {
    auto t = ReadUploadToken(o.token_file);
    if (!t) return Fail(t.error());
    token = *t;
  }
  auto crash = IsStoredCrash(o.target) ? FromStore(o) : FromCore(o);
  if (!crash) return Fail(crash.error());
  httplib::Client client(endpoint->first);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(o.timeout, 0);
  client.set_write_timeout(o.timeout, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::MultipartFormDataItems items = {{"metadata", JsonText(crash->metadata, -1), "", "application/json"}};
  if (!crash->report.empty()) items.push_back({"report", crash->report, "", "application/json"});
  httplib::MultipartFormDataProviderItems files;
  if (crash->compact_fd >= 0) files.push_back(FileProvider("compact", crash->compact_fd));
  if (crash->core_fd >= 0) files.push_back(FileProvider("core", crash->core_fd));
  // Retried while the server cannot be reached or answers 5xx/429, with doubling waits.
  std::string failure;
  for (unsigned attempt = 0; attempt <= o.retries; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds(std::min(30u, 1u << (attempt - 1))));
    auto res = client.Post(endpoint->second, headers, items, files);
    if (!res) {
      failure = "cannot reach " + endpoint->first + ": " + httplib::to_string(res.error());
      continue;
    }
    const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    if (res->status == 200 || res->status == 201) {
      if (o.json) {
        PrintJson(body);
      } else if (body.is_object() && body.contains("id") && body["id"].is_string()) {
        Print("{} {} as {}: {}\n", res->status == 200 ? "already uploaded:" : "uploaded", Printable(crash->label),
              Printable(body["id"].get<std::string>()), Printable(body.value("url", "")));
      }
      return 0;
    }
    failure = fmt::format("the server answered {}: {}", res->status,
                          body.is_object() && body.contains("error") && body["error"].is_string() ? body["error"].get<std::string>() : res->reason);
    if (res->status < 500 && res->status != 429) break;  // refused: a retry would be too
  }
  return Fail(Printable(failure));
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
  corekit upload core http://127.0.0.1:8123)");
  command->add_option("target", o->target, "a core file, or @ID / @last of the crash store")->required();
  command->add_option("url", o->url, "the server (http://HOST:PORT)")->required();
  command->add_option("--token-file", o->token_file, "a file with the upload token (or an \"upload TOKEN\" line)");
  command->add_option("--store", o->store, "the crash store @ID reads (default $COREKIT_STORE, else /var/lib/corekit)");
  command->add_flag("--full", o->full, "send the whole core too, not only the compact one");
  command->add_option("--retries", o->retries, "attempts after the first (default 5)");
  command->add_option("--timeout", o->timeout, "seconds for the analysis and for each request (default 60)");
  command->add_flag("--json", o->json, "print the server's answer as JSON");
  command->callback([o, &run] { run = [o] { return Run(*o); }; });
}

}  // namespace corekit::tools
