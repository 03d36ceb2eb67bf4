// live::Process: a running Linux process, stopped under ptrace, as a Target.
//
// Attach() seizes every thread (PTRACE_SEIZE, then PTRACE_INTERRUPT) and rescans
// /proc/PID/task until a scan finds no thread it has not stopped: a thread can only be created
// by a running one, so the set is then complete. It reads each thread's register sets with
// PTRACE_GETREGSET (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE) — the kernel's regset layouts, the
// same bytes a core's notes hold, decoded by the same code — and the process facts from /proc.
// Memory is read with process_vm_readv (falling back to /proc/PID/mem).
//
// Detach() lets every thread go, re-delivering a signal a thread was stopped with; the
// destructor calls it, so every exit path resumes the target. A target that exits while
// attached is reported by reads failing, never by a hang.
//
// x86-64 targets only (the machine corekit writes cores for). Not thread-safe, except
// Detach() against nothing else running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corekit/target/target.h"

namespace corekit::live {

struct AttachOptions {
  // Attach to a process that made itself non-dumpable (its memory may hold secrets).
  bool force = false;
  // Leave smaps' details (VmFlags, Anonymous) and the threads' names, signal masks and times for
  // ReadMappingDetails() and ReadThreadDetails(), called once the process runs again: /proc
  // reads that take milliseconds in all, which a --non-stop pause should not include.
  bool defer_details = false;
};

// A thread's state as ptrace gives it, in the kernel's regset layouts.
struct ThreadState {
  pid_t tid = 0;
  std::string name;                     // /proc/PID/task/TID/comm
  std::vector<std::uint8_t> gregs;      // struct user_regs_struct (NT_PRSTATUS pr_reg)
  std::vector<std::uint8_t> fpregs;     // struct user_fpregs_struct (FXSAVE)
  std::vector<std::uint8_t> xstate;     // XSAVE area, empty when the CPU has none
  // The signal the thread was about to take when it stopped (a signal-delivery stop), with its
  // raw siginfo_t; it is delivered again on detach.
  int stop_signal = 0;
  std::vector<std::uint8_t> siginfo;
  std::uint64_t sigpend = 0, sighold = 0;  // SigPnd, SigBlk
  std::uint64_t utime_ticks = 0, stime_ticks = 0;
};

// One line of /proc/PID/maps with what smaps adds.
struct MapEntry {
  std::uint64_t start = 0, end = 0;
  std::string perms;  // "rw-p"
  std::uint64_t offset = 0;
  std::uint64_t inode = 0;
  std::string path;
  std::vector<std::string> vm_flags;  // smaps VmFlags: "rd", "dd", "io"...
  std::uint64_t anonymous_kb = 0;     // smaps Anonymous: pages copied-on-write or never file-backed

  bool HasFlag(std::string_view flag) const;
};

class Process final : public target::Target {
 public:
  // Errors: kNotFound (no such process), kPermission (ptrace refused: another tracer, yama,
  // no permission — named), kUnsupported (not x86-64; non-dumpable without force), kIo.
  static Result<std::unique_ptr<Process>> Attach(pid_t pid, AttachOptions options = {});
  ~Process() override;

  // Lets every thread run again. Idempotent.
  void Detach();
  bool attached() const { return attached_; }

  const elf::Abi& abi() const override { return abi_; }
  target::Producer producer() const override { return target::Producer::kLive; }
  const target::Process& process() const override { return process_; }
  const std::vector<target::Thread>& threads() const override { return threads_; }
  const std::vector<target::Mapping>& mappings() const override { return mappings_; }
  const Diagnostics& diagnostics() const override { return diagnostics_; }
  Result<std::size_t> ReadSome(std::uint64_t address, std::span<std::uint8_t> out) override;

  pid_t pid() const { return pid_; }
  const std::vector<ThreadState>& thread_states() const { return states_; }
  const std::vector<MapEntry>& map_entries() const { return maps_; }
  const std::vector<std::uint8_t>& auxv_bytes() const { return auxv_; }
  // Raw /proc/PID/stat fields (after the command), for the process notes.
  struct Stat {
    char state = '?';
    std::int64_t ppid = 0, pgrp = 0, sid = 0;
    std::int64_t nice = 0;
    std::uint64_t flags = 0;
    std::uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;  // clock ticks
  };
  const Stat& stat() const { return stat_; }
  std::uint32_t uid() const { return uid_; }
  std::uint32_t gid() const { return gid_; }
  // /proc/PID/coredump_filter (default 0x33 when unreadable).
  std::uint32_t coredump_filter() const { return coredump_filter_; }
  // Which of `count` pages from `start` are present or swapped (/proc/PID/pagemap); pages that
  // are neither were never touched and read as zeros. Empty when pagemap cannot be read.
  std::vector<bool> TouchedPages(std::uint64_t start, std::size_t count);
  // How long the threads have been stopped (until Detach, then until it).
  std::chrono::steady_clock::duration stopped_for() const;

  // --non-stop: makes the stopped process fork itself — a clone(2) with exit signal 0 injected
  // into one thread at a `syscall` instruction of its own text, its registers restored exactly
  // afterwards — and returns the child: a copy-on-write snapshot of the whole address space,
  // traced from birth and never run. From then on this Process reads memory (ReadSome,
  // TouchedPages) from the snapshot. Fails (leaving everything as it was) when the process has
  // a seccomp filter, no `syscall` instruction is found, or the kernel refuses the clone.
  Result<pid_t> ForkSnapshot();
  // Kills the snapshot and, since the process is its parent, reaps it there: a wait4(child,
  // WNOHANG) injected into one briefly stopped thread, so the process never sees a zombie, a
  // SIGCHLD or a changed wait() result. Returns how long that thread was stopped.
  Result<std::chrono::steady_clock::duration> DiscardSnapshot(pid_t child);
  // Reads /proc/PID/smaps (of the snapshot, after ForkSnapshot) into map_entries(): VmFlags and
  // Anonymous sizes. A mapping the snapshot lacks is marked "dc" (MADV_DONTFORK).
  void ReadMappingDetails();
  // Reads each thread's comm, SigPnd/SigBlk and times (/proc/PID/task/TID).
  void ReadThreadDetails();
  // MADV_DONTFORK / MADV_WIPEONFORK mappings: a snapshot does not have their contents.
  static bool NotInSnapshot(const MapEntry& m) { return m.HasFlag("dc") || m.HasFlag("wf"); }

 private:
  Process() = default;
  Result<void> SeizeAll();
  Result<void> ReadState();

  pid_t pid_ = 0;
  AttachOptions options_;
  bool attached_ = false;
  std::vector<pid_t> seized_;
  elf::Abi abi_;
  target::Process process_;
  std::vector<target::Thread> threads_;
  std::vector<target::Mapping> mappings_;
  std::vector<ThreadState> states_;
  std::vector<MapEntry> maps_;
  std::vector<std::uint8_t> auxv_;
  Stat stat_;
  std::uint32_t uid_ = 0, gid_ = 0;
  std::uint32_t coredump_filter_ = 0x33;
  Diagnostics diagnostics_;
  int mem_fd_ = -1, pagemap_fd_ = -1;
  pid_t memory_pid_ = 0;  // whose memory reads see: the process, or its snapshot
  std::optional<std::uint64_t> syscall_at_;  // the `syscall` instruction ForkSnapshot used
  std::chrono::steady_clock::time_point stopped_at_, resumed_at_;
};

}  // namespace corekit::live
