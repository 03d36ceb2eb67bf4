#include "corekit/live/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "corekit/elf/constants.h"
#include "corekit/elf/core_notes.h"
#include "target/registers.h"

// <sys/ptrace.h> and <linux/ptrace.h> clash; the few requests used here are declared directly.
extern "C" long ptrace(int request, ...);

namespace corekit::live {
namespace {

constexpr int kPtraceSeize = 0x4206, kPtraceInterrupt = 0x4207, kPtraceDetach = 17;
constexpr int kPtraceGetRegset = 0x4204, kPtraceSetRegset = 0x4205, kPtraceGetSiginfo = 0x4202;
constexpr int kPtraceSetOptions = 0x4200, kPtraceGetEventMsg = 0x4201, kPtraceSingleStep = 9;
constexpr long kTraceClone = 0x8, kTraceFork = 0x2, kTraceVfork = 0x4;
// struct user_regs_struct slots (x86-64).
constexpr std::size_t kR10 = 7, kR9 = 8, kR8 = 9, kRax = 10, kRdx = 12, kRsi = 13, kRdi = 14, kOrigRax = 15, kRip = 16;
constexpr long kSysClone = 56, kSysWait4 = 61;
constexpr long kWall = 0x40000000, kWnohang = 1;
constexpr std::size_t kMaxXstate = 64 * 1024;

std::string ReadText(const std::string& path, std::size_t limit = 1 << 20) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  char buffer[4096];
  while (in && text.size() < limit) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return text;
}

std::vector<std::uint8_t> ReadBytes(const std::string& path) {
  const std::string text = ReadText(path);
  return {text.begin(), text.end()};
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) ++start;
  return s.substr(start);
}

// A "Key:\tvalue" field of /proc/PID/status.
std::optional<std::string> StatusField(const std::string& status, const std::string& key) {
  const std::string needle = key + ":";
  for (std::size_t at = 0; at < status.size();) {
    const std::size_t end = std::min(status.find('\n', at), status.size());
    if (status.compare(at, needle.size(), needle) == 0) return Trim(status.substr(at + needle.size(), end - at - needle.size()));
    at = end + 1;
  }
  return std::nullopt;
}

// The space-separated fields of /proc/PID/stat after the command's closing parenthesis.
std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::vector<pid_t> ListTasks(pid_t pid) {
  std::vector<pid_t> tids;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids.push_back(static_cast<pid_t>(std::atol(e->d_name)));
    }
    ::closedir(d);
  }
  std::sort(tids.begin(), tids.end());
  return tids;
}

std::string PtraceRefusal(pid_t pid, int error) {
  std::string why = std::strerror(error);
  if (error == EPERM) {
    const std::string scope = Trim(ReadText("/proc/sys/kernel/yama/ptrace_scope"));
    if (!scope.empty() && scope != "0") why += " (kernel.yama.ptrace_scope is " + scope + ")";
    else why += " (no permission to trace it)";
  }
  return "cannot attach to process " + std::to_string(pid) + ": " + why;
}

Result<std::vector<std::uint8_t>> GetRegset(pid_t tid, int type, std::size_t size) {
  std::vector<std::uint8_t> buffer(size);
  iovec iov{buffer.data(), buffer.size()};
  if (ptrace(kPtraceGetRegset, tid, reinterpret_cast<void*>(static_cast<long>(type)), &iov) != 0) {
    return Unexpected(Errc::kIo, "PTRACE_GETREGSET " + std::to_string(type) + " of thread " + std::to_string(tid) +
                                     ": " + std::strerror(errno));
  }
  buffer.resize(iov.iov_len);
  return buffer;
}

std::uint64_t HexField(const std::optional<std::string>& text) {
  return text ? std::strtoull(text->c_str(), nullptr, 16) : 0;
}


Result<void> SetRegs(pid_t tid, std::vector<std::uint8_t> regs) {
  iovec iov{regs.data(), regs.size()};
  if (ptrace(kPtraceSetRegset, tid, reinterpret_cast<void*>(static_cast<long>(elf::NT_PRSTATUS)), &iov) != 0) {
    return Unexpected(Errc::kIo, "PTRACE_SETREGSET of thread " + std::to_string(tid) + ": " + std::strerror(errno));
  }
  return {};
}

std::uint64_t Slot(const std::vector<std::uint8_t>& regs, std::size_t slot) {
  std::uint64_t v = 0;
  std::memcpy(&v, &regs[slot * 8], 8);
  return v;
}

void SetSlot(std::vector<std::uint8_t>& regs, std::size_t slot, std::uint64_t v) { std::memcpy(&regs[slot * 8], &v, 8); }

struct Injected {
  std::int64_t result = 0;  // the system call's return value
  pid_t child = 0;          // a process it cloned, traced and stopped
};

// Runs one system call in the stopped thread `tid`: its registers set to call `nr` with `args`
// at the `syscall` instruction at `at`, a single step over it (through the clone event, when it
// clones), and its registers restored to `saved` exactly. orig_rax -1 keeps the kernel from
// restarting the syscall the thread was in; restoring `saved` lets it restart as it would have.
Result<Injected> InjectSyscall(pid_t tid, std::uint64_t at, long nr, std::initializer_list<std::uint64_t> args,
                               const std::vector<std::uint8_t>& saved) {
  std::vector<std::uint8_t> regs = saved;
  const std::size_t slots[] = {kRdi, kRsi, kRdx, kR10, kR8, kR9};
  std::size_t i = 0;
  for (std::uint64_t a : args) SetSlot(regs, slots[i++], a);
  SetSlot(regs, kRax, static_cast<std::uint64_t>(nr));
  SetSlot(regs, kOrigRax, ~std::uint64_t{0});
  SetSlot(regs, kRip, at);
  if (auto set = SetRegs(tid, regs); !set) return Unexpected(set.error());
  Injected out;
  auto restore = [&](Errc code, const std::string& why) -> Result<Injected> {
    (void)SetRegs(tid, saved);  // best effort on a path that already failed
    return Unexpected(code, why);
  };
  for (int steps = 0; steps < 8; ++steps) {
    if (ptrace(kPtraceSingleStep, tid, nullptr, nullptr) != 0) return restore(Errc::kIo, "PTRACE_SINGLESTEP: " + std::string(std::strerror(errno)));
    int status = 0;
    if (::waitpid(tid, &status, __WALL) != tid) return restore(Errc::kIo, "waitpid: " + std::string(std::strerror(errno)));
    if (WIFEXITED(status) || WIFSIGNALED(status)) return Unexpected(Errc::kTargetGone, "the process exited");
    const int event = status >> 16;
    if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
      unsigned long child = 0;
      ptrace(kPtraceGetEventMsg, tid, nullptr, &child);
      // The child stops by itself before it can run any user code (a seized tracee's clone
      // starts with a pending trap stop); its stop is collected later, off the pause.
      out.child = static_cast<pid_t>(child);
      continue;
    }
    if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && event == 0) {
      auto after = GetRegset(tid, elf::NT_PRSTATUS, saved.size());
      if (!after) return restore(Errc::kIo, after.error().message);
      out.result = static_cast<std::int64_t>(Slot(*after, kRax));
      if (auto set = SetRegs(tid, saved); !set) return Unexpected(set.error());
      return out;
    }
    // Another stop (a signal arriving meanwhile): step again; the signal stays pending.
  }
  return restore(Errc::kIo, "the injected system call did not complete");
}

// The header lines of /proc/PID/maps or smaps ("start-end perms offset dev inode path"), with
// smaps' VmFlags and Anonymous when present.
std::vector<MapEntry> ParseMaps(const std::string& text) {
  std::vector<MapEntry> maps;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const bool header = std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' ');
    if (header) {
      MapEntry m;
      std::istringstream in(line);
      std::string range, dev;
      in >> range >> m.perms >> std::hex >> m.offset >> dev >> std::dec >> m.inode;
      std::getline(in, m.path);
      m.path = Trim(m.path);
      const auto dash = range.find('-');
      m.start = std::strtoull(range.substr(0, dash).c_str(), nullptr, 16);
      m.end = std::strtoull(range.substr(dash + 1).c_str(), nullptr, 16);
      maps.push_back(std::move(m));
    } else if (!maps.empty() && line.rfind("VmFlags:", 0) == 0) {
      std::istringstream in(line.substr(8));
      for (std::string flag; in >> flag;) maps.back().vm_flags.push_back(flag);
    } else if (!maps.empty() && line.rfind("Anonymous:", 0) == 0) {
      maps.back().anonymous_kb = std::strtoull(line.c_str() + 10, nullptr, 10);
    }
  }
  return maps;
}
}  // namespace

bool MapEntry::HasFlag(std::string_view flag) const {
  return std::find(vm_flags.begin(), vm_flags.end(), flag) != vm_flags.end();
}

Result<std::unique_ptr<Process>> Process::Attach(pid_t pid, AttachOptions options) {
  const std::string proc = "/proc/" + std::to_string(pid);
  struct stat proc_stat;
  if (pid <= 0 || ::stat(proc.c_str(), &proc_stat) != 0) {
    return Unexpected(Errc::kInvalidArgument, "no process " + std::to_string(pid));
  }
  if (pid == ::getpid()) return Unexpected(Errc::kInvalidArgument, "corekit cannot dump itself");
  const std::string status = ReadText(proc + "/status");
  if (auto tracer = StatusField(status, "TracerPid"); tracer && *tracer != "0") {
    return Unexpected(Errc::kPermission, "cannot attach to process " + std::to_string(pid) +
                                             ": it is already traced by process " + *tracer);
  }
  // The kernel gives a non-dumpable process's /proc/PID files to root (task_dump_owner); a
  // process whose real uid is not root but whose /proc/PID/status is root's is non-dumpable.
  // (A root process looks the same either way: it is not refused.)
  const auto uids = StatusField(status, "Uid");
  const std::uint32_t uid = uids ? static_cast<std::uint32_t>(std::strtoul(uids->c_str(), nullptr, 10)) : 0;
  struct stat status_stat;
  if (!options.force && uid != 0 && ::stat((proc + "/status").c_str(), &status_stat) == 0 && status_stat.st_uid == 0) {
    return Unexpected(Errc::kUnsupported, "process " + std::to_string(pid) +
                                              " is not dumpable (prctl PR_SET_DUMPABLE 0, or set-uid): the kernel "
                                              "would not dump it either; --force dumps it anyway");
  }
  std::unique_ptr<Process> p(new Process());
  p->pid_ = pid;
  p->options_ = options;
  p->uid_ = uid;
  if (auto gids = StatusField(status, "Gid")) p->gid_ = static_cast<std::uint32_t>(std::strtoul(gids->c_str(), nullptr, 10));
  // The machine: from the executable's ELF header.
  const std::vector<std::uint8_t> exe = [&] {
    std::ifstream in(proc + "/exe", std::ios::binary);
    std::vector<std::uint8_t> header(64);
    in.read(reinterpret_cast<char*>(header.data()), 64);
    header.resize(static_cast<std::size_t>(in.gcount()));
    return header;
  }();
  if (exe.size() >= 20 && !(exe[4] == elf::ELFCLASS64 && exe[18] == elf::EM_X86_64)) {
    return Unexpected(Errc::kUnsupported, "process " + std::to_string(pid) +
                                              " is not an x86-64 process; corekit writes x86-64 cores only");
  }
  p->abi_.arch = elf::Arch::kX86_64;
  p->abi_.os = elf::Os::kLinux;
  p->abi_.is64 = true;
  p->abi_.endian = elf::Endian::kLittle;
  p->abi_.e_machine = elf::EM_X86_64;
  p->abi_.long_size = 8;
  p->abi_.reg_width = 8;
  p->memory_pid_ = pid;
  if (auto seized = p->SeizeAll(); !seized) return Unexpected(seized.error());
  if (auto read = p->ReadState(); !read) return Unexpected(read.error());
  return p;
}

Result<void> Process::SeizeAll() {
  std::set<pid_t> stopped;
  stopped_at_ = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<pid_t> fresh;
    for (pid_t tid : ListTasks(pid_)) {
      if (std::find(seized_.begin(), seized_.end(), tid) != seized_.end()) continue;
      if (ptrace(kPtraceSeize, tid, nullptr, nullptr) != 0) {
        if (errno == ESRCH) continue;  // it exited meanwhile
        const int error = errno;
        Detach();
        return Unexpected(error == EPERM ? Errc::kPermission : Errc::kIo, PtraceRefusal(pid_, error));
      }
      attached_ = true;
      seized_.push_back(tid);
      ptrace(kPtraceInterrupt, tid, nullptr, nullptr);
      fresh.push_back(tid);
    }
    if (fresh.empty()) break;
    for (pid_t tid : fresh) {
      int status = 0;
      for (;;) {
        const pid_t got = ::waitpid(tid, &status, __WALL);
        if (got == tid) break;
        if (got < 0 && errno == EINTR) {
          Detach();
          return Unexpected(Errc::kIo, "interrupted while stopping process " + std::to_string(pid_));
        }
        if (got < 0) break;
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        seized_.erase(std::remove(seized_.begin(), seized_.end(), tid), seized_.end());
        continue;
      }
      ThreadState state;
      state.tid = tid;
      // A stop with a signal that is not our interrupt (PTRACE_EVENT_STOP) is the thread about to
      // take that signal: remembered, recorded, and delivered again on detach.
      if (WIFSTOPPED(status) && (status >> 16) != PTRACE_EVENT_STOP) {
        state.stop_signal = WSTOPSIG(status);
        std::vector<std::uint8_t> info(128);
        if (ptrace(kPtraceGetSiginfo, tid, nullptr, info.data()) == 0) state.siginfo = std::move(info);
      }
      states_.push_back(std::move(state));
    }
  }
  if (seized_.empty()) return Unexpected(Errc::kTargetGone, "process " + std::to_string(pid_) + " exited");
  std::sort(states_.begin(), states_.end(), [this](const ThreadState& a, const ThreadState& b) {
    // The thread group leader first, as the kernel and gdb list it.
    if ((a.tid == pid_) != (b.tid == pid_)) return a.tid == pid_;
    return a.tid < b.tid;
  });
  return {};
}

Result<void> Process::ReadState() {
  const std::string proc = "/proc/" + std::to_string(pid_);
  // Threads.
  for (ThreadState& s : states_) {
    const std::string task = proc + "/task/" + std::to_string(s.tid);
    auto gregs = GetRegset(s.tid, elf::NT_PRSTATUS, 27 * 8);
    if (!gregs) return Unexpected(gregs.error());
    s.gregs = std::move(*gregs);
    if (auto fp = GetRegset(s.tid, elf::NT_PRFPREG, 512)) s.fpregs = std::move(*fp);
    if (auto xs = GetRegset(s.tid, elf::NT_X86_XSTATE, kMaxXstate)) s.xstate = std::move(*xs);
    target::Thread t;
    t.tid = s.tid;
    target::SetGeneralRegisters(t, elf::Bytes(s.gregs.data(), s.gregs.size()), abi_);
    for (auto [type, bytes] : {std::pair{elf::NT_FPREGSET, &s.fpregs}, std::pair{elf::NT_X86_XSTATE, &s.xstate}}) {
      if (bytes->empty()) continue;
      elf::Note note;
      note.owner = "CORE";
      note.type = type;
      note.desc = elf::Bytes(bytes->data(), bytes->size());
      target::DecodeFpNotes(t, note, abi_, elf::Bytes(), diagnostics_);
    }
    if (s.stop_signal) {
      target::Signal signal;
      signal.number = s.stop_signal;
      if (!s.siginfo.empty()) {
        if (auto si = elf::DecodeSiginfo(elf::Bytes(s.siginfo.data(), s.siginfo.size()), abi_)) {
          signal.code = si->code;
          signal.fault_address = si->addr;
          signal.sender_pid = si->sender_pid;
        }
      }
      t.signal = signal;
    }
    threads_.push_back(std::move(t));
  }
  // The process.
  const std::string stat = ReadText(proc + "/stat");
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 > stat.size()) {
    return Unexpected(Errc::kTargetGone, "process " + std::to_string(pid_) + " exited");
  }
  process_.executable = stat.substr(open + 1, close - open - 1);
  const std::vector<std::string> f = Words(stat.substr(close + 2));
  if (f.size() > 18) {
    stat_.state = f[0].empty() ? '?' : f[0][0];
    stat_.ppid = std::atoll(f[1].c_str());
    stat_.pgrp = std::atoll(f[2].c_str());
    stat_.sid = std::atoll(f[3].c_str());
    stat_.flags = std::strtoull(f[6].c_str(), nullptr, 10);
    stat_.utime = std::strtoull(f[11].c_str(), nullptr, 10);
    stat_.stime = std::strtoull(f[12].c_str(), nullptr, 10);
    stat_.cutime = std::strtoull(f[13].c_str(), nullptr, 10);
    stat_.cstime = std::strtoull(f[14].c_str(), nullptr, 10);
    stat_.nice = std::atoll(f[16].c_str());
  }
  process_.pid = pid_;
  process_.ppid = stat_.ppid;
  process_.pgrp = stat_.pgrp;
  process_.sid = stat_.sid;
  process_.uid = uid_;
  process_.gid = gid_;
  process_.state = stat_.state;
  std::string cmdline = ReadText(proc + "/cmdline", 64 * 1024);
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  process_.command_line = cmdline;
  auxv_ = ReadBytes(proc + "/auxv");
  process_.auxv = elf::DecodeAuxv(elf::Bytes(auxv_.data(), auxv_.size()), 8);
  for (const ThreadState& s : states_) {
    if (s.stop_signal && !process_.signal) {
      process_.signal = threads_[static_cast<std::size_t>(&s - states_.data())].signal;
      process_.signalled_thread = s.tid;
    }
  }
  if (const std::string filter = Trim(ReadText(proc + "/coredump_filter")); !filter.empty()) {
    coredump_filter_ = static_cast<std::uint32_t>(std::strtoul(filter.c_str(), nullptr, 16));
  }
  // Mappings from /proc/PID/maps; smaps' flags and sizes come later (ReadMappingDetails), from
  // the snapshot when there is one: smaps walks the page tables, which takes milliseconds.
  maps_ = ParseMaps(ReadText(proc + "/maps", std::size_t{1} << 30));
  if (!options_.defer_details) {
    ReadMappingDetails();
    ReadThreadDetails();
  }
  for (const MapEntry& m : maps_) {
    target::Mapping mapping;
    mapping.start = m.start;
    mapping.end = m.end;
    mapping.perms = m.perms;
    mapping.offset = m.offset;
    mapping.path = m.path;
    mapping.backing = target::Backing::kLive;
    mappings_.push_back(std::move(mapping));
  }
  mem_fd_ = ::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  return {};
}


void Process::ReadThreadDetails() {
  for (std::size_t i = 0; i < states_.size(); ++i) {
    ThreadState& s = states_[i];
    const std::string task = "/proc/" + std::to_string(pid_) + "/task/" + std::to_string(s.tid);
    s.name = Trim(ReadText(task + "/comm"));
    const std::string status = ReadText(task + "/status");
    s.sigpend = HexField(StatusField(status, "SigPnd")) | HexField(StatusField(status, "ShdPnd"));
    s.sighold = HexField(StatusField(status, "SigBlk"));
    const std::string stat = ReadText(task + "/stat");
    if (const auto close = stat.rfind(')'); close != std::string::npos) {
      const std::vector<std::string> f = Words(stat.substr(close + 2));
      if (f.size() > 13) {
        s.utime_ticks = std::strtoull(f[11].c_str(), nullptr, 10);
        s.stime_ticks = std::strtoull(f[12].c_str(), nullptr, 10);
      }
    }
    if (!s.name.empty()) threads_[i].name = s.name;
  }
}

void Process::ReadMappingDetails() {
  std::vector<MapEntry> detailed = ParseMaps(ReadText("/proc/" + std::to_string(memory_pid_) + "/smaps", std::size_t{1} << 30));
  std::size_t at = 0;
  for (MapEntry& m : maps_) {
    while (at < detailed.size() && detailed[at].start < m.start) ++at;
    if (at < detailed.size() && detailed[at].start == m.start && detailed[at].end == m.end) {
      m.vm_flags = detailed[at].vm_flags;
      m.anonymous_kb = detailed[at].anonymous_kb;
    } else if (memory_pid_ != pid_ && m.vm_flags.empty()) {
      m.vm_flags.push_back("dc");  // in the process but not in its snapshot: MADV_DONTFORK
    }
  }
}

Result<std::size_t> Process::ReadSome(std::uint64_t address, std::span<std::uint8_t> out) {
  if (out.empty()) return std::size_t{0};
  iovec local{out.data(), out.size()};
  iovec remote{reinterpret_cast<void*>(address), out.size()};
  const ssize_t n = ::process_vm_readv(memory_pid_, &local, 1, &remote, 1, 0);
  if (n > 0) return static_cast<std::size_t>(n);
  if (n < 0 && errno == ESRCH) return Unexpected(Errc::kTargetGone, "process " + std::to_string(memory_pid_) + " exited");
  // process_vm_readv may be refused where /proc/PID/mem is not (and vice versa).
  if (mem_fd_ >= 0) {
    const ssize_t m = ::pread(mem_fd_, out.data(), out.size(), static_cast<off_t>(address));
    if (m > 0) return static_cast<std::size_t>(m);
  }
  return Unexpected(Errc::kUnmapped, "cannot read the process's memory at " + elf::Hex(address));
}

std::vector<bool> Process::TouchedPages(std::uint64_t start, std::size_t count) {
  if (pagemap_fd_ < 0) pagemap_fd_ = ::open(("/proc/" + std::to_string(memory_pid_) + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC);
  if (pagemap_fd_ < 0) return {};
  std::vector<std::uint64_t> entries(count);
  const std::size_t bytes = count * sizeof(std::uint64_t);
  const ssize_t n = ::pread(pagemap_fd_, entries.data(), bytes, static_cast<off_t>(start / 4096 * 8));
  if (n != static_cast<ssize_t>(bytes)) return {};
  std::vector<bool> touched(count);
  for (std::size_t i = 0; i < count; ++i) touched[i] = (entries[i] >> 62) != 0;  // present or swapped
  return touched;
}

std::chrono::steady_clock::duration Process::stopped_for() const {
  return (attached_ ? std::chrono::steady_clock::now() : resumed_at_) - stopped_at_;
}

void Process::Detach() {
  if (!attached_) return;
  for (pid_t tid : seized_) {
    int signal = 0;
    for (const ThreadState& s : states_) {
      if (s.tid == tid) signal = s.stop_signal;
    }
    ptrace(kPtraceDetach, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal)));
  }
  attached_ = false;
  resumed_at_ = std::chrono::steady_clock::now();
}


// A `syscall` instruction (0f 05) in the process's own text: the vDSO's first, else libc's.
static std::optional<std::uint64_t> FindSyscallInstruction(Process& p, const std::vector<MapEntry>& maps) {
  std::vector<const MapEntry*> order;
  for (const MapEntry& m : maps) {
    if (m.path == "[vdso]") order.insert(order.begin(), &m);
    else if (m.perms.size() > 2 && m.perms[0] == 'r' && m.perms[2] == 'x' && m.path.find("libc") != std::string::npos) order.push_back(&m);
  }
  std::vector<std::uint8_t> buffer(64 * 1024);
  for (const MapEntry* m : order) {
    for (std::uint64_t at = m->start; at < m->end; at += buffer.size() - 1) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), m->end - at));
      auto n = p.ReadSome(at, std::span(buffer.data(), want));
      if (!n) break;
      for (std::size_t i = 0; i + 1 < *n; ++i) {
        if (buffer[i] == 0x0f && buffer[i + 1] == 0x05) return at + i;
      }
    }
  }
  return std::nullopt;
}

Result<pid_t> Process::ForkSnapshot() {
  if (!attached_ || states_.empty()) return Unexpected(Errc::kInvalidArgument, "not attached");
  const std::string status = ReadText("/proc/" + std::to_string(pid_) + "/status");
  if (auto seccomp = StatusField(status, "Seccomp"); seccomp && *seccomp != "0") {
    return Unexpected(Errc::kUnsupported, "the process runs under seccomp (mode " + *seccomp +
                                              "): an injected clone could kill it");
  }
  syscall_at_ = FindSyscallInstruction(*this, maps_);
  const auto at = syscall_at_;
  if (!at) return Unexpected(Errc::kUnsupported, "no syscall instruction found in the vDSO or libc");
  const ThreadState& thread = states_.front();
  ptrace(kPtraceSetOptions, thread.tid, nullptr, reinterpret_cast<void*>(kTraceClone | kTraceFork | kTraceVfork));
  // clone(flags = 0: a copy of the address space, exit signal 0: no SIGCHLD; same stack).
  auto injected = InjectSyscall(thread.tid, *at, kSysClone, {0, 0, 0, 0, 0}, thread.gregs);
  ptrace(kPtraceSetOptions, thread.tid, nullptr, nullptr);
  if (!injected) return Unexpected(injected.error());
  if (injected->result < 0) {
    if (injected->child > 0) ::kill(injected->child, SIGKILL);
    return Unexpected(Errc::kIo, std::string("the process could not fork: ") +
                                     std::strerror(static_cast<int>(-injected->result)));
  }
  if (injected->child <= 0) return Unexpected(Errc::kIo, "the clone reported no child");
  memory_pid_ = injected->child;
  if (mem_fd_ >= 0) ::close(mem_fd_);
  mem_fd_ = ::open(("/proc/" + std::to_string(memory_pid_) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (pagemap_fd_ >= 0) ::close(pagemap_fd_);
  pagemap_fd_ = -1;
  return injected->child;
}

Result<std::chrono::steady_clock::duration> Process::DiscardSnapshot(pid_t child) {
  ::kill(child, SIGKILL);
  for (int status = 0; ::waitpid(child, &status, __WALL) == child;) {  // its first stop, then its death
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;  // as its tracer; it is now the process's zombie
  }
  if (memory_pid_ == child) memory_pid_ = pid_;
  // Reap it in the process: stop one thread, inject wait4(child, NULL, __WALL | WNOHANG, NULL).
  const auto begin = std::chrono::steady_clock::now();
  pid_t tid = pid_;
  if (ptrace(kPtraceSeize, tid, nullptr, nullptr) != 0) {
    return Unexpected(Errc::kIo, "cannot reap the snapshot: " + std::string(std::strerror(errno)));
  }
  ptrace(kPtraceInterrupt, tid, nullptr, nullptr);
  int stop = 0;
  ::waitpid(tid, &stop, __WALL);
  const int pending = WIFSTOPPED(stop) && (stop >> 16) != PTRACE_EVENT_STOP ? WSTOPSIG(stop) : 0;
  Result<std::int64_t> reaped = Unexpected(Errc::kIo, "the snapshot was not reaped");
  if (auto regs = GetRegset(tid, elf::NT_PRSTATUS, 27 * 8)) {
    if (const auto at = syscall_at_) {  // found before the fork: no search inside this pause
      for (int attempt = 0; attempt < 20; ++attempt) {
        auto injected = InjectSyscall(tid, *at, kSysWait4, {static_cast<std::uint64_t>(child), 0, kWall | kWnohang, 0}, *regs);
        if (!injected) {
          reaped = Unexpected(injected.error());
          break;
        }
        if (injected->result == child) {
          reaped = injected->result;
          break;
        }
        ::usleep(1000);
      }
    }
  }
  ptrace(kPtraceDetach, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(pending)));
  const auto paused = std::chrono::steady_clock::now() - begin;
  if (!reaped) return Unexpected(reaped.error());
  return paused;
}

Process::~Process() {
  Detach();
  if (mem_fd_ >= 0) ::close(mem_fd_);
  if (pagemap_fd_ >= 0) ::close(pagemap_fd_);
}

}  // namespace corekit::live
