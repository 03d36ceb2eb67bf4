// corekit serve as its users meet it: a real server process on loopback, crashes uploaded with
// `corekit upload` from the kernel's core of a test program whose name and arguments are
// hostile, the JSON API, the pages in headless Chromium (the rendered DOM checked, screenshots
// kept), tokens, the limits, and load and faults: concurrent uploads, a server killed with
// SIGKILL mid-upload and restarted — every crash stored exactly once.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "serve_process.h"
#include "support.h"

namespace corekit::itest {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// What the test program is named and called with: markup, an attribute break-out, a script URL
// and a terminal escape, in the executable's name (comm is its first 15 bytes) and arguments —
// short, as the core keeps the first 80 bytes of the command line.
const std::string kHostileName = "<script>\"onmouseover=x";
const std::vector<std::string> kHostileArgs = {"<script>a", "\"onmouseover=b", "javascript:c", "\x1b[31m"};

// A client of the server, patient enough for a loaded one.
httplib::Client ClientOf(const ServerProcess& server) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(30, 0);
  return client;
}

// The kernel's core of the hostile test program, and its compact core: made once.
struct Cores {
  std::optional<std::string> unavailable;
  fs::path core, compact;
};
const Cores& HostileCores() {
  static TempDir dir;
  static const Cores cores = [] {
    Cores c;
    if (auto why = KernelCoresUnavailable()) {
      c.unavailable = *why;
      return c;
    }
    fs::copy_file(CRASH_BIN, dir / kHostileName);
    std::vector<std::string> argv = {"./" + kHostileName};
    argv.insert(argv.end(), kHostileArgs.begin(), kHostileArgs.end());
    argv.insert(argv.end(), {"--threads=3", "--mode=segv"});
    const CrashResult crash = CrashInDir(argv, dir.path());
    if (!crash.dumped || crash.core.empty()) {
      c.unavailable = "the kernel wrote no core";
      return c;
    }
    c.core = crash.core;
    c.compact = dir / "compact.core.zst";
    RunCommand(std::string(COREKIT_BIN) + " compact --compress " + Quote(c.core.string()) + " " + Quote(c.compact.string()));
    return c;
  }();
  return cores;
}

json Get(const ServerProcess& server, const std::string& path, int want = 200) {
  auto client = ClientOf(server);
  auto res = client.Get(path);
  EXPECT_TRUE(res) << path;
  if (!res) return nullptr;
  EXPECT_EQ(res->status, want) << path << ": " << res->body;
  return json::parse(res->body, nullptr, false);
}

// The crash's JSON once the server has analysed it (at most 60 s).
json Analysed(const ServerProcess& server, const std::string& id) {
  json j;
  for (int i = 0; i < 600; ++i) {
    j = Get(server, "/api/v1/crashes/" + id);
    if (j.is_object() && j.value("analysis_pending", true) == false) break;
    std::this_thread::sleep_for(100ms);
  }
  return j;
}

// One upload through the API, as any client may send it.
httplib::Result PostUpload(httplib::Client& client, const std::string& upload_id, const std::string& compact,
                           const std::string& report = "", const std::string& token = "") {
  httplib::MultipartFormDataItems items = {
      {"metadata", json({{"upload_id", upload_id}, {"crash", {{"executable", "/bin/load"}, {"hostname", "load-host"},
                                                              {"signal", {{"number", 11}, {"code", 1}}}}}}).dump(),
       "", "application/json"}};
  if (!report.empty()) items.push_back({"report", report, "", "application/json"});
  if (!compact.empty()) items.push_back({"compact", compact, "compact.core.zst", "application/octet-stream"});
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return client.Post("/api/v1/crashes", headers, items);
}

// Waits (30 s at most) for the server's analysis to put `count` crashes in one group, the only one.
void ExpectOneGroupOf(const ServerProcess& server, int count) {
  json group;
  for (int i = 0; i < 300; ++i) {
    group = Get(server, "/api/v1/groups")["groups"];
    if (group.size() == 1 && group[0]["count"] == count) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0]["count"], count);
}

// What Chromium rendered: the DOM after parsing, and what in it could run — script elements,
// event-handler attributes, javascript: URLs — counted by Python's HTML parser.
struct Rendered {
  std::string dom;
  int active = -1;
};
Rendered Chromium(const std::string& url, const fs::path& screenshot) {
  Rendered r;
  const std::string flags = "--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
                            "--user-data-dir=" + Quote((fs::temp_directory_path() / "corekit-chromium").string());
  r.dom = RunCommand("timeout 60 chromium " + flags + " --dump-dom " + Quote(url) + " 2>/dev/null").out;
  if (!screenshot.empty()) {
    fs::create_directories(screenshot.parent_path());
    RunCommand("timeout 60 chromium " + flags + " --window-size=1280,1600 --screenshot=" + Quote(screenshot.string()) +
               " " + Quote(url) + " >/dev/null 2>&1");
  }
  TempDir dir;
  {
    std::ofstream(dir / "dom.html") << r.dom;
  }
  const std::string checker = R"(
import sys, html.parser
class P(html.parser.HTMLParser):
    active = 0
    def handle_starttag(self, tag, attrs):
        if tag == 'script': self.active += 1
        for k, v in attrs:
            if k.startswith('on') or (v or '').strip().lower().startswith('javascript:'): self.active += 1
p = P(); p.feed(open(sys.argv[1]).read()); print(p.active))";
  const auto out = RunCommand("python3 -c " + Quote(checker) + " " + Quote((dir / "dom.html").string()));
  if (out.status == 0) r.active = std::stoi(out.out);
  return r;
}

class Server : public ::testing::Test {
 protected:
  TempDir dir_;
  fs::path store_ = dir_ / "store";
};

TEST_F(Server, StoresAnUploadedKernelCoreOnceAndShowsItInTheApi) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  ServerProcess server(store_);
  ASSERT_TRUE(server.ok());
  const auto first = RunCommand(std::string(COREKIT_BIN) + " upload --json " + Quote(cores.core.string()) + " " + server.url());
  ASSERT_EQ(first.status, 0) << first.err;
  const json stored = json::parse(first.out);
  const std::string id = stored["id"];
  EXPECT_FALSE(stored["duplicate"].get<bool>());
  // A retry, and the command run again: the same crash, not a second one.
  const auto again = RunCommand(std::string(COREKIT_BIN) + " upload " + Quote(cores.core.string()) + " " + server.url());
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("already uploaded"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find(id), std::string::npos);

  const json crash = Analysed(server, id);
  ASSERT_TRUE(crash.is_object());
  EXPECT_EQ(crash["core"], "compact");
  EXPECT_EQ(crash["report_kind"], "null-dereference");
  EXPECT_EQ(crash["signal"]["name"], "SIGSEGV");
  EXPECT_EQ(crash["signature"], "crash_here | middle | outer | worker");
  EXPECT_EQ(crash["executable"], (cores.core.parent_path() / kHostileName).string());
  EXPECT_EQ(crash["command_line"].get<std::string>().rfind("./" + kHostileName + " <script>a \"onmouseover=b javascript:c", 0), 0u)
      << crash["command_line"];
  EXPECT_EQ(crash["report"]["threads"].size(), 4u);
  EXPECT_EQ(crash["files"]["compact"], "/crashes/" + id + "/compact");

  const json crashes = Get(server, "/api/v1/crashes");
  EXPECT_EQ(crashes["total"], 1);
  const json groups = Get(server, "/api/v1/groups");
  ASSERT_EQ(groups["groups"].size(), 1u);
  EXPECT_EQ(groups["groups"][0]["count"], 1);
  EXPECT_EQ(groups["groups"][0]["per_day"].back(), 1);
  EXPECT_EQ(Get(server, "/api/v1/groups?signal=SIGABRT")["groups"].size(), 0u);
  EXPECT_EQ(Get(server, "/api/v1/crashes?exe=/nowhere")["total"], 0);

  // The compact core downloads whole and is a core corekit reads to the same signature.
  auto client = ClientOf(server);
  auto download = client.Get("/crashes/" + id + "/compact");
  ASSERT_TRUE(download);
  ASSERT_EQ(download->status, 200);
  EXPECT_EQ(download->body, ReadAll(store_ / (id + ".compact.core.zst")));
  EXPECT_EQ(download->get_header_value("Content-Type"), "application/octet-stream");
  const fs::path got = dir_ / "downloaded.core.zst";
  std::ofstream(got, std::ios::binary) << download->body;
  const json report = Corekit("report --json " + Quote(got.string()));
  EXPECT_EQ(report["crash"]["signature"], crash["signature"]);
}

TEST_F(Server, AnalysesAnUploadThatCameWithoutAReport) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  ServerProcess server(store_);
  ASSERT_TRUE(server.ok());
  auto client = ClientOf(server);
  auto res = PostUpload(client, "no-report-0001", ReadAll(cores.compact));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const std::string id = json::parse(res->body)["id"];
  // Analysed here, as nobody: the test program's directory is closed to it, so the frames are
  // named by module and offset — but the crash and its kind are there.
  const json crash = Analysed(server, id);
  ASSERT_TRUE(crash["signature"].is_string()) << crash.dump();
  EXPECT_NE(crash["signature"].get<std::string>().find("+0x"), std::string::npos);
  EXPECT_EQ(crash["report_kind"], "null-dereference");
  EXPECT_EQ(crash["analysis_error"], nullptr);
  EXPECT_EQ(crash["report"]["threads"].size(), 4u);
}

TEST_F(Server, ChromiumShowsTheGroupsTheCrashesAndACrashWithItsHostileTextInert) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  if (!HaveTool("chromium") || !HaveTool("python3")) GTEST_SKIP() << "no chromium or python3 (Debian chromium)";
  ServerProcess server(store_);
  ASSERT_TRUE(server.ok());
  auto client = ClientOf(server);
  // The report's function names are hostile too: an uploader sends what it likes.
  json report = Corekit("report --json " + Quote(cores.core.string()));
  ASSERT_TRUE(report.is_object());
  for (auto& t : report["threads"]) {
    if (!t["crashed"].get<bool>()) continue;
    t["frames"][1]["function"] = "middle<script>alert(4)</script>";
    t["frames"][2]["function"] = "outer\" onmouseover=\"alert(5)";
  }
  const auto uploaded = RunCommand(std::string(COREKIT_BIN) + " upload --json " + Quote(cores.core.string()) + " " + server.url());
  ASSERT_EQ(uploaded.status, 0) << uploaded.err;
  const std::string first = json::parse(uploaded.out)["id"];
  auto res = PostUpload(client, "hostile-report-1", ReadAll(cores.compact), report.dump());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const std::string id = json::parse(res->body)["id"];
  Analysed(server, id);

  const fs::path shots = fs::path(SCREENSHOT_DIR);
  const Rendered groups = Chromium(server.url(), shots / "groups.png");
  EXPECT_NE(groups.dom.find("crash_here | middle | outer | worker"), std::string::npos);
  EXPECT_NE(groups.dom.find("<svg class=\"spark\""), std::string::npos);
  EXPECT_EQ(groups.active, 0) << groups.dom;

  const Rendered list = Chromium(server.url() + "crashes", shots / "crashes.png");
  EXPECT_NE(list.dom.find("SIGSEGV"), std::string::npos);
  EXPECT_NE(list.dom.find("&lt;script&gt;\"onmouseover=x"), std::string::npos) << list.dom;
  EXPECT_EQ(list.active, 0) << list.dom;

  // The crash as `corekit upload` sent it: the program's name and arguments are hostile.
  const Rendered page = Chromium(server.url() + "crashes/" + first, shots / "crash.png");
  EXPECT_NE(page.dom.find(">crash_here<"), std::string::npos);
  EXPECT_NE(page.dom.find("SIGSEGV"), std::string::npos);
  EXPECT_NE(page.dom.find("<dd class=\"threads\">4</dd>"), std::string::npos);
  EXPECT_NE(page.dom.find("&lt;script&gt;\"onmouseover=x &lt;script&gt;a \"onmouseover=b javascript:c \\x1b[31m"),
            std::string::npos);                                  // shown as text, the escape made visible
  EXPECT_EQ(page.dom.find('\x1b'), std::string::npos);
  EXPECT_NE(page.dom.find("<svg class=\"aspace\""), std::string::npos);
  EXPECT_EQ(page.active, 0) << page.dom;
  // The crash whose report names hostile functions.
  const Rendered hostile = Chromium(server.url() + "crashes/" + id, fs::path());
  EXPECT_NE(hostile.dom.find("middle&lt;script&gt;alert(4)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(hostile.dom.find("outer\" onmouseover=\"alert(5)"), std::string::npos);
  EXPECT_EQ(hostile.active, 0) << hostile.dom;

  // At a phone's width: the same page, laid out for it (the screenshot the README shows).
  RunCommand("timeout 60 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=390,1400 "
             "--screenshot=" + Quote((shots / "crash-phone.png").string()) + " " + Quote(server.url() + "crashes/" + first) +
             " >/dev/null 2>&1");
}

// A client may gzip the whole request (Content-Encoding: gzip): cores compress well, metadata
// and reports better.
TEST_F(Server, TakesAGzipEncodedUpload) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  ServerProcess server(store_);
  ASSERT_TRUE(server.ok());
  auto client = ClientOf(server);
  client.set_compress(true);
  auto res = PostUpload(client, "gzip-body-0001", ReadAll(cores.compact));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const json crash = Get(server, "/api/v1/crashes/" + json::parse(res->body)["id"].get<std::string>());
  EXPECT_EQ(crash["executable"], "/bin/load");
  EXPECT_EQ(crash["core"], "compact");
}

TEST_F(Server, AsksForTokensAndKeepsUploadAndReadApart) {
  const fs::path tokens = dir_ / "tokens";
  std::ofstream(tokens) << "# corekit serve tokens\nupload up-0123456789abcdef\nread rd-0123456789abcdef\n";
  fs::permissions(tokens, fs::perms::owner_read | fs::perms::owner_write);
  ServerProcess server(store_, {"--tokens", tokens.string()});
  ASSERT_TRUE(server.ok());
  auto client = ClientOf(server);
  EXPECT_EQ(client.Get("/api/v1/crashes")->status, 401);
  auto page = client.Get("/");
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/login");
  EXPECT_EQ(client.Get("/login")->status, 200);
  EXPECT_EQ(client.Get("/api/v1/crashes", {{"Authorization", "Bearer rd-0123456789abcdef"}})->status, 200);
  EXPECT_EQ(client.Get("/api/v1/crashes", {{"Authorization", "Bearer up-0123456789abcdef"}})->status, 401);
  // Uploads need the upload token, not the read one.
  EXPECT_EQ(PostUpload(client, "token-test-0001", "", "", "rd-0123456789abcdef")->status, 401);
  EXPECT_EQ(PostUpload(client, "token-test-0001", "", "", "up-0123456789abcdef")->status, 201);
  // A browser signs in once: the cookie then reads the pages.
  EXPECT_EQ(client.Post("/login", "token=wrong-token-0000000", "application/x-www-form-urlencoded")->status, 403);
  auto login = client.Post("/login", "token=rd-0123456789abcdef", "application/x-www-form-urlencoded");
  ASSERT_EQ(login->status, 303);
  const std::string cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(client.Get("/crashes", {{"Cookie", cookie.substr(0, cookie.find(';'))}})->status, 200);

  // Without tokens only loopback is served; a tokens file others can read is refused.
  const auto open = RunCommand(std::string(COREKIT_BIN) + " serve --store " + Quote(store_.string()) + " --listen 0.0.0.0:0");
  EXPECT_EQ(open.status, 1);
  EXPECT_NE(open.err.find("needs --tokens"), std::string::npos) << open.err;
  fs::permissions(tokens, fs::perms::others_read, fs::perm_options::add);
  const auto readable = RunCommand(std::string(COREKIT_BIN) + " serve --store " + Quote(store_.string()) +
                                   " --listen 127.0.0.1:0 --tokens " + Quote(tokens.string()));
  EXPECT_EQ(readable.status, 1);
  EXPECT_NE(readable.err.find("readable by others"), std::string::npos) << readable.err;
}

TEST_F(Server, RefusesWhatIsNotARequestItServes) {
  ServerProcess server(store_, {"--max-upload", "64K", "--read-timeout", "2"});
  ASSERT_TRUE(server.ok());
  auto client = ClientOf(server);
  // Ids are ten hex digits, never a path; queries are checked.
  for (const char* path : {"/crashes/../../etc/passwd", "/crashes/..%2f..%2fetc%2fpasswd", "/crashes/ZZZZZZZZZZ",
                           "/crashes/0123456789", "/api/v1/crashes/0123", "/crashes/0123456789/core"}) {
    auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(client.Get("/api/v1/crashes?limit=abc")->status, 400);
  EXPECT_EQ(client.Get("/crashes?signal=SIGNOPE")->status, 400);
  // Every response carries the policy that forbids scripts.
  EXPECT_NE(client.Get("/")->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  // Uploads: a bad id, a part that is not a core, an unknown part, too large a body.
  EXPECT_EQ(PostUpload(client, "bad id!", "")->status, 400);
  EXPECT_EQ(PostUpload(client, "not-a-core-0001", "hello, not a core")->status, 400);
  EXPECT_EQ(client.Post("/api/v1/crashes", httplib::MultipartFormDataItems{{"metadata", "{}", "", ""}, {"other", "x", "", ""}})->status, 400);
  EXPECT_EQ(PostUpload(client, "too-large-0001", std::string(1 << 17, 'x'))->status, 413);
  EXPECT_EQ(client.Post("/api/v1/crashes", "x", "text/plain")->status, 415);
  // No GET changes anything: the refused uploads stored nothing either.
  EXPECT_EQ(Get(server, "/api/v1/crashes")["total"], 0);

  // A client that sends half a request and goes silent is dropped after the read timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string partial = "GET / HTTP/1.1\r\nHost: x\r\n";
  ASSERT_EQ(::write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
  const auto start = std::chrono::steady_clock::now();
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_EQ(n, 0);  // closed by the server, not our receive timeout
  EXPECT_LT(waited, 8s);
}

// 2 000 uploads from 8 clients at once, each sent twice (a retry): 2 000 crashes stored.
TEST_F(Server, ConcurrentUploadsAreStoredExactlyOnce) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  ServerProcess server(store_);
  ASSERT_TRUE(server.ok());
  const std::string compact = ReadAll(cores.compact);
  const std::string report = json({{"crash", {{"signature", "load | test"}, {"kind", "null-dereference"}}}}).dump();
  constexpr int kClients = 8, kEach = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = ClientOf(server);
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "load-" + std::to_string(c) + "-" + std::to_string(i);
        for (int send = 0; send < (i % 10 == 0 ? 2 : 1); ++send) {
          auto res = PostUpload(client, id, compact, report);
          if (!res || (res->status != 201 && res->status != 200)) ++failures;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Get(server, "/api/v1/crashes?limit=1")["total"], kClients * kEach);
  // Analysed by the workers from the uploaded reports: one group of them all, in time.
  ExpectOneGroupOf(server, kClients * kEach);
}

// The server killed with SIGKILL while 8 clients upload, then restarted on the same port: the
// clients retry what failed, and every crash is stored exactly once, each row with its files.
TEST_F(Server, ASigkilledServerLosesNoUploadAndStoresNoneTwice) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  auto server = std::make_unique<ServerProcess>(store_);
  ASSERT_TRUE(server->ok());
  const int port = server->port();
  const std::string compact = ReadAll(cores.compact);
  const std::string report = json({{"crash", {{"signature", "kill | test"}, {"kind", "null-dereference"}}}}).dump();
  constexpr int kClients = 8, kEach = 60;
  std::atomic<int> done{0}, gave_up{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "kill-" + std::to_string(c) + "-" + std::to_string(i);
        bool stored = false;
        for (int attempt = 0; attempt < 200 && !stored; ++attempt) {
          httplib::Client client("127.0.0.1", port);
          client.set_read_timeout(10, 0);
          auto res = PostUpload(client, id, compact, report);
          stored = res && (res->status == 201 || res->status == 200);
          if (!stored) std::this_thread::sleep_for(50ms);
        }
        (stored ? done : gave_up)++;
      }
    });
  }
  while (done < kClients * kEach / 3) std::this_thread::sleep_for(10ms);
  server->Stop(SIGKILL);
  std::this_thread::sleep_for(300ms);
  server = std::make_unique<ServerProcess>(store_, std::vector<std::string>{}, port);
  ASSERT_TRUE(server->ok());
  for (auto& t : clients) t.join();
  EXPECT_EQ(gave_up, 0);
  const json all = Get(*server, "/api/v1/crashes?limit=500");
  EXPECT_EQ(all["total"], kClients * kEach);
  std::set<std::string> ids;
  for (const auto& c : all["crashes"]) {
    ids.insert(c["id"].get<std::string>());
    EXPECT_TRUE(c["compact"].get<bool>()) << c.dump();
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kClients * kEach));
  // Every row's file is there (no half row), and the rows left pending are analysed after the restart.
  auto client = ClientOf(*server);
  for (const auto& c : all["crashes"]) {
    auto res = client.Head("/crashes/" + c["id"].get<std::string>() + "/compact");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  json group;
  for (int i = 0; i < 300; ++i) {
    group = Get(*server, "/api/v1/groups")["groups"];
    if (group.size() == 1 && group[0]["count"] == kClients * kEach) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0]["count"], kClients * kEach);
}

// A PostgreSQL server of Debian's `postgresql` package in a temporary directory: initdb'd and
// run as nobody (PostgreSQL refuses root) on 127.0.0.1 and a free port, trust authentication.
class PostgresServer {
 public:
  PostgresServer() {
    const auto found = RunCommand("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1");
    bin_ = found.out.substr(0, found.out.find('\n'));
    if (bin_.empty() || !fs::exists(fs::path(bin_) / "initdb")) {
      unavailable_ = "no PostgreSQL server (Debian postgresql)";
      return;
    }
    std::string pattern = "/tmp/corekit-pg-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
    as_ = ::geteuid() == 0 ? "runuser -u nobody -- " : "";
    if (::geteuid() == 0 && ::chown(dir_.c_str(), 65534, 65534) != 0) unavailable_ = "cannot give nobody the data directory";
    port_ = FreePort();
    const auto init = RunCommand(as_ + Quote(bin_ + "/initdb") + " -D " + Quote(dir_ + "/data") +
                                 " -A trust -U corekit -E UTF8 --no-sync >/dev/null");
    if (init.status != 0) {
      unavailable_ = "initdb failed: " + init.err;
      return;
    }
    if (!Control("start")) unavailable_ = "PostgreSQL did not start: " + ReadAll(dir_ + "/log");
  }
  ~PostgresServer() {
    if (!dir_.empty()) {
      RunCommand(as_ + Quote(bin_ + "/pg_ctl") + " -D " + Quote(dir_ + "/data") + " -m immediate -w stop >/dev/null 2>&1");
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  // start, restart (a fast shutdown: every connection is dropped), stop.
  bool Control(const std::string& action) {
    const std::string options = "-k " + dir_ + " -p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1";
    return RunCommand(as_ + Quote(bin_ + "/pg_ctl") + " -D " + Quote(dir_ + "/data") + " -l " + Quote(dir_ + "/log") +
                      " -o " + Quote(options) + " -m fast -w " + action + " >/dev/null")
               .status == 0;
  }
  const std::optional<std::string>& unavailable() const { return unavailable_; }
  std::string url() const { return "postgresql://corekit@127.0.0.1:" + std::to_string(port_) + "/postgres"; }

 private:
  std::string bin_, dir_, as_;
  int port_ = 0;
  std::optional<std::string> unavailable_;
};

// Two servers, one PostgreSQL database and one directory of files: what one stores, the other
// shows; a retry through the other is the same crash; the files are named by their content.
TEST_F(Server, TwoServersShareOnePostgresDatabaseAndDirectory) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  PostgresServer postgres;
  if (postgres.unavailable()) GTEST_SKIP() << *postgres.unavailable();
  ServerProcess a(store_, {"--db", postgres.url()});
  ServerProcess b(store_, {"--db", postgres.url()});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  const auto sent = RunCommand(std::string(COREKIT_BIN) + " upload --json " + Quote(cores.core.string()) + " " + a.url());
  ASSERT_EQ(sent.status, 0) << sent.err;
  const std::string id = json::parse(sent.out)["id"];
  const auto again = RunCommand(std::string(COREKIT_BIN) + " upload --json " + Quote(cores.core.string()) + " " + b.url());
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["id"], id);
  EXPECT_TRUE(json::parse(again.out)["duplicate"].get<bool>());
  const json crash = Analysed(b, id);
  EXPECT_EQ(crash["signature"], "crash_here | middle | outer | worker");
  EXPECT_EQ(crash["report"]["threads"].size(), 4u);
  EXPECT_NE(crash["command_line"].get<std::string>().find("<script>a"), std::string::npos);
  const json groups = Get(a, "/api/v1/groups");
  ASSERT_EQ(groups["groups"].size(), 1u);
  EXPECT_EQ(groups["groups"][0]["hosts"].size(), 1u);
  std::size_t by_content = 0;
  for (const auto& e : fs::directory_iterator(store_)) by_content += e.path().filename().string().rfind("sha256-", 0) == 0;
  EXPECT_EQ(by_content, 1u);  // the compact core, stored once
  EXPECT_FALSE(fs::exists(store_ / "index.sqlite"));
  auto client = ClientOf(b);
  auto page = client.Get("/crashes/" + id);
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("crash_here"), std::string::npos);
  auto download = client.Get("/crashes/" + id + "/compact");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 200);
}

// PostgreSQL restarted while 8 clients upload: the server reconnects, the clients' retries
// land, every crash is stored exactly once.
TEST_F(Server, ReconnectsToARestartedPostgresUnderLoad) {
  const Cores& cores = HostileCores();
  if (cores.unavailable) GTEST_SKIP() << *cores.unavailable;
  PostgresServer postgres;
  if (postgres.unavailable()) GTEST_SKIP() << *postgres.unavailable();
  ServerProcess server(store_, {"--db", postgres.url()});
  ASSERT_TRUE(server.ok());
  const std::string compact = ReadAll(cores.compact);
  const std::string report = json({{"crash", {{"signature", "pg | restart"}, {"kind", "null-dereference"}}}}).dump();
  constexpr int kClients = 8, kEach = 50;
  std::atomic<int> done{0}, gave_up{0}, refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = ClientOf(server);
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "pg-load-" + std::to_string(c) + "-" + std::to_string(i);
        bool stored = false;
        for (int attempt = 0; attempt < 200 && !stored; ++attempt) {
          auto res = PostUpload(client, id, compact, report);
          stored = res && (res->status == 201 || res->status == 200);
          if (res && res->status >= 400 && res->status < 500) break;  // refused for good: a test bug
          if (!stored) {
            ++refused;
            std::this_thread::sleep_for(50ms);
          }
        }
        (stored ? done : gave_up)++;
      }
    });
  }
  while (done < kClients * kEach / 3) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(postgres.Control("restart"));
  for (auto& t : clients) t.join();
  EXPECT_EQ(gave_up, 0);
  EXPECT_EQ(Get(server, "/api/v1/crashes?limit=1")["total"], kClients * kEach);
  ExpectOneGroupOf(server, kClients * kEach);
  RecordProperty("refused_during_restart", refused.load());
}

}  // namespace
}  // namespace corekit::itest
