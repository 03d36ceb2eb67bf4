#include "corekit/unwind/unwinder.h"
#include "unwind/dwarf_access.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <span>
#include <cstring>
#include <fcntl.h>

#include "corekit/elf/notes.h"
#include "debug_cache.h"


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
  // Symbolized frames by (pc, lookup address).
  std::map<std::pair<Dwarf_Addr, Dwarf_Addr>, std::vector<Frame>> symbolized;
  // Tail-call frames' pcs between a callee (by its lookup address) and its caller's pc.
  std::map<std::pair<Dwarf_Addr, Dwarf_Addr>, std::vector<std::uint64_t>> tail_calls;
  // Executable mappings, sorted: where a stack word must point to be a return address.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> code_ranges;
  // When set, the next unwind starts from this pc and sp alone (a frame found by stack scan).
  std::optional<std::pair<Dwarf_Addr, Dwarf_Word>> restart;

  ~Session() {
    if (dwfl) dwfl_end(dwfl);
    if (machine_elf) elf_end(machine_elf);
  }
};

namespace {

using Session = Unwinder::Session;

// A symbol's name as gdb shows it: demangled, and without a default version ("@@GLIBC_2.34",
// as a debug file's .symtab spells it).
std::string Demangle(const char* raw, bool demangle) {
  if (!raw) return {};
  std::string name = raw;
  if (const auto version = name.find("@@"); version != std::string::npos && version > 0) name.resize(version);
  if (!demangle || name.compare(0, 2, "_Z") != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
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

// The cache of inflated debug files (debug_cache.h); "" for none. Process-wide: libdwfl's
// find_debuginfo callback gets no pointer of ours.
std::string& DebugCacheDir() {
  static std::string dir;
  return dir;
}

// The cached uncompressed copy of the module's debug file when there is one; else libdwfl's
// standard search (build-id, debuglink, debuginfo_path), and a cached copy made of what it found
// for the next run (libdwfl keeps the Elf of the file it found for build-id validation, so the
// copy cannot replace it in this one).
int FindDebuginfo(Dwfl_Module* mod, void** userdata, const char* modname, Dwarf_Addr base, const char* file_name,
                  const char* debuglink_file, GElf_Word debuglink_crc, char** debuginfo_file_name) {
  std::string build_id;
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  if (const int size = dwfl_module_build_id(mod, &bits, &vaddr); size > 0 && !DebugCacheDir().empty()) {
    build_id = elf::HexBytes(elf::Bytes(bits, static_cast<std::size_t>(size)));
    if (auto cached = CachedDebugFile(build_id, DebugCacheDir())) {
      const int fd = ::open(cached->c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        *debuginfo_file_name = ::strdup(cached->c_str());
        return fd;
      }
    }
  }
  const int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                              debuglink_crc, debuginfo_file_name);
  if (fd >= 0 && *debuginfo_file_name && !build_id.empty()) {
    UncompressedDebugFile(*debuginfo_file_name, build_id, DebugCacheDir());
  }
  return fd;
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

// The DIE that declares a function: an inlined or out-of-line instance points at its abstract
// origin, and a member function's definition at its declaration inside the class.
Dwarf_Die DeclarationOf(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&die, DW_AT_abstract_origin, &attr) || dwarf_attr(&die, DW_AT_specification, &attr)) &&
        dwarf_formref_die(&attr, &next)) {
      die = next;
    } else {
      break;
    }
  }
  return die;
}

// "ns::Class<T>::name": the DWARF name qualified by its enclosing namespaces and named classes,
// up to the first function scope (a local class, such as a lambda's, adds no prefix).
std::optional<std::string> QualifiedName(Dwarf_Die* die) {
  Dwarf_Die decl = DeclarationOf(*die);
  const char* name = dwarf_diename(&decl);
  if (!name) return std::nullopt;
  std::string qualified = name;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&decl, &scopes);
  bool in_class = false;
  for (int k = 1; k < n; ++k) {
    const int tag = dwarf_tag(&scopes[k]);
    const char* scope = dwarf_diename(&scopes[k]);
    if (tag == DW_TAG_namespace) {
      qualified = std::string(scope ? scope : "(anonymous namespace)") + "::" + qualified;
    } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
      if (!scope) break;  // GCC's lambdas: an unnamed local class adds nothing
      qualified = std::string(scope) + "::" + qualified;
      in_class = true;
    } else if (tag == DW_TAG_subprogram && in_class && scope) {
      qualified = std::string(scope) + "::" + qualified;  // a named local class (clang's main::$_0)
      in_class = false;
    } else {
      break;  // a function, a lexical block or the compile unit
    }
  }
  std::free(scopes);
  return qualified;
}

// A function's name from DWARF: its demangled linkage name when it has one (with parameter
// types, as the symbol table names it), else its qualified source name.
// The function's linkage (mangled) name, following abstract origins and specifications.
const char* LinkageName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int code : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, code, &attr)) {
      if (const char* name = dwarf_formstring(&attr)) return name;
    }
  }
  return nullptr;
}

std::optional<std::string> DieName(Dwarf_Die* die, bool demangle) {
  if (const char* name = LinkageName(die)) return Demangle(name, demangle);
  return QualifiedName(die);
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

// An inlined call's name, as gdb prints it: the linkage name demangled without its signature,
// else the qualified DWARF name.
std::optional<std::string> InlinedName(Dwarf_Die* die, bool demangle) {
  if (const char* name = LinkageName(die)) {
    return demangle && std::strncmp(name, "_Z", 2) == 0 ? WithoutSignature(Demangle(name, true)) : std::string(name);
  }
  return QualifiedName(die);
}

// Deeper inline nesting than this is taken as damaged DWARF.
constexpr int kMaxInlineDepth = 64;

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


// The length of an x86 `call` through ModRM (opcode FF /2) whose ModRM byte is `modrm`, or 0
// when it is not one: register, [reg], [reg+disp8], [reg+disp32], [rip+disp32] and SIB forms.
unsigned X86IndirectCallLength(std::uint8_t modrm, std::uint8_t sib) {
  if (((modrm >> 3) & 7) != 2) return 0;
  const unsigned mod = modrm >> 6, rm = modrm & 7;
  switch (mod) {
    case 3: return 2;
    case 0:
      if (rm == 4) return (sib & 7) == 5 ? 7 : 3;
      return rm == 5 ? 6 : 2;
    case 1: return rm == 4 ? 4 : 3;
    default: return rm == 4 ? 7 : 6;
  }
}

bool InCode(const Session& s, std::uint64_t address) {
  auto it = std::upper_bound(s.code_ranges.begin(), s.code_ranges.end(), address,
                             [](std::uint64_t a, const auto& r) { return a < r.first; });
  return it != s.code_ranges.begin() && address < std::prev(it)->second;
}

// Whether `address` can be a return address: it is in executable memory right after a call
// instruction. What lets a stack scan tell return addresses from other words on the stack.
bool IsReturnAddress(Session& s, std::uint64_t address) {
  if (address < 8 || !InCode(s, address - 1)) return false;
  std::uint8_t before[8] = {};
  const std::uint64_t from = address - sizeof before;
  auto got = s.target->ReadSome(from, before);
  if (!got || *got != sizeof before) return false;
  const auto at = [&](unsigned back) { return before[sizeof before - back]; };  // byte at address-back
  switch (s.target->abi().arch) {
    case elf::Arch::kX86_64:
    case elf::Arch::kI386:
      if (at(5) == 0xe8) return true;  // call rel32
      for (unsigned len = 2; len <= 7; ++len) {
        if (at(len) == 0xff && X86IndirectCallLength(at(len - 1), len >= 3 ? at(len - 2) : 0) == len) return true;
      }
      return false;
    case elf::Arch::kAarch64: {
      const std::uint32_t insn = static_cast<std::uint32_t>(at(4)) | static_cast<std::uint32_t>(at(3)) << 8 |
                                 static_cast<std::uint32_t>(at(2)) << 16 | static_cast<std::uint32_t>(at(1)) << 24;
      return (insn & 0xfc000000u) == 0x94000000u || (insn & 0xfffffc1fu) == 0xd63f0000u;  // bl, blr
    }
    default:
      return false;  // no call decoder for this machine: no scanning
  }
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


// The psABI's integer argument registers in DWARF numbering, in argument order.
std::vector<unsigned> ArgumentRegisters(elf::Arch arch) {
  switch (arch) {
    case elf::Arch::kX86_64: return {5, 4, 1, 2, 8, 9};  // rdi rsi rdx rcx r8 r9
    case elf::Arch::kAarch64: return {0, 1, 2, 3, 4, 5, 6, 7};
    case elf::Arch::kArm: return {0, 1, 2, 3};
    default: return {};  // i386 passes arguments on the stack
  }
}

// Evaluates a call site's DW_AT_call_value: the small expressions compilers emit there
// (addresses, constants, a callee-saved register plus an offset, and DW_OP_entry_value of a
// register: the caller's own argument, through `entry`). nullopt for anything else.
std::optional<std::uint64_t> EvaluateCallValue(const Dwarf_Op* ops, std::size_t n, Dwarf_Addr bias,
                                               const std::vector<std::pair<unsigned, std::uint64_t>>& registers,
                                               Dwarf_Attribute* value_attr,
                                               const std::function<std::optional<std::uint64_t>(unsigned)>& entry) {
  std::vector<std::uint64_t> stack;
  for (std::size_t i = 0; i < n; ++i) {
    const Dwarf_Op& op = ops[i];
    if (op.atom == DW_OP_entry_value || op.atom == DW_OP_GNU_entry_value) {
      Dwarf_Attribute inner;
      Dwarf_Op* block = nullptr;
      std::size_t nblock = 0;
      if (!value_attr || dwarf_getlocation_attr(value_attr, &op, &inner) != 0 ||
          dwarf_getlocation(&inner, &block, &nblock) != 0 || nblock != 1) {
        return std::nullopt;
      }
      std::optional<std::uint64_t> v;
      if (block[0].atom >= DW_OP_reg0 && block[0].atom <= DW_OP_reg31) v = entry(block[0].atom - DW_OP_reg0);
      if (block[0].atom == DW_OP_regx) v = entry(static_cast<unsigned>(block[0].number));
      if (!v) return std::nullopt;
      stack.push_back(*v);
    } else if (op.atom == DW_OP_addr) {
      stack.push_back(op.number + bias);
    } else if (op.atom >= DW_OP_lit0 && op.atom <= DW_OP_lit31) {
      stack.push_back(op.atom - DW_OP_lit0);
    } else if ((op.atom >= DW_OP_const1u && op.atom <= DW_OP_consts) ) {
      stack.push_back(op.number);
    } else if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) {
      const unsigned regno = op.atom - DW_OP_breg0;
      auto r = std::find_if(registers.begin(), registers.end(), [regno](const auto& x) { return x.first == regno; });
      if (r == registers.end()) return std::nullopt;
      stack.push_back(r->second + static_cast<std::uint64_t>(static_cast<std::int64_t>(op.number)));
    } else if (op.atom == DW_OP_plus_uconst && !stack.empty()) {
      stack.back() += op.number;
    } else if (op.atom == DW_OP_stack_value) {
      continue;
    } else {
      return std::nullopt;
    }
  }
  if (stack.size() != 1) return std::nullopt;
  return stack.back();
}

// The DW_TAG_call_site (or GCC's DW_TAG_GNU_call_site) under `scope` whose return address is
// `return_pc` (module-relative). Searches nested blocks and inlined calls, boundedly.
std::optional<Dwarf_Die> FindCallSite(Dwarf_Die* scope, Dwarf_Addr return_pc, int& budget) {
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return std::nullopt;
  do {
    if (--budget < 0) return std::nullopt;
    const int tag = dwarf_tag(&child);
    if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
      Dwarf_Attribute attr;
      Dwarf_Addr pc = 0;
      if ((dwarf_attr(&child, DW_AT_call_return_pc, &attr) || dwarf_attr(&child, DW_AT_low_pc, &attr)) &&
          dwarf_formaddr(&attr, &pc) == 0 && pc == return_pc) {
        return child;
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      if (auto found = FindCallSite(&child, return_pc, budget)) return found;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return std::nullopt;
}

// Every other named, defined symbol of `sym`'s type that starts at `start` (its aliases:
// __clone3 / clone3, __libc_pause / pause); `visit(symbol, name)` returns false to stop.
template <typename Visit>
void ForEachAlias(Dwfl_Module* mod, GElf_Addr start, const GElf_Sym& sym, Visit visit) {
  const int count = dwfl_module_getsymtab(mod);
  for (int i = 1; i < count; ++i) {
    GElf_Sym other;
    GElf_Addr other_address = 0;
    const char* other_name = dwfl_module_getsym_info(mod, i, &other, &other_address, nullptr, nullptr, nullptr);
    if (!other_name || other_address != start || other.st_shndx == SHN_UNDEF || *other_name == '\0') continue;
    if (GELF_ST_TYPE(other.st_info) != GELF_ST_TYPE(sym.st_info)) continue;
    if (!visit(other, other_name)) return;
  }
}

// The concrete function (DW_TAG_subprogram) whose code holds `address`, with its module's bias.
// dwarf_getscopes leaves an inlined call for its abstract origin, so the function is found among
// the innermost scope's own parents.
std::optional<Dwarf_Die> FunctionAt(Session& s, Dwarf_Addr address, Dwarf_Addr* bias) {
  Dwfl_Module* mod = dwfl_addrmodule(s.dwfl, address);
  Dwarf_Die cu_storage;
  Dwarf_Die* cu = mod ? FindCu(s, mod, address, &cu_storage, bias) : nullptr;
  if (!cu) return std::nullopt;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes(cu, address - *bias, &scopes);
  std::optional<Dwarf_Die> innermost;
  if (n > 0) innermost = scopes[0];
  std::free(scopes);
  if (!innermost) return std::nullopt;
  Dwarf_Die* parents = nullptr;
  const int m = dwarf_getscopes_die(&*innermost, &parents);
  std::optional<Dwarf_Die> function;
  for (int k = 0; k < m && !function; ++k) {
    if (dwarf_tag(&parents[k]) == DW_TAG_subprogram) function = parents[k];
  }
  std::free(parents);
  return function;
}

// The call sites under `scope` that are tail calls (DW_AT_call_tail_call), through nested
// blocks and inlined calls, boundedly.
void TailCallSites(Dwarf_Die* scope, std::vector<Dwarf_Die>& sites, int& budget) {
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return;
  do {
    if (--budget < 0) return;
    const int tag = dwarf_tag(&child);
    if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
      Dwarf_Attribute attr;
      bool tail = false;
      if ((dwarf_attr(&child, DW_AT_call_tail_call, &attr) || dwarf_attr(&child, DW_AT_GNU_tail_call, &attr)) &&
          dwarf_formflag(&attr, &tail) == 0 && tail) {
        sites.push_back(child);
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      TailCallSites(&child, sites, budget);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

// A call site's return address (for a tail call: the address after the jump), runtime.
std::optional<Dwarf_Addr> CallSiteReturnPc(Dwarf_Die* site, Dwarf_Addr bias) {
  Dwarf_Attribute attr;
  Dwarf_Addr pc = 0;
  if ((dwarf_attr(site, DW_AT_call_return_pc, &attr) || dwarf_attr(site, DW_AT_low_pc, &attr)) && dwarf_formaddr(&attr, &pc) == 0) {
    return pc + bias;
  }
  return std::nullopt;
}

// How far a stack scan looks above a frame's stack pointer for the next return address.
constexpr unsigned kScanWords = 1024;

struct ScanHit {
  Dwarf_Addr pc;
  Dwarf_Word sp;  // the caller's stack pointer: just above the slot the address was found in
};

// Breakpad's last resort where neither CFI nor frame pointers lead on: the first word above sp
// that is a return address.
std::optional<ScanHit> ScanStack(Session& s, Dwarf_Word sp) {
  for (unsigned i = 0; i < kScanWords; ++i) {
    const std::uint64_t slot = sp + std::uint64_t{i} * s.word;
    auto word = s.target->ReadWord(slot, s.word);
    if (!word) return std::nullopt;  // the end of the stack's readable memory
    if (IsReturnAddress(s, *word)) return ScanHit{*word, slot + s.word};
  }
  return std::nullopt;
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
  s.callbacks.find_debuginfo = FindDebuginfo;
  DebugCacheDir() = u->options_.cache_dir;
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

std::optional<Unwinder::SymbolMatch> Unwinder::FindSymbol(const std::string& name) {
  struct Search {
    const std::string* name;
    std::optional<SymbolMatch> found;
    std::optional<SymbolMatch> fallback;  // an old symbol version
  } search{&name, std::nullopt, std::nullopt};
  auto visit = [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) -> int {
    auto* s = static_cast<Search*>(arg);
    const int count = dwfl_module_getsymtab(mod);
    for (int i = 1; i < count; ++i) {
      GElf_Sym sym;
      GElf_Addr address = 0;
      const char* symbol = dwfl_module_getsym_info(mod, i, &sym, &address, nullptr, nullptr, nullptr);
      if (!symbol || sym.st_shndx == SHN_UNDEF) continue;
      // A debug file's .symtab names versioned symbols: "name@@GLIBC_2.34" is the default
      // version (as good as the bare name), "name@GLIBC_2.2.5" an old one (only if nothing else).
      const std::string_view text(symbol);
      const std::size_t at = text.find('@');
      if (text.substr(0, at) != *s->name) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      const SymbolMatch match{address, type == STT_FUNC || type == STT_GNU_IFUNC};
      if (at == std::string_view::npos || text.substr(at, 2) == "@@") {
        s->found = match;
        return DWARF_CB_ABORT;
      }
      if (!s->fallback) s->fallback = match;
    }
    return DWARF_CB_OK;
  };
  dwfl_getmodules(session_->dwfl, visit, &search, 0);
  return search.found ? search.found : search.fallback;
}

std::optional<std::uint64_t> Unwinder::SymbolAddress(const std::string& name) {
  const auto match = FindSymbol(name);
  return match ? std::optional<std::uint64_t>(match->address) : std::nullopt;
}

std::optional<std::uint64_t> Unwinder::CallArgument(const Frame& caller, unsigned index) {
  const std::vector<unsigned> argument_registers = ArgumentRegisters(target_->abi().arch);
  if (index >= argument_registers.size()) return std::nullopt;
  return CallSiteValue(std::span<const Frame>(&caller, 1), argument_registers[index], std::nullopt);
}

std::optional<std::uint64_t> Unwinder::CallTarget(void* site_die, std::uint64_t bias) {
  Dwarf_Die* site = static_cast<Dwarf_Die*>(site_die);
  Dwarf_Attribute attr;
  Dwarf_Die origin;
  if (!(dwarf_attr(site, DW_AT_call_origin, &attr) || dwarf_attr(site, DW_AT_abstract_origin, &attr)) ||
      !dwarf_formref_die(&attr, &origin)) {
    return std::nullopt;  // an indirect call (DW_AT_call_target): not followed
  }
  Dwarf_Addr low = 0;
  if (dwarf_lowpc(&origin, &low) == 0) return low + bias;
  // A declaration (the callee is in another unit or object): its symbol.
  const char* name = LinkageName(&origin);
  if (!name) name = dwarf_formstring(dwarf_attr_integrate(&origin, DW_AT_name, &attr));
  return name ? SymbolAddress(name) : std::nullopt;
}

std::vector<std::uint64_t> Unwinder::TailCallPcs(std::uint64_t callee_lookup, std::uint64_t caller_pc) {
  Session& s = *session_;
  const auto callee = SymbolBounds(callee_lookup);
  Dwarf_Addr bias = 0;
  std::optional<Dwarf_Die> caller = FunctionAt(s, caller_pc - 1, &bias);
  if (!callee || !caller) return {};
  int budget = 100000;
  std::optional<Dwarf_Die> site = FindCallSite(&*caller, caller_pc - bias, budget);
  const auto first = site ? CallTarget(&*site, bias) : std::nullopt;
  if (!first || *first == callee->first) return {};
  // Every chain of tail calls from the function the caller called to the callee; gdb's rule:
  // frames only where the chain is certain (here: exactly one chain, at most 5 calls long).
  std::vector<std::vector<std::uint64_t>> chains;
  std::vector<std::uint64_t> path, visited;
  std::function<void(Dwarf_Addr, int)> walk = [&](Dwarf_Addr function_entry, int depth) {
    if (depth > 5 || chains.size() > 1 || std::find(visited.begin(), visited.end(), function_entry) != visited.end()) return;
    visited.push_back(function_entry);
    Dwarf_Addr function_bias = 0;
    std::optional<Dwarf_Die> function = FunctionAt(s, function_entry, &function_bias);
    if (!function) return;
    std::vector<Dwarf_Die> sites;
    TailCallSites(&*function, sites, budget);
    for (Dwarf_Die& tail : sites) {
      const auto target = CallTarget(&tail, function_bias);
      const auto pc = CallSiteReturnPc(&tail, function_bias);
      if (!target || !pc) continue;
      path.push_back(*pc);
      if (*target == callee->first) {
        chains.push_back(path);
      } else {
        walk(*target, depth + 1);
      }
      path.pop_back();
    }
    visited.pop_back();
  };
  walk(*first, 0);
  if (chains.size() != 1) return {};
  return {chains[0].rbegin(), chains[0].rend()};  // innermost first
}

std::optional<std::uint64_t> Unwinder::CallSiteValue(std::span<const Frame> callers, unsigned register_number,
                                                     std::optional<std::uint64_t> callee, int depth) {
  if (callers.empty() || depth > 8) return std::nullopt;
  const Frame& caller = callers.front();
  if (caller.how == "initial" || caller.pc == 0) return std::nullopt;
  Session& s = *session_;
  Dwarf_Addr bias = 0;
  std::optional<Dwarf_Die> function = FunctionAt(s, caller.pc - 1, &bias);
  if (!function) return std::nullopt;
  int budget = 100000;
  std::optional<Dwarf_Die> site = FindCallSite(&*function, caller.pc - bias, budget);
  if (!site) return std::nullopt;
  // Only a call to the callee itself (a tail call in between would make its values another
  // function's): the call site's target is the callee's entry, as gdb checks it.
  if (callee && CallTarget(&*site, bias) != callee) return std::nullopt;
  Dwarf_Die parameter;
  if (dwarf_child(&*site, &parameter) != 0) return std::nullopt;
  do {
    const int tag = dwarf_tag(&parameter);
    if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter) continue;
    Dwarf_Attribute location, value;
    Dwarf_Op* where = nullptr;
    std::size_t nwhere = 0;
    if (!dwarf_attr(&parameter, DW_AT_location, &location) || dwarf_getlocation(&location, &where, &nwhere) != 0 ||
        nwhere != 1) {
      continue;
    }
    unsigned regno = ~0u;
    if (where[0].atom >= DW_OP_reg0 && where[0].atom <= DW_OP_reg31) regno = where[0].atom - DW_OP_reg0;
    if (where[0].atom == DW_OP_regx) regno = static_cast<unsigned>(where[0].number);
    if (regno != register_number) continue;
    Dwarf_Op* ops = nullptr;
    std::size_t nops = 0;
    if ((dwarf_attr(&parameter, DW_AT_call_value, &value) || dwarf_attr(&parameter, DW_AT_GNU_call_site_value, &value)) &&
        dwarf_getlocation(&value, &ops, &nops) == 0) {
      // A value the caller passed on from its own entry: from its caller's call site, in turn.
      auto entry = [&](unsigned regno) -> std::optional<std::uint64_t> {
        std::size_t next = 0;  // past the caller's own inlined frames, to the frame it returns to
        while (next < callers.size() && callers[next].inlined) ++next;
        Dwarf_Addr caller_entry = 0;
        if (next + 1 >= callers.size() || dwarf_lowpc(&*function, &caller_entry) != 0) return std::nullopt;
        return CallSiteValue(callers.subspan(next + 1), regno, caller_entry + bias, depth + 1);
      };
      return EvaluateCallValue(ops, nops, bias, caller.registers, &value, entry);
    }
  } while (dwarf_siblingof(&parameter, &parameter) == 0);
  return std::nullopt;
}

std::string_view Unwinder::RegisterName(unsigned dwarf_regno) const {
  const auto& names = session_->dwarf_registers;
  return dwarf_regno < names.size() ? std::string_view(names[dwarf_regno]) : std::string_view();
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> Unwinder::SymbolBounds(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  GElf_Off offset = 0;
  GElf_Sym sym;
  if (!mod || !dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr)) return std::nullopt;
  return std::make_pair(address - offset, static_cast<std::uint64_t>(sym.st_size));
}

std::optional<std::string> Unwinder::MinimalSymbolName(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = mod ? dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr) : nullptr;
  if (!name) return std::nullopt;
  ForEachAlias(mod, address - offset, sym, [&](const GElf_Sym&, const char* other) {
    if (std::strcmp(other, name) > 0) name = other;
    return true;
  });
  return Demangle(name, options_.demangle);
}

std::optional<std::string> Unwinder::SectionOf(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  if (!mod) return std::nullopt;
  Dwarf_Addr relative = address;
  Dwarf_Addr bias = 0;
  Elf_Scn* section = dwfl_module_address_section(mod, &relative, &bias);
  Elf* elf = section ? dwfl_module_getelf(mod, &bias) : nullptr;
  std::size_t names = 0;
  GElf_Shdr header;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0 || !gelf_getshdr(section, &header)) return std::nullopt;
  const char* name = elf_strptr(elf, names, header.sh_name);
  return name ? std::optional<std::string>(name) : std::nullopt;
}

bool Unwinder::IsLineStart(std::uint64_t pc) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, pc);
  if (!mod) return false;
  Dwarf_Addr bias = 0;
  Dwarf_Die storage;
  Dwarf_Die* cu = FindCu(*session_, mod, pc, &storage, &bias);
  Dwarf_Lines* lines = nullptr;
  std::size_t count = 0;
  if (!cu || dwarf_getsrclines(cu, &lines, &count) != 0) return false;
  // As gdb decides whether a frame's pc starts its line: some row at exactly this address marks a
  // statement boundary (is_stmt) — among the rows gdb keeps: it drops a row repeating the line
  // before it once that line has had a non-zero discriminator (gdb's fix for its PR 17276).
  int last_line = -1;
  const char* last_file = nullptr;
  bool discriminated = false;
  for (std::size_t i = 0; i < count; ++i) {
    Dwarf_Line* row = dwarf_onesrcline(lines, i);
    Dwarf_Addr address = 0;
    int line = 0;
    unsigned discriminator = 0;
    bool statement = false;
    if (!row || dwarf_lineaddr(row, &address) != 0 || dwarf_lineno(row, &line) != 0) continue;
    dwarf_linediscriminator(row, &discriminator);
    const char* file = dwarf_linesrc(row, nullptr, nullptr);
    const bool new_line = line != last_line || file != last_file;
    discriminated = new_line ? discriminator != 0 : (discriminated || discriminator != 0);
    const bool kept = new_line || !discriminated;
    last_line = line;
    last_file = file;
    if (kept && address + bias == pc && dwarf_linebeginstatement(row, &statement) == 0 && statement) return true;
  }
  return false;
}

std::optional<std::pair<std::string, std::uint64_t>> Unwinder::SymbolAt(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  if (!mod) return std::nullopt;
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr);
  if (!name) return std::nullopt;
  // Of several names for one address, gdb shows a global one, else a local one, before a weak
  // alias (<__libc_pause+50>, not <pause+50>).
  auto rank = [](const GElf_Sym& s) {
    const int bind = GELF_ST_BIND(s.st_info);
    return bind == STB_GLOBAL ? 3 : bind == STB_LOCAL ? 2 : bind == STB_WEAK ? 1 : 0;
  };
  int best = rank(sym);
  ForEachAlias(mod, address - offset, sym, [&](const GElf_Sym& other, const char* other_name) {
    if (rank(other) > best) {
      best = rank(other);
      name = other_name;
    }
    return best < 3;  // a global name is as good as it gets
  });
  return std::make_pair(Demangle(name, options_.demangle), static_cast<std::uint64_t>(offset));
}

// The frames one pc stands for: the function containing it and, innermost first, the calls
// inlined there; with module, offset, file and line. `lookup` is the address looked up (pc - 1
// for a return address). The physical frame's `how` is left empty for the caller to fill, unless
// it is the kernel's signal trampoline.
std::vector<Frame> Unwinder::Symbolize(std::uint64_t pc, std::uint64_t lookup) {
  Session& s = *session_;
  const Dwarf_Addr raw_pc = pc;
  Dwfl_Module* mod = dwfl_addrmodule(s.dwfl, lookup);
  Frame base;
  base.pc = pc;
  base.lookup = lookup;
  // The kernel's signal trampoline, between a handler and the code the signal interrupted.
  if (mod && CfiAt(mod, lookup).signal_frame) base.how = "signal-trampoline";
  if (mod) {
    const char* name = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    base.module = name ? name : "";
    GElf_Off offset = 0;
    GElf_Sym sym;
    if (const char* symbol = dwfl_module_addrinfo(mod, lookup, &offset, &sym, nullptr, nullptr, nullptr)) {
      base.function = Demangle(symbol, options_.demangle);
      base.offset = offset + (raw_pc - lookup);
    }
    Dwarf_Addr bias = 0;
    Dwarf_Die cu_storage;
    Dwarf_Die* cudie = FindCu(s, mod, lookup, &cu_storage, &bias);
    if (cudie) {
      Dwarf_Attribute attr;
      if (const char* dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr))) base.comp_dir = dir;
    }
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
    // Assembler sources name one address several times (gas: __clone3, __GI___clone3, clone3);
    // gdb takes the last of the subprograms that start there, and so do we.
    Dwarf_Addr start = 0;
    if (current && dwarf_tag(&*current) == DW_TAG_subprogram && dwarf_lowpc(&*current, &start) == 0) {
      Dwarf_Die next = *current;
      for (int hops = 0; hops < 16 && dwarf_siblingof(&next, &next) == 0; ++hops) {
        Dwarf_Addr next_start = 0;
        if (dwarf_tag(&next) != DW_TAG_subprogram || dwarf_lowpc(&next, &next_start) != 0 || next_start != start) break;
        current = next;
      }
    }
    for (int depth = 0; current && depth < kMaxInlineDepth; ++depth) {
      const int tag = dwarf_tag(&*current);
      Frame f = base;
      f.inlined = tag == DW_TAG_inlined_subroutine;
      // As gdb names them: a physical frame by its linkage name (with parameter types), an
      // inlined call by its qualified name alone.
      if (auto name = f.inlined ? InlinedName(&*current, options_.demangle) : DieName(&*current, options_.demangle)) {
        f.function = name;
      }
      f.file = file;
      f.line = line;
      if (f.inlined) f.how = "inline";
      f.inline_depth = static_cast<unsigned>(depth);
      f.dwarf_function = true;
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
      }
      return expanded;
    }
  }
  return {base};
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

}  // namespace corekit::unwind

namespace corekit::unwind {

std::string WithoutSignature(std::string name) {
  // The parameter list: the last top-level "(...)", with whatever qualifiers follow it.
  int depth = 0;
  for (std::size_t i = name.size(); i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) {
      if (i >= 8 && name.compare(i - 8, 8, "operator") == 0) break;  // "operator()" itself
      name.resize(i);
      break;
    }
  }
  // A return type: everything up to the last space outside <> and (), unless it is an operator's.
  int angle = 0, paren = 0;
  std::size_t cut = std::string::npos;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<') ++angle;
    if (c == '>') --angle;
    if (c == '(') ++paren;
    if (c == ')') --paren;
    if (c == ' ' && angle == 0 && paren == 0 && !(i >= 8 && name.compare(i - 8, 8, "operator") == 0)) cut = i;
  }
  if (cut != std::string::npos) name.erase(0, cut + 1);
  return name;
}

Dwfl* DwarfAccess::Session(Unwinder& unwinder) { return unwinder.session_->dwfl; }

Dwarf_Die* DwarfAccess::CompileUnitAt(Unwinder& unwinder, Dwfl_Module* module, std::uint64_t address,
                                      Dwarf_Die* storage, Dwarf_Addr* bias) {
  return FindCu(*unwinder.session_, module, address, storage, bias);
}

}  // namespace corekit::unwind
