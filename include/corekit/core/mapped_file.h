// MappedFile: a whole file mapped read-only, decompressed first when it is compressed.
//
// systemd-coredump stores cores as core.*.zst (or .xz, .lz4) and others ship .gz; Open() detects
// these by their magic bytes, not their names, decompresses once into an unlinked temporary
// file (O_TMPFILE in $TMPDIR, else a memfd), and maps that. The decompressed copy disappears
// with the MappedFile. An empty file maps to an empty view.
//
// Move-only; bytes() stays valid until the MappedFile is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "corekit/base/result.h"
#include "corekit/elf/bytes.h"

namespace corekit::core {

enum class Compression { kNone, kZstd, kXz, kGzip, kLz4 };
std::string_view CompressionName(Compression compression);

class MappedFile {
 public:
  // "/dev/fd/N" is the file already open as descriptor N (read from its start), not opened again.
  // Errors: kIo when the file cannot be opened or mapped (the message names the path and the
  // system's reason), kCorrupt when a compressed file cannot be decompressed.
  static Result<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  elf::Bytes bytes() const { return elf::Bytes(data_, size_); }
  Compression compression() const { return compression_; }
  // The size of the file on disk (the compressed size for a compressed core).
  std::uint64_t stored_size() const { return stored_size_; }

 private:
  void Reset();
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  Compression compression_ = Compression::kNone;
  std::uint64_t stored_size_ = 0;
};

// Detects a compressed stream by its first bytes.
Compression DetectCompression(const std::uint8_t* data, std::size_t size);

// Decompresses the whole of `in_fd` (of the given kind) into `out_fd`, streaming through fixed
// buffers. Errors: kCorrupt for a malformed stream, kIo for a failed write.
Result<void> Decompress(Compression compression, int in_fd, int out_fd);

}  // namespace corekit::core
