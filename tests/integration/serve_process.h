// `corekit serve` as a test's child process: on 127.0.0.1, its URL read from the line it prints.
#pragma once

#include <chrono>
#include <regex>
#include <thread>

#include "support.h"

namespace corekit::itest {

// `corekit serve` on 127.0.0.1 and a free port, stopped (SIGTERM, then SIGKILL) when destroyed.
class ServerProcess {
 public:
  explicit ServerProcess(const fs::path& store, const std::vector<std::string>& extra = {}, int port = 0) {
    std::vector<std::string> argv = {COREKIT_BIN, "serve", "--store", store.string(), "--listen",
                                     "127.0.0.1:" + std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    int out = -1;
    pid_ = Spawn(argv, &out);
    std::string line;
    char c;
    while (line.find('\n') == std::string::npos && ::read(out, &c, 1) == 1) line += c;
    ::close(out);
    std::smatch m;
    if (std::regex_search(line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)/"))) {
      url_ = m[0];
      port_ = std::stoi(m[1]);
    }
  }
  ~ServerProcess() { Stop(SIGTERM); }
  void Stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
  int port_ = 0;
};

}  // namespace corekit::itest
