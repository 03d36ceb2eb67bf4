#include "file_backing.h"

#include <algorithm>
#include <cstring>

#include "corekit/elf/constants.h"
#include "corekit/elf/elf_file.h"
#include "corekit/elf/notes.h"
#include "target/elf_image.h"
#include "corekit/target/model.h"

namespace corekit::core {
namespace {

std::optional<std::string> BuildIdOfFile(const MappedFile& file) {
  Diagnostics ignored;
  auto elf = elf::ElfFile::Parse(file.bytes(), ignored);
  if (!elf) return std::nullopt;
  for (const elf::ProgramHeader& ph : elf->program_headers()) {
    if (ph.p_type != elf::PT_NOTE) continue;
    auto notes = elf::ParseNotes(elf->SegmentBytes(ph), ph.p_offset,
                                 static_cast<unsigned>(ph.p_align), ignored);
    if (auto id = elf::GnuBuildId(notes)) return elf::HexBytes(*id);
  }
  return std::nullopt;
}

}  // namespace

FileBacking::FileBacking(const FileMappingIndex& index, std::string sysroot, CoreReader core_reader)
    : index_(index), sysroot_(std::move(sysroot)), core_reader_(std::move(core_reader)) {}

const elf::FileMapping* FileBacking::Find(std::uint64_t address) const { return index_.Find(address); }

// The build-id note as the process had it in memory, read only from the core's own bytes.
std::optional<std::string> FileBacking::BuildIdInCore(const std::string& path) {
  const elf::FileMapping* first = nullptr;
  for (const elf::FileMapping& m : index_.mappings()) {
    if (m.path == path && m.offset == 0 && (!first || m.start < first->start)) first = &m;
  }
  if (!first) return std::nullopt;
  auto image = target::ReadElfImage(core_reader_, first->start);
  return image ? image->build_id : std::nullopt;
}

FileBacking::Checked& FileBacking::Check(const std::string& path) {
  auto [it, inserted] = checked_.emplace(path, nullptr);
  if (!inserted) return *it->second;
  it->second = std::make_unique<Checked>();
  Checked& c = *it->second;
  const std::string_view kind = target::MappingKind(path);
  if (kind != "file") {
    c.reason = "it maps a " + std::string(kind) + " object, which is not on disk";
    return c;
  }
  auto core_id = BuildIdInCore(path);
  if (!core_id) {
    c.reason = "the core holds no build-id for " + path + " to check the file against";
    return c;
  }
  auto file = MappedFile::Open(sysroot_ + path);
  if (!file) {
    c.reason = file.error().message;
    return c;
  }
  auto disk_id = BuildIdOfFile(*file);
  if (disk_id != core_id) {
    c.reason = sysroot_ + path + " has build-id " + disk_id.value_or("(none)") +
               " but the core's is " + *core_id;
    return c;
  }
  c.verified = true;
  c.file = std::move(*file);
  return c;
}

bool FileBacking::Verified(const elf::FileMapping& mapping) { return Check(mapping.path).verified; }

Result<std::size_t> FileBacking::Read(std::uint64_t address, std::span<std::uint8_t> out) {
  const elf::FileMapping* m = Find(address);
  if (!m) return Unexpected(Errc::kUnmapped, elf::Hex(address) + " is not in a file mapping");
  Checked& c = Check(m->path);
  if (!c.verified) {
    return Unexpected(Errc::kNotInCore, elf::Hex(address) + " is in " + m->path +
                                            " but its bytes are not in the core and " + c.reason);
  }
  const std::uint64_t file_offset = m->offset + (address - m->start);
  const elf::Bytes bytes = c.file.bytes();
  if (file_offset >= bytes.size()) {
    return Unexpected(Errc::kNotInCore, elf::Hex(address) + " maps offset " + elf::Hex(file_offset) +
                                            " of " + m->path + ", past the file's end");
  }
  std::uint64_t n = std::min<std::uint64_t>(out.size(), bytes.size() - file_offset);
  n = std::min<std::uint64_t>(n, m->end - address);
  std::memcpy(out.data(), bytes.data() + file_offset, static_cast<std::size_t>(n));
  return static_cast<std::size_t>(n);
}

}  // namespace corekit::core
