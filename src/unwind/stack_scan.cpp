// The stack scan: where neither CFI nor frame pointers lead on, the next return address is the
// first word above the stack pointer that points just after a call instruction in code.
#include <algorithm>

#include "session.h"

namespace corekit::unwind {
namespace {

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

// How far a stack scan looks above a frame's stack pointer for the next return address.
constexpr unsigned kScanWords = 1024;

}  // namespace

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

}  // namespace corekit::unwind
