// ELF files on disk, read with elfutils' libelf: kept apart from the rest of the unwinder so
// that <elf.h>'s macros (AT_ENTRY, PT_LOAD...) never meet corekit's spec-named constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corekit::unwind {

// What an ELF file's headers say about how it loads.
struct FileImage {
  std::uint16_t type = 0;                // ET_EXEC, ET_DYN
  std::uint64_t entry = 0;               // e_entry
  std::uint64_t first_load = 0;          // lowest PT_LOAD p_vaddr, page-aligned
  std::uint64_t end = 0;                 // highest PT_LOAD p_vaddr + p_memsz
  std::optional<std::uint64_t> dynamic;  // PT_DYNAMIC p_vaddr
};

// Reads the headers of an ELF file on disk; nullopt when it is not readable ELF.
std::optional<FileImage> ReadFileImage(const std::string& path);

}  // namespace corekit::unwind
