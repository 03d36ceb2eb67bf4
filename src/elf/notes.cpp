#include "corekit/elf/notes.h"

#include <string>

#include "corekit/elf/constants.h"

namespace corekit::elf {
namespace {

constexpr std::uint64_t kNoteHeaderSize = 12;
// Owner names longer than this are not produced by any known writer; a longer namesz is taken
// as a sign of a damaged header when resynchronizing.
constexpr std::uint32_t kMaxPlausibleOwner = 64;

std::uint64_t AlignUp(std::uint64_t value, unsigned alignment) {
  return (value + alignment - 1) & ~std::uint64_t{alignment - 1};
}

struct Parsed {
  Note note;
  std::uint64_t next = 0;
};

// Decodes the note at `at`, or nothing when its sizes do not fit the segment.
std::optional<Parsed> ParseOne(const Bytes& segment, std::uint64_t at, unsigned alignment) {
  auto namesz = segment.U32(at);
  auto descsz = segment.U32(at + 4);
  auto type = segment.U32(at + 8);
  if (!namesz || !descsz || !type) return std::nullopt;
  const std::uint64_t name_at = at + kNoteHeaderSize;
  if (!segment.Contains(name_at, *namesz)) return std::nullopt;
  const std::uint64_t desc_at = AlignUp(name_at + *namesz, alignment);
  if (!segment.Contains(desc_at, *descsz)) return std::nullopt;
  Parsed parsed;
  parsed.note.owner = segment.CString(name_at, *namesz);
  parsed.note.type = *type;
  parsed.note.desc = *segment.Sub(desc_at, *descsz);
  parsed.next = AlignUp(desc_at + *descsz, alignment);
  return parsed;
}

// A header that a real writer could have produced: a short owner made of printable characters,
// NUL-terminated, with the descriptor inside the segment.
bool Plausible(const Bytes& segment, std::uint64_t at, unsigned alignment) {
  auto namesz = segment.U32(at);
  if (!namesz || *namesz == 0 || *namesz > kMaxPlausibleOwner) return false;
  auto parsed = ParseOne(segment, at, alignment);
  if (!parsed) return false;
  const std::string_view owner = parsed->note.owner;
  if (owner.empty() || owner.size() + 1 != *namesz) return false;
  for (char c : owner) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::vector<Note> ParseNotes(Bytes segment, std::uint64_t segment_offset, unsigned alignment,
                             Diagnostics& diagnostics) {
  if (alignment != 8) alignment = 4;
  std::vector<Note> notes;
  std::uint64_t at = 0;
  while (at < segment.size()) {
    if (segment.size() - at < kNoteHeaderSize) {
      // Trailing padding shorter than a header is common and harmless unless it is not zero.
      bool all_zero = true;
      for (std::uint64_t i = at; i < segment.size(); ++i) all_zero &= segment.data()[i] == 0;
      if (!all_zero) {
        diagnostics.Warn("note segment at offset " + Hex(segment_offset) + " ends with " +
                         std::to_string(segment.size() - at) + " stray bytes");
      }
      break;
    }
    // A zero header is padding (seen after a writer shrank a note in place), not a note.
    if (segment.U32(at) == 0u && segment.U32(at + 4) == 0u && segment.U32(at + 8) == 0u) {
      diagnostics.Warn("empty note header at offset " + Hex(segment_offset + at) + " skipped");
      at += kNoteHeaderSize;
      continue;
    }
    auto parsed = ParseOne(segment, at, alignment);
    if (parsed) {
      parsed->note.offset = segment_offset + at;
      notes.push_back(parsed->note);
      at = parsed->next;
      continue;
    }
    // Damaged header: look for the next plausible one rather than giving up on the rest.
    std::uint64_t resync = at + 4;
    while (resync + kNoteHeaderSize <= segment.size() && !Plausible(segment, resync, alignment)) {
      resync += 4;
    }
    if (resync + kNoteHeaderSize > segment.size()) {
      diagnostics.Warn("note at offset " + Hex(segment_offset + at) +
                       " overflows its segment (ends at " +
                       Hex(segment_offset + segment.size()) + "); the remaining " +
                       std::to_string(segment.size() - at) + " bytes are skipped");
      break;
    }
    diagnostics.Warn("note at offset " + Hex(segment_offset + at) +
                     " has sizes that overflow its segment; skipped " +
                     std::to_string(resync - at) + " bytes to the next plausible note at " +
                     Hex(segment_offset + resync));
    at = resync;
  }
  return notes;
}

std::string_view NoteTypeName(std::string_view owner, std::uint32_t type) {
  if (owner == "CORE" || owner == "LINUX") {
    switch (type) {
      case NT_PRSTATUS: return "NT_PRSTATUS";
      case NT_FPREGSET: return "NT_FPREGSET";
      case NT_PRPSINFO: return "NT_PRPSINFO";
      case NT_TASKSTRUCT: return "NT_TASKSTRUCT";
      case NT_AUXV: return "NT_AUXV";
      case NT_SIGINFO: return "NT_SIGINFO";
      case NT_FILE: return "NT_FILE";
      case NT_PRXFPREG: return "NT_PRXFPREG";
      case NT_PPC_VMX: return "NT_PPC_VMX";
      case NT_PPC_VSX: return "NT_PPC_VSX";
      case NT_386_TLS: return "NT_386_TLS";
      case NT_386_IOPERM: return "NT_386_IOPERM";
      case NT_X86_XSTATE: return "NT_X86_XSTATE";
      case NT_X86_SHSTK: return "NT_X86_SHSTK";
      case NT_X86_XSAVE_LAYOUT: return "NT_X86_XSAVE_LAYOUT";
      case NT_S390_HIGH_GPRS: return "NT_S390_HIGH_GPRS";
      case NT_S390_TIMER: return "NT_S390_TIMER";
      case NT_S390_TODCMP: return "NT_S390_TODCMP";
      case NT_S390_TODPREG: return "NT_S390_TODPREG";
      case NT_S390_CTRS: return "NT_S390_CTRS";
      case NT_S390_PREFIX: return "NT_S390_PREFIX";
      case NT_S390_LAST_BREAK: return "NT_S390_LAST_BREAK";
      case NT_S390_SYSTEM_CALL: return "NT_S390_SYSTEM_CALL";
      case NT_S390_TDB: return "NT_S390_TDB";
      case NT_S390_VXRS_LOW: return "NT_S390_VXRS_LOW";
      case NT_S390_VXRS_HIGH: return "NT_S390_VXRS_HIGH";
      case NT_ARM_VFP: return "NT_ARM_VFP";
      case NT_ARM_TLS: return "NT_ARM_TLS";
      case NT_ARM_HW_BREAK: return "NT_ARM_HW_BREAK";
      case NT_ARM_HW_WATCH: return "NT_ARM_HW_WATCH";
      case NT_ARM_SYSTEM_CALL: return "NT_ARM_SYSTEM_CALL";
      case NT_ARM_SVE: return "NT_ARM_SVE";
      case NT_ARM_PAC_MASK: return "NT_ARM_PAC_MASK";
      case NT_ARM_PACA_KEYS: return "NT_ARM_PACA_KEYS";
      case NT_ARM_PACG_KEYS: return "NT_ARM_PACG_KEYS";
      case NT_ARM_TAGGED_ADDR_CTRL: return "NT_ARM_TAGGED_ADDR_CTRL";
      case NT_ARM_PAC_ENABLED_KEYS: return "NT_ARM_PAC_ENABLED_KEYS";
      case NT_ARM_SSVE: return "NT_ARM_SSVE";
      case NT_ARM_ZA: return "NT_ARM_ZA";
      case NT_ARM_ZT: return "NT_ARM_ZT";
      case NT_ARM_FPMR: return "NT_ARM_FPMR";
      case NT_RISCV_CSR: return "NT_RISCV_CSR";
      case NT_RISCV_VECTOR: return "NT_RISCV_VECTOR";
      case NT_LOONGARCH_CPUCFG: return "NT_LOONGARCH_CPUCFG";
      case NT_LOONGARCH_CSR: return "NT_LOONGARCH_CSR";
      case NT_LOONGARCH_LSX: return "NT_LOONGARCH_LSX";
      case NT_LOONGARCH_LASX: return "NT_LOONGARCH_LASX";
      case NT_LOONGARCH_LBT: return "NT_LOONGARCH_LBT";
      case NT_MIPS_DSP: return "NT_MIPS_DSP";
      case NT_MIPS_FP_MODE: return "NT_MIPS_FP_MODE";
      case NT_MIPS_MSA: return "NT_MIPS_MSA";
      case NT_VMCOREDD: return "NT_VMCOREDD";
      default: return "";
    }
  }
  if (owner == "GDB" && type == NT_GDB_TDESC) return "NT_GDB_TDESC";
  if (owner == "VMCOREINFO") return "VMCOREINFO";
  if (owner == "GNU") {
    switch (type) {
      case NT_GNU_ABI_TAG: return "NT_GNU_ABI_TAG";
      case NT_GNU_BUILD_ID: return "NT_GNU_BUILD_ID";
      case NT_GNU_PROPERTY_TYPE_0: return "NT_GNU_PROPERTY_TYPE_0";
      default: return "";
    }
  }
  if (owner == "FreeBSD") {
    switch (type) {
      case NT_PRSTATUS: return "NT_PRSTATUS";
      case NT_FPREGSET: return "NT_FPREGSET";
      case NT_PRPSINFO: return "NT_PRPSINFO";
      case NT_FREEBSD_THRMISC: return "NT_THRMISC";
      case NT_FREEBSD_PROCSTAT_PROC: return "NT_PROCSTAT_PROC";
      case NT_FREEBSD_PROCSTAT_FILES: return "NT_PROCSTAT_FILES";
      case NT_FREEBSD_PROCSTAT_VMMAP: return "NT_PROCSTAT_VMMAP";
      case NT_FREEBSD_PROCSTAT_GROUPS: return "NT_PROCSTAT_GROUPS";
      case NT_FREEBSD_PROCSTAT_UMASK: return "NT_PROCSTAT_UMASK";
      case NT_FREEBSD_PROCSTAT_RLIMIT: return "NT_PROCSTAT_RLIMIT";
      case NT_FREEBSD_PROCSTAT_OSREL: return "NT_PROCSTAT_OSREL";
      case NT_FREEBSD_PROCSTAT_PSSTRINGS: return "NT_PROCSTAT_PSSTRINGS";
      case NT_FREEBSD_PROCSTAT_AUXV: return "NT_PROCSTAT_AUXV";
      case NT_FREEBSD_PTLWPINFO: return "NT_PTLWPINFO";
      case NT_X86_XSTATE: return "NT_X86_XSTATE";
      default: return "";
    }
  }
  if (owner == "NetBSD-CORE") {
    if (type == NT_NETBSDCORE_PROCINFO) return "NT_NETBSDCORE_PROCINFO";
    if (type == NT_NETBSDCORE_AUXV) return "NT_NETBSDCORE_AUXV";
    return "";
  }
  if (owner.substr(0, 12) == "NetBSD-CORE@") return "NT_NETBSDCORE_LWP (PT_GETREGS/PT_GETFPREGS)";
  if (owner == "OpenBSD" || owner.substr(0, 8) == "OpenBSD@") {
    switch (type) {
      case NT_OPENBSD_PROCINFO: return "NT_OPENBSD_PROCINFO";
      case NT_OPENBSD_AUXV: return "NT_OPENBSD_AUXV";
      case NT_OPENBSD_REGS: return "NT_OPENBSD_REGS";
      case NT_OPENBSD_FPREGS: return "NT_OPENBSD_FPREGS";
      case NT_OPENBSD_XFPREGS: return "NT_OPENBSD_XFPREGS";
      case NT_OPENBSD_WCOOKIE: return "NT_OPENBSD_WCOOKIE";
      default: return "";
    }
  }
  if (owner == "ZirconProcessInfo") return "ZX_INFO (zx_object_get_info topic)";
  if (owner == "ZirconProcessProperty") return "ZX_PROP (zx_object_get_property)";
  if (owner == "ZirconThreadInfo") return "ZX_INFO (thread topic)";
  if (owner == "COREKIT" && type == NT_COREKIT_INFO) return "NT_COREKIT_INFO";
  return "";
}

}  // namespace corekit::elf

namespace corekit::elf {

std::optional<Bytes> GnuBuildId(const std::vector<Note>& notes) {
  for (const Note& note : notes) {
    if (note.owner == "GNU" && note.type == NT_GNU_BUILD_ID && !note.desc.empty()) return note.desc;
  }
  return std::nullopt;
}

std::string HexBytes(Bytes bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out.push_back(kDigits[bytes.data()[i] >> 4]);
    out.push_back(kDigits[bytes.data()[i] & 15]);
  }
  return out;
}

}  // namespace corekit::elf
