#include "corekit/elf/core_notes.h"

#include <gtest/gtest.h>

#include "../../support/elf_builder.h"
#include "corekit/elf/constants.h"

namespace corekit::elf {
namespace {

using testing::ByteWriter;
using testing::View;

Abi MakeAbi(Arch arch, bool is64, Endian endian = Endian::kLittle, Os os = Os::kLinux) {
  Abi abi;
  abi.arch = arch;
  abi.os = os;
  abi.is64 = is64;
  abi.endian = endian;
  abi.long_size = is64 ? 8 : 4;
  abi.reg_width = (arch == Arch::kX32 || arch == Arch::kMipsN32) ? 8 : abi.long_size;
  return abi;
}

// struct elf_prstatus for a 64-bit Linux process with `nregs` 8-byte registers.
std::vector<std::uint8_t> Prstatus64(int signo, int pid, const std::vector<std::uint64_t>& regs,
                                     std::size_t total) {
  ByteWriter w;
  w.U32(signo).U32(0).U32(0).U16(signo).Zeros(2);  // pr_info, pr_cursig, padding
  w.U64(0).U64(0);                                 // sigpend, sighold
  w.U32(pid).U32(pid - 1).U32(pid - 2).U32(pid - 3);
  w.U64(1).U64(500000).Zeros(48);                  // utime = 1.5 s, then the other times
  for (std::uint64_t r : regs) w.U64(r);
  w.U32(1);  // pr_fpvalid
  w.Zeros(total - w.size());
  return w.bytes();
}

TEST(PrstatusTest, X86_64NamesRegistersAndFindsPcAndSp) {
  std::vector<std::uint64_t> regs(27);
  for (std::size_t i = 0; i < regs.size(); ++i) regs[i] = 0x1000 + i;
  auto bytes = Prstatus64(11, 4242, regs, 336);
  const Abi abi = MakeAbi(Arch::kX86_64, true);
  auto p = DecodeLinuxPrstatus(View(bytes), abi);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->pid, 4242);
  EXPECT_EQ(p->ppid, 4241);
  EXPECT_EQ(p->cursig, 11);
  EXPECT_EQ(p->utime.sec, 1);
  EXPECT_EQ(p->utime.usec, 500000);
  EXPECT_EQ(p->gregs.size(), 216u);
  EXPECT_EQ(p->fpvalid, 1);
  const RegisterLayout& layout = GeneralRegisterLayout(abi, p->gregs.size());
  auto decoded = DecodeRegisters(p->gregs, layout);
  ASSERT_EQ(decoded.size(), 27u);
  EXPECT_EQ(decoded[16].name, "rip");
  EXPECT_EQ(decoded[16].value, 0x1010u);
  EXPECT_EQ(layout.registers[static_cast<std::size_t>(layout.sp)].name, "rsp");
}

TEST(PrstatusTest, I386UsesFourByteLongs) {
  ByteWriter w;
  w.U32(6).U32(0).U32(0).U16(6).Zeros(2).U32(0).U32(0).U32(77).U32(76).U32(75).U32(74).Zeros(32);
  for (int i = 0; i < 17; ++i) w.U32(0x100 + i);
  w.U32(0);
  ASSERT_EQ(w.size(), 144u);
  const Abi abi = MakeAbi(Arch::kI386, false);
  auto p = DecodeLinuxPrstatus(View(w.bytes()), abi);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, 77);
  auto regs = DecodeRegisters(p->gregs, GeneralRegisterLayout(abi, p->gregs.size()));
  ASSERT_EQ(regs.size(), 17u);
  EXPECT_EQ(regs[12].name, "eip");
  EXPECT_EQ(regs[12].value, 0x10cu);
}

TEST(PrstatusTest, M68kHasNoPaddingAfterCursig) {
  ByteWriter w(Endian::kBig);
  w.U32(11).U32(0).U32(0).U16(11);  // no padding: longs are 2-byte aligned on m68k
  w.U32(0).U32(0).U32(1963).U32(1084).U32(1963).U32(1084).Zeros(32);
  for (int i = 0; i < 17; ++i) w.U32(i);
  w.U16(0).U16(0x2000).U32(0x800003fe).U16(0).U16(0);  // stkadj, sr, pc, fmtvec, pad
  w.U32(0);
  ASSERT_EQ(w.size(), 154u);
  const Abi abi = MakeAbi(Arch::kM68k, false, Endian::kBig);
  auto p = DecodeLinuxPrstatus(View(w.bytes(), Endian::kBig), abi);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, 1963);
  auto regs = DecodeRegisters(p->gregs, GeneralRegisterLayout(abi, p->gregs.size()));
  auto pc = std::find_if(regs.begin(), regs.end(), [](const Register& r) { return r.name == "pc"; });
  ASSERT_NE(pc, regs.end());
  EXPECT_EQ(pc->value, 0x800003feu);
}

TEST(PrstatusTest, TooShortIsCorrupt) {
  std::vector<std::uint8_t> bytes(40);
  auto p = DecodeLinuxPrstatus(View(bytes), MakeAbi(Arch::kX86_64, true));
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message, "NT_PRSTATUS of 40 bytes is too short (needs at least 112)");
}

TEST(PrstatusTest, UnknownMachineGetsRawBoundedRegisters) {
  std::vector<std::uint64_t> regs(10, 5);
  auto bytes = Prstatus64(0, 1, regs, 112 + 80 + 4);
  Abi abi = MakeAbi(Arch::kUnknown, true);
  auto p = DecodeLinuxPrstatus(View(bytes), abi);
  ASSERT_TRUE(p.has_value());
  auto decoded = DecodeRegisters(p->gregs, GeneralRegisterLayout(abi, p->gregs.size()));
  ASSERT_EQ(decoded.size(), 10u);
  EXPECT_EQ(decoded[9].name, "r9");
}

TEST(PrpsinfoTest, UidWidthFollowsTheNoteSize) {
  for (unsigned uid_width : {2u, 4u}) {
    ByteWriter w;
    w.U8(0).U8('R').U8(0).U8(0).U32(0x400600);
    w.Uint(1000, uid_width).Uint(501, uid_width);
    w.U32(10).U32(9).U32(8).U32(7).Str("a.out", 16).Str("./a.out foo ", 80);
    const Abi abi = MakeAbi(Arch::kArm, false);
    auto p = DecodeLinuxPrpsinfo(View(w.bytes()), abi);
    ASSERT_TRUE(p.has_value()) << uid_width;
    EXPECT_EQ(*p->uid, 1000u);
    EXPECT_EQ(*p->gid, 501u);
    EXPECT_EQ(*p->pid, 10);
    EXPECT_EQ(p->fname, "a.out");
    EXPECT_EQ(p->psargs, "./a.out foo ");  // as the kernel wrote it
    EXPECT_EQ(*p->state, 'R');
  }
}

TEST(SiginfoTest, FaultAddressAndMipsFieldOrder) {
  ByteWriter w;
  w.U32(11).U32(0).U32(1).U32(0).U64(0xdead0000).Zeros(104);
  auto s = DecodeSiginfo(View(w.bytes()), MakeAbi(Arch::kX86_64, true));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->signo, 11);
  EXPECT_EQ(s->code, 1);
  EXPECT_EQ(*s->addr, 0xdead0000u);
  EXPECT_EQ(SiCodeName(s->signo, s->code), "SEGV_MAPERR");

  ByteWriter m;  // MIPS: si_signo, si_code, si_errno
  m.U32(6).U32(static_cast<std::uint32_t>(-6)).U32(0).U32(1234).U32(1000).Zeros(108);
  auto k = DecodeSiginfo(View(m.bytes()), MakeAbi(Arch::kMipsO32, false));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->code, -6);
  EXPECT_EQ(*k->sender_pid, 1234);
  EXPECT_EQ(SiCodeName(6, -6), "SI_TKILL");
}

TEST(AuxvTest, StopsAtNullAndAtTheEnd) {
  ByteWriter w;
  w.U64(AT_PAGESZ).U64(4096).U64(AT_ENTRY).U64(0x401000).U64(AT_NULL).U64(0).U64(99).U64(1);
  auto auxv = DecodeAuxv(View(w.bytes()), 8);
  ASSERT_EQ(auxv.size(), 3u);
  EXPECT_EQ(auxv[1].value, 0x401000u);
  EXPECT_EQ(AuxvName(auxv[1].type), "AT_ENTRY");
  std::vector<std::uint8_t> odd(13, 1);
  EXPECT_EQ(DecodeAuxv(View(odd), 8).size(), 0u);
}

TEST(NtFileTest, DecodesEntriesAndRefusesALyingCount) {
  ByteWriter w;
  w.U64(2).U64(4096).U64(0x400000).U64(0x401000).U64(0).U64(0x600000).U64(0x602000).U64(3);
  w.Str("/bin/a", 7).Str("/lib/b (deleted)", 17);
  const Abi abi = MakeAbi(Arch::kX86_64, true);
  auto f = DecodeNtFile(View(w.bytes()), abi);
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->mappings.size(), 2u);
  EXPECT_EQ(f->mappings[1].offset, 3u * 4096);
  EXPECT_EQ(f->mappings[1].path, "/lib/b (deleted)");

  ByteWriter lie;
  lie.U64(0x10000000000).U64(4096).Zeros(24);
  auto bad = DecodeNtFile(View(lie.bytes()), abi);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "NT_FILE claims 1099511627776 mappings but its 40 bytes hold at most 1");
}

TEST(FreeBsdTest, PrstatusThrmiscAndVmmap) {
  const Abi abi = MakeAbi(Arch::kX86_64, true, Endian::kLittle, Os::kFreeBSD);
  ByteWriter p;
  p.U32(1).Zeros(4).U64(224).U64(176).U64(512).U32(1300000).U32(11).U32(100123).Zeros(4);
  for (int i = 0; i < 22; ++i) p.U64(i == 17 ? 0x401234 : i);  // struct reg: rip is the 18th slot
  auto s = DecodeFreeBsdPrstatus(View(p.bytes()), abi);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pid, 100123);
  EXPECT_EQ(s->cursig, 11);
  EXPECT_EQ(s->gregs.size(), 176u);
  auto regs = DecodeRegisters(s->gregs, GeneralRegisterLayout(abi, s->gregs.size()));
  auto rip = std::find_if(regs.begin(), regs.end(), [](const Register& r) { return r.name == "rip"; });
  ASSERT_NE(rip, regs.end());
  EXPECT_EQ(rip->value, 0x401234u);

  ByteWriter t;
  t.Str("worker", 20).U32(0);
  EXPECT_EQ(DecodeFreeBsdThrmisc(View(t.bytes())), "worker");

  ByteWriter v;
  v.U32(1160);
  ByteWriter rec;
  rec.U32(144).U32(2).U64(0x400000).U64(0x695000).U64(0).Zeros(16).U32(0).U32(0).U32(5).Zeros(76);
  rec.Str("/bin/vim", 8);
  v.Bytes(rec.bytes());
  auto entries = DecodeFreeBsdVmmap(View(v.bytes()));
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].end, 0x695000u);
  EXPECT_EQ((*entries)[0].protection, 5u);
  EXPECT_EQ((*entries)[0].path, "/bin/vim");
}

TEST(BsdProcinfoTest, NetBsdAndOpenBsd) {
  ByteWriter n;
  n.U32(1).U32(160).U32(11).U32(1).Zeros(64).U32(622).U32(237).U32(622).U32(200);
  n.U32(1000).U32(1000).U32(1000).U32(100).U32(100).U32(100).U32(2).Str("prog", 32).U32(2);
  auto p = DecodeNetBsdProcinfo(View(n.bytes()));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, 622);
  EXPECT_EQ(p->signo, 11);
  EXPECT_EQ(*p->siglwp, 2);
  EXPECT_EQ(p->name, "prog");

  ByteWriter o(Endian::kBig);
  o.U32(1).U32(104).U32(11).U32(1).Zeros(16).U32(5370).U32(1).U32(5370).U32(5370).Zeros(24);
  o.Str("sparc64_insn", 32);
  auto q = DecodeOpenBsdProcinfo(View(o.bytes(), Endian::kBig));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->pid, 5370);
  EXPECT_EQ(q->name, "sparc64_insn");
}

std::vector<std::uint8_t> XsaveArea(std::uint64_t xcr0, std::uint64_t xstate_bv, std::size_t size) {
  std::vector<std::uint8_t> a(size, 0);
  for (int i = 0; i < 16; ++i) a[160 + 16 * i] = static_cast<std::uint8_t>(i + 1);  // xmm low bytes
  for (int i = 0; i < 8; ++i) a[464 + i] = static_cast<std::uint8_t>(xcr0 >> (8 * i));
  for (int i = 0; i < 8; ++i) a[512 + i] = static_cast<std::uint8_t>(xstate_bv >> (8 * i));
  return a;
}

TEST(XsaveTest, YmmFromStandardOffsetsAndInitState) {
  auto area = XsaveArea(0x7, 0x7, 832);
  area[576] = 0xab;  // ymm0's upper half, first byte
  auto x = DecodeXsave(View(area), {}, true);
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->xcr0, 7u);
  ASSERT_EQ(x->registers.size(), 16u);
  EXPECT_EQ(x->registers[0].name, "ymm0");
  EXPECT_EQ(x->registers[0].bytes[0], 1);
  EXPECT_EQ(x->registers[0].bytes[16], 0xab);

  auto init = XsaveArea(0x7, 0x3, 832);  // AVX in its initial state: upper halves are zero
  init[576] = 0xab;
  auto y = DecodeXsave(View(init), {}, true);
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->registers[0].bytes[16], 0);
}

TEST(XsaveTest, LayoutNoteMovesComponentsAndLiesAreRefused) {
  auto area = XsaveArea(0x27, 0x27, 1200);  // x87, SSE, AVX, opmask
  area[900] = 0x55;                          // k0 per the layout note below
  ByteWriter layout;
  layout.U32(2).U32(256).U32(576).U32(0);
  layout.U32(5).U32(64).U32(900).U32(0);
  auto x = DecodeXsave(View(area), View(layout.bytes()), true);
  ASSERT_TRUE(x.has_value());
  auto k0 = std::find_if(x->registers.begin(), x->registers.end(), [](const Register& r) { return r.name == "k0"; });
  ASSERT_NE(k0, x->registers.end());
  EXPECT_EQ(k0->value, 0x55u);

  ByteWriter lying;  // components whose sizes are too small, or outside the note
  lying.U32(2).U32(8).U32(576).U32(0);
  lying.U32(5).U32(64).U32(100000).U32(0);
  auto y = DecodeXsave(View(area), View(lying.bytes()), true);
  ASSERT_TRUE(y.has_value());
  EXPECT_TRUE(y->registers.empty());
  ASSERT_EQ(y->missing.size(), 1u);
  EXPECT_EQ(y->missing[0], 5u);
}

TEST(FxsaveTest, NamesX87AndSseRegisters) {
  std::vector<std::uint8_t> area(512, 0);
  area[0] = 0x7f;
  area[1] = 0x03;
  area[24] = 0x80;
  area[25] = 0x1f;
  auto regs = DecodeFxsave(View(area), true);
  ASSERT_EQ(regs.size(), 10u + 8u + 16u);
  EXPECT_EQ(regs[0].name, "fctrl");
  EXPECT_EQ(regs[0].value, 0x37fu);
  EXPECT_EQ(regs[8].name, "mxcsr");
  EXPECT_EQ(regs[8].value, 0x1f80u);
  EXPECT_EQ(regs[10].width, 10u);
}

}  // namespace
}  // namespace corekit::elf
