#include "corekit/dump/live_source.h"

#include <cpuid.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "corekit/elf/constants.h"

namespace corekit::dump {
namespace {

constexpr std::uint64_t kPage = 4096;
// coredump_filter bits (core(5)).
constexpr std::uint32_t kAnonPrivate = 1 << 0, kAnonShared = 1 << 1, kMappedPrivate = 1 << 2,
                        kMappedShared = 1 << 3, kElfHeaders = 1 << 4, kHugePrivate = 1 << 5,
                        kHugeShared = 1 << 6;
constexpr std::uint64_t kSmallMapping = 1 << 20;

template <typename T>
void Put(std::vector<std::uint8_t>& b, std::size_t at, T value) {
  std::memcpy(&b[at], &value, sizeof value);
}

void PutTimeval(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t ticks) {
  static const long hz = ::sysconf(_SC_CLK_TCK) > 0 ? ::sysconf(_SC_CLK_TCK) : 100;
  Put<std::int64_t>(b, at, static_cast<std::int64_t>(ticks / static_cast<std::uint64_t>(hz)));
  Put<std::int64_t>(b, at + 8, static_cast<std::int64_t>(ticks % static_cast<std::uint64_t>(hz) * 1000000 / static_cast<std::uint64_t>(hz)));
}

// struct elf_prstatus on x86-64: 336 bytes, pr_reg at 112.
std::vector<std::uint8_t> Prstatus(const live::Process& p, const live::ThreadState& t) {
  std::vector<std::uint8_t> b(336, 0);
  if (t.siginfo.size() >= 12) {
    std::int32_t signo, errno_value, code;  // siginfo_t: si_signo, si_errno, si_code
    std::memcpy(&signo, &t.siginfo[0], 4);
    std::memcpy(&errno_value, &t.siginfo[4], 4);
    std::memcpy(&code, &t.siginfo[8], 4);
    Put<std::int32_t>(b, 0, signo);  // struct elf_siginfo: si_signo, si_code, si_errno
    Put<std::int32_t>(b, 4, code);
    Put<std::int32_t>(b, 8, errno_value);
  }
  Put<std::int16_t>(b, 12, static_cast<std::int16_t>(t.stop_signal));
  Put<std::uint64_t>(b, 16, t.sigpend);
  Put<std::uint64_t>(b, 24, t.sighold);
  Put<std::int32_t>(b, 32, t.tid);
  Put<std::int32_t>(b, 36, static_cast<std::int32_t>(p.stat().ppid));
  Put<std::int32_t>(b, 40, static_cast<std::int32_t>(p.stat().pgrp));
  Put<std::int32_t>(b, 44, static_cast<std::int32_t>(p.stat().sid));
  PutTimeval(b, 48, t.utime_ticks);
  PutTimeval(b, 64, t.stime_ticks);
  PutTimeval(b, 80, p.stat().cutime);
  PutTimeval(b, 96, p.stat().cstime);
  std::memcpy(&b[112], t.gregs.data(), std::min<std::size_t>(t.gregs.size(), 216));
  Put<std::int32_t>(b, 328, t.fpregs.empty() ? 0 : 1);
  return b;
}

// struct elf_prpsinfo on x86-64: 136 bytes.
std::vector<std::uint8_t> Prpsinfo(const live::Process& p) {
  std::vector<std::uint8_t> b(136, 0);
  const char state = p.stat().state;
  const char* states = "RSDTZW";
  const char* at = std::strchr(states, state);
  b[0] = static_cast<std::uint8_t>(at && state ? at - states : 0);
  b[1] = static_cast<std::uint8_t>(state);
  b[2] = state == 'Z';
  b[3] = static_cast<std::uint8_t>(static_cast<std::int8_t>(p.stat().nice));
  Put<std::uint64_t>(b, 8, p.stat().flags);
  Put<std::uint32_t>(b, 16, p.uid());
  Put<std::uint32_t>(b, 20, p.gid());
  Put<std::int32_t>(b, 24, p.pid());
  Put<std::int32_t>(b, 28, static_cast<std::int32_t>(p.stat().ppid));
  Put<std::int32_t>(b, 32, static_cast<std::int32_t>(p.stat().pgrp));
  Put<std::int32_t>(b, 36, static_cast<std::int32_t>(p.stat().sid));
  const std::string& name = p.process().executable;
  std::memcpy(&b[40], name.data(), std::min<std::size_t>(name.size(), 15));
  const std::string& args = p.process().command_line;
  std::memcpy(&b[56], args.data(), std::min<std::size_t>(args.size(), 79));
  return b;
}

bool FileBacked(const live::MapEntry& m) { return m.inode != 0; }

// NT_FILE: count, page size, {start, end, file offset in pages} per mapping, then the names.
std::vector<std::uint8_t> FileNote(const live::Process& p) {
  std::vector<const live::MapEntry*> files;
  for (const live::MapEntry& m : p.map_entries()) {
    if (FileBacked(m)) files.push_back(&m);
  }
  std::vector<std::uint8_t> b(16 + 24 * files.size(), 0);
  Put<std::uint64_t>(b, 0, files.size());
  Put<std::uint64_t>(b, 8, kPage);
  for (std::size_t i = 0; i < files.size(); ++i) {
    Put<std::uint64_t>(b, 16 + 24 * i, files[i]->start);
    Put<std::uint64_t>(b, 24 + 24 * i, files[i]->end);
    Put<std::uint64_t>(b, 32 + 24 * i, files[i]->offset / kPage);
  }
  for (const live::MapEntry* m : files) {
    b.insert(b.end(), m->path.begin(), m->path.end());
    b.push_back(0);
  }
  return b;
}

std::uint32_t SegmentFlags(const std::string& perms) {
  std::uint32_t flags = 0;
  if (perms.size() > 0 && perms[0] == 'r') flags |= 4;
  if (perms.size() > 1 && perms[1] == 'w') flags |= 2;
  if (perms.size() > 2 && perms[2] == 'x') flags |= 1;
  return flags;
}

// Shared memory whose file has no name left (shmem, memfd, SysV, deleted): "anonymous shared".
bool UnlinkedFile(const live::MapEntry& m) {
  return m.path.empty() || m.path.ends_with(" (deleted)") || m.path.rfind("/SYSV", 0) == 0 ||
         m.path.rfind("/memfd:", 0) == 0 || m.path == "/dev/zero";
}

// NT_X86_XSAVE_LAYOUT as the kernel writes it (struct x86_xfeat_component: type, size, offset,
// flags), from CPUID leaf 0xD: where each extended feature of `xcr0` sits in the XSAVE area.
// Without it a reader must assume Intel's offsets, which not every CPU uses.
std::vector<std::uint8_t> XsaveLayout(std::uint64_t xcr0) {
  std::vector<std::uint8_t> b;
  for (unsigned feature = 2; feature < 64; ++feature) {
    if (!(xcr0 & (std::uint64_t{1} << feature))) continue;
    unsigned size = 0, offset = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(0xd, feature, &size, &offset, &ecx, &edx) || size == 0) continue;
    const std::size_t at = b.size();
    b.resize(at + 16, 0);
    Put<std::uint32_t>(b, at, feature);
    Put<std::uint32_t>(b, at + 4, size);
    Put<std::uint32_t>(b, at + 8, offset);
  }
  return b;
}

}  // namespace

Result<void> LiveSource::Suspend() {
  live::AttachOptions options = options_;
  options.defer_details = non_stop_;
  auto p = live::Process::Attach(pid_, options);
  if (!p) return Unexpected(p.error());
  process_ = std::move(*p);
  abi_ = process_->abi();
  if (non_stop_) {
    auto child = process_->ForkSnapshot();
    if (child) {
      snapshot_ = *child;
      used_snapshot_ = true;
      process_->Detach();  // the process runs on; its memory is read from the snapshot
      stopped_ = std::chrono::duration_cast<std::chrono::nanoseconds>(process_->stopped_for());
    } else {
      non_stop_failure_ = child.error().message;
    }
    process_->ReadMappingDetails();
    process_->ReadThreadDetails();
  }
  return {};
}

const elf::Abi& LiveSource::abi() const { return abi_; }

std::size_t LiveSource::thread_count() const { return process_ ? process_->thread_states().size() : 0; }

Result<std::vector<NoteData>> LiveSource::ProcessNotes() {
  std::vector<NoteData> notes;
  notes.push_back({"CORE", elf::NT_PRPSINFO, Prpsinfo(*process_)});
  for (const live::ThreadState& t : process_->thread_states()) {
    // The signal the process was about to take, as the kernel records the one it dies of.
    if (t.stop_signal && !t.siginfo.empty()) {
      notes.push_back({"CORE", elf::NT_SIGINFO, t.siginfo});
      break;
    }
  }
  notes.push_back({"CORE", elf::NT_AUXV, process_->auxv_bytes()});
  notes.push_back({"CORE", elf::NT_FILE, FileNote(*process_)});
  return notes;
}

Result<std::vector<NoteData>> LiveSource::ThreadNotes(std::size_t index) {
  const auto& states = process_->thread_states();
  if (index >= states.size()) return Unexpected(Errc::kInvalidArgument, "no thread " + std::to_string(index));
  const live::ThreadState& t = states[index];
  std::vector<NoteData> notes;
  notes.push_back({"CORE", elf::NT_PRSTATUS, Prstatus(*process_, t)});
  if (!t.fpregs.empty()) notes.push_back({"CORE", elf::NT_FPREGSET, t.fpregs});
  if (!t.xstate.empty()) notes.push_back({"LINUX", elf::NT_X86_XSTATE, t.xstate});
  // The kernel writes the XSAVE layout once, after every thread's notes.
  if (index + 1 == states.size() && t.xstate.size() >= 480) {
    std::uint64_t xcr0 = 0;  // the ptrace/core XSAVE format keeps XCR0 in sw_usable_bytes[464]
    std::memcpy(&xcr0, &t.xstate[464], 8);
    if (auto layout = XsaveLayout(xcr0); !layout.empty()) notes.push_back({"LINUX", elf::NT_X86_XSAVE_LAYOUT, layout});
  }
  return notes;
}

Result<std::vector<PlannedSegment>> LiveSource::PlanMemory() {
  const std::uint32_t filter = process_->coredump_filter();
  std::vector<std::uint64_t> stack_pointers;
  for (const target::Thread& t : process_->threads()) {
    if (t.sp) stack_pointers.push_back(*t.sp);
  }
  std::vector<PlannedSegment> plan;
  for (const live::MapEntry& m : process_->map_entries()) {
    PlannedSegment s;
    s.start = m.start;
    s.end = m.end;
    s.flags = SegmentFlags(m.perms);
    s.path = m.path;
    const std::uint64_t size = m.end - m.start;
    const bool shared = m.perms.size() > 3 && m.perms[3] == 's';
    const bool readable = !m.perms.empty() && m.perms[0] == 'r';
    s.anonymous = !FileBacked(m) && !shared && m.path != "[vdso]";
    // vma_dump_size(), in its order.
    std::uint64_t dump = 0;
    if (m.HasFlag("dd") || m.HasFlag("io") || m.path.rfind("[vvar", 0) == 0 || !readable) {
      dump = 0;
    } else if (snapshot_ && live::Process::NotInSnapshot(m)) {
      dump = 0;
      ++not_in_snapshot_;
    } else if (m.path == "[vdso]") {
      dump = size;
    } else if (m.HasFlag("ht")) {
      dump = (filter & (shared ? kHugeShared : kHugePrivate)) ? size : 0;
    } else if (shared) {
      dump = (filter & (UnlinkedFile(m) ? kAnonShared : kMappedShared)) ? size : 0;
    } else if (m.anonymous_kb > 0 && (filter & kAnonPrivate)) {
      dump = size;
    } else if (!FileBacked(m)) {
      dump = 0;
    } else if (filter & kMappedPrivate) {
      dump = size;
    } else if ((filter & kElfHeaders) && m.offset == 0) {
      std::uint8_t magic[4] = {};
      auto n = process_->ReadSome(m.start, magic);
      if (n && *n == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0) dump = kPage;
    }
    s.dump_size = dump;
    const bool has_stack = std::any_of(stack_pointers.begin(), stack_pointers.end(),
                                       [&](std::uint64_t sp) { return sp >= m.start && sp < m.end; });
    if (has_stack || m.path == "[stack]") {
      s.priority = PlannedSegment::kStack;
    } else if (FileBacked(m) && m.path.find("/ld-linux") != std::string::npos && (s.flags & 2)) {
      s.priority = PlannedSegment::kLoaderData;
    } else if (m.path == "[vdso]" || (FileBacked(m) && dump == kPage)) {
      s.priority = PlannedSegment::kElfHeader;
    } else if (!FileBacked(m) && size <= kSmallMapping) {
      s.priority = PlannedSegment::kSmallAnonymous;
    } else if (FileBacked(m)) {
      s.priority = PlannedSegment::kFileData;
    } else {
      s.priority = PlannedSegment::kLargeAnonymous;
    }
    plan.push_back(std::move(s));
  }
  return plan;
}

Result<std::size_t> LiveSource::ReadMemory(std::uint64_t address, std::span<std::uint8_t> out) {
  return process_->ReadSome(address, out);
}

std::vector<bool> LiveSource::TouchedPages(std::uint64_t start, std::size_t count) {
  return process_->TouchedPages(start, count);
}

void LiveSource::Resume() {
  if (!process_) return;
  process_->Detach();
  if (snapshot_) {
    // The reap stops one thread briefly: the longer of the two pauses is the one reported.
    if (auto paused = process_->DiscardSnapshot(snapshot_)) reap_pause_ = std::chrono::duration_cast<std::chrono::nanoseconds>(*paused);
    snapshot_ = 0;
  }
}

std::chrono::nanoseconds LiveSource::stopped_for() const {
  if (!process_) return {};
  const auto stopped = stopped_.count() ? stopped_ : std::chrono::duration_cast<std::chrono::nanoseconds>(process_->stopped_for());
  return std::max(stopped, reap_pause_);
}

}  // namespace corekit::dump
