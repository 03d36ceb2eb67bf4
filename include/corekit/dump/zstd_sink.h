// A Sink that compresses as it goes: zstd frames written to a file descriptor, in worker threads
// (ZSTD_c_nbWorkers) so that compression keeps pace with a pipe or a dump. `corekit dump -o
// core.zst` and the crash handler write through it; every reading command opens the result
// (core/mapped_file.h inflates zstd by its magic).
//
// Gaps (the zeros between writes) are never compressed as data: a run of 1 MiB or more becomes
// a zstd frame of run-length blocks written directly (4 bytes per 128 KiB), a shorter one is
// fed to zstd, which stores it in a few bytes. So holes and zero pages cost next to nothing on
// disk or in CPU. The file is a sequence of zstd frames, which every zstd reader concatenates.
// Memory is bounded by zstd's window and job sizes, whatever the input's size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "corekit/dump/sink.h"

namespace corekit::dump {

struct ZstdOptions {
  int level = 1;      // fast: a crash handler must keep up with the kernel's pipe
  int workers = -1;   // compression threads; -1: one per online CPU but one (1 to 8), 0: none
};

class ZstdSink final : public Sink {
 public:
  // The fd is not closed; output starts at its current position.
  static Result<std::unique_ptr<ZstdSink>> Create(int fd, ZstdOptions options = {});
  ~ZstdSink() override;
  Result<void> Write(std::uint64_t offset, std::span<const std::uint8_t> bytes) override;
  Result<void> Finish(std::uint64_t size) override;

  std::uint64_t bytes_in() const { return position_; }     // uncompressed bytes so far
  std::uint64_t bytes_out() const { return written_; }     // compressed bytes written

 private:
  ZstdSink(int fd, void* context);
  Result<void> Compress(std::span<const std::uint8_t> bytes, bool end);
  Result<void> Zeros(std::uint64_t count);
  Result<void> ZeroFrame(std::uint64_t count);
  Result<void> Flush(std::size_t size);

  int fd_;
  void* context_;  // ZSTD_CCtx, kept out of the header
  std::vector<std::uint8_t> out_;
  std::uint64_t position_ = 0;
  std::uint64_t written_ = 0;
  bool finished_ = false;
  bool frame_open_ = false;  // the compressor has bytes of an unfinished frame
};

}  // namespace corekit::dump
