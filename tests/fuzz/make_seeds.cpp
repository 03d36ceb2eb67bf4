// Writes small seed cores for the fuzzer into a directory: a Linux x86-64 core with every
// process note, an i386 one, big-endian PowerPC, FreeBSD, NetBSD, OpenBSD and PN_XNUM ones.
// Generated rather than committed so that the seeds follow the decoders.
#include <cstdio>
#include <fstream>
#include <string>

#include "../support/elf_builder.h"

using corekit::testing::ByteWriter;
using corekit::testing::ElfBuilder;
namespace elf = corekit::elf;

namespace {

void Write(const std::string& dir, const std::string& name, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> Zeros(std::size_t n, std::uint8_t fill = 0) { return std::vector<std::uint8_t>(n, fill); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  ByteWriter prstatus;
  prstatus.U32(11).U32(1).U32(0).U16(11).Zeros(2).Zeros(16).U32(42).U32(1).U32(42).U32(42).Zeros(64);
  for (int i = 0; i < 27; ++i) prstatus.U64(i == 16 ? 0x401000 : i == 19 ? 0x7ff000 : i);
  prstatus.U32(1).Zeros(4);
  ByteWriter psinfo;
  psinfo.U8(0).U8('R').U8(0).U8(0).Zeros(4).U64(0).U32(0).U32(0).U32(42).U32(1).U32(42).U32(42);
  psinfo.Str("seed", 16).Str("./seed arg", 80);
  ByteWriter siginfo;
  siginfo.U32(11).U32(0).U32(1).U32(0).U64(0x10).Zeros(104);
  ByteWriter auxv;
  auxv.U64(elf::AT_PAGESZ).U64(4096).U64(elf::AT_ENTRY).U64(0x401000).U64(0).U64(0);
  ByteWriter file;
  file.U64(1).U64(4096).U64(0x400000).U64(0x401000).U64(0).Str("/bin/seed", 10);
  ByteWriter layout;
  layout.U32(2).U32(256).U32(576).U32(0);
  Write(dir, "linux-x86_64", ElfBuilder()
                                 .Note("CORE", elf::NT_PRSTATUS, prstatus.bytes())
                                 .Note("CORE", elf::NT_PRPSINFO, psinfo.bytes())
                                 .Note("CORE", elf::NT_SIGINFO, siginfo.bytes())
                                 .Note("CORE", elf::NT_AUXV, auxv.bytes())
                                 .Note("CORE", elf::NT_FILE, file.bytes())
                                 .Note("CORE", elf::NT_FPREGSET, Zeros(512))
                                 .Note("LINUX", elf::NT_X86_XSTATE, Zeros(832, 7))
                                 .Note("LINUX", elf::NT_X86_XSAVE_LAYOUT, layout.bytes())
                                 .Load(0x400000, Zeros(64, 0x90), 0x1000)
                                 .Load(0x7fe000, Zeros(0x2000, 1))
                                 .Build());
  Write(dir, "linux-i386", ElfBuilder(false, elf::Endian::kLittle, elf::EM_386)
                               .Note("CORE", elf::NT_PRSTATUS, Zeros(144, 3))
                               .Note("CORE", elf::NT_PRPSINFO, Zeros(124, 'a'))
                               .Note("LINUX", elf::NT_PRXFPREG, Zeros(512))
                               .Load(0x8048000, Zeros(128, 2))
                               .Build());
  Write(dir, "linux-ppc-be", ElfBuilder(false, elf::Endian::kBig, elf::EM_PPC)
                                 .Note("CORE", elf::NT_PRSTATUS, Zeros(268, 1))
                                 .Note("CORE", elf::NT_PRPSINFO, Zeros(128, 'b'))
                                 .Load(0x10000000, Zeros(64, 4))
                                 .Build());
  Write(dir, "freebsd-amd64", ElfBuilder()
                                  .Note("FreeBSD", elf::NT_PRPSINFO, Zeros(120, 'c'))
                                  .Note("FreeBSD", elf::NT_PRSTATUS, Zeros(224, 0))
                                  .Note("FreeBSD", elf::NT_FREEBSD_THRMISC, Zeros(24, 'd'))
                                  .Note("FreeBSD", elf::NT_FREEBSD_PROCSTAT_VMMAP, Zeros(300, 0))
                                  .Note("FreeBSD", elf::NT_FREEBSD_PROCSTAT_AUXV, Zeros(68, 0))
                                  .Build());
  Write(dir, "netbsd-amd64", ElfBuilder()
                                 .Note("NetBSD-CORE", elf::NT_NETBSDCORE_PROCINFO, Zeros(160, 1))
                                 .Note("NetBSD-CORE@1", 0x21, Zeros(208, 2))
                                 .Note("NetBSD-CORE@2", 0x21, Zeros(208, 3))
                                 .Build());
  Write(dir, "openbsd-sparc64", ElfBuilder(true, elf::Endian::kBig, elf::EM_SPARCV9)
                                    .Note("OpenBSD", elf::NT_OPENBSD_PROCINFO, Zeros(104, 1))
                                    .Note("OpenBSD@7", elf::NT_OPENBSD_REGS, Zeros(288, 2))
                                    .Build());
  ElfBuilder many;
  many.Note("CORE", elf::NT_PRSTATUS, prstatus.bytes());
  for (int i = 0; i < 8; ++i) many.Load(0x100000 * (i + 1), Zeros(16, static_cast<std::uint8_t>(i)));
  Write(dir, "pn-xnum", many.ForcePnXnum().Build());
  return 0;
}
