// The Unwinder's libdwfl session (modules reported, thread callbacks over the Target, debug
// files found) and the frame walk: libdwfl's CFI and frame-pointer unwinding, restarted from a
// stack scan where it stops, with callee-saved registers mended and frames symbolized.
#include "corekit/unwind/unwinder.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "corekit/elf/notes.h"
#include "debug_cache.h"
#include "session.h"
#include "unwind/dwarf_access.h"

namespace corekit::unwind {
namespace {

// Register names in DWARF order per architecture (the psABIs' DWARF register numbering).
bool RegisterMapping(elf::Arch arch, Session& s) {
  switch (arch) {
    case elf::Arch::kX86_64:
      s.dwarf_registers = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
                           "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip"};
      s.sp_regno = 7;
      return true;
    case elf::Arch::kI386:
      s.dwarf_registers = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"};
      s.sp_regno = 4;
      return true;
    case elf::Arch::kAarch64:
      for (int i = 0; i <= 30; ++i) s.dwarf_registers.push_back(elf::NumberedName("x", i));
      s.dwarf_registers.push_back("sp");
      s.pc_separate = true;
      s.sp_regno = 31;
      return true;
    case elf::Arch::kArm:
      for (int i = 0; i <= 12; ++i) s.dwarf_registers.push_back(elf::NumberedName("r", i));
      s.dwarf_registers.insert(s.dwarf_registers.end(), {"sp", "lr", "pc"});
      s.sp_regno = 13;
      return true;
    default:
      return false;
  }
}

// --- Dwfl_Thread_Callbacks over a Target ---

pid_t NextThread(Dwfl*, void* dwfl_arg, void** thread_argp) {
  auto* s = static_cast<Session*>(dwfl_arg);
  const auto next = reinterpret_cast<std::uintptr_t>(*thread_argp);
  if (next >= s->target->threads().size()) return 0;
  *thread_argp = reinterpret_cast<void*>(next + 1);
  return static_cast<pid_t>(s->target->threads()[next].tid);
}

bool MemoryRead(Dwfl*, Dwarf_Addr address, Dwarf_Word* result, void* dwfl_arg) {
  auto* s = static_cast<Session*>(dwfl_arg);
  auto word = s->target->ReadWord(address, s->word);
  if (!word) return false;
  *result = *word;
  return true;
}

Session* current_session = nullptr;  // set around each unwind: set_initial_registers has no dwfl_arg

bool SetInitialRegisters(Dwfl_Thread* thread, void* thread_arg) {
  Session* s = current_session;
  const auto index = reinterpret_cast<std::uintptr_t>(thread_arg) - 1;
  if (!s || index >= s->target->threads().size()) return false;
  if (s->restart) {
    const Dwarf_Word sp = s->restart->second;
    return dwfl_thread_state_registers(thread, s->sp_regno, 1, &sp) &&
           (dwfl_thread_state_register_pc(thread, s->restart->first), true);
  }
  const target::Thread& t = s->target->threads()[index];
  std::vector<Dwarf_Word> values;
  for (const std::string& name : s->dwarf_registers) {
    const elf::Register* r = t.FindRegister(name);
    if (!r || r->width > 8) return false;
    values.push_back(r->value);
  }
  if (!dwfl_thread_state_registers(thread, 0, static_cast<unsigned>(values.size()), values.data())) {
    return false;
  }
  if (s->pc_separate && t.pc) dwfl_thread_state_register_pc(thread, *t.pc);
  return true;
}

// Opens `path` for libdwfl and hands it the name too; -1 when it cannot be opened.
int OpenFor(const std::string& path, char** name) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) *name = ::strdup(path.c_str());
  return fd;
}

// libdwfl's find_debuginfo callback, asked first for a module's debug file and then, when that
// file (or the module's own DWARF) was compressed with dwz, for the alt file its
// .gnu_debugaltlink names: libdwfl passes that name as `debuglink_file`, no CRC, and the debug
// file as `file_name`. Everything is found by the module's Locator, which checks build-ids; a
// debug file found before is served from corekit's inflated copy (debug_cache.h).
int FindDebuginfo(Dwfl_Module* mod, void** userdata, const char*, Dwarf_Addr, const char* file_name,
                  const char* debuglink_file, GElf_Word debuglink_crc, char** debuginfo_file_name) {
  auto* hook = userdata ? static_cast<Session::DebugHook*>(*userdata) : nullptr;
  if (!hook || !hook->module || !hook->session) return -1;
  Module& m = *hook->module;
  Session& s = *hook->session;
  if (file_name && debuglink_file && debuglink_crc == 0) {
    if (auto alt = locate::AltLinkOf(file_name); alt && alt->first == debuglink_file) {
      if (auto found = s.locator->AltFile(alt->second, alt->first, file_name, m.name)) {
        m.alt_file = found->path;
        m.alt_origin = found->origin;
        return OpenFor(found->path, debuginfo_file_name);
      }
      m.alt_missing = alt->first + " (build-id " + alt->second + ")";
      s.locator->AddWarning("the dwz file " + m.alt_missing + " that the debug info of " + m.name +
                                " refers to was not found: the types and values it holds are unavailable");
      return -1;
    }
  }
  std::string build_id;
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  if (const int size = dwfl_module_build_id(mod, &bits, &vaddr); size > 0) {
    build_id = elf::HexBytes(elf::Bytes(bits, static_cast<std::size_t>(size)));
  }
  if (!build_id.empty() && !s.cache_dir.empty()) {
    if (auto cached = CachedDebugFile(build_id, s.cache_dir)) {
      const int fd = OpenFor(*cached, debuginfo_file_name);
      if (fd >= 0) {
        m.debug_file = *cached;
        m.debug_origin = locate::Origin::kCorekitCache;
        return fd;
      }
    }
  }
  auto found = s.locator->DebugFile(build_id, file_name ? file_name : "", debuglink_file ? debuglink_file : "",
                                        debuglink_crc, m.name);
  if (!found) return -1;
  const int fd = OpenFor(found->path, debuginfo_file_name);
  if (fd < 0) return -1;
  m.debug_file = found->path;
  m.debug_origin = found->origin;
  // The next run maps an inflated copy; this one keeps the file libdwfl validated. The copy is
  // made beside the work of this run, which it does not need — and not on the run that has just
  // downloaded the file, which is waiting on the network already (the next run makes it).
  if (!build_id.empty() && !s.cache_dir.empty() && found->origin != locate::Origin::kDebuginfod) {
    s.copies.push_back(std::async(std::launch::async, UncompressedDebugFile, found->path, build_id, s.cache_dir));
  }
  return fd;
}

// Every module is reported with its file already open: libdwfl never needs to find an ELF file
// itself (and must not ask debuginfod behind the Locator's back).
int NoElf(Dwfl_Module*, void**, const char*, Dwarf_Addr, char**, Elf**) { return -1; }

const Dwfl_Thread_Callbacks kThreadCallbacks = {NextThread, nullptr, MemoryRead, SetInitialRegisters,
                                                nullptr, nullptr};

// An ELF header that tells libdwfl's backend which machine the core is for.
std::vector<char> MachineHeader(const elf::Abi& abi) {
  std::vector<char> h(abi.is64 ? 64 : 52, 0);
  h[0] = 0x7f;
  h[1] = 'E';
  h[2] = 'L';
  h[3] = 'F';
  h[4] = abi.is64 ? 2 : 1;
  h[5] = abi.endian == elf::Endian::kLittle ? 1 : 2;
  h[6] = 1;
  auto put16 = [&](std::size_t at, std::uint16_t v) {
    h[at] = static_cast<char>(abi.endian == elf::Endian::kLittle ? v & 0xff : v >> 8);
    h[at + 1] = static_cast<char>(abi.endian == elf::Endian::kLittle ? v >> 8 : v & 0xff);
  };
  put16(16, ET_CORE);
  put16(18, abi.e_machine);
  h[abi.endian == elf::Endian::kLittle ? 20 : 23] = 1;  // e_version
  put16(abi.is64 ? 52 : 40, static_cast<std::uint16_t>(h.size()));  // e_ehsize
  return h;
}

int FdForModule(const Module& m) {
  if (!m.file.empty()) return ::open(m.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (m.image.empty()) return -1;
  const int fd = ::memfd_create("corekit-module", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (::write(fd, m.image.data(), m.image.size()) != static_cast<ssize_t>(m.image.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the CFI at pc has no rule of its own for regno (it is "undefined" only by default).
bool CfiHasNoRule(Dwfl_Module* mod, Dwarf_Addr pc, unsigned regno) {
  for (auto get : {dwfl_module_eh_cfi, dwfl_module_dwarf_cfi}) {
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = get(mod, &bias);
    Dwarf_Frame* frame = nullptr;
    if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
      Dwarf_Op storage[3];
      Dwarf_Op* ops = nullptr;
      std::size_t nops = 0;
      const bool undefined = dwarf_frame_register(frame, static_cast<int>(regno), storage, &ops, &nops) == 0 &&
                             nops == 0 && ops == storage;
      std::free(frame);
      return undefined;
    }
  }
  return false;
}

// The psABI's callee-saved registers in DWARF numbering: a function that does not save one
// leaves it as it was, so its caller's value is the callee's.
std::vector<unsigned> CalleeSaved(elf::Arch arch) {
  switch (arch) {
    case elf::Arch::kX86_64: return {3, 6, 12, 13, 14, 15};
    case elf::Arch::kI386: return {3, 5, 6, 7};
    case elf::Arch::kAarch64: return {19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
    default: return {};
  }
}

struct RawFrame {
  Dwarf_Addr pc = 0;
  bool activation = false;      // pc is exact (frame 0, or interrupted by a signal)
  std::optional<Dwarf_Word> sp;
  bool scanned = false;         // found by stack scan, not by the unwinder
  std::vector<std::pair<unsigned, std::uint64_t>> registers;  // those libdwfl recovered
};

struct Collector {
  std::vector<RawFrame> frames;
  std::size_t max = 0;
  unsigned sp_regno = 0;
  unsigned register_count = 0;
  std::optional<std::pair<Dwarf_Addr, Dwarf_Word>> last;
  bool truncated = false;
  std::string stop;
};

int OnFrame(Dwfl_Frame* state, void* arg) {
  auto* c = static_cast<Collector*>(arg);
  RawFrame f;
  if (!dwfl_frame_pc(state, &f.pc, &f.activation)) {
    c->stop = dwfl_errmsg(-1);
    return DWARF_CB_ABORT;
  }
  Dwarf_Word sp = 0;
  if (dwfl_frame_reg(state, c->sp_regno, &sp) == 0) {
    if (c->last && c->last->first == f.pc && c->last->second == sp) {
      c->truncated = true;
      c->stop = "the unwinder looped (same pc and sp twice)";
      return DWARF_CB_ABORT;
    }
    c->last = std::make_pair(f.pc, sp);
    f.sp = sp;
  }
  for (unsigned regno = 0; regno < c->register_count; ++regno) {
    Dwarf_Word value = 0;
    if (dwfl_frame_reg(state, regno, &value) == 0) f.registers.emplace_back(regno, value);
  }
  if (c->frames.size() >= c->max) {
    c->truncated = true;
    c->stop = "frame limit of " + std::to_string(c->max) + " reached";
    return DWARF_CB_ABORT;
  }
  c->frames.push_back(f);
  return DWARF_CB_OK;
}

// libdw 0.188's x86-64 ABI defaults mark DWARF register 0 (rax) "same value" where they mean 3
// (rbx), so rbx is lost in every caller of a function whose CFI does not mention it. Where a
// callee-saved register is missing in a frame recovered through CFI that has no rule for it,
// the callee's value is the right one (the psABI's rule); fill it in.
void RestoreCalleeSaved(Session& s, std::vector<RawFrame>& frames) {
  const std::vector<unsigned> saved = CalleeSaved(s.target->abi().arch);
  for (std::size_t i = 1; i < frames.size(); ++i) {
    RawFrame& caller = frames[i];
    const RawFrame& callee = frames[i - 1];
    if (caller.scanned || caller.activation) continue;
    const Dwarf_Addr callee_pc = callee.activation ? callee.pc : callee.pc - 1;
    Dwfl_Module* mod = nullptr;
    for (unsigned regno : saved) {
      auto has = [regno](const RawFrame& f) {
        return std::any_of(f.registers.begin(), f.registers.end(), [regno](const auto& r) { return r.first == regno; });
      };
      if (has(caller) || !has(callee)) continue;
      if (!mod && !(mod = dwfl_addrmodule(s.dwfl, callee_pc))) break;
      if (!CfiHasNoRule(mod, callee_pc, regno)) continue;
      for (const auto& r : callee.registers) {
        if (r.first == regno) caller.registers.push_back(r);
      }
    }
    std::sort(caller.registers.begin(), caller.registers.end());
  }
}

// Runs libdwfl over one thread (from its registers, or from s.restart) into `c`. Frames that
// libdwfl's frame-pointer fallback produced are kept only while their pc is a return address:
// a register that was never a frame pointer yields garbage there. Returns whether unwinding
// failed before the outermost frame (and so a scan may go on).
bool RunLibdwfl(Session& s, pid_t tid, Collector& c) {
  current_session = &s;
  const int rc = dwfl_getthread_frames(s.dwfl, tid, OnFrame, &c);
  current_session = nullptr;
  bool failed = rc != 0 && !c.truncated;
  if (failed && c.stop.empty()) c.stop = dwfl_errmsg(-1);
  for (std::size_t i = 1; i < c.frames.size(); ++i) {
    const RawFrame& callee = c.frames[i - 1];
    const Dwarf_Addr callee_pc = callee.activation ? callee.pc : callee.pc - 1;
    Dwfl_Module* mod = dwfl_addrmodule(s.dwfl, callee_pc);
    if (c.frames[i].activation || (mod && CfiAt(mod, callee_pc).present)) continue;
    if (!IsReturnAddress(s, c.frames[i].pc)) {
      c.frames.resize(i);
      c.truncated = false;
      c.stop = "no CFI, and the frame pointer does not lead to a return address";
      return true;
    }
  }
  return failed;
}

}  // namespace

CfiInfo CfiAt(Dwfl_Module* mod, Dwarf_Addr pc) {
  for (auto get : {dwfl_module_eh_cfi, dwfl_module_dwarf_cfi}) {
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = get(mod, &bias);
    Dwarf_Frame* frame = nullptr;
    if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &frame) == 0) {
      bool signalp = false;
      dwarf_frame_info(frame, nullptr, nullptr, &signalp);
      std::free(frame);
      return {true, signalp};
    }
  }
  return {};
}

Unwinder::~Unwinder() = default;

Result<std::unique_ptr<Unwinder>> Unwinder::Create(target::Target& target, UnwindOptions options) {
  elf_version(EV_CURRENT);
  std::unique_ptr<Unwinder> u(new Unwinder());
  u->target_ = &target;
  u->options_ = std::move(options);
  u->session_ = std::make_unique<Session>();
  Session& s = *u->session_;
  s.target = &target;
  s.word = target.abi().is64 ? 8 : 4;
  if (!RegisterMapping(target.abi().arch, s)) {
    return Unexpected(Errc::kUnsupported, "unwinding " + std::string(elf::ArchName(target.abi().arch)) +
                                              " is not supported yet (x86_64, i386, aarch64 and arm are)");
  }
  u->modules_ = FindModules(target, u->options_.modules);
  u->locator_ = u->options_.locator;
  if (!u->locator_) {
    locate::Options lo;
    lo.sysroot = u->options_.modules.sysroot;
    if (!u->options_.debug_dir.empty()) lo.debug_dirs.push_back(u->options_.debug_dir);
    u->own_locator_ = std::make_unique<locate::Locator>(std::move(lo));
    u->locator_ = u->own_locator_.get();
  }
  // A module whose file is not on this machine: by its build-id, from the debug directories'
  // .build-id trees or debuginfod.
  for (Module& m : u->modules_) {
    if (!m.file.empty() || !m.image.empty() || !m.build_id) continue;
    if (auto found = u->locator_->Executable(*m.build_id, m.name)) {
      m.file = found->path;
      m.file_origin = found->origin;
      m.verified = true;
      m.note.clear();
    }
  }
  s.locator = u->locator_;
  s.cache_dir = u->options_.cache_dir;
  s.callbacks.find_elf = NoElf;
  s.callbacks.find_debuginfo = FindDebuginfo;
  s.dwfl = dwfl_begin(&s.callbacks);
  if (!s.dwfl) return Unexpected(Errc::kIo, std::string("libdwfl: ") + dwfl_errmsg(-1));
  s.hooks.reserve(u->modules_.size());
  dwfl_report_begin(s.dwfl);
  for (Module& m : u->modules_) {
    const int fd = FdForModule(m);
    if (fd < 0) continue;
    const std::string file = m.file.empty() ? m.name : m.file;
    Dwfl_Module* mod = dwfl_report_elf(s.dwfl, m.name.c_str(), file.c_str(), fd, m.bias, true);
    if (!mod) {
      m.note = std::string("libdwfl refused it: ") + dwfl_errmsg(-1);
      ::close(fd);
      continue;
    }
    Session::DebugHook& hook = s.hooks.emplace_back(Session::DebugHook{&m, mod, &s});
    void** userdata = nullptr;
    dwfl_module_info(mod, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    if (userdata) *userdata = &hook;
  }
  dwfl_report_end(s.dwfl, nullptr, nullptr);
  for (const target::Mapping& m : target.mappings()) {
    if (m.perms.size() > 2 && m.perms[2] == 'x') s.code_ranges.emplace_back(m.start, m.end);
  }
  std::sort(s.code_ranges.begin(), s.code_ranges.end());
  s.machine_header = MachineHeader(target.abi());
  s.machine_elf = elf_memory(s.machine_header.data(), s.machine_header.size());
  const pid_t pid = static_cast<pid_t>(target.process().pid.value_or(1));
  if (!dwfl_attach_state(s.dwfl, s.machine_elf, pid, &kThreadCallbacks, &s)) {
    return Unexpected(Errc::kUnsupported, std::string("libdwfl cannot unwind this core: ") + dwfl_errmsg(-1));
  }
  return u;
}

void Unwinder::LoadDebugInfo() {
  for (const Session::DebugHook& hook : session_->hooks) {
    Dwarf_Addr bias = 0;
    Dwarf* dwarf = dwfl_module_getdwarf(hook.mod, &bias);
    dwfl_module_getsymtab(hook.mod);
    // The DWARF came from the file itself when no separate file was found for it.
    if (dwarf && hook.module->debug_file.empty()) hook.module->debug_origin = locate::Origin::kEmbedded;
  }
}

std::optional<std::string> Unwinder::FetchSource(const Frame& frame, const std::string& path) {
  const std::uint64_t pc = frame.lookup ? frame.lookup : frame.pc;
  for (const Module& m : modules_) {
    if (pc >= m.start && pc < m.end && m.build_id) {
      if (auto found = locator_->Source(*m.build_id, path)) return found->path;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string_view Unwinder::RegisterName(unsigned dwarf_regno) const {
  const auto& names = session_->dwarf_registers;
  return dwarf_regno < names.size() ? std::string_view(names[dwarf_regno]) : std::string_view();
}

ThreadBacktrace Unwinder::Backtrace(const target::Thread& thread) {
  Session& s = *session_;
  ThreadBacktrace bt;
  bt.tid = thread.tid;
  Collector c;
  c.max = options_.max_frames;
  c.sp_regno = s.sp_regno;
  c.register_count = static_cast<unsigned>(s.dwarf_registers.size());
  const pid_t tid = static_cast<pid_t>(thread.tid);
  bool failed = RunLibdwfl(s, tid, c);
  // Where unwinding failed, scan the stack for the next return address and let libdwfl go on
  // from there (from pc and sp alone), as often as it fails, within the frame limit.
  while (failed && !c.frames.empty() && c.frames.back().sp && c.frames.size() < c.max) {
    const std::optional<ScanHit> hit = ScanStack(s, *c.frames.back().sp);
    if (!hit) break;
    Collector more;
    more.max = c.max - c.frames.size();
    more.sp_regno = s.sp_regno;
    more.register_count = c.register_count;
    s.restart = std::make_pair(hit->pc, hit->sp);
    failed = RunLibdwfl(s, tid, more);
    s.restart.reset();
    if (more.frames.empty()) more.frames.push_back({});  // libdwfl refused even to start
    more.frames.front().pc = hit->pc;
    more.frames.front().activation = false;
    more.frames.front().sp = hit->sp;
    more.frames.front().scanned = true;
    c.frames.insert(c.frames.end(), more.frames.begin(), more.frames.end());
    c.truncated = more.truncated;
    c.stop = more.stop;
  }
  RestoreCalleeSaved(s, c.frames);
  bt.frame_count = c.frames.size();
  bt.truncated = c.truncated;
  bt.stop_reason = c.stop;

  // A return address points after the call: the call itself is looked up.
  auto lookup_of = [&](const RawFrame& f) { return f.activation ? f.pc : f.pc - 1; };
  for (std::size_t i = 0; i < c.frames.size(); ++i) {
    const RawFrame& raw = c.frames[i];
    const Dwarf_Addr lookup = lookup_of(raw);
    // How this frame was recovered from the one below it: through a signal frame, with the
    // callee's CFI, or (libdwfl's fallback where there is none) by frame pointer.
    std::string how;
    if (i == 0) {
      how = "initial";
    } else if (raw.scanned) {
      how = "stack-scan";
    } else if (raw.activation) {
      how = "signal";
    } else {
      const Dwarf_Addr callee_pc = lookup_of(c.frames[i - 1]);
      Dwfl_Module* callee = dwfl_addrmodule(s.dwfl, callee_pc);
      how = callee && CfiAt(callee, callee_pc).present ? "cfi" : "frame-pointer";
    }
    // Tail calls between the frame below and this one left no frames; the call sites recorded
    // in DWARF name them, and they are put back as gdb does (how "tail-call").
    if (i > 0 && how == "cfi" && !CfiAt(dwfl_addrmodule(s.dwfl, lookup_of(c.frames[i - 1])), lookup_of(c.frames[i - 1])).signal_frame) {
      const auto key = std::make_pair(lookup_of(c.frames[i - 1]), raw.pc);
      auto [chain, fresh] = s.tail_calls.try_emplace(key);
      if (fresh) chain->second = TailCallPcs(key.first, key.second);
      for (const std::uint64_t pc : chain->second) {
        // One frame per tail call, named by the innermost function at the jump (an inlined
        // call there included), as gdb shows it.
        Frame f = Symbolize(pc, pc - 1).front();
        f.inlined = false;
        f.inline_depth = 0;
        f.how = "tail-call";
        f.registers = raw.registers;
        f.index = bt.frames.size();
        bt.frames.push_back(std::move(f));
      }
    }
    // Threads share most of their pcs (every idle thread waits in the same place): each is
    // symbolized once per session.
    auto [cached, inserted] = s.symbolized.try_emplace(std::make_pair(raw.pc, lookup));
    if (inserted) cached->second = Symbolize(raw.pc, lookup);
    for (Frame f : cached->second) {
      f.registers = raw.registers;
      if (!f.inlined && f.how.empty()) f.how = how;
      f.index = bt.frames.size();
      bt.frames.push_back(std::move(f));
    }
  }
  return bt;
}

Dwfl* DwarfAccess::Session(Unwinder& unwinder) { return unwinder.session_->dwfl; }

std::vector<Dwarf_Die> DwarfAccess::ScopesAt(Unwinder& unwinder, Dwfl_Module* module, Dwarf_Die* cu, std::uint64_t address) {
  return unwind::ScopesAt(*unwinder.session_, module, cu, address);
}

Dwarf_Die* DwarfAccess::CompileUnitAt(Unwinder& unwinder, Dwfl_Module* module, std::uint64_t address,
                                      Dwarf_Die* storage, Dwarf_Addr* bias) {
  return FindCu(*unwinder.session_, module, address, storage, bias);
}

}  // namespace corekit::unwind
