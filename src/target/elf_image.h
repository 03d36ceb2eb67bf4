// ElfImage: what the ELF header at the start of a mapped file says, read through any memory
// reader (a Target, or only the bytes a core holds).
//
// A process's memory keeps the ELF header and program headers of each mapped ELF file at the
// start of its offset-0 mapping; from them come the module's type, its load bias (mapping
// start minus the first PT_LOAD's page-aligned p_vaddr), its PT_DYNAMIC address and its GNU
// build-id (PT_NOTE at bias + p_vaddr). Sizes read are bounded: one page of headers, 64 KiB of
// notes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "corekit/base/result.h"
#include "corekit/elf/bytes.h"

namespace corekit::target {

class Target;

// Reads at least one byte at an address, or fails (Target::ReadSome's contract).
using MemoryReader = std::function<Result<std::size_t>(std::uint64_t, std::span<std::uint8_t>)>;
MemoryReader ReaderOf(Target& target);

struct ElfImage {
  std::uint16_t type = 0;           // ET_EXEC, ET_DYN
  std::uint64_t first_load = 0;     // lowest PT_LOAD p_vaddr, page-aligned
  std::uint64_t bias = 0;           // header address - first_load
  std::uint64_t end = 0;            // bias + highest PT_LOAD p_vaddr + p_memsz
  std::optional<std::uint64_t> dynamic;  // runtime address of PT_DYNAMIC
  std::optional<std::string> build_id;   // lower-case hex
};

// Parses the ELF image whose header is mapped at `header_address`; nullopt when there is no
// readable ELF header there.
std::optional<ElfImage> ReadElfImage(const MemoryReader& read, std::uint64_t header_address);

}  // namespace corekit::target
