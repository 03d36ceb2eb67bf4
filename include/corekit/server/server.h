// corekit serve: the crash store over HTTP — pages for people, a JSON API (/api/v1/), and the
// collector that stores uploads from other machines' handlers.
//
// One process on cpp-httplib (a thread per connection from a bounded pool): the pages are
// rendered on the server as plain HTML and inline SVG, with no script at all, served under a
// Content-Security-Policy that allows none. Reads and uploads are authorised by separate tokens
// (docs/server.md); an upload is answered as soon as it is durably stored, and analysed
// afterwards by worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corekit/base/result.h"

namespace corekit::server {

struct ServerOptions {
  std::string store;                       // the crash store's directory (created when missing)
  // A PostgreSQL database for the rows ("postgresql://..."): then `store` holds only files,
  // named by content, and may be shared by many servers. Otherwise the store's SQLite index.
  std::optional<std::string> database;
  std::string host = "127.0.0.1";
  int port = 8123;                         // 0: a free port (see Server::port)
  std::optional<std::string> tokens_file;  // lines "upload TOKEN" and "read TOKEN"
  std::string analyzer;                    // the corekit executable that analyses uploads
  unsigned workers = 2;                    // analysis threads
  unsigned http_threads = 16;              // connections served at once
  std::uint64_t max_upload = 4ull << 30;   // bytes of one upload's body
  std::chrono::seconds read_timeout{10};   // a client silent this long is dropped
  std::chrono::seconds analysis_timeout{60};
};

// The tokens of a --tokens file: "upload TOKEN" and "read TOKEN" lines ('#' comments). The file
// must not be readable by others; a token is at least 16 characters.
struct Tokens {
  std::vector<std::string> upload, read;
};
Result<Tokens> ReadTokens(const std::string& path);

// 127.0.0.0/8, ::1, localhost.
bool IsLoopback(const std::string& host);

class Server {
 public:
  // Opens the store, reads the tokens and binds; refuses a non-loopback address without tokens.
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  std::string url() const;  // "http://127.0.0.1:8123/"
  // Serves until Stop (from another thread or a signal-handling thread).
  Result<void> Run();
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corekit::server
