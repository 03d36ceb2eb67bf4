// Abi: which machine, word size and operating system a core's notes were written for, and the
// register layouts of each.
//
// The OS comes from the note owners ("CORE"/"LINUX", "FreeBSD", "NetBSD-CORE", "OpenBSD",
// "Zircon..."), because EI_OSABI is 0 in almost every core. The machine comes from e_machine,
// refined by the class and flags: x32 is ELFCLASS32 + EM_X86_64; MIPS n32 is ELFCLASS32 with
// EF_MIPS_ABI2; a core with ELFCLASS64 + EM_386 (the "biarch" core) keeps x86-64 note layouts.
//
// Register layouts name each register of a general-purpose register set with its byte offset
// and width, in eu-readelf's spelling, and say which ones are the program counter and stack
// pointer. Architectures without a named layout get raw words ("r0", "r1", ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "corekit/elf/bytes.h"

namespace corekit::elf {

class ElfFile;
struct Note;

enum class Os { kUnknown, kLinux, kFreeBSD, kNetBSD, kOpenBSD, kZircon };

enum class Arch {
  kUnknown, kX86_64, kX32, kI386, kAarch64, kArm, kPpc, kPpc64, kS390, kS390x, kMipsO32,
  kMipsN32, kMips64, kSparc, kSparc64, kM68k, kRiscv32, kRiscv64, kAlpha, kHppa, kLoongarch64,
};

struct Abi {
  Arch arch = Arch::kUnknown;
  Os os = Os::kUnknown;
  bool is64 = false;           // ELF class
  Endian endian = Endian::kLittle;
  std::uint16_t e_machine = 0;
  unsigned long_size = 4;      // the kernel's `long` in the notes' structs
  unsigned reg_width = 4;      // width of one general register slot in NT_PRSTATUS
};

// Decides the ABI from the header and the notes' owners.
Abi DetectAbi(const ElfFile& elf, const std::vector<Note>& notes);

std::string_view OsName(Os os);
std::string_view ArchName(Arch arch);

struct RegisterDesc {
  std::string name;
  unsigned offset = 0;  // within the register set's bytes
  unsigned width = 0;   // bytes
};

struct RegisterLayout {
  std::vector<RegisterDesc> registers;
  int pc = -1;  // index into registers, or -1
  int sp = -1;
  // Extra names users and peers use for a register ("fp" for x29), as {alias, name}.
  std::vector<std::pair<std::string, std::string>> aliases;
};

// "r7", "xmm15": a register name with its number. (Appending, not `"r" + std::to_string(i)`:
// g++ 12 at -O3 wrongly warns -Wrestrict on that concatenation.)
std::string NumberedName(std::string_view prefix, std::size_t number);

// The layout of the general registers in a thread's register note for this ABI; for unknown
// machines, raw words of reg_width covering `size` bytes.
const RegisterLayout& GeneralRegisterLayout(const Abi& abi, std::size_t size);

}  // namespace corekit::elf
