// Writing a whole buffer to a file descriptor: the loop every writer needs (short writes,
// EINTR), with the error said once.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "corekit/base/result.h"

namespace corekit {

inline Result<void> WriteAll(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unexpected(Errc::kIo, std::string("write: ") + std::strerror(n < 0 ? errno : EIO));
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace corekit
