// ZstdSink: what goes in comes out of zstd again, gaps as zeros, in any write pattern.
#include "corekit/dump/zstd_sink.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <random>

#include "corekit/core/mapped_file.h"

namespace corekit::dump {
namespace {

std::vector<std::uint8_t> Inflate(int fd) {
  const int out = ::memfd_create("inflated", MFD_CLOEXEC);
  ::lseek(fd, 0, SEEK_SET);
  EXPECT_TRUE(core::Decompress(core::Compression::kZstd, fd, out));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(::lseek(out, 0, SEEK_END)));
  EXPECT_EQ(::pread(out, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  ::close(out);
  return bytes;
}

TEST(ZstdSink, RoundTripsWritesAndGaps) {
  for (int workers : {0, 2}) {
    const int fd = ::memfd_create("zstd", MFD_CLOEXEC);
    auto sink = ZstdSink::Create(fd, {1, workers});
    ASSERT_TRUE(sink);
    std::mt19937 random(7);
    std::vector<std::uint8_t> expected(3 << 20, 0);
    std::vector<std::uint8_t> chunk(300000);
    for (auto& b : chunk) b = static_cast<std::uint8_t>(random());
    ASSERT_TRUE((*sink)->Write(100, chunk));                // after a gap
    std::copy(chunk.begin(), chunk.end(), expected.begin() + 100);
    ASSERT_TRUE((*sink)->Write(2 << 20, {chunk.data(), 5000}));  // after a long gap
    std::copy(chunk.begin(), chunk.begin() + 5000, expected.begin() + (2 << 20));
    EXPECT_FALSE((*sink)->Write(10, chunk));                // out of order
    ASSERT_TRUE((*sink)->Finish(3 << 20));                   // zeros to the end
    EXPECT_EQ(Inflate(fd), expected) << workers << " workers";
    // The zeros cost next to nothing: about the random bytes' size.
    EXPECT_LT((*sink)->bytes_out(), chunk.size() + 5000 + 4096);
    ::close(fd);
  }
}

}  // namespace
}  // namespace corekit::dump
