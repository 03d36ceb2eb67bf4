// corekit serve: the crash store's web pages, its JSON API and the collector of uploads
// (corekit/server/server.h, docs/server.md).
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <thread>

#include "core_writer.h"
#include "corekit/server/server.h"
#include "render.h"
#include "stored_crash.h"

namespace corekit::tools {
namespace {

struct ServeOptions {
  std::string store;
  std::string db;
  std::string listen = "127.0.0.1:8123";
  std::string tokens;
  unsigned workers = 2;
  std::string max_upload = "4G";
  unsigned read_timeout = 10;
};

// "HOST:PORT", "[::1]:PORT" or ":PORT" (loopback).
Result<std::pair<std::string, int>> ParseListen(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return Unexpected(Errc::kInvalidArgument, "--listen takes HOST:PORT, e.g. 127.0.0.1:8123");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  int port = -1;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  if (std::from_chars(begin, end, port).ptr != end || port < 0 || port > 65535) {
    return Unexpected(Errc::kInvalidArgument, "bad port in --listen " + text);
  }
  return std::pair{host, port};
}

int Run(const ServeOptions& o) {
  auto listen = ParseListen(o.listen);
  if (!listen) return Fail(listen.error());
  auto max_upload = ParseSize(o.max_upload);
  if (!max_upload) return Fail(max_upload.error());
  server::ServerOptions options;
  options.store = StorePath(o.store);
  options.host = listen->first;
  options.port = listen->second;
  if (!o.tokens.empty()) options.tokens_file = o.tokens;
  if (!o.db.empty()) options.database = o.db;
  options.analyzer = SelfPath();
  options.workers = o.workers;
  options.max_upload = *max_upload;
  options.read_timeout = std::chrono::seconds(std::max(1u, o.read_timeout));
  // SIGINT and SIGTERM end the server from one thread that waits for them; every other thread
  // (the HTTP pool, the analysis workers) starts with them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  auto server = server::Server::Create(options);
  if (!server) return Fail(server.error());
  Print("corekit serve: {} (store {}{}{})\n", (*server)->url(), Printable(options.store),
        options.database ? ", PostgreSQL" : "",
        options.tokens_file ? ", tokens required" : "");
  std::fflush(stdout);
  std::thread waiter([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    (*server)->Stop();
  });
  auto ran = (*server)->Run();
  pthread_kill(waiter.native_handle(), SIGTERM);  // when Run ended on its own
  waiter.join();
  if (!ran) return Fail(ran.error());
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand("serve", "the crash store's web pages, JSON API and upload collector");
  command->footer(R"(Pages: / (crash groups by signature), /crashes, /crashes/ID. JSON: /api/v1/groups,
/api/v1/crashes, /api/v1/crashes/ID (?exe= &host= &signal= &signature= &since= &until= &sort=
&limit= &offset=). Uploads: POST /api/v1/crashes (corekit upload, corekit handler install
--upload). Binds 127.0.0.1 unless told otherwise; any other address needs --tokens FILE with
"upload TOKEN" and "read TOKEN" lines (a browser signs in once at /login).

Example:
  corekit serve --store /var/lib/corekit
  corekit serve --listen 0.0.0.0:8123 --tokens /etc/corekit/tokens
  corekit serve --db postgresql://corekit@db.example/crashes --store /mnt/crashes --listen 0.0.0.0:8123 --tokens t)");
  command->add_option("--store", o->store, "the crash store (default $COREKIT_STORE, else /var/lib/corekit)");
  command->add_option("--db", o->db, "a PostgreSQL database for a fleet (postgresql://USER@HOST/DB): --store then holds the files");
  command->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8123; port 0: any free port)");
  command->add_option("--tokens", o->tokens, "file of \"upload TOKEN\" and \"read TOKEN\" lines (mode 600)");
  command->add_option("--workers", o->workers, "threads analysing uploads (default 2)");
  command->add_option("--max-upload", o->max_upload, "largest upload body (default 4G)");
  command->add_option("--read-timeout", o->read_timeout, "seconds a client may stay silent before it is dropped (default 10)");
  command->callback([o, &run] { run = [o] { return Run(*o); }; });
}

}  // namespace corekit::tools
