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
  // non_stop: once every thread is stopped and its registers saved, the process forks a
  // snapshot of itself (live::Process::ForkSnapshot) and runs on; memory is dumped from the
  // snapshot, which is then killed and reaped. When the snapshot is impossible, the dump goes on
  // the ordinary way and non_stop_failure() says why.
  LiveSource(pid_t pid, live::AttachOptions options, bool non_stop = false)
      : pid_(pid), options_(options), non_stop_(non_stop) {}

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
  const std::string& non_stop_failure() const { return non_stop_failure_; }
  bool used_snapshot() const { return used_snapshot_; }
  // Mappings a snapshot does not hold (MADV_DONTFORK, MADV_WIPEONFORK): not dumped.
  std::size_t not_in_snapshot() const { return not_in_snapshot_; }

 private:
  pid_t pid_;
  live::AttachOptions options_;
  std::unique_ptr<live::Process> process_;
  elf::Abi abi_;
  bool non_stop_ = false;
  pid_t snapshot_ = 0;
  bool used_snapshot_ = false;
  std::string non_stop_failure_;
  std::size_t not_in_snapshot_ = 0;
  std::chrono::nanoseconds stopped_{0}, reap_pause_{0};
};

}  // namespace corekit::dump
