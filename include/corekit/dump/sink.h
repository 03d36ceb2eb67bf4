// Where a dump's bytes go: a Sink receives them in strictly increasing file offset, with gaps
// where the file holds zeros (padding, pages never touched, pages of zeros).
//
// FdWriter serves any file descriptor: on a regular file it seeks over gaps, leaving holes (a
// sparse file); on a pipe or socket it writes the zeros. CallbackSink hands each run of bytes
// to a function, for library users who compress or upload as the dump goes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "corekit/base/result.h"

namespace corekit::dump {

class Sink {
 public:
  virtual ~Sink() = default;
  // `offset` is at or after the end of the previous write; the bytes between are zeros.
  virtual Result<void> Write(std::uint64_t offset, std::span<const std::uint8_t> bytes) = 0;
  // The file is `size` bytes long: zeros after the last write up to it.
  virtual Result<void> Finish(std::uint64_t size) = 0;
};

class FdWriter final : public Sink {
 public:
  // Offsets are relative to the descriptor's position now. The fd is not closed.
  explicit FdWriter(int fd);
  Result<void> Write(std::uint64_t offset, std::span<const std::uint8_t> bytes) override;
  Result<void> Finish(std::uint64_t size) override;

  bool sparse() const { return seekable_; }
  std::uint64_t bytes_written() const { return written_; }  // bytes actually written (zeros too)

 private:
  Result<void> WriteAll(const std::uint8_t* data, std::size_t size);
  Result<void> SkipTo(std::uint64_t offset);
  int fd_;
  bool seekable_ = false;
  std::uint64_t base_ = 0;
  std::uint64_t position_ = 0;  // relative to base_
  std::uint64_t written_ = 0;
};

class CallbackSink final : public Sink {
 public:
  using Callback = std::function<Result<void>(std::uint64_t offset, std::span<const std::uint8_t> bytes)>;
  explicit CallbackSink(Callback callback) : callback_(std::move(callback)) {}
  Result<void> Write(std::uint64_t offset, std::span<const std::uint8_t> bytes) override {
    if (offset < position_) return Unexpected(Errc::kInvalidArgument, "sink written out of order");
    position_ = offset + bytes.size();
    return callback_(offset, bytes);
  }
  Result<void> Finish(std::uint64_t size) override {
    if (size < position_) return Unexpected(Errc::kInvalidArgument, "sink finished before its end");
    return {};
  }

 private:
  Callback callback_;
  std::uint64_t position_ = 0;
};

}  // namespace corekit::dump
