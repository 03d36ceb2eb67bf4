// ELF files on disk, read with elfutils' libelf: kept apart from the rest of the unwinder so
// that <elf.h>'s macros (AT_ENTRY, PT_LOAD...) never meet corekit's spec-named constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corekit::unwind {

// The lowest PT_LOAD p_vaddr of an ELF file, page-aligned; nullopt when it is not ELF.
std::optional<std::uint64_t> FirstLoadOnDisk(const std::string& path);

}  // namespace corekit::unwind
