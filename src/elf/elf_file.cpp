#include "corekit/elf/elf_file.h"

#include <cinttypes>
#include <cstdio>

#include "corekit/elf/constants.h"

namespace corekit::elf {

std::string Hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%" PRIx64, value);
  return buffer;
}

namespace {

// Reads a field that is 4 bytes in ELF32 and 8 in ELF64 (addresses, offsets, sizes).
std::uint64_t Word(const Bytes& b, std::uint64_t offset, bool is64) {
  return is64 ? b.U64(offset).value_or(0) : b.U32(offset).value_or(0);
}

ProgramHeader DecodePhdr(const Bytes& b, bool is64) {
  ProgramHeader ph;
  ph.p_type = b.U32(0).value_or(0);
  if (is64) {
    ph.p_flags = b.U32(4).value_or(0);
    ph.p_offset = b.U64(8).value_or(0);
    ph.p_vaddr = b.U64(16).value_or(0);
    ph.p_paddr = b.U64(24).value_or(0);
    ph.p_filesz = b.U64(32).value_or(0);
    ph.p_memsz = b.U64(40).value_or(0);
    ph.p_align = b.U64(48).value_or(0);
  } else {
    ph.p_offset = b.U32(4).value_or(0);
    ph.p_vaddr = b.U32(8).value_or(0);
    ph.p_paddr = b.U32(12).value_or(0);
    ph.p_filesz = b.U32(16).value_or(0);
    ph.p_memsz = b.U32(20).value_or(0);
    ph.p_flags = b.U32(24).value_or(0);
    ph.p_align = b.U32(28).value_or(0);
  }
  return ph;
}

SectionHeader DecodeShdr(const Bytes& b, bool is64) {
  SectionHeader sh;
  sh.sh_name = b.U32(0).value_or(0);
  sh.sh_type = b.U32(4).value_or(0);
  sh.sh_flags = Word(b, 8, is64);
  if (is64) {
    sh.sh_addr = b.U64(16).value_or(0);
    sh.sh_offset = b.U64(24).value_or(0);
    sh.sh_size = b.U64(32).value_or(0);
    sh.sh_link = b.U32(40).value_or(0);
    sh.sh_info = b.U32(44).value_or(0);
  } else {
    sh.sh_addr = b.U32(12).value_or(0);
    sh.sh_offset = b.U32(16).value_or(0);
    sh.sh_size = b.U32(20).value_or(0);
    sh.sh_link = b.U32(24).value_or(0);
    sh.sh_info = b.U32(28).value_or(0);
  }
  return sh;
}

}  // namespace

Result<ElfFile> ElfFile::Parse(Bytes file, Diagnostics& diagnostics) {
  if (file.size() < 16) {
    return Unexpected(Errc::kTruncated, "file of " + std::to_string(file.size()) +
                                            " bytes is too short for an ELF header");
  }
  for (unsigned i = 0; i < 4; ++i) {
    if (file.data()[i] != kElfMagic[i]) return Unexpected(Errc::kCorrupt, "not an ELF file (bad magic)");
  }
  ElfFile elf;
  const std::uint8_t ei_class = file.data()[EI_CLASS];
  const std::uint8_t ei_data = file.data()[EI_DATA];
  if (ei_class != ELFCLASS32 && ei_class != ELFCLASS64) {
    return Unexpected(Errc::kCorrupt, "unknown ELF class " + std::to_string(ei_class));
  }
  if (ei_data != ELFDATA2LSB && ei_data != ELFDATA2MSB) {
    return Unexpected(Errc::kCorrupt, "unknown ELF byte order " + std::to_string(ei_data));
  }
  elf.is64_ = ei_class == ELFCLASS64;
  elf.file_ = file.WithEndian(ei_data == ELFDATA2LSB ? Endian::kLittle : Endian::kBig);
  elf.osabi_ = file.data()[EI_OSABI];
  const Bytes& b = elf.file_;
  const unsigned ehdr_size = elf.is64_ ? kEhdr64Size : kEhdr32Size;
  if (b.size() < ehdr_size) {
    return Unexpected(Errc::kTruncated, "file of " + std::to_string(b.size()) +
                                            " bytes is too short for an ELF" +
                                            (elf.is64_ ? "64" : "32") + " header");
  }
  elf.e_type_ = *b.U16(16);
  elf.e_machine_ = *b.U16(18);
  const unsigned w = elf.is64_ ? 8 : 4;
  elf.e_entry_ = Word(b, 24, elf.is64_);
  elf.e_phoff_ = Word(b, 24 + w, elf.is64_);
  elf.e_shoff_ = Word(b, 24 + 2 * w, elf.is64_);
  const unsigned rest = 24 + 3 * w;  // e_flags onwards
  elf.e_flags_ = *b.U32(rest);
  const std::uint16_t e_phentsize = *b.U16(rest + 6);
  elf.e_phnum_ = *b.U16(rest + 8);
  const std::uint16_t e_shentsize = *b.U16(rest + 10);
  const std::uint16_t e_shnum = *b.U16(rest + 12);
  elf.e_shstrndx_ = *b.U16(rest + 14);

  // Section headers first: PN_XNUM needs section header 0. They are optional in a core, so a
  // broken table is a warning unless PN_XNUM depends on it.
  const unsigned shdr_size = elf.is64_ ? kShdr64Size : kShdr32Size;
  std::uint64_t shnum = e_shnum;
  bool sections_usable = elf.e_shoff_ != 0;
  if (sections_usable && e_shentsize != shdr_size) {
    diagnostics.Warn("e_shentsize " + std::to_string(e_shentsize) + " is not " +
                     std::to_string(shdr_size) + "; section headers ignored");
    sections_usable = false;
  }
  if (sections_usable && !b.Contains(elf.e_shoff_, shdr_size)) {
    diagnostics.Warn("section header table at offset " + Hex(elf.e_shoff_) +
                     " is past the end of the file (size " + Hex(b.size()) + ")");
    sections_usable = false;
  }
  std::optional<SectionHeader> sh0;
  if (sections_usable) {
    sh0 = DecodeShdr(*b.Sub(elf.e_shoff_, shdr_size), elf.is64_);
    if (shnum == 0) shnum = sh0->sh_size;  // the gABI's extended section count
    if (shnum > (b.size() - elf.e_shoff_) / shdr_size) {
      diagnostics.Warn("section header table at offset " + Hex(elf.e_shoff_) + " with " +
                       std::to_string(shnum) + " entries overflows the file");
      shnum = (b.size() - elf.e_shoff_) / shdr_size;
    }
    elf.shdrs_.reserve(static_cast<std::size_t>(shnum));
    for (std::uint64_t i = 0; i < shnum; ++i) {
      elf.shdrs_.push_back(DecodeShdr(*b.Sub(elf.e_shoff_ + i * shdr_size, shdr_size), elf.is64_));
    }
    elf.shnum_ = static_cast<std::uint32_t>(shnum);
  }

  std::uint64_t phnum = elf.e_phnum_;
  if (elf.e_phnum_ == PN_XNUM) {
    if (!sh0) {
      return Unexpected(Errc::kCorrupt,
                        "e_phnum is PN_XNUM (0xffff) but there is no section header 0 to hold "
                        "the real count");
    }
    phnum = sh0->sh_info;
  }
  if (phnum == 0) return elf;
  const unsigned phdr_size = elf.is64_ ? kPhdr64Size : kPhdr32Size;
  if (e_phentsize != phdr_size) {
    return Unexpected(Errc::kCorrupt, "e_phentsize " + std::to_string(e_phentsize) +
                                          " is not " + std::to_string(phdr_size));
  }
  if (!b.Contains(elf.e_phoff_, phnum * phdr_size)) {
    return Unexpected(Errc::kTruncated,
                      "program header table at offset " + Hex(elf.e_phoff_) + " with " +
                          std::to_string(phnum) + " entries overflows file of size " +
                          Hex(b.size()));
  }
  elf.phdrs_.reserve(static_cast<std::size_t>(phnum));
  for (std::uint64_t i = 0; i < phnum; ++i) {
    elf.phdrs_.push_back(DecodePhdr(*b.Sub(elf.e_phoff_ + i * phdr_size, phdr_size), elf.is64_));
  }
  return elf;
}

Bytes ElfFile::SegmentBytes(const ProgramHeader& ph) const {
  if (ph.p_offset >= file_.size()) return Bytes(nullptr, 0, file_.endian());
  const std::uint64_t available = file_.size() - ph.p_offset;
  return *file_.Sub(ph.p_offset, ph.p_filesz < available ? ph.p_filesz : available);
}

bool ElfFile::SegmentTruncated(const ProgramHeader& ph) const {
  return !file_.Contains(ph.p_offset, ph.p_filesz);
}

std::string ElfFile::SectionName(const SectionHeader& sh) const {
  if (e_shstrndx_ >= shdrs_.size()) return {};
  const SectionHeader& strtab = shdrs_[e_shstrndx_];
  auto table = file_.Sub(strtab.sh_offset, strtab.sh_size);
  if (!table) return {};
  return std::string(table->CString(sh.sh_name, table->size()));
}

std::string MachineName(std::uint16_t e_machine, bool is64) {
  switch (e_machine) {
    case EM_X86_64: return is64 ? "x86_64" : "x32";
    case EM_386: return "i386";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_S390: return is64 ? "s390x" : "s390";
    case EM_MIPS: return is64 ? "mips64" : "mips";
    case EM_SPARC: return "sparc";
    case EM_SPARC32PLUS: return "sparc32plus";
    case EM_SPARCV9: return "sparcv9";
    case EM_68K: return "m68k";
    case EM_RISCV: return is64 ? "riscv64" : "riscv32";
    case EM_ALPHA: return "alpha";
    case EM_PARISC: return "hppa";
    case EM_LOONGARCH: return is64 ? "loongarch64" : "loongarch32";
    case EM_IA_64: return "ia64";
    default: return "machine-" + std::to_string(e_machine);
  }
}

std::string TypeName(std::uint16_t e_type) {
  switch (e_type) {
    case ET_NONE: return "none";
    case ET_REL: return "relocatable";
    case ET_EXEC: return "executable";
    case ET_DYN: return "shared object";
    case ET_CORE: return "core";
    default: return "type-" + std::to_string(e_type);
  }
}

std::string SegmentTypeName(std::uint32_t p_type) {
  switch (p_type) {
    case PT_NULL: return "NULL";
    case PT_LOAD: return "LOAD";
    case PT_DYNAMIC: return "DYNAMIC";
    case PT_INTERP: return "INTERP";
    case PT_NOTE: return "NOTE";
    case PT_PHDR: return "PHDR";
    case PT_TLS: return "TLS";
    case PT_GNU_EH_FRAME: return "GNU_EH_FRAME";
    case PT_GNU_STACK: return "GNU_STACK";
    case PT_GNU_RELRO: return "GNU_RELRO";
    case PT_GNU_PROPERTY: return "GNU_PROPERTY";
    default: return Hex(p_type);
  }
}

}  // namespace corekit::elf
