#include "corekit/unwind/unwinder.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <cstring>
#include <fcntl.h>


namespace corekit::unwind {

// The libdwfl session and what its callbacks need.
struct Unwinder::Session {
  Dwfl* dwfl = nullptr;
  Elf* machine_elf = nullptr;
  std::vector<char> machine_header;  // an ELF header naming the machine, for the backend
  std::string debuginfo_path;
  char* debuginfo_path_ptr = nullptr;
  Dwfl_Callbacks callbacks{};
  target::Target* target = nullptr;
  std::vector<std::string> dwarf_registers;  // our register names in DWARF numbering order
  bool pc_separate = false;                  // AArch64: pc is not a DWARF register
  unsigned sp_regno = 0;
  unsigned word = 8;
  // Per module, the address ranges of its compile units, for DWARF without .debug_aranges.
  struct CuRange {
    Dwarf_Addr low, high;
    Dwarf_Off cu;
  };
  std::map<Dwfl_Module*, std::vector<CuRange>> cu_ranges;

  ~Session() {
    if (dwfl) dwfl_end(dwfl);
    if (machine_elf) elf_end(machine_elf);
  }
};

namespace {

using Session = Unwinder::Session;

std::string Demangle(const char* name, bool demangle) {
  if (!name) return {};
  if (!demangle || std::strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : name;
  std::free(out);
  return result;
}

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
      for (int i = 0; i <= 30; ++i) s.dwarf_registers.push_back("x" + std::to_string(i));
      s.dwarf_registers.push_back("sp");
      s.pc_separate = true;
      s.sp_regno = 31;
      return true;
    case elf::Arch::kArm:
      for (int i = 0; i <= 12; ++i) s.dwarf_registers.push_back("r" + std::to_string(i));
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

// What the CFI says about pc: whether there is any, and whether it is a signal trampoline's
// (the 'S' augmentation glibc and the vDSO put on __restore_rt / __kernel_rt_sigreturn).
struct CfiInfo {
  bool present = false;
  bool signal_frame = false;
};

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

std::optional<std::string> DieName(Dwarf_Die* die, bool demangle) {
  Dwarf_Attribute attr;
  for (int code : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, code, &attr)) {
      if (const char* name = dwarf_formstring(&attr)) return Demangle(name, demangle);
    }
  }
  if (dwarf_attr_integrate(die, DW_AT_name, &attr)) {
    if (const char* name = dwarf_formstring(&attr)) return std::string(name);
  }
  return std::nullopt;
}

// The compile unit holding `address` (a module-relative lookup is done by libdwfl). clang emits
// no .debug_aranges, and libdw 0.188 finds a CU only through that table, so when it fails the
// CUs' own DW_AT_ranges are indexed once per module and searched.
Dwarf_Die* FindCu(Session& s, Dwfl_Module* mod, Dwarf_Addr address, Dwarf_Die* storage, Dwarf_Addr* bias) {
  if (Dwarf_Die* cu = dwfl_module_addrdie(mod, address, bias)) return cu;
  Dwarf* dwarf = dwfl_module_getdwarf(mod, bias);
  if (!dwarf) return nullptr;
  auto [it, inserted] = s.cu_ranges.try_emplace(mod);
  std::vector<Session::CuRange>& ranges = it->second;
  if (inserted) {
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dwarf, offset + header_size, &cu)) {
        Dwarf_Addr base = 0, low = 0, high = 0;
        for (ptrdiff_t at = 0; (at = dwarf_ranges(&cu, at, &base, &low, &high)) > 0;) {
          ranges.push_back({low, high, offset + header_size});
        }
      }
      offset = next;
    }
    std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.low < b.low; });
  }
  const Dwarf_Addr relative = address - *bias;
  auto found = std::upper_bound(ranges.begin(), ranges.end(), relative,
                                [](Dwarf_Addr a, const Session::CuRange& r) { return a < r.low; });
  if (found == ranges.begin()) return nullptr;
  --found;
  if (relative >= found->high) return nullptr;
  return dwarf_offdie(dwarf, found->cu, storage);
}

// Deeper inline nesting than this is taken as damaged DWARF.
constexpr int kMaxInlineDepth = 64;

struct RawFrame {
  Dwarf_Addr pc = 0;
  bool activation = false;
};

struct Collector {
  std::vector<RawFrame> frames;
  std::size_t max = 0;
  unsigned sp_regno = 0;
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
  }
  if (c->frames.size() >= c->max) {
    c->truncated = true;
    c->stop = "frame limit of " + std::to_string(c->max) + " reached";
    return DWARF_CB_ABORT;
  }
  c->frames.push_back(f);
  return DWARF_CB_OK;
}

}  // namespace

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
  s.debuginfo_path = "-:.debug:/usr/lib/debug";
  if (!u->options_.debug_dir.empty()) s.debuginfo_path += ":" + u->options_.debug_dir;
  s.debuginfo_path_ptr = s.debuginfo_path.data();
  s.callbacks.find_elf = dwfl_build_id_find_elf;
  s.callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
  s.callbacks.debuginfo_path = &s.debuginfo_path_ptr;
  s.dwfl = dwfl_begin(&s.callbacks);
  if (!s.dwfl) return Unexpected(Errc::kIo, std::string("libdwfl: ") + dwfl_errmsg(-1));
  dwfl_report_begin(s.dwfl);
  for (Module& m : u->modules_) {
    const int fd = FdForModule(m);
    if (fd < 0) continue;
    const std::string file = m.file.empty() ? m.name : m.file;
    if (!dwfl_report_elf(s.dwfl, m.name.c_str(), file.c_str(), fd, m.bias, true)) {
      m.note = std::string("libdwfl refused it: ") + dwfl_errmsg(-1);
      ::close(fd);
    }
  }
  dwfl_report_end(s.dwfl, nullptr, nullptr);
  s.machine_header = MachineHeader(target.abi());
  s.machine_elf = elf_memory(s.machine_header.data(), s.machine_header.size());
  const pid_t pid = static_cast<pid_t>(target.process().pid.value_or(1));
  if (!dwfl_attach_state(s.dwfl, s.machine_elf, pid, &kThreadCallbacks, &s)) {
    return Unexpected(Errc::kUnsupported, std::string("libdwfl cannot unwind this core: ") + dwfl_errmsg(-1));
  }
  return u;
}

std::optional<std::uint64_t> Unwinder::SymbolAddress(const std::string& name) {
  struct Search {
    const std::string* name;
    std::optional<std::uint64_t> found;
  } search{&name, std::nullopt};
  auto visit = [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) -> int {
    auto* s = static_cast<Search*>(arg);
    const int count = dwfl_module_getsymtab(mod);
    for (int i = 1; i < count; ++i) {
      GElf_Sym sym;
      GElf_Addr address = 0;
      const char* symbol = dwfl_module_getsym_info(mod, i, &sym, &address, nullptr, nullptr, nullptr);
      if (symbol && *s->name == symbol && sym.st_shndx != SHN_UNDEF) {
        s->found = address;
        return DWARF_CB_ABORT;
      }
    }
    return DWARF_CB_OK;
  };
  dwfl_getmodules(session_->dwfl, visit, &search, 0);
  return search.found;
}

std::optional<std::pair<std::string, std::uint64_t>> Unwinder::SymbolAt(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  if (!mod) return std::nullopt;
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr);
  if (!name) return std::nullopt;
  return std::make_pair(Demangle(name, options_.demangle), static_cast<std::uint64_t>(offset));
}

ThreadBacktrace Unwinder::Backtrace(const target::Thread& thread) {
  Session& s = *session_;
  ThreadBacktrace bt;
  bt.tid = thread.tid;
  Collector c;
  c.max = options_.max_frames;
  c.sp_regno = s.sp_regno;
  current_session = &s;
  const int rc = dwfl_getthread_frames(s.dwfl, static_cast<pid_t>(thread.tid), OnFrame, &c);
  current_session = nullptr;
  if (rc != 0 && c.stop.empty() && c.frames.empty()) c.stop = dwfl_errmsg(-1);
  bt.frame_count = c.frames.size();
  bt.truncated = c.truncated;
  bt.stop_reason = c.stop;

  // A return address points after the call: the call itself is looked up.
  auto lookup_of = [&](const RawFrame& f) { return f.activation ? f.pc : f.pc - 1; };
  for (std::size_t i = 0; i < c.frames.size(); ++i) {
    const RawFrame& raw = c.frames[i];
    const Dwarf_Addr lookup = lookup_of(raw);
    Dwfl_Module* mod = dwfl_addrmodule(s.dwfl, lookup);
    Frame base;
    base.pc = raw.pc;
    // How this frame was recovered from the one below it: through a signal frame, with the
    // callee's CFI, or (libdwfl's fallback where there is none) by frame pointer.
    if (i == 0) {
      base.how = "initial";
    } else if (raw.activation) {
      base.how = "signal";
    } else {
      const Dwarf_Addr callee_pc = lookup_of(c.frames[i - 1]);
      Dwfl_Module* callee = dwfl_addrmodule(s.dwfl, callee_pc);
      base.how = callee && CfiAt(callee, callee_pc).present ? "cfi" : "frame-pointer";
    }
    // The kernel's signal trampoline, between a handler and the code the signal interrupted.
    if (mod && CfiAt(mod, lookup).signal_frame) base.how = "signal-trampoline";
    if (mod) {
      const char* name = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
      base.module = name ? name : "";
      GElf_Off offset = 0;
      GElf_Sym sym;
      if (const char* symbol = dwfl_module_addrinfo(mod, lookup, &offset, &sym, nullptr, nullptr, nullptr)) {
        base.function = Demangle(symbol, options_.demangle);
        base.offset = offset + (raw.pc - lookup);
      }
      Dwarf_Addr bias = 0;
      Dwarf_Die cu_storage;
      Dwarf_Die* cudie = FindCu(s, mod, lookup, &cu_storage, &bias);
      if (Dwfl_Line* line = dwfl_module_getsrc(mod, lookup)) {
        int lineno = 0;
        if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
          base.file = file;
          base.line = lineno;
        }
      } else if (cudie) {
        if (Dwarf_Line* line = dwarf_getsrc_die(cudie, lookup - bias)) {
          int lineno = 0;
          if (const char* file = dwarf_linesrc(line, nullptr, nullptr); file && dwarf_lineno(line, &lineno) == 0) {
            base.file = file;
            base.line = lineno;
          }
        }
      }
      // Inlined calls: from the innermost function scope at pc outwards. dwarf_getscopes follows
      // an inlined instance to its abstract origin, so each next concrete caller is taken from
      // the inlined DIE's own parents (dwarf_getscopes_die), as far as the subprogram.
      Dwarf_Die* scopes = nullptr;
      const int nscopes = cudie ? dwarf_getscopes(cudie, lookup - bias, &scopes) : 0;
      std::vector<Frame> expanded;
      std::optional<std::string> file = base.file;
      std::optional<int> line = base.line;
      std::optional<Dwarf_Die> current;
      for (int k = 0; k < nscopes && !current; ++k) {
        const int tag = dwarf_tag(&scopes[k]);
        if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) current = scopes[k];
      }
      for (int depth = 0; current && depth < kMaxInlineDepth; ++depth) {
        const int tag = dwarf_tag(&*current);
        Frame f = base;
        f.inlined = tag == DW_TAG_inlined_subroutine;
        if (auto name = DieName(&*current, options_.demangle)) f.function = name;
        f.file = file;
        f.line = line;
        if (f.inlined) f.how = "inline";
        expanded.push_back(f);
        if (tag != DW_TAG_inlined_subroutine) break;
        // The caller's location is where this inlined call was made.
        Dwarf_Attribute attr;
        Dwarf_Word call_file = 0, call_line = 0;
        Dwarf_Files* files = nullptr;
        std::size_t nfiles = 0;
        if (dwarf_formudata(dwarf_attr(&*current, DW_AT_call_file, &attr), &call_file) == 0 &&
            dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && call_file < nfiles) {
          const char* name = dwarf_filesrc(files, call_file, nullptr, nullptr);
          file = name ? std::optional<std::string>(name) : std::nullopt;
        }
        if (dwarf_formudata(dwarf_attr(&*current, DW_AT_call_line, &attr), &call_line) == 0) {
          line = static_cast<int>(call_line);
        }
        Dwarf_Die* parents = nullptr;
        const int nparents = dwarf_getscopes_die(&*current, &parents);
        std::optional<Dwarf_Die> caller;
        for (int k = 1; k < nparents && !caller; ++k) {
          const int ptag = dwarf_tag(&parents[k]);
          if (ptag == DW_TAG_inlined_subroutine || ptag == DW_TAG_subprogram) caller = parents[k];
        }
        std::free(parents);
        current = caller;
      }
      std::free(scopes);
      if (!expanded.empty()) {
        // Inlined frames keep the physical frame's symbol offset only on the outermost one.
        for (Frame& f : expanded) {
          if (f.inlined) f.offset = 0;
          f.index = bt.frames.size();
          bt.frames.push_back(f);
        }
        continue;
      }
    }
    base.index = bt.frames.size();
    bt.frames.push_back(base);
  }
  return bt;
}

}  // namespace corekit::unwind
