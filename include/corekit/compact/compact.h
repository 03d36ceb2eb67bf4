// Compact cores: keep what a post-mortem needs, nothing else, in an ordinary ELF core.
//
// CompactPlan() narrows a full memory plan to the pages that matter:
//  - what corekit itself reads to explain the process: it runs module discovery (the dynamic
//    linker's r_debug/link_map chain, every module's ELF header and build-id), the unwinder on
//    every thread and the crash report over a Target that records each read;
//  - every thread's stack from its SP to the end of its mapping (at most stack_limit each);
//  - the pages that registers and stack words point into, one level deep (pointee_limit in all);
//  - the pages around the fault address, the vDSO, the first page of every file mapping, and the
//    dynamic linker's and C library's writable data (glibc's thread list lives there);
// each page only if the full plan had it. Mappings are split into PT_LOAD segments of kept and
// dropped pages, so readers see the same address space. The unwinder depends on it, so this sits
// above dump, unwind and analyze.
#pragma once

#include <memory>

#include "corekit/dump/dumper.h"
#include "corekit/target/target.h"

namespace corekit::compact {

struct CompactOptions {
  std::uint64_t stack_limit = 8ull << 20;     // per thread, from SP up
  std::uint64_t pointee_limit = 64ull << 20;  // pages pointed to by registers and stack words
};

std::vector<dump::PlannedSegment> CompactPlan(target::Target& target, const std::vector<dump::PlannedSegment>& full,
                                              const CompactOptions& options);

// A DumpSource that plans like `inner`, compacted; `target` is the same process seen as a Target
// (the live::Process of a LiveSource once suspended, or the CoreFile of a CoreSource).
class CompactSource final : public dump::DumpSource {
 public:
  CompactSource(dump::DumpSource& inner, std::function<target::Target*()> target, CompactOptions options)
      : inner_(inner), target_(std::move(target)), options_(options) {}

  Result<void> Suspend() override { return inner_.Suspend(); }
  const elf::Abi& abi() const override { return inner_.abi(); }
  std::size_t thread_count() const override { return inner_.thread_count(); }
  Result<std::vector<dump::NoteData>> ProcessNotes() override { return inner_.ProcessNotes(); }
  Result<std::vector<dump::NoteData>> ThreadNotes(std::size_t index) override { return inner_.ThreadNotes(index); }
  Result<std::vector<dump::PlannedSegment>> PlanMemory() override;
  Result<std::size_t> ReadMemory(std::uint64_t address, std::span<std::uint8_t> out) override {
    return inner_.ReadMemory(address, out);
  }
  std::vector<bool> TouchedPages(std::uint64_t start, std::size_t count) override {
    return inner_.TouchedPages(start, count);
  }
  void Resume() override { inner_.Resume(); }
  std::chrono::nanoseconds stopped_for() const override { return inner_.stopped_for(); }

 private:
  dump::DumpSource& inner_;
  std::function<target::Target*()> target_;
  CompactOptions options_;
};

}  // namespace corekit::compact
