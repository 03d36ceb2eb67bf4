#include "corekit/dump/zstd_sink.h"

#include "corekit/base/io.h"

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

// One CPU is left to the producer: the dumping kernel thread and the reader of its pipe (or the
// dumper), which the workers would otherwise preempt (measured: bench/capture.sh on 2 CPUs).
int WorkerCount(int requested) {
  if (requested >= 0) return requested;
  const unsigned cpus = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cpus - 1, 1u, 8u));
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
  if (auto w = WriteAll(fd_, out_.data(), size); !w) return w;
  written_ += size;
  return {};
}

Result<void> ZstdSink::Compress(std::span<const std::uint8_t> bytes, bool end) {
  if (!bytes.empty()) frame_open_ = true;
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

// A zstd frame (RFC 8878) of `count` zeros made of run-length blocks, written without the
// compressor: a 1 GiB hole costs 32 KiB and no CPU. Frame header: magic, a descriptor with no
// flags (no content size, no checksum, not single-segment), and a 128 KiB window (log 17), so
// that a block may regenerate the format's maximum of 128 KiB.
static std::vector<std::uint8_t> ZeroFrameStart() { return {0x28, 0xb5, 0x2f, 0xfd, 0x00, (17 - 10) << 3}; }

Result<void> ZstdSink::ZeroFrame(std::uint64_t count) {
  constexpr std::uint64_t kBlock = 128 << 10;
  std::vector<std::uint8_t>& out = out_;
  std::size_t used = 0;
  auto put = [&](const std::vector<std::uint8_t>& bytes) -> Result<void> {
    if (used + bytes.size() > out.size()) {
      if (auto f = Flush(used); !f) return f;
      used = 0;
    }
    std::copy(bytes.begin(), bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(used));
    used += bytes.size();
    return {};
  };
  if (auto p = put(ZeroFrameStart()); !p) return p;
  while (count > 0) {
    const std::uint64_t size = std::min(count, kBlock);
    count -= size;
    // Block header, 3 bytes little-endian: last-block bit, type 1 (RLE), the regenerated size;
    // then the byte repeated.
    const std::uint32_t header = static_cast<std::uint32_t>(size << 3 | 1u << 1 | (count == 0 ? 1u : 0u));
    if (auto p = put({static_cast<std::uint8_t>(header), static_cast<std::uint8_t>(header >> 8),
                      static_cast<std::uint8_t>(header >> 16), 0});
        !p) {
      return p;
    }
  }
  return Flush(used);
}

Result<void> ZstdSink::Zeros(std::uint64_t count) {
  // A long run (an untouched mapping, a hole) ends the compressor's frame and becomes a frame of
  // run-length blocks; a short one is compressed with its neighbours.
  constexpr std::uint64_t kLongRun = 1 << 20;
  if (count >= kLongRun) {
    if (frame_open_) {
      if (auto c = Compress({}, true); !c) return c;
      frame_open_ = false;
    }
    return ZeroFrame(count);
  }
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
  // An empty output (nothing written, or only zero frames) still ends any open frame; a core
  // of nothing at all is one empty frame, which readers take for an empty file.
  if (!frame_open_ && written_ > 0) return {};
  return Compress({}, true);
}

}  // namespace corekit::dump
