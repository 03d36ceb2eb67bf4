// `corekit serve` as a test's child process: on 127.0.0.1, its URL read from the line it prints.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30, 0);
    return client;
  }

 private:
  pid_t pid_ = -1;
  std::string url_;
  int port_ = 0;
};

// A port on 127.0.0.1 that nothing listens on (as the kernel hands one out; free a moment ago).
inline int UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace corekit::itest
