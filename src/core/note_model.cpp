// CoreFile::DecodeNotes: from the list of notes to the process and thread model, per OS.
//
// Linux (and gcore): a thread begins at each NT_PRSTATUS; the notes after it, up to the next
// one, belong to it (NT_FPREGSET, NT_PRXFPREG, NT_X86_XSTATE, NT_SIGINFO in gcore cores, the
// ARM and s390 register notes). Process notes (NT_PRPSINFO, NT_AUXV, NT_FILE, the kernel's
// NT_SIGINFO) may sit between them. The kernel writes the thread that took the signal first.
// FreeBSD: the same, with NT_THRMISC naming the thread and NT_PROCSTAT_* for the process.
// NetBSD: "NetBSD-CORE" holds procinfo and auxv; "NetBSD-CORE@<lwp>" holds each LWP's
// registers. OpenBSD: "OpenBSD" and "OpenBSD@<tid>" likewise.
#include <charconv>
#include <unordered_map>

#include "corekit/core/core_file.h"
#include "corekit/elf/constants.h"
#include "target/registers.h"

namespace corekit::core {
namespace {

using target::DecodeFpNotes;
using target::SetGeneralRegisters;

using elf::Abi;
using elf::Note;
using target::Signal;
using target::Thread;

std::string NoteLabel(const Note& note) {
  std::string_view name = elf::NoteTypeName(note.owner, note.type);
  return name.empty() ? std::string(note.owner) + " " + elf::Hex(note.type) : std::string(name);
}

Signal FromSiginfo(const elf::Siginfo& si) {
  Signal s;
  s.number = si.signo;
  s.code = si.code;
  s.errno_value = si.errno_value;
  s.fault_address = si.addr;
  s.sender_pid = si.sender_pid;
  s.sender_uid = si.sender_uid;
  return s;
}

std::optional<std::int64_t> ParseLwp(std::string_view owner, std::string_view prefix) {
  if (owner.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = owner.substr(prefix.size());
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

void CoreFile::DecodeNotes() {
  const Abi& abi = abi_;
  // The XSAVE layout note (Linux 6.12+) describes every thread's NT_X86_XSTATE.
  elf::Bytes xsave_layout;
  for (const Note& note : notes_) {
    if ((note.owner == "LINUX" || note.owner == "CORE") && note.type == elf::NT_X86_XSAVE_LAYOUT) {
      xsave_layout = note.desc;
    }
  }
  auto warn = [&](const Note& note, const Error& error) {
    diagnostics_.Warn(NoteLabel(note) + " at offset " + elf::Hex(note.offset) + ": " +
                      error.message);
  };
  // The thread the latest thread-starting note began, by index: threads_ grows as we go.
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t current = kNone;
  // BSD cores name the thread in each register note's owner; a map keeps this linear.
  std::unordered_map<std::int64_t, std::size_t> lwp_index;
  auto thread_for_lwp = [&](std::int64_t lwp) -> Thread& {
    auto [it, inserted] = lwp_index.emplace(lwp, threads_.size());
    if (inserted) {
      threads_.push_back(Thread{});
      threads_.back().tid = lwp;
    }
    return threads_[it->second];
  };

  // A thread begins at each prstatus note (Linux's and FreeBSD's decode to the same struct).
  auto begin_thread = [&](const Note& note, Result<elf::Prstatus> p) {
    if (!p) {
      warn(note, p.error());
      current = kNone;
      return;
    }
    threads_.push_back(Thread{});
    current = threads_.size() - 1;
    Thread& t = threads_[current];
    t.tid = p->pid;
    if (p->cursig != 0) {
      Signal s;
      s.number = p->cursig;
      t.signal = s;
    }
    SetGeneralRegisters(t, p->gregs, abi);
    t.prstatus = *p;
  };

  std::optional<elf::BsdProcinfo> bsd_procinfo;
  for (const Note& note : notes_) {
    const std::string_view owner = note.owner;
    if (owner == "COREKIT") producer_ = target::Producer::kCorekit;
    if (owner == "GDB") producer_ = target::Producer::kGcore;
    if (abi.os == elf::Os::kLinux && (owner == "CORE" || owner == "LINUX")) {
      switch (note.type) {
        case elf::NT_PRSTATUS:
          begin_thread(note, elf::DecodeLinuxPrstatus(note.desc, abi));
          continue;
        case elf::NT_PRPSINFO: {
          auto p = elf::DecodeLinuxPrpsinfo(note.desc, abi);
          if (!p) {
            warn(note, p.error());
            break;
          }
          process_.state = p->state;
          process_.uid = p->uid;
          process_.gid = p->gid;
          process_.pid = p->pid;
          process_.ppid = p->ppid;
          process_.pgrp = p->pgrp;
          process_.sid = p->sid;
          process_.executable = p->fname;
          process_.command_line = p->psargs;
          while (!process_.command_line.empty() && process_.command_line.back() == ' ') {
            process_.command_line.pop_back();
          }
          continue;
        }
        case elf::NT_SIGINFO: {
          auto s = elf::DecodeSiginfo(note.desc, abi);
          if (!s) {
            warn(note, s.error());
            break;
          }
          // gcore writes one per thread, after its NT_PRSTATUS; the kernel writes one for the
          // process. The first one describes the process's signal either way.
          if (!process_.signal) {
            process_.signal = FromSiginfo(*s);
            if (current != kNone) process_.signalled_thread = threads_[current].tid;
          }
          // A siginfo adds detail to the thread's pr_cursig, or is its only signal (gcore
          // leaves pr_cursig 0); when the two disagree the thread keeps its own pr_cursig.
          if (current != kNone) {
            if (!threads_[current].signal) {
              if (s->signo != 0) threads_[current].signal = FromSiginfo(*s);
            } else if (threads_[current].signal->number == s->signo) {
              threads_[current].signal = FromSiginfo(*s);
            }
          }
          if (current != kNone) {
            threads_[current].note_types.push_back("NT_SIGINFO");
            threads_[current].siginfo.assign(note.desc.data(), note.desc.data() + std::min<std::size_t>(note.desc.size(), 128));
          }
          continue;
        }
        case elf::NT_AUXV:
          process_.auxv = elf::DecodeAuxv(note.desc, abi.long_size);
          continue;
        case elf::NT_FILE: {
          auto f = elf::DecodeNtFile(note.desc, abi);
          if (!f) {
            warn(note, f.error());
            break;
          }
          file_mappings_ = std::move(f->mappings);
          continue;
        }
        default:
          break;
      }
      if (current != kNone) {
        DecodeFpNotes(threads_[current], note, abi, xsave_layout, diagnostics_);
        threads_[current].note_types.push_back(NoteLabel(note));
      }
      continue;
    }
    if (abi.os == elf::Os::kFreeBSD && owner == "FreeBSD") {
      switch (note.type) {
        case elf::NT_PRSTATUS:
          // FreeBSD has no siginfo: the first thread with a signal took it.
          begin_thread(note, elf::DecodeFreeBsdPrstatus(note.desc, abi));
          if (current != kNone && threads_[current].signal && !process_.signal) {
            process_.signal = threads_[current].signal;
            process_.signalled_thread = threads_[current].tid;
          }
          continue;
        case elf::NT_PRPSINFO: {
          auto p = elf::DecodeFreeBsdPrpsinfo(note.desc, abi);
          if (!p) {
            warn(note, p.error());
            break;
          }
          process_.executable = p->fname;
          process_.command_line = p->psargs;
          if (p->pid) process_.pid = p->pid;
          continue;
        }
        case elf::NT_FREEBSD_THRMISC:
          if (current != kNone) threads_[current].name = elf::DecodeFreeBsdThrmisc(note.desc);
          continue;
        case elf::NT_FREEBSD_PROCSTAT_AUXV:
          // A 4-byte sizeof(Elf_Auxinfo) prefix, then the vector.
          process_.auxv = elf::DecodeAuxv(note.desc.From(4), abi.long_size);
          continue;
        case elf::NT_FREEBSD_PROCSTAT_VMMAP: {
          auto v = elf::DecodeFreeBsdVmmap(note.desc);
          if (!v) {
            warn(note, v.error());
            break;
          }
          vm_entries_ = std::move(*v);
          continue;
        }
        default:
          break;
      }
      if (current != kNone) {
        DecodeFpNotes(threads_[current], note, abi, {}, diagnostics_);
        threads_[current].note_types.push_back(NoteLabel(note));
      }
      continue;
    }
    if (abi.os == elf::Os::kNetBSD || abi.os == elf::Os::kOpenBSD) {
      // Both put process notes under one owner and each thread's under "<owner>@<lwp>".
      const bool netbsd = abi.os == elf::Os::kNetBSD;
      const std::string_view process_owner = netbsd ? "NetBSD-CORE" : "OpenBSD";
      const std::uint32_t procinfo_type = netbsd ? elf::NT_NETBSDCORE_PROCINFO : elf::NT_OPENBSD_PROCINFO;
      const std::uint32_t auxv_type = netbsd ? elf::NT_NETBSDCORE_AUXV : elf::NT_OPENBSD_AUXV;
      // NetBSD's PT_GETREGS is PT_FIRSTMACH + 1 on amd64 (0x21) and PT_FIRSTMACH on aarch64.
      const std::uint32_t regs_type = !netbsd ? elf::NT_OPENBSD_REGS
                                      : abi.arch == elf::Arch::kAarch64 ? 0x20u : 0x21u;
      if (owner == process_owner && note.type == procinfo_type) {
        auto p = netbsd ? elf::DecodeNetBsdProcinfo(note.desc) : elf::DecodeOpenBsdProcinfo(note.desc);
        if (p) {
          bsd_procinfo = *p;
        } else {
          warn(note, p.error());
        }
        continue;
      }
      if (owner == process_owner && note.type == auxv_type) {
        process_.auxv = elf::DecodeAuxv(note.desc, abi.long_size);
        continue;
      }
      if (auto lwp = ParseLwp(owner, std::string(process_owner) + "@")) {
        Thread& t = thread_for_lwp(*lwp);
        if (note.type == regs_type) SetGeneralRegisters(t, note.desc, abi);
        t.note_types.push_back(NoteLabel(note));
        continue;
      }
    }
  }

  if (bsd_procinfo) {
    const elf::BsdProcinfo& p = *bsd_procinfo;
    process_.pid = p.pid;
    process_.ppid = p.ppid;
    process_.pgrp = p.pgrp;
    process_.sid = p.sid;
    process_.uid = p.ruid;
    process_.gid = p.rgid;
    process_.executable = p.name;
    if (p.signo != 0) {
      Signal s;
      s.number = p.signo;
      s.code = p.sigcode;
      process_.signal = s;
      // NetBSD names the LWP that took the signal (0: sent to the process); OpenBSD does not,
      // and its signalled thread is the first one written.
      std::optional<std::int64_t> target_lwp;
      if (p.siglwp) {
        if (*p.siglwp != 0) target_lwp = *p.siglwp;
      } else if (!threads_.empty()) {
        target_lwp = threads_.front().tid;
      }
      for (Thread& t : threads_) {
        if (!target_lwp || t.tid == *target_lwp) t.signal = s;
      }
      process_.signalled_thread = target_lwp;
    }
  }

  // Linux: with no NT_SIGINFO (kernels before 3.7), the signal is the first thread's cursig.
  if (!process_.signal && !threads_.empty() && threads_.front().signal) {
    process_.signal = threads_.front().signal;
    process_.signalled_thread = threads_.front().tid;
  }
  if (process_.signal && !process_.signalled_thread && !threads_.empty()) {
    for (const Thread& t : threads_) {
      if (t.signal && t.signal->number == process_.signal->number) {
        process_.signalled_thread = t.tid;
        break;
      }
    }
  }
  // The kernel's NT_SIGINFO describes the thread that took the signal: give it the detail.
  if (process_.signal && process_.signalled_thread) {
    for (Thread& t : threads_) {
      if (t.tid == *process_.signalled_thread && t.signal &&
          t.signal->number == process_.signal->number && !t.signal->code) {
        t.signal = process_.signal;
      }
    }
  }
  // Linux copies the fatal signal into every thread's pr_cursig, but only the signalled thread
  // took it (lldb asserts as much): the others' copies are not their own signals. A signal a
  // thread has its own siginfo for (gcore's SIGSTOP) stays.
  if (abi.os == elf::Os::kLinux && process_.signal && process_.signalled_thread) {
    for (Thread& t : threads_) {
      if (t.tid != *process_.signalled_thread && t.signal && !t.signal->code &&
          t.signal->number == process_.signal->number) {
        t.signal.reset();
      }
    }
  }
  if (!process_.pid && !threads_.empty() && abi.os == elf::Os::kLinux) {
    // Kernels record the process id as the first thread's pr_pid only through prpsinfo; when
    // that note is absent the thread group leader is the thread whose tid is the smallest.
    process_.pid = threads_.front().prstatus ? std::optional<std::int64_t>(threads_.front().prstatus->pid)
                                             : std::nullopt;
    for (const Thread& t : threads_) {
      if (t.prstatus && t.prstatus->pid < *process_.pid) process_.pid = t.prstatus->pid;
    }
  }
}

}  // namespace corekit::core
