#include "corekit/elf/abi.h"

#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

#include "corekit/elf/constants.h"
#include "corekit/elf/elf_file.h"
#include "corekit/elf/notes.h"

namespace corekit::elf {

std::string NumberedName(std::string_view prefix, std::size_t number) {
  std::string name(prefix);
  name.append(std::to_string(number));
  return name;
}

namespace {

constexpr std::uint32_t EF_MIPS_ABI2 = 0x20;

Os OsFromOwner(std::string_view owner) {
  if (owner == "CORE" || owner == "LINUX") return Os::kLinux;
  if (owner == "FreeBSD") return Os::kFreeBSD;
  if (owner.substr(0, 11) == "NetBSD-CORE") return Os::kNetBSD;
  if (owner.substr(0, 7) == "OpenBSD") return Os::kOpenBSD;
  if (owner.substr(0, 6) == "Zircon") return Os::kZircon;
  return Os::kUnknown;
}

// Builds a layout from runs of consecutive registers.
class LayoutBuilder {
 public:
  LayoutBuilder& Add(std::string name, unsigned width) {
    layout_.registers.push_back({std::move(name), offset_, width});
    offset_ += width;
    return *this;
  }
  LayoutBuilder& Names(std::initializer_list<const char*> names, unsigned width) {
    for (const char* name : names) Add(name, width);
    return *this;
  }
  LayoutBuilder& Numbered(const std::string& prefix, int first, int last, unsigned width) {
    for (int i = first; i <= last; ++i) Add(NumberedName(prefix, i), width);
    return *this;
  }
  LayoutBuilder& Skip(unsigned bytes) {
    offset_ += bytes;
    return *this;
  }
  LayoutBuilder& Alias(std::string alias, std::string name) {
    layout_.aliases.emplace_back(std::move(alias), std::move(name));
    return *this;
  }
  RegisterLayout Build(std::string_view pc, std::string_view sp) {
    for (std::size_t i = 0; i < layout_.registers.size(); ++i) {
      if (layout_.registers[i].name == pc) layout_.pc = static_cast<int>(i);
      if (layout_.registers[i].name == sp) layout_.sp = static_cast<int>(i);
    }
    return std::move(layout_);
  }

 private:
  RegisterLayout layout_;
  unsigned offset_ = 0;
};

RegisterLayout LinuxX86_64() {
  return LayoutBuilder()
      .Names({"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
              "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "rflags", "rsp", "ss", "fs.base",
              "gs.base", "ds", "es", "fs", "gs"},
             8)
      .Alias("eflags", "rflags").Alias("pc", "rip").Alias("sp", "rsp").Alias("fp", "rbp")
      .Alias("fs_base", "fs.base").Alias("gs_base", "gs.base")
      .Build("rip", "rsp");
}

RegisterLayout LinuxI386() {
  return LayoutBuilder()
      .Names({"ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs", "orig_eax",
              "eip", "cs", "eflags", "esp", "ss"},
             4)
      .Alias("pc", "eip").Alias("sp", "esp").Alias("fp", "ebp")
      .Build("eip", "esp");
}

RegisterLayout LinuxAarch64() {
  return LayoutBuilder()
      .Numbered("x", 0, 30, 8)
      .Names({"sp", "pc", "pstate"}, 8)
      .Alias("fp", "x29").Alias("lr", "x30").Alias("cpsr", "pstate")
      .Build("pc", "sp");
}

RegisterLayout LinuxArm() {
  return LayoutBuilder()
      .Numbered("r", 0, 12, 4)
      .Names({"sp", "lr", "pc", "spsr", "orig_r0"}, 4)
      .Alias("cpsr", "spsr").Alias("r13", "sp").Alias("r14", "lr").Alias("r15", "pc")
      .Alias("fp", "r11").Alias("ip", "r12")
      .Build("pc", "sp");
}

RegisterLayout LinuxRiscv64() {
  return LayoutBuilder()
      .Names({"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
              "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
              "t3", "t4", "t5", "t6"},
             8)
      .Alias("fp", "s0").Alias("x1", "ra").Alias("x2", "sp")
      .Build("pc", "sp");
}

RegisterLayout LinuxM68k() {
  // struct user_regs_struct: 17 longs, then short stkadj, short sr, long pc, short fmtvec.
  return LayoutBuilder()
      .Names({"d1", "d2", "d3", "d4", "d5", "d6", "d7", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
              "d0", "a7", "orig_d0"},
             4)
      .Add("stkadj", 2).Add("sr", 2).Add("pc", 4).Add("fmtvec", 2)
      .Alias("sp", "a7").Alias("usp", "a7").Alias("fp", "a6")
      .Build("pc", "a7");
}

RegisterLayout LinuxS390(bool is64) {
  const unsigned w = is64 ? 8 : 4;
  return LayoutBuilder()
      .Names({"pswm", "pswa"}, w)
      .Numbered("r", 0, 15, w)
      .Numbered("a", 0, 15, 4)
      .Add("orig_r2", w)
      .Alias("pc", "pswa").Alias("sp", "r15")
      .Build("pswa", "r15");
}

RegisterLayout LinuxPpc(unsigned w) {
  return LayoutBuilder()
      .Numbered("r", 0, 31, w)
      .Names({"nip", "msr", "orig_r3", "ctr", "lr", "xer", "ccr", "softe", "trap", "dar", "dsisr",
              "result"},
             w)
      .Alias("pc", "nip").Alias("sp", "r1").Alias("cr", "ccr")
      .Build("nip", "r1");
}

RegisterLayout LinuxMips(unsigned w) {
  return LayoutBuilder()
      .Skip(6 * w)  // EF_R0 is 6: the first six slots are padding
      .Numbered("r", 0, 31, w)
      .Names({"lo", "hi", "pc", "badvaddr", "status", "cause"}, w)
      .Alias("zero", "r0").Alias("sp", "r29").Alias("fp", "r30").Alias("ra", "r31")
      .Alias("epc", "pc")
      .Build("pc", "r29");
}

RegisterLayout LinuxSparc64() {
  return LayoutBuilder()
      .Numbered("g", 0, 7, 8).Numbered("o", 0, 7, 8).Numbered("l", 0, 7, 8).Numbered("i", 0, 7, 8)
      .Names({"tstate", "pc", "npc", "y"}, 8)
      .Alias("sp", "o6").Alias("fp", "i6").Alias("tpc", "pc").Alias("tnpc", "npc")
      .Build("pc", "o6");
}

RegisterLayout LinuxAlpha() {
  return LayoutBuilder()
      .Numbered("r", 0, 30, 8)
      .Names({"pc", "unique"}, 8)
      .Alias("v0", "r0").Alias("ra", "r26").Alias("gp", "r29").Alias("sp", "r30")
      .Build("pc", "r30");
}

RegisterLayout LinuxHppa() {
  return LayoutBuilder()
      .Numbered("r", 0, 31, 4)
      .Numbered("sr", 0, 7, 4)
      .Names({"iaoq0", "iaoq1", "iasq0", "iasq1", "sar", "iir", "isr", "ior", "ipsw"}, 4)
      .Alias("pc", "iaoq0").Alias("sp", "r30").Alias("rp", "r2")
      .Build("iaoq0", "r30");
}

RegisterLayout LinuxLoongarch() {
  return LayoutBuilder()
      .Numbered("r", 0, 31, 8)
      .Names({"orig_a0", "pc", "badv"}, 8)
      .Alias("ra", "r1").Alias("tp", "r2").Alias("sp", "r3").Alias("fp", "r22").Alias("era", "pc")
      .Build("pc", "r3");
}

// FreeBSD amd64 struct reg.
RegisterLayout FreeBsdAmd64() {
  return LayoutBuilder()
      .Names({"r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rdi", "rsi", "rbp", "rbx",
              "rdx", "rcx", "rax"},
             8)
      .Add("trapno", 4).Add("fs", 2).Add("gs", 2).Add("err", 4).Add("es", 2).Add("ds", 2)
      .Names({"rip", "cs", "rflags", "rsp", "ss"}, 8)
      .Alias("pc", "rip").Alias("sp", "rsp").Alias("fp", "rbp")
      .Build("rip", "rsp");
}

// NetBSD amd64 struct reg (__gregs[26]).
RegisterLayout NetBsdAmd64() {
  return LayoutBuilder()
      .Names({"rdi", "rsi", "rdx", "rcx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
              "rbp", "rbx", "rax", "gs", "fs", "es", "ds", "trapno", "err", "rip", "cs", "rflags",
              "rsp", "ss"},
             8)
      .Alias("pc", "rip").Alias("sp", "rsp").Alias("fp", "rbp")
      .Build("rip", "rsp");
}

// NetBSD and FreeBSD aarch64 struct reg: x0..x30, sp, pc, spsr, then tpidr (NetBSD).
RegisterLayout BsdAarch64() {
  return LayoutBuilder()
      .Numbered("x", 0, 30, 8)
      .Names({"sp", "pc", "spsr", "tpidr"}, 8)
      .Alias("fp", "x29").Alias("lr", "x30")
      .Build("pc", "sp");
}

// OpenBSD sparc64 struct reg: tstate, pc, npc, y, then globals and outs.
RegisterLayout OpenBsdSparc64() {
  return LayoutBuilder()
      .Names({"tstate", "pc", "npc"}, 8)
      .Add("y", 4).Skip(4)
      .Numbered("g", 0, 7, 8).Numbered("o", 0, 7, 8)
      .Alias("sp", "o6")
      .Build("pc", "o6");
}

// Raw layouts are capped so that a lying note size cannot make one huge.
constexpr std::size_t kMaxRawRegisters = 512;

RegisterLayout Raw(unsigned width, std::size_t count) {
  LayoutBuilder builder;
  for (std::size_t i = 0; i < count; ++i) builder.Add(NumberedName("r", i), width);
  return builder.Build("", "");
}

// The named layout for this ABI, or nullopt when corekit only knows raw words for it.
std::optional<RegisterLayout> Named(const Abi& abi) {
  const bool x86_64_regs = abi.arch == Arch::kX86_64 || abi.arch == Arch::kX32 ||
                           (abi.arch == Arch::kI386 && abi.is64);
  switch (abi.os) {
    case Os::kFreeBSD:
      if (abi.arch == Arch::kX86_64) return FreeBsdAmd64();
      if (abi.arch == Arch::kAarch64) return BsdAarch64();
      return std::nullopt;
    case Os::kNetBSD:
      if (abi.arch == Arch::kX86_64) return NetBsdAmd64();
      if (abi.arch == Arch::kAarch64) return BsdAarch64();
      return std::nullopt;
    case Os::kOpenBSD:
      if (abi.arch == Arch::kSparc64) return OpenBsdSparc64();
      return std::nullopt;
    default:
      break;
  }
  if (x86_64_regs) return LinuxX86_64();
  switch (abi.arch) {
    case Arch::kI386: return LinuxI386();
    case Arch::kAarch64: return LinuxAarch64();
    case Arch::kArm: return LinuxArm();
    case Arch::kRiscv64: return LinuxRiscv64();
    case Arch::kM68k: return LinuxM68k();
    case Arch::kS390: return LinuxS390(false);
    case Arch::kS390x: return LinuxS390(true);
    case Arch::kPpc: return LinuxPpc(4);
    case Arch::kPpc64: return LinuxPpc(8);
    case Arch::kMipsO32: return LinuxMips(4);
    case Arch::kMipsN32:
    case Arch::kMips64: return LinuxMips(8);
    case Arch::kSparc64: return LinuxSparc64();
    case Arch::kAlpha: return LinuxAlpha();
    case Arch::kHppa: return LinuxHppa();
    case Arch::kLoongarch64: return LinuxLoongarch();
    default: return std::nullopt;
  }
}

}  // namespace

Abi DetectAbi(const ElfFile& elf, const std::vector<Note>& notes) {
  Abi abi;
  abi.is64 = elf.is64();
  abi.endian = elf.endian();
  abi.e_machine = elf.machine();
  for (const Note& note : notes) {
    abi.os = OsFromOwner(note.owner);
    if (abi.os != Os::kUnknown) break;
  }
  if (abi.os == Os::kUnknown) {
    switch (elf.osabi()) {
      case ELFOSABI_LINUX: abi.os = Os::kLinux; break;
      case ELFOSABI_FREEBSD: abi.os = Os::kFreeBSD; break;
      case ELFOSABI_NETBSD: abi.os = Os::kNetBSD; break;
      case ELFOSABI_OPENBSD: abi.os = Os::kOpenBSD; break;
      default: break;
    }
  }
  abi.long_size = abi.is64 ? 8 : 4;
  abi.reg_width = abi.long_size;
  switch (elf.machine()) {
    case EM_X86_64:
      abi.arch = abi.is64 ? Arch::kX86_64 : Arch::kX32;
      abi.reg_width = 8;
      break;
    case EM_386: abi.arch = Arch::kI386; break;
    case EM_AARCH64: abi.arch = Arch::kAarch64; break;
    case EM_ARM: abi.arch = Arch::kArm; break;
    case EM_PPC: abi.arch = Arch::kPpc; break;
    case EM_PPC64: abi.arch = Arch::kPpc64; break;
    case EM_S390: abi.arch = abi.is64 ? Arch::kS390x : Arch::kS390; break;
    case EM_MIPS:
      if (abi.is64) {
        abi.arch = Arch::kMips64;
      } else if (elf.flags() & EF_MIPS_ABI2) {
        abi.arch = Arch::kMipsN32;
        abi.reg_width = 8;
      } else {
        abi.arch = Arch::kMipsO32;
      }
      break;
    case EM_SPARC:
    case EM_SPARC32PLUS: abi.arch = Arch::kSparc; break;
    case EM_SPARCV9: abi.arch = Arch::kSparc64; break;
    case EM_68K: abi.arch = Arch::kM68k; break;
    case EM_RISCV: abi.arch = abi.is64 ? Arch::kRiscv64 : Arch::kRiscv32; break;
    case EM_ALPHA: abi.arch = Arch::kAlpha; break;
    case EM_PARISC: abi.arch = Arch::kHppa; break;
    case EM_LOONGARCH: abi.arch = Arch::kLoongarch64; break;
    default: break;
  }
  return abi;
}

std::string_view OsName(Os os) {
  switch (os) {
    case Os::kLinux: return "linux";
    case Os::kFreeBSD: return "freebsd";
    case Os::kNetBSD: return "netbsd";
    case Os::kOpenBSD: return "openbsd";
    case Os::kZircon: return "zircon";
    default: return "unknown";
  }
}

std::string_view ArchName(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kX32: return "x32";
    case Arch::kI386: return "i386";
    case Arch::kAarch64: return "aarch64";
    case Arch::kArm: return "arm";
    case Arch::kPpc: return "ppc";
    case Arch::kPpc64: return "ppc64";
    case Arch::kS390: return "s390";
    case Arch::kS390x: return "s390x";
    case Arch::kMipsO32: return "mips";
    case Arch::kMipsN32: return "mipsn32";
    case Arch::kMips64: return "mips64";
    case Arch::kSparc: return "sparc";
    case Arch::kSparc64: return "sparc64";
    case Arch::kM68k: return "m68k";
    case Arch::kRiscv32: return "riscv32";
    case Arch::kRiscv64: return "riscv64";
    case Arch::kAlpha: return "alpha";
    case Arch::kHppa: return "hppa";
    case Arch::kLoongarch64: return "loongarch64";
    default: return "unknown";
  }
}

const RegisterLayout& GeneralRegisterLayout(const Abi& abi, std::size_t size) {
  // Layouts are built once and kept: a core has many threads. The cache is bounded: one entry
  // per ABI, plus one per raw register count up to kMaxRawRegisters.
  static std::mutex mutex;
  static std::map<std::tuple<int, int, bool, unsigned, std::size_t>, RegisterLayout> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const auto named_key = std::make_tuple(static_cast<int>(abi.os), static_cast<int>(abi.arch),
                                         abi.is64, 0u, std::size_t{0});
  auto it = cache.find(named_key);
  if (it != cache.end()) return it->second;
  if (auto named = Named(abi)) return cache.emplace(named_key, std::move(*named)).first->second;
  const unsigned width = abi.reg_width ? abi.reg_width : 4;
  std::size_t count = size / width;
  if (count > kMaxRawRegisters) count = kMaxRawRegisters;
  const auto raw_key = std::make_tuple(-1, -1, false, width, count);
  it = cache.find(raw_key);
  if (it == cache.end()) it = cache.emplace(raw_key, Raw(width, count)).first;
  return it->second;
}

}  // namespace corekit::elf
