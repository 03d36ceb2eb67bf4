#include "corekit/dump/core_file_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "corekit/dump/zstd_sink.h"

namespace corekit::dump {

Result<DumpSummary> WriteCoreTo(Dumper& dumper, int fd, bool compress) {
  if (compress) {
    auto zstd = ZstdSink::Create(fd);
    if (!zstd) return Unexpected(zstd.error());
    return dumper.Run(**zstd);
  }
  FdWriter writer(fd);
  return dumper.Run(writer);
}

Result<DumpSummary> WriteCoreFile(Dumper& dumper, const std::string& path, bool compress) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) return Unexpected(Errc::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  Result<DumpSummary> summary = WriteCoreTo(dumper, fd, compress || path.ends_with(".zst"));
  if (summary && (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0)) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Unexpected(Errc::kIo, "cannot write " + path + ": " + why);
  }
  if (!summary) {
    ::close(fd);
    ::unlink(tmp.c_str());
  }
  return summary;
}

}  // namespace corekit::dump
