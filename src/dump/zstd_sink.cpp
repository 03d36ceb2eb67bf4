#include "corekit/dump/zstd_sink.h"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace corekit::dump {
namespace {

ZSTD_CCtx* Context(void* context) { return static_cast<ZSTD_CCtx*>(context); }

int WorkerCount(int requested) {
  if (requested >= 0) return requested;
  const unsigned cpus = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cpus, 1u, 8u));
}

}  // namespace

Result<std::unique_ptr<ZstdSink>> ZstdSink::Create(int fd, ZstdOptions options) {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  if (context == nullptr) return Unexpected(Errc::kIo, "zstd: cannot create a compression context");
  ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, options.level);
  ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1);  // a reader can tell a damaged file
  // Without a multi-threaded libzstd this fails and compression runs in this thread: slower,
  // still correct.
  if (const int workers = WorkerCount(options.workers); workers > 0) {
    ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, workers);
  }
  return std::unique_ptr<ZstdSink>(new ZstdSink(fd, context));
}

ZstdSink::ZstdSink(int fd, void* context) : fd_(fd), context_(context), out_(ZSTD_CStreamOutSize()) {}

ZstdSink::~ZstdSink() { ZSTD_freeCCtx(Context(context_)); }

Result<void> ZstdSink::Flush(std::size_t size) {
  const std::uint8_t* data = out_.data();
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unexpected(Errc::kIo, std::string("write: ") + std::strerror(errno));
    data += n;
    size -= static_cast<std::size_t>(n);
    written_ += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<void> ZstdSink::Compress(std::span<const std::uint8_t> bytes, bool end) {
  ZSTD_inBuffer input{bytes.data(), bytes.size(), 0};
  const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  for (;;) {
    ZSTD_outBuffer output{out_.data(), out_.size(), 0};
    const std::size_t left = ZSTD_compressStream2(Context(context_), &output, &input, mode);
    if (ZSTD_isError(left)) return Unexpected(Errc::kIo, std::string("zstd: ") + ZSTD_getErrorName(left));
    if (auto flushed = Flush(output.pos); !flushed) return flushed;
    // Done when the input is consumed (continue) or the frame is complete (end).
    if (end ? left == 0 : input.pos == input.size) return {};
  }
}

Result<void> ZstdSink::Zeros(std::uint64_t count) {
  static const std::vector<std::uint8_t> zeros(1 << 17, 0);
  while (count > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), count));
    if (auto c = Compress({zeros.data(), n}, false); !c) return c;
    count -= n;
  }
  return {};
}

Result<void> ZstdSink::Write(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  if (finished_ || offset < position_) return Unexpected(Errc::kInvalidArgument, "sink written out of order");
  if (auto z = Zeros(offset - position_); !z) return z;
  if (auto c = Compress(bytes, false); !c) return c;
  position_ = offset + bytes.size();
  return {};
}

Result<void> ZstdSink::Finish(std::uint64_t size) {
  if (finished_ || size < position_) return Unexpected(Errc::kInvalidArgument, "sink finished before its end");
  if (auto z = Zeros(size - position_); !z) return z;
  position_ = size;
  finished_ = true;
  return Compress({}, true);
}

}  // namespace corekit::dump
