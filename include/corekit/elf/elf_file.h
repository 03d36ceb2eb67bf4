// ElfFile: the ELF header and program headers of a file held in memory, checked.
//
// Parse() validates the identification bytes, the class (ELF32/ELF64) and byte order, and the
// program header table against the buffer's size, resolving PN_XNUM (e_phnum == 0xffff: the real
// count is sh_info of section header 0). It does not require ET_CORE: callers that need a core
// check type() themselves, so the same parser reads executables for build-ids.
//
// The program header vector is proportional to e_phnum only after e_phnum * e_phentsize has
// been checked to fit in the buffer, so its size is bounded by the file's. Segment contents are
// not checked here: a segment may extend past the end of a truncated core, and SegmentBytes()
// returns what is present.
//
// An ElfFile holds a view into the caller's buffer; it is valid as long as that buffer is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "corekit/base/diagnostics.h"
#include "corekit/base/result.h"
#include "corekit/elf/bytes.h"
#include "corekit/elf/constants.h"

namespace corekit::elf {

struct ProgramHeader {
  std::uint32_t p_type = 0;
  std::uint32_t p_flags = 0;
  std::uint64_t p_offset = 0;
  std::uint64_t p_vaddr = 0;
  std::uint64_t p_paddr = 0;
  std::uint64_t p_filesz = 0;
  std::uint64_t p_memsz = 0;
  std::uint64_t p_align = 0;
};

struct SectionHeader {
  std::uint32_t sh_name = 0;
  std::uint32_t sh_type = 0;
  std::uint64_t sh_flags = 0;
  std::uint64_t sh_addr = 0;
  std::uint64_t sh_offset = 0;
  std::uint64_t sh_size = 0;
  std::uint32_t sh_link = 0;
  std::uint32_t sh_info = 0;
};

class ElfFile {
 public:
  // Errors: kCorrupt for a bad magic, class, byte order or header sizes; kTruncated when the
  // header or the program header table runs past the end of the buffer.
  static Result<ElfFile> Parse(Bytes file, Diagnostics& diagnostics);

  bool is64() const { return is64_; }
  Endian endian() const { return file_.endian(); }
  std::uint8_t osabi() const { return osabi_; }
  std::uint16_t type() const { return e_type_; }
  std::uint16_t machine() const { return e_machine_; }
  std::uint64_t entry() const { return e_entry_; }
  std::uint32_t flags() const { return e_flags_; }
  std::uint64_t phoff() const { return e_phoff_; }
  std::uint64_t shoff() const { return e_shoff_; }
  // e_phnum as stored, before PN_XNUM is resolved.
  std::uint16_t raw_phnum() const { return e_phnum_; }
  std::uint32_t shnum() const { return shnum_; }
  bool uses_pn_xnum() const { return e_phnum_ == PN_XNUM; }

  const std::vector<ProgramHeader>& program_headers() const { return phdrs_; }
  const std::vector<SectionHeader>& section_headers() const { return shdrs_; }

  // The bytes of a segment that are present in the buffer: [p_offset, p_offset + p_filesz)
  // clipped to the buffer's end. Check SegmentTruncated() to tell a short segment.
  Bytes SegmentBytes(const ProgramHeader& ph) const;
  bool SegmentTruncated(const ProgramHeader& ph) const;

  // The name of a section from the section header string table, or "" when unavailable.
  std::string SectionName(const SectionHeader& sh) const;

  Bytes bytes() const { return file_; }

 private:
  Bytes file_;
  bool is64_ = false;
  std::uint8_t osabi_ = 0;
  std::uint16_t e_type_ = 0;
  std::uint16_t e_machine_ = 0;
  std::uint64_t e_entry_ = 0;
  std::uint32_t e_flags_ = 0;
  std::uint64_t e_phoff_ = 0;
  std::uint64_t e_shoff_ = 0;
  std::uint16_t e_phnum_ = 0;
  std::uint16_t e_shstrndx_ = 0;
  std::uint32_t shnum_ = 0;
  std::vector<ProgramHeader> phdrs_;
  std::vector<SectionHeader> shdrs_;
};

// Machine and type names for display ("x86_64", "aarch64", "core").
std::string MachineName(std::uint16_t e_machine, bool is64);
std::string TypeName(std::uint16_t e_type);
std::string SegmentTypeName(std::uint32_t p_type);

}  // namespace corekit::elf
