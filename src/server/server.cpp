#include "corekit/server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>

#include "corekit/base/text.h"
#include "corekit/server/json.h"
#include "crash_index.h"
#include "ingest.h"
#include "pages.h"

namespace corekit::server {
namespace {

// Equal without an early exit, so that response times do not tell how much of a token matched.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}
bool AnyToken(const std::vector<std::string>& tokens, const std::string& given) {
  bool match = false;
  for (const std::string& t : tokens) match |= SameToken(t, given);
  return match && !given.empty();
}

// Database connections for the HTTP threads: one per thread at a time (a connection is
// single-threaded), opened on demand and kept for the next request.
class IndexPool {
 public:
  explicit IndexPool(IndexFactory open) : open_(std::move(open)) {}
  class Lease {
   public:
    Lease(IndexPool& pool, std::unique_ptr<CrashIndex> index) : pool_(pool), index_(std::move(index)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (index_) pool_.Return(std::move(index_));
    }
    CrashIndex* operator->() { return index_.get(); }
    CrashIndex& operator*() { return *index_; }

   private:
    IndexPool& pool_;
    std::unique_ptr<CrashIndex> index_;
  };
  Result<Lease> Acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto index = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(index));
      }
    }
    auto opened = open_();
    if (!opened) return Unexpected(opened.error());
    return Lease(*this, std::move(*opened));
  }

 private:
  void Return(std::unique_ptr<CrashIndex> index) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(index));
  }
  IndexFactory open_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<CrashIndex>> idle_;
};

constexpr const char* kCookie = "corekit_read";

std::string Bearer(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  return auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
}

std::string CookieToken(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = std::string(kCookie) + "=";
  for (std::size_t at = 0; at < cookies.size();) {
    while (at < cookies.size() && (cookies[at] == ' ' || cookies[at] == ';')) ++at;
    const std::size_t end = std::min(cookies.find(';', at), cookies.size());
    if (cookies.compare(at, key.size(), key) == 0) return cookies.substr(at + key.size(), end - at - key.size());
    at = end;
  }
  return "";
}

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(JsonText(body, -1) + "\n", "application/json");
}

void SendError(const httplib::Request& req, httplib::Response& res, int status, const std::string& message) {
  if (req.path.rfind("/api/", 0) == 0) {
    SendJson(res, status, {{"error", message}});
  } else {
    res.status = status;
    res.set_content(ErrorPage(status, message), "text/html; charset=utf-8");
  }
}

}  // namespace

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

Result<Tokens> ReadTokens(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected(Errc::kIo, "cannot open the tokens file " + path + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  if (st.st_mode & 007) return Unexpected(Errc::kPermission, "the tokens file " + path + " is readable by others (chmod 600 it)");
  std::ifstream in(path);
  Tokens tokens;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.find(' ');
    const std::string kind = line.substr(0, space);
    const std::string token = space == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', space));
    const bool valid = token.size() >= 16 && token.size() <= 256 &&
                       token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") == std::string::npos;
    if ((kind != "upload" && kind != "read") || !valid) {
      return Unexpected(Errc::kInvalidArgument, path + ":" + std::to_string(number) +
                                                    ": expected \"upload TOKEN\" or \"read TOKEN\" (16-256 of A-Z a-z 0-9 - . _ ~ + / =)");
    }
    (kind == "upload" ? tokens.upload : tokens.read).push_back(token);
  }
  if (tokens.upload.empty() && tokens.read.empty()) return Unexpected(Errc::kInvalidArgument, "no tokens in " + path);
  return tokens;
}

struct Server::Impl {
  ServerOptions options;
  std::optional<Tokens> tokens;
  std::unique_ptr<store::Directory> files;
  FileNames names;
  IndexPool pool;
  std::unique_ptr<Analyzer> analyzer;
  httplib::Server http;
  int port = 0;

  explicit Impl(const ServerOptions& o, IndexFactory open)
      : options(o), names(o.database ? FileNames::kByContent : FileNames::kById), pool(std::move(open)) {}

  std::string BaseUrl() const {
    const std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
    return "http://" + host + ":" + std::to_string(port) + "/";
  }

  // Whether the request may go on; otherwise the response says why.
  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (!tokens) return true;
    if (req.path == "/login" || req.path == "/static/style.css") return true;
    if (req.method == "POST" && req.path == "/api/v1/crashes") {
      if (AnyToken(tokens->upload, Bearer(req))) return true;
      res.set_header("WWW-Authenticate", "Bearer realm=\"corekit upload\"");
      SendJson(res, 401, {{"error", "an upload token is required (Authorization: Bearer TOKEN)"}});
      return false;
    }
    if (AnyToken(tokens->read, Bearer(req)) || AnyToken(tokens->read, CookieToken(req))) return true;
    if (req.path.rfind("/api/", 0) == 0) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"corekit\"");
      SendJson(res, 401, {{"error", "a read token is required (Authorization: Bearer TOKEN)"}});
    } else {
      res.status = 303;
      res.set_header("Location", "/login");
    }
    return false;
  }

  void Routes();
  void Upload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  void Download(const httplib::Request& req, httplib::Response& res, bool compact);
};

void Server::Impl::Routes() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Authorized(req, res) ? httplib::Server::HandlerResponse::Unhandled : httplib::Server::HandlerResponse::Handled;
  });
  // Every response: no script, no frame, no outside resource, no referrer, no sniffing.
  http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Cache-Control", "no-store");
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    SendError(req, res, 500, "internal error");
  });
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) SendError(req, res, res.status, res.status == 404 ? "not found" : "error");
  });

  http.Get("/static/style.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kStyleSheet, "text/css; charset=utf-8");
  });
  http.Get("/login", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(LoginPage(false), "text/html; charset=utf-8");
  });
  http.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string token = req.get_param_value("token");
    if (!tokens || !AnyToken(tokens->read, token)) {
      res.status = 403;
      res.set_content(LoginPage(true), "text/html; charset=utf-8");
      return;
    }
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
    res.status = 303;
    res.set_header("Location", "/");
  });

  // Groups and crashes, as pages and as JSON.
  auto groups = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    auto query = ParseQuery(req.params);
    if (!query) return SendError(req, res, 400, query.error().message);
    auto index = pool.Acquire();
    if (!index) return SendError(req, res, 500, index.error().message);
    store::GroupQuery gq{query->filter, query->order, query->limit, query->offset};
    auto page = (*index)->Groups(gq);
    if (!page) return SendError(req, res, 500, page.error().message);
    std::vector<std::string> signatures;
    for (const store::Group& g : page->groups) signatures.push_back(g.signature);
    const std::int64_t today = static_cast<std::int64_t>(std::time(nullptr)) / 86400;
    auto per_day = (*index)->DailyCounts(signatures, query->filter, today - kSparklineDays + 1, kSparklineDays);
    if (!per_day) return SendError(req, res, 500, per_day.error().message);
    if (api) {
      nlohmann::json list = nlohmann::json::array();
      for (std::size_t i = 0; i < page->groups.size(); ++i) {
        list.push_back(GroupJson(page->groups[i]));
        list.back()["per_day"] = (*per_day)[i];
      }
      return SendJson(res, 200, {{"schema", "corekit.crash/1"}, {"groups", list}, {"total", page->total},
                                 {"limit", query->limit}, {"offset", query->offset}});
    }
    res.set_content(GroupsPage(*page, *per_day, *query), "text/html; charset=utf-8");
  };
  http.Get("/", [groups](const httplib::Request& req, httplib::Response& res) { groups(req, res, false); });
  http.Get("/api/v1/groups", [groups](const httplib::Request& req, httplib::Response& res) { groups(req, res, true); });

  auto crashes = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    auto query = ParseQuery(req.params);
    if (!query) return SendError(req, res, 400, query.error().message);
    auto index = pool.Acquire();
    if (!index) return SendError(req, res, 500, index.error().message);
    auto list = (*index)->Page(query->filter, query->limit, query->offset);
    auto total = (*index)->Count(query->filter);
    if (!list || !total) return SendError(req, res, 500, (!list ? list.error() : total.error()).message);
    if (api) {
      nlohmann::json items = nlohmann::json::array();
      for (const store::Crash& c : *list) items.push_back(CrashJson(c));
      return SendJson(res, 200, {{"schema", "corekit.crash/1"}, {"crashes", items}, {"total", *total},
                                 {"limit", query->limit}, {"offset", query->offset}});
    }
    res.set_content(CrashesPage(*list, *total, *query), "text/html; charset=utf-8");
  };
  http.Get("/crashes", [crashes](const httplib::Request& req, httplib::Response& res) { crashes(req, res, false); });
  http.Get("/api/v1/crashes", [crashes](const httplib::Request& req, httplib::Response& res) { crashes(req, res, true); });

  // One crash: ids are exactly 10 hex digits (the route's pattern), never a path.
  auto crash = [this](const httplib::Request& req, httplib::Response& res, bool api) {
    auto index = pool.Acquire();
    if (!index) return SendError(req, res, 500, index.error().message);
    auto c = (*index)->Find(req.matches[1].str());
    if (!c) return SendError(req, res, 404, "no crash " + req.matches[1].str());
    const nlohmann::json details = CrashDetails(*files, *c);
    if (api) {
      nlohmann::json j = CrashJson(*c);
      j["analysis_pending"] = c->analysis_pending;
      j["proc"] = details.is_object() && details.contains("proc") ? details["proc"] : nlohmann::json(nullptr);
      j["report"] = details.is_object() && details.contains("report") ? details["report"] : nlohmann::json(nullptr);
      j["files"] = {{"core", c->core_file.empty() ? nlohmann::json(nullptr) : nlohmann::json("/crashes/" + c->id + "/core")},
                    {"compact", c->compact_file.empty() ? nlohmann::json(nullptr) : nlohmann::json("/crashes/" + c->id + "/compact")}};
      return SendJson(res, 200, j);
    }
    res.set_content(CrashPage(*c, details, BaseUrl(), tokens.has_value()), "text/html; charset=utf-8");
  };
  http.Get(R"(/crashes/([0-9a-f]{10}))", [crash](const httplib::Request& req, httplib::Response& res) { crash(req, res, false); });
  http.Get(R"(/api/v1/crashes/([0-9a-f]{10}))", [crash](const httplib::Request& req, httplib::Response& res) { crash(req, res, true); });
  http.Get(R"(/crashes/([0-9a-f]{10})/core)", [this](const httplib::Request& req, httplib::Response& res) { Download(req, res, false); });
  http.Get(R"(/crashes/([0-9a-f]{10})/compact)", [this](const httplib::Request& req, httplib::Response& res) { Download(req, res, true); });

  http.Post("/api/v1/crashes", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    Upload(req, res, reader);
  });
}

void Server::Impl::Download(const httplib::Request& req, httplib::Response& res, bool compact) {
  auto index = pool.Acquire();
  if (!index) return SendError(req, res, 500, index.error().message);
  auto c = (*index)->Find(req.matches[1].str());
  if (!c) return SendError(req, res, 404, "no crash " + req.matches[1].str());
  const std::string& name = compact ? c->compact_file : c->core_file;
  if (name.empty()) return SendError(req, res, 404, std::string("crash ") + c->id + " has no " + (compact ? "compact core" : "core"));
  auto fd = files->OpenFile(name);
  if (!fd) return SendError(req, res, 404, fd.error().message);
  struct stat st {};
  ::fstat(*fd, &st);
  auto shared_fd = std::make_shared<int>(*fd);
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  res.set_content_provider(
      static_cast<std::size_t>(st.st_size), "application/octet-stream",
      [shared_fd](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        char buffer[1 << 16];
        const ssize_t n = ::pread(*shared_fd, buffer, std::min(length, sizeof buffer), static_cast<off_t>(offset));
        if (n <= 0) return false;
        return sink.write(buffer, static_cast<std::size_t>(n));
      },
      [shared_fd](bool) { ::close(*shared_fd); });
}

void Server::Impl::Upload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
  if (!req.is_multipart_form_data()) {
    return SendJson(res, 415, {{"error", "an upload is multipart/form-data: metadata, report, compact, core"}});
  }
  auto index = pool.Acquire();
  if (!index) return SendJson(res, 503, {{"error", index.error().message}});
  UploadParts parts(*files, options.max_upload, names);
  // A body that trickles in is dropped: the whole upload gets a minute plus a second per MiB
  // of the limit (each read is bounded by the read timeout as well).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60 + options.max_upload / (1 << 20));
  const bool read = reader(
      [&](const httplib::MultipartFormData& part) { return parts.Begin(part.name); },
      [&](const char* data, std::size_t size) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        return parts.Append(data, size);
      });
  if (!read) {
    const bool over = parts.too_large() || std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > options.max_upload;
    return SendJson(res, over ? 413 : 400, {{"error", parts.error().empty() ? "the upload was cut short" : parts.error()}});
  }
  if (parts.metadata.empty()) return SendJson(res, 400, {{"error", "the upload has no metadata part"}});
  auto stored = StoreUpload(*files, **index, parts, req.remote_addr, names);
  if (!stored) return SendJson(res, stored.error().code == Errc::kInvalidArgument ? 400 : 500, {{"error", stored.error().message}});
  if (!stored->duplicate) analyzer->Enqueue(stored->id);
  res.set_header("Location", "/api/v1/crashes/" + stored->id);
  SendJson(res, stored->duplicate ? 200 : 201, {{"id", stored->id}, {"duplicate", stored->duplicate}, {"url", BaseUrl() + "crashes/" + stored->id}});
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  IndexFactory open_index;
  if (options.database) {
    const std::string conninfo = *options.database;
    open_index = [conninfo] { return OpenPostgresIndex(conninfo); };
  } else {
    const std::string dir = options.store;
    open_index = [dir] { return OpenSqliteIndex(dir); };
  }
  auto impl = std::make_unique<Impl>(options, open_index);
  if (options.tokens_file) {
    auto tokens = ReadTokens(*options.tokens_file);
    if (!tokens) return Unexpected(tokens.error());
    impl->tokens = *tokens;
  } else if (!IsLoopback(options.host)) {
    return Unexpected(Errc::kPermission, "serving on " + options.host +
                                             " needs --tokens FILE (upload and read tokens): only a loopback server may go without");
  }
  {
    auto index = impl->pool.Acquire();  // creates the database or store, migrates its schema
    if (!index) return Unexpected(index.error());
    auto files = store::Directory::Open(options.store, store::Access::kWrite);
    if (!files) return Unexpected(files.error());
    impl->files = std::move(*files);
    impl->analyzer = std::make_unique<Analyzer>(open_index, *impl->files, options.analyzer, options.workers,
                                                options.analysis_timeout);
    impl->analyzer->EnqueuePending(**index);
  }
  httplib::Server& http = impl->http;
  const unsigned threads = std::max(2u, options.http_threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_read_timeout(static_cast<time_t>(options.read_timeout.count()), 0);
  http.set_write_timeout(60, 0);
  http.set_keep_alive_timeout(5);
  // Headers and body go out in separate writes: without TCP_NODELAY a keep-alive client's
  // delayed ACK holds the second for 40 ms.
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(100);
  http.set_payload_max_length(static_cast<std::size_t>(options.max_upload));
  impl->Routes();
  if (options.port == 0) {
    impl->port = http.bind_to_any_port(options.host);
    if (impl->port < 0) return Unexpected(Errc::kIo, "cannot listen on " + options.host);
  } else {
    if (!http.bind_to_port(options.host, options.port)) {
      return Unexpected(Errc::kIo, "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + std::strerror(errno));
    }
    impl->port = options.port;
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }
std::string Server::url() const { return impl_->BaseUrl(); }

Result<void> Server::Run() {
  if (!impl_->http.listen_after_bind()) return Unexpected(Errc::kIo, "the server stopped listening");
  return {};
}

void Server::Stop() { impl_->http.stop(); }

}  // namespace corekit::server
