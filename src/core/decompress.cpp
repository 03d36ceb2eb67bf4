// Streaming decompression of compressed cores, one fixed-size buffer pair per format, so memory
// use does not depend on the core's size.
#include <lz4frame.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "corekit/core/mapped_file.h"
#include "corekit/base/io.h"

namespace corekit::core {
namespace {

constexpr std::size_t kChunk = 1 << 20;

// Reads the next chunk; 0 at end of file.
Result<std::size_t> ReadChunk(int fd, std::vector<std::uint8_t>& buffer) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) {
      return Unexpected(Errc::kIo, std::string("reading the compressed core: ") + std::strerror(errno));
    }
  }
}

Result<void> Zstd(int in_fd, int out_fd) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> stream(ZSTD_createDStream(),
                                                                     ZSTD_freeDStream);
  if (!stream) throw std::bad_alloc();
  std::vector<std::uint8_t> in(kChunk), out(kChunk);
  std::size_t last = 0;
  bool any = false;
  for (;;) {
    auto got = ReadChunk(in_fd, in);
    if (!got) return Unexpected(got.error());
    if (*got == 0) break;
    any = true;
    ZSTD_inBuffer input{in.data(), *got, 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      last = ZSTD_decompressStream(stream.get(), &output, &input);
      if (ZSTD_isError(last)) return Unexpected(Errc::kCorrupt, ZSTD_getErrorName(last));
      auto wrote = WriteAll(out_fd, out.data(), output.pos);
      if (!wrote) return wrote;
    }
  }
  if (!any || last != 0) return Unexpected(Errc::kCorrupt, "the stream ends early");
  return {};
}

Result<void> Xz(int in_fd, int out_fd) {
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
    return Unexpected(Errc::kCorrupt, "cannot start the xz decoder");
  }
  std::unique_ptr<lzma_stream, decltype(&lzma_end)> guard(&stream, lzma_end);
  std::vector<std::uint8_t> in(kChunk), out(kChunk);
  lzma_action action = LZMA_RUN;
  for (;;) {
    if (stream.avail_in == 0 && action == LZMA_RUN) {
      auto got = ReadChunk(in_fd, in);
      if (!got) return Unexpected(got.error());
      stream.next_in = in.data();
      stream.avail_in = *got;
      if (*got == 0) action = LZMA_FINISH;
    }
    stream.next_out = out.data();
    stream.avail_out = out.size();
    const lzma_ret ret = lzma_code(&stream, action);
    auto wrote = WriteAll(out_fd, out.data(), out.size() - stream.avail_out);
    if (!wrote) return wrote;
    if (ret == LZMA_STREAM_END) return {};
    if (ret != LZMA_OK) return Unexpected(Errc::kCorrupt, "xz error " + std::to_string(ret));
  }
}

Result<void> Gzip(int in_fd, int out_fd) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return Unexpected(Errc::kCorrupt, "cannot start zlib");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, inflateEnd);
  std::vector<std::uint8_t> in(kChunk), out(kChunk);
  int ret = Z_OK;
  for (;;) {
    auto got = ReadChunk(in_fd, in);
    if (!got) return Unexpected(got.error());
    if (*got == 0) break;
    stream.next_in = in.data();
    stream.avail_in = static_cast<uInt>(*got);
    while (stream.avail_in > 0) {
      stream.next_out = out.data();
      stream.avail_out = static_cast<uInt>(out.size());
      ret = inflate(&stream, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) {
        // Concatenated gzip members continue after a reset.
        auto wrote = WriteAll(out_fd, out.data(), out.size() - stream.avail_out);
        if (!wrote) return wrote;
        if (stream.avail_in == 0) break;
        inflateReset(&stream);
        continue;
      }
      if (ret != Z_OK && ret != Z_BUF_ERROR) {
        return Unexpected(Errc::kCorrupt, stream.msg ? stream.msg : "zlib error");
      }
      auto wrote = WriteAll(out_fd, out.data(), out.size() - stream.avail_out);
      if (!wrote) return wrote;
      if (ret == Z_BUF_ERROR && stream.avail_out != 0) break;
    }
  }
  if (ret != Z_STREAM_END) return Unexpected(Errc::kCorrupt, "the stream ends early");
  return {};
}

Result<void> Lz4(int in_fd, int out_fd) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) throw std::bad_alloc();
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(
      raw, LZ4F_freeDecompressionContext);
  std::vector<std::uint8_t> in(kChunk), out(kChunk);
  std::size_t hint = 1;
  for (;;) {
    auto got = ReadChunk(in_fd, in);
    if (!got) return Unexpected(got.error());
    if (*got == 0) break;
    std::size_t pos = 0;
    while (pos < *got) {
      std::size_t out_size = out.size();
      std::size_t in_size = *got - pos;
      hint = LZ4F_decompress(ctx.get(), out.data(), &out_size, in.data() + pos, &in_size, nullptr);
      if (LZ4F_isError(hint)) return Unexpected(Errc::kCorrupt, LZ4F_getErrorName(hint));
      pos += in_size;
      auto wrote = WriteAll(out_fd, out.data(), out_size);
      if (!wrote) return wrote;
      if (in_size == 0 && out_size == 0) break;
    }
  }
  if (hint != 0) return Unexpected(Errc::kCorrupt, "the stream ends early");
  return {};
}

}  // namespace

Result<void> Decompress(Compression compression, int in_fd, int out_fd) {
  if (::lseek(in_fd, 0, SEEK_SET) != 0) {
    return Unexpected(Errc::kIo, std::string("cannot rewind: ") + std::strerror(errno));
  }
  switch (compression) {
    case Compression::kZstd: return Zstd(in_fd, out_fd);
    case Compression::kXz: return Xz(in_fd, out_fd);
    case Compression::kGzip: return Gzip(in_fd, out_fd);
    case Compression::kLz4: return Lz4(in_fd, out_fd);
    default: return Unexpected(Errc::kInvalidArgument, "not compressed");
  }
}

}  // namespace corekit::core
