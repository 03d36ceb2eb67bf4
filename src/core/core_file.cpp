#include "corekit/core/core_file.h"

#include <algorithm>
#include <cstring>

#include "corekit/elf/constants.h"
#include "file_backing.h"
#include "file_mapping_index.h"

namespace corekit::core {

CoreFile::~CoreFile() = default;

Result<std::unique_ptr<CoreFile>> CoreFile::Open(const std::string& path, Options options) {
  auto mapped = MappedFile::Open(path);
  if (!mapped) return Unexpected(mapped.error());
  std::unique_ptr<CoreFile> core(new CoreFile());
  core->path_ = path;
  core->options_ = std::move(options);
  core->file_ = std::move(*mapped);
  auto elf = elf::ElfFile::Parse(core->file_.bytes(), core->diagnostics_);
  if (!elf) return Unexpected(elf.error().code, path + ": " + elf.error().message);
  core->elf_ = std::move(*elf);
  if (core->elf_.type() != elf::ET_CORE) {
    return Unexpected(Errc::kUnsupported,
                      path + ": not a core file: ELF type " + elf::TypeName(core->elf_.type()));
  }
  for (const elf::ProgramHeader& ph : core->elf_.program_headers()) {
    if (ph.p_type != elf::PT_NOTE) continue;
    if (core->elf_.SegmentTruncated(ph)) {
      core->diagnostics_.Warn("PT_NOTE at offset " + elf::Hex(ph.p_offset) + " with size " +
                              elf::Hex(ph.p_filesz) + " overflows file of size " +
                              elf::Hex(core->file_.bytes().size()) + "; reading what is there");
    }
    auto notes = elf::ParseNotes(core->elf_.SegmentBytes(ph), ph.p_offset,
                                 static_cast<unsigned>(ph.p_align), core->diagnostics_);
    core->notes_.insert(core->notes_.end(), notes.begin(), notes.end());
  }
  core->abi_ = elf::DetectAbi(core->elf_, core->notes_);
  // gcore writes section headers (note0, load...); the kernel writes none except the PN_XNUM
  // holder. Notes can refine this (COREKIT, GDB).
  core->producer_ = core->elf_.shnum() > 1 ? target::Producer::kGcore : target::Producer::kKernel;
  if (core->abi_.os == elf::Os::kUnknown && core->notes_.empty()) {
    core->producer_ = target::Producer::kUnknown;
  }
  core->DecodeNotes();
  core->IndexSegments();
  core->file_index_ = std::make_unique<FileMappingIndex>(core->file_mappings_);
  if (core->options_.use_mapped_files && !core->file_mappings_.empty()) {
    CoreFile* self = core.get();
    core->file_backing_ = std::make_unique<FileBacking>(
        *core->file_index_, core->options_.sysroot,
        [self](std::uint64_t address, std::span<std::uint8_t> out) {
          return self->ReadFromCore(address, out);
        });
  }
  return core;
}

void CoreFile::IndexSegments() {
  const std::uint64_t file_size = file_.bytes().size();
  for (std::size_t i = 0; i < elf_.program_headers().size(); ++i) {
    const elf::ProgramHeader& ph = elf_.program_headers()[i];
    if (ph.p_type != elf::PT_LOAD || ph.p_memsz == 0) continue;
    Segment s;
    s.vaddr = ph.p_vaddr;
    s.memsz = ph.p_memsz;
    // Wrap-around at the top of the address space cannot be a real mapping.
    if (s.vaddr + s.memsz < s.vaddr) {
      diagnostics_.Warn("PT_LOAD " + std::to_string(i) + " at " + elf::Hex(ph.p_vaddr) +
                        " with size " + elf::Hex(ph.p_memsz) + " wraps the address space; skipped");
      continue;
    }
    s.offset = ph.p_offset;
    s.filesz = std::min(ph.p_filesz, ph.p_memsz);
    s.flags = ph.p_flags;
    s.available = ph.p_offset >= file_size ? 0 : std::min(s.filesz, file_size - ph.p_offset);
    if (s.available < s.filesz) ++truncated_segments_;
    segments_.push_back(s);
  }
  if (truncated_segments_ > 0) {
    diagnostics_.Warn("the file is truncated: " + std::to_string(truncated_segments_) +
                      " PT_LOAD segments end past its size " + elf::Hex(file_size) +
                      "; their missing bytes read as absent");
  }
  std::stable_sort(segments_.begin(), segments_.end(),
                   [](const Segment& a, const Segment& b) { return a.vaddr < b.vaddr; });
  // The search runs over start addresses alone: 8 bytes per segment stay in cache far longer
  // than whole records when a core has tens of thousands of segments.
  segment_starts_.reserve(segments_.size());
  for (const Segment& s : segments_) segment_starts_.push_back(s.vaddr);
}

const Segment* CoreFile::FindSegment(std::uint64_t address) const {
  // Reads come in runs (a stack walk, a string, a struct): try the last segment first.
  if (last_segment_ < segments_.size()) {
    const Segment& last = segments_[last_segment_];
    if (address - last.vaddr < last.memsz) return &last;
  }
  auto it = std::upper_bound(segment_starts_.begin(), segment_starts_.end(), address);
  if (it == segment_starts_.begin()) return nullptr;
  const std::size_t index = static_cast<std::size_t>(it - segment_starts_.begin()) - 1;
  const Segment& s = segments_[index];
  if (address - s.vaddr >= s.memsz) return nullptr;
  last_segment_ = index;
  return &s;
}

// Copies from the one segment holding address; the caller's loop moves on to the next.
std::size_t CoreFile::CopyFromSegment(const Segment& s, std::uint64_t address,
                                      std::span<std::uint8_t> out) const {
  const std::uint64_t into = address - s.vaddr;
  const std::uint64_t n = std::min<std::uint64_t>(out.size(), s.available - into);
  std::memcpy(out.data(), file_.bytes().data() + s.offset + into, static_cast<std::size_t>(n));
  return static_cast<std::size_t>(n);
}

std::optional<std::span<const std::uint8_t>> CoreFile::BytesInCore(std::uint64_t address, std::uint64_t size) const {
  const Segment* s = FindSegment(address);
  if (!s || address - s->vaddr >= s->available || size > s->available - (address - s->vaddr)) return std::nullopt;
  return std::span<const std::uint8_t>(file_.bytes().data() + s->offset + (address - s->vaddr), static_cast<std::size_t>(size));
}

Result<std::size_t> CoreFile::ReadFromCore(std::uint64_t address, std::span<std::uint8_t> out) const {
  const Segment* s = FindSegment(address);
  if (!s || address - s->vaddr >= s->available) {
    return Unexpected(Errc::kNotInCore, elf::Hex(address) + " is not in the core file");
  }
  return CopyFromSegment(*s, address, out);
}

Result<std::size_t> CoreFile::ReadSome(std::uint64_t address, std::span<std::uint8_t> out) {
  if (out.empty()) return std::size_t{0};
  const Segment* s = FindSegment(address);
  if (s && address - s->vaddr < s->available) return CopyFromSegment(*s, address, out);
  if (file_backing_ && file_backing_->Find(address)) {
    // Never read past the end of the segment's missing part into a next segment's bytes.
    std::span<std::uint8_t> window = out;
    if (s) window = out.first(std::min<std::uint64_t>(out.size(), s->memsz - (address - s->vaddr)));
    return file_backing_->Read(address, window);
  }
  if (s) {
    const char* why = s->available < s->filesz ? "the core file is truncated there"
                      : s->filesz == 0          ? "the segment was not dumped (p_filesz 0)"
                                                : "the segment was dumped only in part";
    return Unexpected(Errc::kNotInCore, elf::Hex(address) + " is mapped but not in the core: " + why);
  }
  return Unexpected(Errc::kUnmapped, elf::Hex(address) + " is not mapped in the process");
}

namespace {

std::string Perms(std::uint32_t flags, char share) {
  std::string p = "---";
  p[0] = flags & elf::PF_R ? 'r' : '-';
  p[1] = flags & elf::PF_W ? 'w' : '-';
  p[2] = flags & elf::PF_X ? 'x' : '-';
  return p + share;
}

}  // namespace

const std::vector<target::Mapping>& CoreFile::mappings() const {
  if (mappings_built_) return mappings_;
  mappings_built_ = true;
  FileBacking* backing = file_backing_.get();
  if (abi_.os == elf::Os::kFreeBSD && !vm_entries_.empty()) {
    for (const elf::VmEntry& e : vm_entries_) {
      target::Mapping m;
      m.start = e.start;
      m.end = e.end;
      m.perms = Perms((e.protection & 1 ? elf::PF_R : 0) | (e.protection & 2 ? elf::PF_W : 0) |
                          (e.protection & 4 ? elf::PF_X : 0), 'p');
      m.offset = e.offset;
      m.path = e.path;
      const Segment* s = FindSegment(e.start);
      m.bytes_in_core = s ? std::min(s->available, e.end - e.start) : 0;
      m.backing = m.bytes_in_core == 0 ? target::Backing::kAbsent
                  : m.bytes_in_core < e.end - e.start ? target::Backing::kPartial
                                                      : target::Backing::kCore;
      mappings_.push_back(std::move(m));
    }
    return mappings_;
  }
  for (const Segment& s : segments_) {
    target::Mapping m;
    m.start = s.vaddr;
    m.end = s.vaddr + s.memsz;
    const elf::FileMapping* f = file_index_->Find(s.vaddr);
    m.perms = Perms(s.flags, 'p');
    if (f) {
      m.path = f->path;
      m.offset = f->offset + (s.vaddr - f->start);
    }
    m.bytes_in_core = s.available;
    if (s.available == s.memsz) {
      m.backing = target::Backing::kCore;
    } else if (f && backing && backing->Verified(*f)) {
      m.backing = s.available ? target::Backing::kPartial : target::Backing::kFile;
    } else {
      m.backing = s.available ? target::Backing::kPartial : target::Backing::kAbsent;
    }
    mappings_.push_back(std::move(m));
  }
  return mappings_;
}

}  // namespace corekit::core
