// LiveSource: a DumpSource over a running process (live::Process), producing the notes and
// the memory plan the kernel would produce for it.
//
// Notes as fs/binfmt_elf.c writes them: NT_PRSTATUS (struct elf_prstatus with the thread's
// user_regs_struct), NT_FPREGSET, NT_X86_XSTATE and, for a thread stopped with a signal,
// NT_SIGINFO per thread (as gcore does); NT_PRPSINFO from /proc/PID/stat, status and cmdline;
// NT_AUXV; NT_FILE for every file-backed mapping.
//
// The memory plan obeys /proc/PID/coredump_filter as the kernel's vma_dump_size() does
// (default 0x33: private and shared anonymous memory, ELF header pages of file mappings, no
// read-only file text — it is on disk): VmFlags `dd` (MADV_DONTDUMP) and `io` are excluded, so
// is [vvar]; [vdso] always goes in whole. In anonymous mappings, pages /proc/PID/pagemap shows
// as never touched become holes.
#pragma once

#include <memory>

#include "corekit/dump/dumper.h"
#include "corekit/live/process.h"

namespace corekit::dump {

class LiveSource final : public DumpSource {
 public:
  LiveSource(pid_t pid, live::AttachOptions options) : pid_(pid), options_(options) {}

  Result<void> Suspend() override;
  const elf::Abi& abi() const override;
  std::size_t thread_count() const override;
  Result<std::vector<NoteData>> ProcessNotes() override;
  Result<std::vector<NoteData>> ThreadNotes(std::size_t index) override;
  Result<std::vector<PlannedSegment>> PlanMemory() override;
  Result<std::size_t> ReadMemory(std::uint64_t address, std::span<std::uint8_t> out) override;
  std::vector<bool> TouchedPages(std::uint64_t start, std::size_t count) override;
  void Resume() override;
  std::chrono::nanoseconds stopped_for() const override;

  // The stopped process, after Suspend().
  live::Process* process() { return process_.get(); }

 private:
  pid_t pid_;
  live::AttachOptions options_;
  std::unique_ptr<live::Process> process_;
  elf::Abi abi_;
};

}  // namespace corekit::dump
