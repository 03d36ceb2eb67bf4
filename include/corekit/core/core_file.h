// CoreFile: an ELF core file as a Target.
//
// Open() maps the file once (decompressing it first if needed), checks the ELF header and
// program headers (PN_XNUM resolved), splits every PT_NOTE into notes, decodes them into the
// model for the core's OS (Linux, FreeBSD, NetBSD, OpenBSD; Zircon notes are listed), and
// builds a sorted index of PT_LOAD segments. Damage that leaves something readable (a truncated
// file, a broken note) becomes a diagnostic, not a failure.
//
// Memory: a read is a binary search over the segment index and a copy from the mapping. Bytes
// a segment does not hold (p_filesz shorter than p_memsz, or cut by truncation) are looked up in
// the file that NT_FILE names for that address, at the right file offset — only after the
// build-id of that file on disk (under Options::sysroot) equals the build-id found in the
// core's own memory at the start of the file's first mapping. Otherwise they are absent.
//
// Not thread-safe: file-backed reads open and cache files lazily.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "corekit/core/mapped_file.h"
#include "corekit/elf/elf_file.h"
#include "corekit/elf/notes.h"
#include "corekit/target/target.h"

namespace corekit::core {

struct Options {
  // Files named by NT_FILE are looked up under this directory (for cores from other machines).
  std::string sysroot;
  // Read bytes missing from the core from the mapped files (build-id checked).
  bool use_mapped_files = true;
};

// A PT_LOAD segment as the memory index sees it.
struct Segment {
  std::uint64_t vaddr = 0, memsz = 0;
  std::uint64_t offset = 0;     // p_offset
  std::uint64_t filesz = 0;     // p_filesz as declared
  std::uint64_t available = 0;  // bytes of it actually in the file (less when truncated)
  std::uint32_t flags = 0;      // PF_R | PF_W | PF_X
};

class FileBacking;
class FileMappingIndex;

class CoreFile final : public target::Target {
 public:
  // Errors: those of MappedFile::Open and ElfFile::Parse; kUnsupported when the file is ELF
  // but not ET_CORE ("not a core file: ELF type executable").
  static Result<std::unique_ptr<CoreFile>> Open(const std::string& path, Options options = {});
  ~CoreFile() override;

  const elf::Abi& abi() const override { return abi_; }
  target::Producer producer() const override { return producer_; }
  const target::Process& process() const override { return process_; }
  const std::vector<target::Thread>& threads() const override { return threads_; }
  const std::vector<target::Mapping>& mappings() const override;
  const Diagnostics& diagnostics() const override { return diagnostics_; }
  Result<std::size_t> ReadSome(std::uint64_t address, std::span<std::uint8_t> out) override;

  const std::string& path() const { return path_; }
  const elf::ElfFile& elf() const { return elf_; }
  const MappedFile& file() const { return file_; }
  const std::vector<elf::Note>& notes() const { return notes_; }
  const std::vector<Segment>& segments() const { return segments_; }
  const std::vector<elf::FileMapping>& file_mappings() const { return file_mappings_; }
  // The decoded FreeBSD NT_PROCSTAT_VMMAP entries, if the core has them.
  const std::vector<elf::VmEntry>& vm_entries() const { return vm_entries_; }
  std::size_t truncated_segment_count() const { return truncated_segments_; }

  // The segment holding address, or nullptr.
  const Segment* FindSegment(std::uint64_t address) const;
  // The core file's own bytes of [address, address + size) when one segment holds them all
  // (valid as long as this CoreFile): what a reader can use without copying.
  std::optional<std::span<const std::uint8_t>> BytesInCore(std::uint64_t address, std::uint64_t size) const;
  // Like ReadSome, but only bytes the core file itself holds (no mapped files).
  Result<std::size_t> ReadFromCore(std::uint64_t address, std::span<std::uint8_t> out) const;

 private:
  CoreFile() = default;
  void DecodeNotes();
  void IndexSegments();
  std::size_t CopyFromSegment(const Segment& s, std::uint64_t address,
                              std::span<std::uint8_t> out) const;

  std::string path_;
  Options options_;
  MappedFile file_;
  elf::ElfFile elf_;
  elf::Abi abi_;
  target::Producer producer_ = target::Producer::kUnknown;
  Diagnostics diagnostics_;
  std::vector<elf::Note> notes_;
  target::Process process_;
  std::vector<target::Thread> threads_;
  std::vector<elf::FileMapping> file_mappings_;
  std::vector<elf::VmEntry> vm_entries_;
  std::vector<Segment> segments_;  // sorted by vaddr
  std::vector<std::uint64_t> segment_starts_;  // segments_[i].vaddr, for the binary search
  mutable std::size_t last_segment_ = static_cast<std::size_t>(-1);  // FindSegment's last hit
  std::size_t truncated_segments_ = 0;
  mutable std::vector<target::Mapping> mappings_;
  mutable bool mappings_built_ = false;
  std::unique_ptr<FileMappingIndex> file_index_;  // over file_mappings_
  std::unique_ptr<FileBacking> file_backing_;
};

}  // namespace corekit::core
