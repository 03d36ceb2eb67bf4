// CoreSource: an existing ELF core as a DumpSource, to rewrite it (corekit compact IN OUT).
//
// Its notes pass through unchanged, in their order (except an old COREKIT note: the writer adds
// its own), so threads are not split out: thread_count() is 0. Its memory plan is its PT_LOAD
// segments with what the file holds of each; memory is read from the core only (never from the
// mapped files on disk), so a rewrite holds no byte the input did not.
#pragma once

#include "corekit/core/core_file.h"
#include "corekit/dump/dumper.h"

namespace corekit::dump {

class CoreSource final : public DumpSource {
 public:
  explicit CoreSource(core::CoreFile& core) : core_(core) {}

  Result<void> Suspend() override { return {}; }
  const elf::Abi& abi() const override { return core_.abi(); }
  std::size_t thread_count() const override { return 0; }
  Result<std::vector<NoteData>> ProcessNotes() override;
  Result<std::vector<NoteData>> ThreadNotes(std::size_t) override { return std::vector<NoteData>{}; }
  Result<std::vector<PlannedSegment>> PlanMemory() override;
  Result<std::size_t> ReadMemory(std::uint64_t address, std::span<std::uint8_t> out) override {
    return core_.ReadFromCore(address, out);
  }
  std::vector<bool> TouchedPages(std::uint64_t, std::size_t) override { return {}; }
  void Resume() override {}
  std::chrono::nanoseconds stopped_for() const override { return {}; }

 private:
  core::CoreFile& core_;
};

}  // namespace corekit::dump
