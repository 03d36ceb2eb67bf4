#include "corekit/elf/core_notes.h"

#include <algorithm>

#include "corekit/elf/constants.h"

namespace corekit::elf {
namespace {

Unexpected TooShort(std::string_view what, std::size_t size, std::uint64_t needed) {
  return Unexpected(Errc::kCorrupt, std::string(what) + " of " + std::to_string(size) +
                                        " bytes is too short (needs at least " +
                                        std::to_string(needed) + ")");
}

std::int32_t I32(const Bytes& b, std::uint64_t at) {
  return static_cast<std::int32_t>(b.U32(at).value_or(0));
}

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

std::vector<Register> DecodeRegisters(Bytes regs, const RegisterLayout& layout) {
  std::vector<Register> out;
  out.reserve(layout.registers.size());
  for (const RegisterDesc& desc : layout.registers) {
    auto bytes = regs.Sub(desc.offset, desc.width);
    if (!bytes) continue;
    Register reg;
    reg.name = desc.name;
    reg.width = desc.width;
    reg.value = regs.Uint(desc.offset, desc.width).value_or(0);
    reg.bytes.assign(bytes->data(), bytes->data() + bytes->size());
    out.push_back(std::move(reg));
  }
  return out;
}

// struct elf_prstatus (include/uapi/linux/elfcore.h):
//   struct elf_siginfo pr_info {si_signo, si_code, si_errno};  short pr_cursig;
//   unsigned long pr_sigpend, pr_sighold;  pid_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
//   struct timeval pr_utime, pr_stime, pr_cutime, pr_cstime;  elf_gregset_t pr_reg;
//   int pr_fpvalid;
// Longs are 8 bytes in ELF64 and 4 in ELF32 (x32 and MIPS n32 included). m68k aligns longs to
// 2 bytes, so it has no padding after pr_cursig.
Result<Prstatus> DecodeLinuxPrstatus(Bytes desc, const Abi& abi) {
  const unsigned l = abi.long_size;
  const bool m68k = abi.arch == Arch::kM68k;
  const std::uint64_t sigpend_at = m68k ? 14 : 16;
  const std::uint64_t pid_at = sigpend_at + 2 * l;
  const std::uint64_t times_at = pid_at + 16;
  // SPARC64's timeval has a 4-byte tv_usec (padded to 16 bytes).
  const unsigned usec_width = abi.arch == Arch::kSparc64 ? 4 : l;
  const std::uint64_t reg_at = times_at + 8 * l;
  if (desc.size() < reg_at) return TooShort("NT_PRSTATUS", desc.size(), reg_at);
  Prstatus p;
  p.si_signo = I32(desc, 0);
  p.si_code = I32(desc, 4);
  p.si_errno = I32(desc, 8);
  p.cursig = static_cast<std::int16_t>(desc.U16(12).value_or(0));
  p.sigpend = desc.Uint(sigpend_at, l).value_or(0);
  p.sighold = desc.Uint(sigpend_at + l, l).value_or(0);
  p.pid = I32(desc, pid_at);
  p.ppid = I32(desc, pid_at + 4);
  p.pgrp = I32(desc, pid_at + 8);
  p.sid = I32(desc, pid_at + 12);
  Timeval* times[] = {&p.utime, &p.stime, &p.cutime, &p.cstime};
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t at = times_at + static_cast<std::uint64_t>(i) * 2 * l;
    times[i]->sec = desc.Int(at, l).value_or(0);
    times[i]->usec = desc.Int(at + l, usec_width).value_or(0);
  }
  // pr_reg runs up to pr_fpvalid, the last int; the struct may end with alignment padding,
  // which is never a whole register slot.
  const std::uint64_t tail = desc.size() - reg_at;
  const unsigned w = abi.reg_width ? abi.reg_width : 4;
  std::uint64_t reg_size = tail >= 4 ? (tail - 4) / w * w : 0;
  if (m68k) reg_size = tail >= 4 ? tail - 4 : 0;  // its gregset mixes 2- and 4-byte fields
  // s390 31-bit: s390_compat_regs is 140 bytes padded to 144, and the note to 224.
  if (abi.arch == Arch::kS390 && tail >= 148) reg_size = 144;
  p.gregs = *desc.Sub(reg_at, reg_size);
  if (tail >= reg_size + 4) p.fpvalid = I32(desc, reg_at + reg_size);
  return p;
}

// FreeBSD struct prstatus (sys/procfs.h): int pr_version; size_t pr_statussz, pr_gregsetsz,
// pr_fpregsetsz; int pr_osreldate, pr_cursig; pid_t pr_pid; gregset_t pr_reg.
Result<Prstatus> DecodeFreeBsdPrstatus(Bytes desc, const Abi& abi) {
  const unsigned l = abi.long_size;
  const std::uint64_t osrel_at = 4 * l;
  const std::uint64_t reg_at = AlignUp(osrel_at + 12, l);
  if (desc.size() < reg_at) return TooShort("FreeBSD NT_PRSTATUS", desc.size(), reg_at);
  Prstatus p;
  const std::uint64_t gregsetsz = desc.Uint(2 * l, l).value_or(0);
  p.osreldate = I32(desc, osrel_at);
  p.cursig = I32(desc, osrel_at + 4);
  p.si_signo = p.cursig;
  p.pid = I32(desc, osrel_at + 8);
  const std::uint64_t available = desc.size() - reg_at;
  p.gregs = *desc.Sub(reg_at, std::min(gregsetsz, available));
  return p;
}

// struct elf_prpsinfo: char pr_state, pr_sname, pr_zomb, pr_nice; unsigned long pr_flag;
// __kernel_uid_t pr_uid, pr_gid; pid_t pr_pid, pr_ppid, pr_pgrp, pr_sid; char pr_fname[16];
// char pr_psargs[80]. The uid type is 16 bits on i386, ARM, m68k, s390 and x32 (124-byte
// notes) and 32 bits elsewhere, so its width is taken from the note's size.
Result<Prpsinfo> DecodeLinuxPrpsinfo(Bytes desc, const Abi& abi) {
  const unsigned l = abi.long_size;
  const std::uint64_t uid_at = 2 * l;
  constexpr std::uint64_t kFixedTail = 16 + 16 + 80;  // four pids, fname, psargs
  if (desc.size() < uid_at + 4 + kFixedTail) {
    return TooShort("NT_PRPSINFO", desc.size(), uid_at + 4 + kFixedTail);
  }
  const unsigned uid_width = (desc.size() - uid_at - kFixedTail) / 2 == 2 ? 2 : 4;
  Prpsinfo p;
  p.state_number = static_cast<std::int8_t>(*desc.U8(0));
  p.state = static_cast<char>(*desc.U8(1));
  p.zombie = static_cast<std::int8_t>(*desc.U8(2));
  p.nice = static_cast<std::int8_t>(*desc.U8(3));
  p.flag = desc.Uint(l, l).value_or(0);
  p.uid = static_cast<std::uint32_t>(desc.Uint(uid_at, uid_width).value_or(0));
  p.gid = static_cast<std::uint32_t>(desc.Uint(uid_at + uid_width, uid_width).value_or(0));
  const std::uint64_t pid_at = uid_at + 2 * uid_width;
  p.pid = I32(desc, pid_at);
  p.ppid = I32(desc, pid_at + 4);
  p.pgrp = I32(desc, pid_at + 8);
  p.sid = I32(desc, pid_at + 12);
  p.fname = std::string(desc.CString(pid_at + 16, 16));
  // Kept as the kernel wrote it: the arguments joined by spaces, often with a trailing one.
  p.psargs = std::string(desc.CString(pid_at + 32, 80));
  return p;
}

// FreeBSD struct prpsinfo: int pr_version; size_t pr_psinfosz; char pr_fname[17];
// char pr_psargs[81]; then (version 2+) pid_t pr_pid.
Result<Prpsinfo> DecodeFreeBsdPrpsinfo(Bytes desc, const Abi& abi) {
  const unsigned l = abi.long_size;
  const std::uint64_t fname_at = 2 * l;
  if (desc.size() < fname_at + 17 + 81) {
    return TooShort("FreeBSD NT_PRPSINFO", desc.size(), fname_at + 17 + 81);
  }
  Prpsinfo p;
  p.fname = std::string(desc.CString(fname_at, 17));
  p.psargs = std::string(desc.CString(fname_at + 17, 81));
  const std::uint64_t pid_at = AlignUp(fname_at + 17 + 81, 4);
  if (desc.Contains(pid_at, 4)) p.pid = I32(desc, pid_at);
  return p;
}

// siginfo_t: int si_signo, si_errno, si_code (MIPS swaps code and errno), then the union,
// aligned like a pointer: at 16 in 64-bit processes and 12 in 32-bit ones.
Result<Siginfo> DecodeSiginfo(Bytes desc, const Abi& abi) {
  const bool mips = abi.arch == Arch::kMipsO32 || abi.arch == Arch::kMipsN32 ||
                    abi.arch == Arch::kMips64;
  const unsigned l = abi.long_size;
  const std::uint64_t union_at = l == 8 ? 16 : 12;
  if (desc.size() < union_at + l) return TooShort("NT_SIGINFO", desc.size(), union_at + l);
  Siginfo s;
  s.signo = I32(desc, 0);
  s.errno_value = I32(desc, mips ? 8 : 4);
  s.code = I32(desc, mips ? 4 : 8);
  const bool fault = s.signo == 4 || s.signo == 5 || s.signo == 7 || s.signo == 8 ||
                     s.signo == 11 || (mips && s.signo == 10);
  if (s.code <= 0) {
    s.sender_pid = I32(desc, union_at);
    s.sender_uid = static_cast<std::uint32_t>(I32(desc, union_at + 4));
  } else if (fault) {
    s.addr = desc.Uint(union_at, l).value_or(0);
  }
  return s;
}

std::vector<AuxvEntry> DecodeAuxv(Bytes desc, unsigned width) {
  std::vector<AuxvEntry> out;
  if (width != 4 && width != 8) return out;
  for (std::uint64_t at = 0; desc.Contains(at, 2ull * width); at += 2ull * width) {
    AuxvEntry e{*desc.Uint(at, width), *desc.Uint(at + width, width)};
    out.push_back(e);
    if (e.type == AT_NULL) break;
  }
  return out;
}

std::string_view AuxvName(std::uint64_t type) {
  switch (type) {
    case AT_NULL: return "AT_NULL";
    case AT_IGNORE: return "AT_IGNORE";
    case AT_EXECFD: return "AT_EXECFD";
    case AT_PHDR: return "AT_PHDR";
    case AT_PHENT: return "AT_PHENT";
    case AT_PHNUM: return "AT_PHNUM";
    case AT_PAGESZ: return "AT_PAGESZ";
    case AT_BASE: return "AT_BASE";
    case AT_FLAGS: return "AT_FLAGS";
    case AT_ENTRY: return "AT_ENTRY";
    case AT_NOTELF: return "AT_NOTELF";
    case AT_UID: return "AT_UID";
    case AT_EUID: return "AT_EUID";
    case AT_GID: return "AT_GID";
    case AT_EGID: return "AT_EGID";
    case AT_PLATFORM: return "AT_PLATFORM";
    case AT_HWCAP: return "AT_HWCAP";
    case AT_CLKTCK: return "AT_CLKTCK";
    case AT_SECURE: return "AT_SECURE";
    case AT_BASE_PLATFORM: return "AT_BASE_PLATFORM";
    case AT_RANDOM: return "AT_RANDOM";
    case AT_HWCAP2: return "AT_HWCAP2";
    case AT_RSEQ_FEATURE_SIZE: return "AT_RSEQ_FEATURE_SIZE";
    case AT_RSEQ_ALIGN: return "AT_RSEQ_ALIGN";
    case AT_HWCAP3: return "AT_HWCAP3";
    case AT_HWCAP4: return "AT_HWCAP4";
    case AT_EXECFN: return "AT_EXECFN";
    case AT_SYSINFO: return "AT_SYSINFO";
    case AT_SYSINFO_EHDR: return "AT_SYSINFO_EHDR";
    case AT_MINSIGSTKSZ: return "AT_MINSIGSTKSZ";
    default: return "";
  }
}

Result<NtFile> DecodeNtFile(Bytes desc, const Abi& abi) {
  const unsigned l = abi.long_size;
  if (desc.size() < 2ull * l) return TooShort("NT_FILE", desc.size(), 2ull * l);
  const std::uint64_t count = *desc.Uint(0, l);
  NtFile out;
  out.page_size = *desc.Uint(l, l);
  const std::uint64_t max_count = (desc.size() - 2ull * l) / (3ull * l);
  if (count > max_count) {
    return Unexpected(Errc::kCorrupt, "NT_FILE claims " + std::to_string(count) +
                                          " mappings but its " + std::to_string(desc.size()) +
                                          " bytes hold at most " + std::to_string(max_count));
  }
  out.mappings.reserve(static_cast<std::size_t>(count));
  std::uint64_t at = 2ull * l;
  for (std::uint64_t i = 0; i < count; ++i, at += 3ull * l) {
    FileMapping m;
    m.start = *desc.Uint(at, l);
    m.end = *desc.Uint(at + l, l);
    m.offset = *desc.Uint(at + 2ull * l, l) * out.page_size;
    out.mappings.push_back(std::move(m));
  }
  for (FileMapping& m : out.mappings) {
    if (at >= desc.size()) break;  // names cut short: the remaining paths stay empty
    std::string_view name = desc.CString(at, desc.size() - at);
    m.path = std::string(name);
    at += name.size() + 1;
  }
  return out;
}

std::string DecodeFreeBsdThrmisc(Bytes desc) { return std::string(desc.CString(0, 20)); }

// struct kinfo_vmentry (sys/user.h), packed: kve_structsize gives each record's length.
Result<std::vector<VmEntry>> DecodeFreeBsdVmmap(Bytes desc) {
  constexpr std::uint64_t kPathAt = 136;
  std::vector<VmEntry> out;
  if (desc.size() < 4) return TooShort("NT_PROCSTAT_VMMAP", desc.size(), 4);
  std::uint64_t at = 4;  // the note starts with sizeof(struct kinfo_vmentry)
  while (desc.Contains(at, 4)) {
    const std::uint64_t size = desc.U32(at).value_or(0);
    if (size < kPathAt || !desc.Contains(at, size)) {
      if (size == 0) break;
      return Unexpected(Errc::kCorrupt, "NT_PROCSTAT_VMMAP record at offset " + Hex(at) +
                                            " has an impossible size " + std::to_string(size));
    }
    auto record = *desc.Sub(at, size);
    VmEntry e;
    e.start = record.U64(8).value_or(0);
    e.end = record.U64(16).value_or(0);
    e.offset = record.U64(24).value_or(0);
    e.flags = record.U32(44).value_or(0);
    e.protection = record.U32(56).value_or(0);
    e.path = std::string(record.CString(kPathAt, size - kPathAt));
    out.push_back(std::move(e));
    at += size;
  }
  return out;
}

// struct netbsd_elfcore_procinfo (sys/exec_elf.h): int32 cpi_version, cpi_cpisize, cpi_signo,
// cpi_sigcode; four sigset_t (16 bytes each); int32 cpi_pid, cpi_ppid, cpi_pgrp, cpi_sid;
// uint32 cpi_ruid, cpi_euid, cpi_svuid, cpi_rgid, cpi_egid, cpi_svgid; int32 cpi_nlwps;
// char cpi_name[32]; int32 cpi_siglwp.
Result<BsdProcinfo> DecodeNetBsdProcinfo(Bytes desc) {
  if (desc.size() < 124) return TooShort("NT_NETBSDCORE_PROCINFO", desc.size(), 124);
  BsdProcinfo p;
  p.signo = I32(desc, 8);
  p.sigcode = I32(desc, 12);
  p.pid = I32(desc, 80);
  p.ppid = I32(desc, 84);
  p.pgrp = I32(desc, 88);
  p.sid = I32(desc, 92);
  p.ruid = desc.U32(96).value_or(0);
  p.euid = desc.U32(100).value_or(0);
  p.rgid = desc.U32(108).value_or(0);
  p.egid = desc.U32(112).value_or(0);
  p.nlwps = I32(desc, 120);
  p.name = std::string(desc.CString(124, 32));
  if (desc.Contains(156, 4)) p.siglwp = I32(desc, 156);
  return p;
}

// OpenBSD struct elfcore_procinfo (sys/core.h): int32 cpi_version, cpi_cpisize, cpi_signo,
// cpi_sigcode; uint32 cpi_sigpend, cpi_sigmask, cpi_sigignore, cpi_sigcatch; int32 cpi_pid,
// cpi_ppid, cpi_pgrp, cpi_sid; uint32 cpi_ruid ... cpi_svgid; char cpi_name[32].
Result<BsdProcinfo> DecodeOpenBsdProcinfo(Bytes desc) {
  if (desc.size() < 72) return TooShort("NT_OPENBSD_PROCINFO", desc.size(), 72);
  BsdProcinfo p;
  p.signo = I32(desc, 8);
  p.sigcode = I32(desc, 12);
  p.pid = I32(desc, 32);
  p.ppid = I32(desc, 36);
  p.pgrp = I32(desc, 40);
  p.sid = I32(desc, 44);
  p.ruid = desc.U32(48).value_or(0);
  p.euid = desc.U32(52).value_or(0);
  p.rgid = desc.U32(60).value_or(0);
  p.egid = desc.U32(64).value_or(0);
  p.name = std::string(desc.CString(72, 32));
  return p;
}

namespace {

void AddBytesRegister(std::vector<Register>& out, std::string name, const Bytes& area,
                      std::uint64_t at, unsigned width) {
  auto bytes = area.Sub(at, width);
  if (!bytes) return;
  Register reg;
  reg.name = std::move(name);
  reg.width = width;
  reg.value = width <= 8 ? area.Uint(at, width).value_or(0) : 0;
  reg.bytes.assign(bytes->data(), bytes->data() + width);
  out.push_back(std::move(reg));
}

}  // namespace

// The FXSAVE image (Intel SDM vol. 1, 10.5.1): fcw, fsw, ftw (abridged), fop, then the FPU
// instruction and operand pointers, mxcsr, mxcsr_mask, eight 16-byte x87 slots (10 bytes used)
// at 32, and the XMM registers at 160 (16 in 64-bit mode, 8 in 32-bit mode).
std::vector<Register> DecodeFxsave(Bytes area, bool is64) {
  std::vector<Register> out;
  if (area.size() < 160) return out;
  AddBytesRegister(out, "fctrl", area, 0, 2);
  AddBytesRegister(out, "fstat", area, 2, 2);
  AddBytesRegister(out, "ftag", area, 4, 2);
  AddBytesRegister(out, "fop", area, 6, 2);
  AddBytesRegister(out, "fioff", area, 8, 4);
  AddBytesRegister(out, "fiseg", area, 12, 4);
  AddBytesRegister(out, "fooff", area, 16, 4);
  AddBytesRegister(out, "foseg", area, 20, 4);
  AddBytesRegister(out, "mxcsr", area, 24, 4);
  AddBytesRegister(out, "mxcsrmask", area, 28, 4);
  for (int i = 0; i < 8; ++i) AddBytesRegister(out, NumberedName("st", i), area, 32 + 16 * i, 10);
  const int xmm_count = is64 ? 16 : 8;
  for (int i = 0; i < xmm_count; ++i) {
    AddBytesRegister(out, NumberedName("xmm", i), area, 160 + 16 * i, 16);
  }
  return out;
}

std::string_view XsaveFeatureName(unsigned feature) {
  switch (feature) {
    case 0: return "x87";
    case 1: return "sse";
    case 2: return "avx";
    case 3: return "mpx-bndregs";
    case 4: return "mpx-bndcsr";
    case 5: return "avx512-opmask";
    case 6: return "avx512-zmm-hi256";
    case 7: return "avx512-hi16-zmm";
    case 8: return "pt";
    case 9: return "pkru";
    case 11: return "cet-user";
    case 12: return "cet-supervisor";
    case 17: return "amx-tilecfg";
    case 18: return "amx-tiledata";
    case 19: return "apx";
    default: return "";
  }
}

Result<Xsave> DecodeXsave(Bytes desc, Bytes layout_note, bool is64) {
  constexpr std::uint64_t kXcr0At = 464, kHeaderAt = 512, kLegacyEnd = 576;
  if (desc.size() < kLegacyEnd) return TooShort("NT_X86_XSTATE", desc.size(), kLegacyEnd);
  Xsave x;
  x.xcr0 = *desc.U64(kXcr0At);
  x.xstate_bv = *desc.U64(kHeaderAt);
  // Standard-format offsets (CPUID leaf 0xD) that Intel and AMD parts share for these
  // components; others need the layout note.
  struct Standard {
    unsigned feature;
    std::uint32_t offset, size;
  };
  static constexpr Standard kStandard[] = {{2, 576, 256},   {3, 960, 64},    {4, 1024, 64},
                                           {5, 1088, 64},   {6, 1152, 512},  {7, 1664, 1024},
                                           {9, 2688, 8}};
  std::vector<XsaveComponent> known;
  for (std::uint64_t at = 0; layout_note.Contains(at, 16); at += 16) {
    known.push_back({*layout_note.U32(at), *layout_note.U32(at + 8), *layout_note.U32(at + 4)});
  }
  if (known.empty()) {
    for (const Standard& s : kStandard) known.push_back({s.feature, s.offset, s.size});
  }
  for (unsigned feature = 2; feature < 64; ++feature) {
    if (!(x.xcr0 & (std::uint64_t{1} << feature))) continue;
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const XsaveComponent& c) { return c.feature == feature; });
    if (it != known.end() && desc.Contains(it->offset, it->size)) {
      x.components.push_back(*it);
    } else {
      x.missing.push_back(feature);
    }
  }
  // Only a component at least as large as what is read from it is used: the layout note's
  // sizes are as untrusted as the rest of the file.
  auto component = [&](unsigned feature, std::uint32_t needed) -> const XsaveComponent* {
    for (const XsaveComponent& c : x.components) {
      if (c.feature == feature && c.size >= needed) return &c;
    }
    return nullptr;
  };
  // A component whose XSTATE_BV bit is clear is in its initial state: all zeros.
  auto in_init_state = [&](unsigned feature) { return !(x.xstate_bv & (std::uint64_t{1} << feature)); };
  auto add_joined = [&](std::string name, Bytes low, std::uint64_t low_at, unsigned low_width,
                        const XsaveComponent* high, bool high_zero, std::uint64_t high_at,
                        unsigned high_width) {
    Register reg;
    reg.name = std::move(name);
    reg.width = low_width + high_width;
    reg.bytes.assign(reg.width, 0);
    if (low.Contains(low_at, low_width)) std::copy_n(low.data() + low_at, low_width, reg.bytes.begin());
    if (!high_zero && desc.Contains(high->offset + high_at, high_width)) {
      std::copy_n(desc.data() + high->offset + high_at, high_width, reg.bytes.begin() + low_width);
    }
    x.registers.push_back(std::move(reg));
  };
  const int vector_count = is64 ? 16 : 8;
  if (const XsaveComponent* avx = component(2, 256)) {
    for (int i = 0; i < vector_count; ++i) {
      add_joined(NumberedName("ymm", i), desc, 160 + 16 * i, 16, avx, in_init_state(2),
                 16 * i, 16);
    }
  }
  if (const XsaveComponent* opmask = component(5, 64)) {
    for (int i = 0; i < 8; ++i) {
      Register reg{NumberedName("k", i), 8, 0, std::vector<std::uint8_t>(8, 0)};
      if (!in_init_state(5)) {
        reg.value = desc.U64(opmask->offset + 8 * i).value_or(0);
        std::copy_n(desc.data() + opmask->offset + 8 * i, 8, reg.bytes.begin());
      }
      x.registers.push_back(std::move(reg));
    }
  }
  const XsaveComponent* avx = component(2, 256);
  const XsaveComponent* zmm_hi = component(6, 512);
  if (avx && zmm_hi) {
    for (int i = 0; i < vector_count; ++i) {
      Register reg{NumberedName("zmm", i), 64, 0, std::vector<std::uint8_t>(64, 0)};
      std::copy_n(desc.data() + 160 + 16 * i, 16, reg.bytes.begin());
      if (!in_init_state(2)) std::copy_n(desc.data() + avx->offset + 16 * i, 16, reg.bytes.begin() + 16);
      if (!in_init_state(6)) {
        std::copy_n(desc.data() + zmm_hi->offset + 32 * i, 32, reg.bytes.begin() + 32);
      }
      x.registers.push_back(std::move(reg));
    }
    if (const XsaveComponent* hi16 = component(7, 1024); hi16 && is64) {
      for (int i = 0; i < 16; ++i) {
        Register reg{NumberedName("zmm", 16 + i), 64, 0, std::vector<std::uint8_t>(64, 0)};
        if (!in_init_state(7)) std::copy_n(desc.data() + hi16->offset + 64 * i, 64, reg.bytes.begin());
        x.registers.push_back(std::move(reg));
      }
    }
  }
  if (const XsaveComponent* pkru = component(9, 4)) {
    Register reg{"pkru", 4, 0, std::vector<std::uint8_t>(4, 0)};
    if (!in_init_state(9)) {
      reg.value = desc.U32(pkru->offset).value_or(0);
      std::copy_n(desc.data() + pkru->offset, 4, reg.bytes.begin());
    }
    x.registers.push_back(std::move(reg));
  }
  return x;
}

std::string_view SignalName(int signo) {
  static constexpr const char* kNames[] = {
      "",        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
      "SIGBUS",  "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
      "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",
      "SIGTTIN", "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
      "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};
  if (signo > 0 && signo < static_cast<int>(std::size(kNames))) return kNames[signo];
  return "";
}

std::string_view SiCodeName(int signo, int code) {
  switch (code) {
    case 0: return "SI_USER";
    case 0x80: return "SI_KERNEL";
    case -1: return "SI_QUEUE";
    case -2: return "SI_TIMER";
    case -3: return "SI_MESGQ";
    case -4: return "SI_ASYNCIO";
    case -5: return "SI_SIGIO";
    case -6: return "SI_TKILL";
    case -7: return "SI_DETHREAD";
    case -60: return "SI_ASYNCNL";
    default: break;
  }
  switch (signo) {
    case 4: {
      static constexpr const char* k[] = {"", "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR",
                                          "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG",
                                          "ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR"};
      if (code > 0 && code < static_cast<int>(std::size(k))) return k[code];
      break;
    }
    case 5: {
      static constexpr const char* k[] = {"", "TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH",
                                          "TRAP_HWBKPT", "TRAP_UNK", "TRAP_PERF"};
      if (code > 0 && code < static_cast<int>(std::size(k))) return k[code];
      break;
    }
    case 7: {
      static constexpr const char* k[] = {"", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR",
                                          "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
      if (code > 0 && code < static_cast<int>(std::size(k))) return k[code];
      break;
    }
    case 8: {
      static constexpr const char* k[] = {"", "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV",
                                          "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES",
                                          "FPE_FLTINV", "FPE_FLTSUB", "FPE_FLTUNK",
                                          "FPE_CONDTRAP"};
      if (code > 0 && code < static_cast<int>(std::size(k))) return k[code];
      break;
    }
    case 11: {
      static constexpr const char* k[] = {"", "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR",
                                          "SEGV_PKUERR", "SEGV_ACCADI", "SEGV_ADIDERR",
                                          "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR",
                                          "SEGV_CPERR"};
      if (code > 0 && code < static_cast<int>(std::size(k))) return k[code];
      break;
    }
    case 17: {
      static constexpr const char* k[] = {"", "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED",
                                          "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
      if (code > 0 && code < static_cast<int>(std::size(k))) return k[code];
      break;
    }
    default: break;
  }
  return "";
}

}  // namespace corekit::elf
