#include "target/elf_image.h"

#include <algorithm>
#include <vector>

#include "corekit/elf/constants.h"
#include "corekit/elf/elf_file.h"
#include "corekit/elf/notes.h"
#include "corekit/target/target.h"

namespace corekit::target {
namespace {

constexpr std::size_t kHeaderWindow = 4096;
constexpr std::uint64_t kMaxNoteSegment = 64 * 1024;
constexpr std::uint64_t kPageMask = ~std::uint64_t{0xfff};

// Fills `out` completely, or returns how much was read before the first hole.
std::size_t ReadUpTo(const MemoryReader& read, std::uint64_t address, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    auto n = read(address + done, out.subspan(done));
    if (!n || *n == 0) break;
    done += *n;
  }
  return done;
}

}  // namespace

MemoryReader ReaderOf(Target& target) {
  return [&target](std::uint64_t address, std::span<std::uint8_t> out) {
    return target.ReadSome(address, out);
  };
}

std::optional<ElfImage> ReadElfImage(const MemoryReader& read, std::uint64_t header_address) {
  std::vector<std::uint8_t> header(kHeaderWindow);
  header.resize(ReadUpTo(read, header_address, header));
  Diagnostics ignored;
  auto elf = elf::ElfFile::Parse(elf::Bytes(header.data(), header.size()), ignored);
  if (!elf) return std::nullopt;
  ElfImage image;
  image.type = elf->type();
  std::uint64_t lowest = UINT64_MAX, highest = 0;
  for (const elf::ProgramHeader& ph : elf->program_headers()) {
    if (ph.p_type != elf::PT_LOAD) continue;
    lowest = std::min(lowest, ph.p_vaddr & kPageMask);
    highest = std::max(highest, ph.p_vaddr + ph.p_memsz);
  }
  if (lowest == UINT64_MAX) return std::nullopt;
  image.first_load = lowest;
  image.bias = header_address - lowest;
  image.end = image.bias + highest;
  for (const elf::ProgramHeader& ph : elf->program_headers()) {
    if (ph.p_type == elf::PT_DYNAMIC) image.dynamic = image.bias + ph.p_vaddr;
    if (ph.p_type != elf::PT_NOTE || image.build_id || ph.p_filesz == 0 ||
        ph.p_filesz > kMaxNoteSegment) {
      continue;
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(ph.p_filesz));
    if (ReadUpTo(read, image.bias + ph.p_vaddr, bytes) < bytes.size()) continue;
    auto notes = elf::ParseNotes(elf::Bytes(bytes.data(), bytes.size(), elf->endian()), 0,
                                 static_cast<unsigned>(ph.p_align), ignored);
    if (auto id = elf::GnuBuildId(notes)) image.build_id = elf::HexBytes(*id);
  }
  return image;
}

}  // namespace corekit::target
