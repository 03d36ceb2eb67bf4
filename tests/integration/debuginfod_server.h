// A real debuginfod server for tests (Debian's `debuginfod` on a free loopback port), and the
// loopback plumbing around it: a free port, a listening socket, an HTTP status.
#pragma once


#include <chrono>
#include <memory>
#include <thread>

#include "support.h"

namespace corekit::itest {

using Clock = std::chrono::steady_clock;


inline int ListenOn(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The HTTP status of GET `path` on 127.0.0.1:port, 0 when nothing answers.
inline int HttpStatus(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[64] = {};
      if (::read(fd, buffer, sizeof buffer - 1) > 12) status = std::atoi(buffer + 9);
    }
  }
  ::close(fd);
  return status;
}

inline std::string BuildIdOf(const std::string& path) {
  const std::string notes = RunCommand("readelf -n " + Quote(path)).out;
  std::smatch m;
  return std::regex_search(notes, m, std::regex("Build ID: ([0-9a-f]+)")) ? m[1].str() : "";
}

// Debian's debuginfod, indexing the ELF files under `dir`, on a free loopback port; ready once
// it serves `build_id`'s debug info.
class DebuginfodServer {
 public:
  DebuginfodServer(const fs::path& dir, const std::string& build_id) : port_(FreePort()) {
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"debuginfod", "-d", ":memory:", "-F", dir.string(), "-p", std::to_string(port_)},
        [] {
          const int null = ::open("/dev/null", O_WRONLY);
          ::dup2(null, 1);
          ::dup2(null, 2);
        });
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      if (HttpStatus(port_, "/metrics") == 200 && HttpStatus(port_, "/buildid/" + build_id + "/debuginfo") == 200) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  bool ready() const { return ready_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::unique_ptr<Child> child_;
  bool ready_ = false;
};

}  // namespace corekit::itest
