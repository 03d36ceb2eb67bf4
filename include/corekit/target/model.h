// The model of a process frozen in time, as every Target presents it.
//
// These are plain values, filled by a Target implementation (a core file today, a stopped live
// process later) and read by everything above: the commands, the unwinder, the crash report.
// Fields a source does not record are std::nullopt, never a made-up default, so that the JSON
// can say null and a reader can tell "zero" from "unknown".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "corekit/elf/abi.h"
#include "corekit/elf/core_notes.h"

namespace corekit::target {

// Who wrote the core (or "live" for a live process).
enum class Producer { kUnknown, kKernel, kGcore, kCorekit, kLive };
std::string_view ProducerName(Producer producer);

// The signal that stopped the process or a thread, with the detail the source recorded.
struct Signal {
  int number = 0;
  std::optional<int> code;                    // si_code, when there is a siginfo
  std::optional<int> errno_value;
  std::optional<std::uint64_t> fault_address;  // si_addr for faults
  std::optional<int> sender_pid;               // for SI_USER, SI_TKILL, SI_QUEUE
  std::optional<std::uint32_t> sender_uid;
};

struct Thread {
  std::int64_t tid = 0;
  std::optional<std::string> name;  // Linux cores record none; FreeBSD's NT_THRMISC does
  std::optional<Signal> signal;     // pending/current signal, when there is one
  std::vector<elf::Register> registers;       // general registers
  std::vector<elf::Register> fp_registers;    // x87/SSE (FXSAVE), or raw FP notes
  std::vector<elf::Register> vector_registers;  // from the XSAVE area: ymm, k, zmm, pkru
  std::optional<std::uint64_t> pc, sp;
  std::optional<std::uint64_t> xcr0;
  std::vector<unsigned> xsave_missing;  // XCR0 features the note does not hold
  // Linux NT_PRSTATUS details.
  std::optional<elf::Prstatus> prstatus;
  // The raw siginfo_t of NT_SIGINFO when the core holds one for this thread (at most 128
  // bytes): what gdb's $_siginfo shows.
  std::vector<std::uint8_t> siginfo;
  // Notes that belong to this thread, by type name, for listing ("NT_ARM_TLS", ...).
  std::vector<std::string> note_types;

  const elf::Register* FindRegister(std::string_view name) const;
};

struct Process {
  std::optional<std::int64_t> pid, ppid, pgrp, sid;
  std::optional<std::uint32_t> uid, gid;
  std::optional<char> state;
  std::string executable;    // pr_fname: the command name, possibly cut to 15 characters
  std::string command_line;  // pr_psargs: the start of the command line
  std::optional<Signal> signal;  // the signal that killed the process, if any
  std::optional<std::int64_t> signalled_thread;  // the thread it was delivered to, if known
  std::vector<elf::AuxvEntry> auxv;
  std::optional<std::uint64_t> Auxv(std::uint64_t type) const;
};

// Where the bytes of a mapping come from.
enum class Backing {
  kCore,        // all of them are in the core file
  kPartial,     // some are (a truncated core, or a dump that kept only some pages)
  kFile,        // none are in the core; the mapped file on disk has them (build-id checked)
  kAbsent,      // none are available
  kLive,        // a live process's memory, read while it is stopped
};
std::string_view BackingName(Backing backing);

// What kind of object a mapping's path names: "file", "deleted", "memfd", "anon_inode",
// "sysv_shm", "hugetlbfs", "device", "special" ([heap], [stack], [vdso]...) or "anonymous".
// Only "file" can be read back from disk.
std::string_view MappingKind(std::string_view path);

struct Mapping {
  std::uint64_t start = 0, end = 0;
  std::string perms;           // "r-xp" as in /proc/PID/maps ('p' when unknown)
  std::uint64_t offset = 0;    // file offset of start, when file-backed
  std::string path;            // "" for anonymous memory
  Backing backing = Backing::kAbsent;
  std::uint64_t bytes_in_core = 0;
};

}  // namespace corekit::target
