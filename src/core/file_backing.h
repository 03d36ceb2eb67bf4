// FileBacking: bytes of file-backed mappings that the core does not hold, read from the files
// NT_FILE names — but only from a file proven to be the one that was mapped.
//
// The proof is the GNU build-id: the core usually keeps the first page of every ELF mapping
// (coredump_filter bit 4), which holds the ELF header and, in it, the build-id note. FileBacking
// reads that note from the core's own bytes, parses the file on disk, and serves the file's
// bytes only when the two build-ids are equal. A file with no build-id in the core, a missing
// or different file, or a deleted/memfd/anon_inode mapping gives absent bytes with a reason.
// Each file is checked once and its mapping cached.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/core/mapped_file.h"
#include "corekit/elf/abi.h"
#include "corekit/elf/core_notes.h"
#include "target/elf_image.h"
#include "file_mapping_index.h"

namespace corekit::core {

class FileBacking {
 public:
  // Reads bytes held in the core itself (never recursing into FileBacking).
  using CoreReader = target::MemoryReader;

  FileBacking(const FileMappingIndex& index, std::string sysroot, CoreReader core_reader);

  // The NT_FILE mapping holding address, or nullptr.
  const elf::FileMapping* Find(std::uint64_t address) const;

  // Copies bytes from the file mapped at address (at least one), or says why it cannot.
  Result<std::size_t> Read(std::uint64_t address, std::span<std::uint8_t> out);

  // Whether the file of this mapping is on disk with a matching build-id (checks it once).
  bool Verified(const elf::FileMapping& mapping);

 private:
  struct Checked {
    bool verified = false;
    std::string reason;  // why not, when not verified
    MappedFile file;
  };
  Checked& Check(const std::string& path);
  std::optional<std::string> BuildIdInCore(const std::string& path);

  const FileMappingIndex& index_;
  std::string sysroot_;
  CoreReader core_reader_;
  std::unordered_map<std::string, std::unique_ptr<Checked>> checked_;
};

}  // namespace corekit::core
