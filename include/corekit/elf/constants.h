// ELF and core-note constants, spelled as in the specifications and system headers so that a
// reader can grep for them (gABI, <elf.h>, FreeBSD <sys/elf_common.h>, NetBSD <sys/exec_elf.h>,
// Linux include/uapi/linux/elf.h). Defined here rather than taken from <elf.h> so the parser
// does not depend on the host's headers and knows every OS's values.
#pragma once

#include <cstdint>

namespace corekit::elf {

inline constexpr std::uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr unsigned EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_OSABI = 7;
inline constexpr std::uint8_t ELFCLASS32 = 1, ELFCLASS64 = 2;
inline constexpr std::uint8_t ELFDATA2LSB = 1, ELFDATA2MSB = 2;
inline constexpr std::uint8_t ELFOSABI_SYSV = 0, ELFOSABI_NETBSD = 2, ELFOSABI_LINUX = 3,
                              ELFOSABI_FREEBSD = 9, ELFOSABI_OPENBSD = 12;

inline constexpr std::uint16_t ET_NONE = 0, ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;

// e_machine values corekit names.
inline constexpr std::uint16_t EM_SPARC = 2, EM_386 = 3, EM_68K = 4, EM_MIPS = 8,
                               EM_PARISC = 15, EM_SPARC32PLUS = 18, EM_PPC = 20, EM_PPC64 = 21,
                               EM_S390 = 22, EM_ARM = 40, EM_SPARCV9 = 43, EM_IA_64 = 50,
                               EM_X86_64 = 62, EM_AARCH64 = 183, EM_RISCV = 243,
                               EM_LOONGARCH = 258, EM_ALPHA = 0x9026;

inline constexpr std::uint16_t PN_XNUM = 0xffff;

inline constexpr std::uint32_t PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3,
                               PT_NOTE = 4, PT_PHDR = 6, PT_TLS = 7, PT_GNU_EH_FRAME = 0x6474e550,
                               PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552,
                               PT_GNU_PROPERTY = 0x6474e553;
inline constexpr std::uint32_t PF_X = 1, PF_W = 2, PF_R = 4;

// Header sizes by class.
inline constexpr unsigned kEhdr32Size = 52, kEhdr64Size = 64;
inline constexpr unsigned kPhdr32Size = 32, kPhdr64Size = 56;
inline constexpr unsigned kShdr32Size = 40, kShdr64Size = 64;

// Linux core notes, owner "CORE" (and "LINUX" for the newer ones).
inline constexpr std::uint32_t NT_PRSTATUS = 1, NT_PRFPREG = 2, NT_FPREGSET = 2,
                               NT_PRPSINFO = 3, NT_TASKSTRUCT = 4, NT_AUXV = 6,
                               NT_SIGINFO = 0x53494749, NT_FILE = 0x46494c45,
                               NT_PRXFPREG = 0x46e62b7f, NT_PPC_VMX = 0x100, NT_PPC_VSX = 0x102,
                               NT_386_TLS = 0x200, NT_386_IOPERM = 0x201, NT_X86_XSTATE = 0x202,
                               NT_X86_SHSTK = 0x204, NT_X86_XSAVE_LAYOUT = 0x205,
                               NT_S390_HIGH_GPRS = 0x300, NT_S390_TIMER = 0x301,
                               NT_S390_TODCMP = 0x302, NT_S390_TODPREG = 0x303,
                               NT_S390_CTRS = 0x304, NT_S390_PREFIX = 0x305,
                               NT_S390_LAST_BREAK = 0x306, NT_S390_SYSTEM_CALL = 0x307,
                               NT_S390_TDB = 0x308, NT_S390_VXRS_LOW = 0x309,
                               NT_S390_VXRS_HIGH = 0x30a, NT_ARM_VFP = 0x400, NT_ARM_TLS = 0x401,
                               NT_ARM_HW_BREAK = 0x402, NT_ARM_HW_WATCH = 0x403,
                               NT_ARM_SYSTEM_CALL = 0x404, NT_ARM_SVE = 0x405,
                               NT_ARM_PAC_MASK = 0x406, NT_ARM_PACA_KEYS = 0x407,
                               NT_ARM_PACG_KEYS = 0x408, NT_ARM_TAGGED_ADDR_CTRL = 0x409,
                               NT_ARM_PAC_ENABLED_KEYS = 0x40a, NT_ARM_SSVE = 0x40b,
                               NT_ARM_ZA = 0x40c, NT_ARM_ZT = 0x40d, NT_ARM_FPMR = 0x40e,
                               NT_RISCV_CSR = 0x900, NT_RISCV_VECTOR = 0x901,
                               NT_LOONGARCH_CPUCFG = 0xa00, NT_LOONGARCH_CSR = 0xa01,
                               NT_LOONGARCH_LSX = 0xa02, NT_LOONGARCH_LASX = 0xa03,
                               NT_LOONGARCH_LBT = 0xa04, NT_MIPS_DSP = 0x800,
                               NT_MIPS_FP_MODE = 0x801, NT_MIPS_MSA = 0x802,
                               NT_VMCOREDD = 0x700, NT_GDB_TDESC = 0xff000000;
// GNU notes (owner "GNU").
inline constexpr std::uint32_t NT_GNU_ABI_TAG = 1, NT_GNU_BUILD_ID = 3,
                               NT_GNU_PROPERTY_TYPE_0 = 5;
// FreeBSD (owner "FreeBSD").
inline constexpr std::uint32_t NT_FREEBSD_THRMISC = 7, NT_FREEBSD_PROCSTAT_PROC = 8,
                               NT_FREEBSD_PROCSTAT_FILES = 9, NT_FREEBSD_PROCSTAT_VMMAP = 10,
                               NT_FREEBSD_PROCSTAT_GROUPS = 11, NT_FREEBSD_PROCSTAT_UMASK = 12,
                               NT_FREEBSD_PROCSTAT_RLIMIT = 13, NT_FREEBSD_PROCSTAT_OSREL = 14,
                               NT_FREEBSD_PROCSTAT_PSSTRINGS = 15, NT_FREEBSD_PROCSTAT_AUXV = 16,
                               NT_FREEBSD_PTLWPINFO = 17;
// NetBSD (owners "NetBSD-CORE" and "NetBSD-CORE@<lwp>"); register note types are machine
// dependent: PT_GETREGS = PT_FIRSTMACH + 1, PT_GETFPREGS = PT_FIRSTMACH + 3.
inline constexpr std::uint32_t NT_NETBSDCORE_PROCINFO = 1, NT_NETBSDCORE_AUXV = 2;
// OpenBSD (owners "OpenBSD" and "OpenBSD@<tid>").
inline constexpr std::uint32_t NT_OPENBSD_PROCINFO = 10, NT_OPENBSD_AUXV = 11,
                               NT_OPENBSD_REGS = 20, NT_OPENBSD_FPREGS = 21,
                               NT_OPENBSD_XFPREGS = 22, NT_OPENBSD_WCOOKIE = 23;
// corekit's own note (owner "COREKIT").
inline constexpr std::uint32_t NT_COREKIT_INFO = 1;

// Auxiliary vector keys (Linux numbering; the BSDs share the low ones).
inline constexpr std::uint64_t AT_NULL = 0, AT_IGNORE = 1, AT_EXECFD = 2, AT_PHDR = 3,
                               AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
                               AT_FLAGS = 8, AT_ENTRY = 9, AT_NOTELF = 10, AT_UID = 11,
                               AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15,
                               AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23,
                               AT_BASE_PLATFORM = 24, AT_RANDOM = 25, AT_HWCAP2 = 26,
                               AT_RSEQ_FEATURE_SIZE = 27, AT_RSEQ_ALIGN = 28, AT_HWCAP3 = 29,
                               AT_HWCAP4 = 30, AT_EXECFN = 31, AT_SYSINFO = 32,
                               AT_SYSINFO_EHDR = 33, AT_MINSIGSTKSZ = 51;

}  // namespace corekit::elf
