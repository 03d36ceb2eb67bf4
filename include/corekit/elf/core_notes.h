// Core note payloads: decoders from a note's descriptor bytes to plain structs.
//
// Each decoder takes the descriptor as a Bytes view (already in the file's byte order) and the
// Abi, checks every offset against the descriptor's size, and returns kCorrupt naming the note
// and sizes when a required field is missing. Optional trailing fields that a short note lacks
// are left at their defaults. Layouts are those of the kernels' headers, cited at each decoder.
//
// Decoded strings are copies; register sets keep a view of their bytes (valid as long as the
// descriptor's buffer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/elf/abi.h"
#include "corekit/elf/bytes.h"

namespace corekit::elf {

struct Register {
  std::string name;
  unsigned width = 0;               // bytes
  std::uint64_t value = 0;          // for width <= 8
  std::vector<std::uint8_t> bytes;  // the register in memory order (all widths)
};

// Decodes every register of `layout` that fits inside `regs`.
std::vector<Register> DecodeRegisters(Bytes regs, const RegisterLayout& layout);

struct Timeval {
  std::int64_t sec = 0;
  std::int64_t usec = 0;
};

// Linux NT_PRSTATUS (struct elf_prstatus), and the fields of the BSD ones that map onto it.
struct Prstatus {
  std::int32_t si_signo = 0, si_code = 0, si_errno = 0;  // pr_info
  std::int32_t cursig = 0;
  std::uint64_t sigpend = 0, sighold = 0;
  std::int32_t pid = 0, ppid = 0, pgrp = 0, sid = 0;
  Timeval utime, stime, cutime, cstime;
  Bytes gregs;  // pr_reg
  std::optional<std::int32_t> fpvalid;
  std::optional<std::int32_t> osreldate;  // FreeBSD
};
Result<Prstatus> DecodeLinuxPrstatus(Bytes desc, const Abi& abi);
Result<Prstatus> DecodeFreeBsdPrstatus(Bytes desc, const Abi& abi);

// NT_PRPSINFO (struct elf_prpsinfo) and the BSD procinfo notes, reduced to common fields.
struct Prpsinfo {
  std::optional<char> state;  // pr_sname: R, S, D, T, Z...
  std::optional<std::int32_t> state_number;  // pr_state
  std::optional<std::int32_t> zombie;        // pr_zomb
  std::optional<std::int32_t> nice;
  std::uint64_t flag = 0;
  std::optional<std::uint32_t> uid, gid;
  std::optional<std::int32_t> pid, ppid, pgrp, sid;
  std::string fname;
  std::string psargs;
};
Result<Prpsinfo> DecodeLinuxPrpsinfo(Bytes desc, const Abi& abi);
Result<Prpsinfo> DecodeFreeBsdPrpsinfo(Bytes desc, const Abi& abi);

// NT_SIGINFO (siginfo_t as the kernel copies it to user space; 128 bytes).
struct Siginfo {
  std::int32_t signo = 0, code = 0, errno_value = 0;
  std::optional<std::uint64_t> addr;  // SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP
  std::optional<std::int32_t> sender_pid;  // kill, tkill, sigqueue (si_code <= 0)
  std::optional<std::uint32_t> sender_uid;
};
Result<Siginfo> DecodeSiginfo(Bytes desc, const Abi& abi);

struct AuxvEntry {
  std::uint64_t type = 0;
  std::uint64_t value = 0;
};
// NT_AUXV: pairs of words, up to and including AT_NULL. width is the word size (long_size for
// Linux; FreeBSD's procstat note has a 4-byte structsize prefix which the caller strips).
std::vector<AuxvEntry> DecodeAuxv(Bytes desc, unsigned width);
std::string_view AuxvName(std::uint64_t type);

// NT_FILE: count, page_size, count x {start, end, file_ofs (in pages)}, then count
// NUL-terminated names.
struct FileMapping {
  std::uint64_t start = 0, end = 0;
  std::uint64_t offset = 0;  // in bytes (file_ofs * page_size)
  std::string path;
};
struct NtFile {
  std::uint64_t page_size = 0;
  std::vector<FileMapping> mappings;
};
Result<NtFile> DecodeNtFile(Bytes desc, const Abi& abi);

// FreeBSD NT_THRMISC: the thread name (pr_tname[20]).
std::string DecodeFreeBsdThrmisc(Bytes desc);

// FreeBSD NT_PROCSTAT_VMMAP: a 4-byte structsize, then packed struct kinfo_vmentry records.
struct VmEntry {
  std::uint64_t start = 0, end = 0, offset = 0;
  std::uint32_t protection = 0;  // KVME_PROT_READ 1, WRITE 2, EXEC 4
  std::uint32_t flags = 0;
  std::string path;
};
Result<std::vector<VmEntry>> DecodeFreeBsdVmmap(Bytes desc);

// NetBSD NT_NETBSDCORE_PROCINFO (struct netbsd_elfcore_procinfo) and OpenBSD's
// struct elfcore_procinfo.
struct BsdProcinfo {
  std::int32_t signo = 0, sigcode = 0;
  std::int32_t pid = 0, ppid = 0, pgrp = 0, sid = 0;
  std::uint32_t ruid = 0, euid = 0, rgid = 0, egid = 0;
  std::optional<std::int32_t> nlwps;
  std::optional<std::int32_t> siglwp;  // NetBSD: the LWP the signal was delivered to, 0 = process
  std::string name;
};
Result<BsdProcinfo> DecodeNetBsdProcinfo(Bytes desc);
Result<BsdProcinfo> DecodeOpenBsdProcinfo(Bytes desc);

// x86 floating point: the 512-byte FXSAVE area (NT_FPREGSET on x86-64, NT_PRXFPREG on i386)
// as named registers: fctrl fstat ftag fop fiseg fioff foseg fooff mxcsr mxcsrmask st0-7 xmm*.
std::vector<Register> DecodeFxsave(Bytes area, bool is64);

// NT_X86_XSTATE: XCR0 from the software-reserved bytes at offset 464, XSTATE_BV from the XSAVE
// header at 512, and each enabled component at the offset that NT_X86_XSAVE_LAYOUT gives (or,
// without it, the standard-format offsets). A component that does not fit in the note is
// reported missing rather than read from the wrong place.
struct XsaveComponent {
  unsigned feature = 0;  // XCR0 bit
  std::uint32_t offset = 0, size = 0;
};
struct Xsave {
  std::uint64_t xcr0 = 0;
  std::uint64_t xstate_bv = 0;
  std::vector<XsaveComponent> components;  // enabled in XCR0 and inside the note
  std::vector<unsigned> missing;           // enabled in XCR0 but outside the note
  std::vector<Register> registers;         // ymm0..15 (AVX), k0..7, zmm0..31, pkru
};
// layout_note is the NT_X86_XSAVE_LAYOUT descriptor (an array of {type, size, offset, flags}
// u32 quadruples), or empty.
Result<Xsave> DecodeXsave(Bytes desc, Bytes layout_note, bool is64);
std::string_view XsaveFeatureName(unsigned feature);

// Signal names and si_code names, as <signal.h> spells them on Linux.
std::string_view SignalName(int signo);
std::string_view SiCodeName(int signo, int code);

}  // namespace corekit::elf
