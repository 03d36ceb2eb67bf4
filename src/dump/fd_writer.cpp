#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "corekit/base/io.h"
#include "corekit/dump/sink.h"

namespace corekit::dump {

FdWriter::FdWriter(int fd) : fd_(fd) {
  struct stat st;
  const off_t here = ::lseek(fd, 0, SEEK_CUR);
  // Holes only in regular files: a seekable device or tty gets its zeros written.
  seekable_ = here >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  base_ = seekable_ ? static_cast<std::uint64_t>(here) : 0;
}

Result<void> FdWriter::WriteAll(const std::uint8_t* data, std::size_t size) {
  if (auto w = corekit::WriteAll(fd_, data, size); !w) return w;
  position_ += size;
  written_ += size;
  return {};
}

Result<void> FdWriter::SkipTo(std::uint64_t offset) {
  if (offset < position_) return Unexpected(Errc::kInvalidArgument, "sink written out of order");
  if (offset == position_) return {};
  if (seekable_) {
    if (::lseek(fd_, static_cast<off_t>(base_ + offset), SEEK_SET) < 0) {
      return Unexpected(Errc::kIo, std::string("lseek: ") + std::strerror(errno));
    }
    position_ = offset;
    return {};
  }
  static const std::vector<std::uint8_t> zeros(1 << 16, 0);
  while (position_ < offset) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), offset - position_));
    if (auto w = WriteAll(zeros.data(), n); !w) return w;
  }
  return {};
}

Result<void> FdWriter::Write(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  if (auto s = SkipTo(offset); !s) return s;
  return WriteAll(bytes.data(), bytes.size());
}

Result<void> FdWriter::Finish(std::uint64_t size) {
  if (size < position_) return Unexpected(Errc::kInvalidArgument, "sink finished before its end");
  if (seekable_ && size > position_) {
    if (::ftruncate(fd_, static_cast<off_t>(base_ + size)) != 0) {
      return Unexpected(Errc::kIo, std::string("ftruncate: ") + std::strerror(errno));
    }
    position_ = size;
    return {};
  }
  return SkipTo(size);
}

}  // namespace corekit::dump
