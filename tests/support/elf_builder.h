// Test helpers that build ELF files and note payloads in memory, including broken ones.
//
// ByteWriter appends integers in a chosen byte order; ElfBuilder lays out an ELF header,
// program headers (PT_NOTE first, as the kernel does), one note segment and PT_LOAD segments,
// with switches to produce PN_XNUM files and lies (sizes that overflow, truncation).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "corekit/elf/bytes.h"
#include "corekit/elf/constants.h"

namespace corekit::testing {

class ByteWriter {
 public:
  explicit ByteWriter(elf::Endian endian = elf::Endian::kLittle) : endian_(endian) {}
  ByteWriter& U8(std::uint64_t v) { return Uint(v, 1); }
  ByteWriter& U16(std::uint64_t v) { return Uint(v, 2); }
  ByteWriter& U32(std::uint64_t v) { return Uint(v, 4); }
  ByteWriter& U64(std::uint64_t v) { return Uint(v, 8); }
  ByteWriter& Uint(std::uint64_t v, unsigned width) {
    for (unsigned i = 0; i < width; ++i) {
      const unsigned shift = endian_ == elf::Endian::kLittle ? 8 * i : 8 * (width - 1 - i);
      bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
    }
    return *this;
  }
  // A fixed-size char field, NUL-padded.
  ByteWriter& Str(const std::string& s, std::size_t field) {
    for (std::size_t i = 0; i < field; ++i) bytes_.push_back(i < s.size() ? static_cast<std::uint8_t>(s[i]) : 0);
    return *this;
  }
  ByteWriter& Zeros(std::size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }
  ByteWriter& Bytes(const std::vector<std::uint8_t>& b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  ByteWriter& AlignTo(std::size_t a) {
    while (bytes_.size() % a) bytes_.push_back(0);
    return *this;
  }
  std::size_t size() const { return bytes_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  elf::Endian endian_;
  std::vector<std::uint8_t> bytes_;
};

// One ELF note (4-byte alignment) in the given byte order.
inline std::vector<std::uint8_t> EncodeNote(const std::string& owner, std::uint32_t type,
                                            const std::vector<std::uint8_t>& desc,
                                            elf::Endian endian = elf::Endian::kLittle) {
  ByteWriter w(endian);
  w.U32(owner.size() + 1).U32(desc.size()).U32(type);
  w.Str(owner, owner.size() + 1).AlignTo(4);
  w.Bytes(desc).AlignTo(4);
  return w.bytes();
}

class ElfBuilder {
 public:
  struct LoadSpec {
    std::uint64_t vaddr;
    std::vector<std::uint8_t> bytes;
    std::uint64_t memsz;
    std::uint32_t flags;
  };

  explicit ElfBuilder(bool is64 = true, elf::Endian endian = elf::Endian::kLittle,
                      std::uint16_t machine = elf::EM_X86_64, std::uint16_t type = elf::ET_CORE)
      : is64_(is64), endian_(endian), machine_(machine), type_(type) {}

  ElfBuilder& Note(const std::string& owner, std::uint32_t type, const std::vector<std::uint8_t>& desc) {
    auto n = EncodeNote(owner, type, desc, endian_);
    notes_.insert(notes_.end(), n.begin(), n.end());
    return *this;
  }
  ElfBuilder& RawNotes(const std::vector<std::uint8_t>& bytes) {
    notes_.insert(notes_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  // A PT_LOAD whose file data is `bytes` and whose memory size is memsz (>= bytes.size()).
  ElfBuilder& Load(std::uint64_t vaddr, std::vector<std::uint8_t> bytes, std::uint64_t memsz = 0,
                   std::uint32_t flags = elf::PF_R | elf::PF_W) {
    if (memsz == 0) memsz = bytes.size();
    loads_.push_back({vaddr, std::move(bytes), memsz, flags});
    return *this;
  }
  // Writes e_phnum as PN_XNUM with the count in section header 0, whatever the count.
  ElfBuilder& ForcePnXnum() {
    force_pn_xnum_ = true;
    return *this;
  }
  // Gives PT_NOTE p_vaddr == p_offset, as in an executable loaded at address 0.
  ElfBuilder& NoteAtItsOffset() {
    note_vaddr_is_offset_ = true;
    return *this;
  }

  std::vector<std::uint8_t> Build() const {
    const unsigned ehsize = is64_ ? 64 : 52, phentsize = is64_ ? 56 : 32, shentsize = is64_ ? 64 : 40;
    const std::size_t phnum = 1 + loads_.size();
    const bool xnum = force_pn_xnum_ || phnum >= elf::PN_XNUM;
    const std::uint64_t phoff = ehsize;
    const std::uint64_t shoff = phoff + phnum * phentsize;
    const std::uint64_t notes_off = shoff + (xnum ? shentsize : 0);
    std::uint64_t data_off = notes_off + notes_.size();
    ByteWriter w(endian_);
    w.U8(0x7f).U8('E').U8('L').U8('F').U8(is64_ ? 2 : 1).U8(endian_ == elf::Endian::kLittle ? 1 : 2);
    w.U8(1).U8(0).Zeros(8);
    w.U16(type_).U16(machine_).U32(1);
    const unsigned ws = is64_ ? 8 : 4;
    w.Uint(0, ws).Uint(phoff, ws).Uint(xnum ? shoff : 0, ws);
    w.U32(0).U16(ehsize).U16(phentsize).U16(xnum ? elf::PN_XNUM : phnum);
    w.U16(shentsize).U16(xnum ? 1 : 0).U16(0);
    auto phdr = [&](std::uint32_t type, std::uint32_t flags, std::uint64_t off, std::uint64_t vaddr,
                    std::uint64_t filesz, std::uint64_t memsz, std::uint64_t align) {
      if (is64_) {
        w.U32(type).U32(flags).U64(off).U64(vaddr).U64(0).U64(filesz).U64(memsz).U64(align);
      } else {
        w.U32(type).U32(off).U32(vaddr).U32(0).U32(filesz).U32(memsz).U32(flags).U32(align);
      }
    };
    phdr(elf::PT_NOTE, elf::PF_R, notes_off, note_vaddr_is_offset_ ? notes_off : 0, notes_.size(),
         note_vaddr_is_offset_ ? notes_.size() : 0, 4);
    std::vector<std::uint64_t> offsets;
    for (const LoadSpec& l : loads_) {
      offsets.push_back(data_off);
      phdr(elf::PT_LOAD, l.flags, data_off, l.vaddr, l.bytes.size(), l.memsz, 0x1000);
      data_off += l.bytes.size();
    }
    if (xnum) {  // section header 0 holds the real count in sh_info
      if (is64_) {
        w.U32(0).U32(0).U64(0).U64(0).U64(0).U64(0).U32(0).U32(phnum).U64(0).U64(0);
      } else {
        w.U32(0).U32(0).U32(0).U32(0).U32(0).U32(0).U32(0).U32(phnum).U32(0).U32(0);
      }
    }
    w.Bytes(notes_);
    for (const LoadSpec& l : loads_) w.Bytes(l.bytes);
    return w.bytes();
  }

 private:
  bool is64_;
  elf::Endian endian_;
  std::uint16_t machine_, type_;
  std::vector<std::uint8_t> notes_;
  std::vector<LoadSpec> loads_;
  bool force_pn_xnum_ = false;
  bool note_vaddr_is_offset_ = false;
};

inline elf::Bytes View(const std::vector<std::uint8_t>& b, elf::Endian e = elf::Endian::kLittle) {
  return elf::Bytes(b.data(), b.size(), e);
}

}  // namespace corekit::testing
