// Payloads of Linux x86-64 core notes for hand-built cores (ElfBuilder): NT_PRSTATUS,
// NT_PRPSINFO, NT_SIGINFO and NT_FILE, laid out as the kernel writes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corekit/elf/core_notes.h"
#include "elf_builder.h"

namespace corekit::testing {

inline std::vector<std::uint8_t> Prstatus(int pid, int cursig, std::uint64_t rip, std::uint64_t rsp) {
  ByteWriter w;
  w.U32(cursig).U32(0).U32(0).U16(cursig).Zeros(2).U64(0).U64(0);
  w.U32(pid).U32(1).U32(pid).U32(pid).Zeros(64);
  for (int i = 0; i < 27; ++i) w.U64(i == 16 ? rip : i == 19 ? rsp : 0);
  w.U32(1).Zeros(4);
  return w.bytes();
}

inline std::vector<std::uint8_t> Prpsinfo(const std::string& fname, const std::string& args) {
  ByteWriter w;
  w.U8(0).U8('R').U8(0).U8(0).Zeros(4).U64(0).U32(0).U32(0).U32(100).U32(1).U32(100).U32(100);
  w.Str(fname, 16).Str(args, 80);
  return w.bytes();
}

inline std::vector<std::uint8_t> Siginfo(int signo, int code, std::uint64_t addr) {
  ByteWriter w;
  w.U32(signo).U32(0).U32(code).U32(0).U64(addr).Zeros(104);
  return w.bytes();
}

inline std::vector<std::uint8_t> NtFile(const std::vector<elf::FileMapping>& maps) {
  ByteWriter w;
  w.U64(maps.size()).U64(4096);
  for (const auto& m : maps) w.U64(m.start).U64(m.end).U64(m.offset / 4096);
  for (const auto& m : maps) w.Str(m.path, m.path.size() + 1);
  return w.bytes();
}

}  // namespace corekit::testing
