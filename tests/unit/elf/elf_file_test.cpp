#include "corekit/elf/elf_file.h"

#include <gtest/gtest.h>

#include "../../support/elf_builder.h"
#include "corekit/elf/notes.h"

namespace corekit::elf {
namespace {

using testing::ByteWriter;
using testing::ElfBuilder;
using testing::View;

TEST(BytesTest, ReadsBothByteOrdersAndRefusesOutOfBounds) {
  const std::vector<std::uint8_t> b = {0x01, 0x02, 0x03, 0x04, 0xff};
  EXPECT_EQ(*View(b).U32(0), 0x04030201u);
  EXPECT_EQ(*View(b, Endian::kBig).U32(0), 0x01020304u);
  EXPECT_FALSE(View(b).Int(4, 2).has_value());  // 2 bytes at 4 do not fit
  EXPECT_EQ(*View(b).Int(3, 2), static_cast<std::int64_t>(static_cast<std::int16_t>(0xff04)));
  EXPECT_FALSE(View(b).U64(0).has_value());
  EXPECT_FALSE(View(b).Sub(4, 2).has_value());
  EXPECT_FALSE(View(b).Sub(UINT64_MAX, 2).has_value());  // no wrap-around
  EXPECT_EQ(View(b).CString(0, 3), std::string_view("\x01\x02\x03"));
}

TEST(ElfFileTest, RejectsWhatIsNotElf) {
  Diagnostics d;
  std::vector<std::uint8_t> empty;
  EXPECT_EQ(ElfFile::Parse(View(empty), d).error().message,
            "file of 0 bytes is too short for an ELF header");
  std::vector<std::uint8_t> text(64, 'a');
  EXPECT_EQ(ElfFile::Parse(View(text), d).error().message, "not an ELF file (bad magic)");
  auto core = ElfBuilder().Build();
  core[4] = 3;
  EXPECT_EQ(ElfFile::Parse(View(core), d).error().message, "unknown ELF class 3");
}

TEST(ElfFileTest, ReadsHeaderAndProgramHeaders) {
  auto bytes = ElfBuilder().Note("CORE", NT_AUXV, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
                   .Load(0x1000, std::vector<std::uint8_t>(16, 0xaa), 0x2000)
                   .Build();
  Diagnostics d;
  auto elf = ElfFile::Parse(View(bytes), d);
  ASSERT_TRUE(elf.has_value()) << elf.error().message;
  EXPECT_TRUE(elf->is64());
  EXPECT_EQ(elf->type(), ET_CORE);
  EXPECT_EQ(elf->machine(), EM_X86_64);
  ASSERT_EQ(elf->program_headers().size(), 2u);
  EXPECT_EQ(elf->program_headers()[0].p_type, PT_NOTE);
  EXPECT_EQ(elf->program_headers()[1].p_vaddr, 0x1000u);
  EXPECT_EQ(elf->program_headers()[1].p_memsz, 0x2000u);
  EXPECT_FALSE(elf->SegmentTruncated(elf->program_headers()[1]));
}

TEST(ElfFileTest, ResolvesPnXnumFromSectionHeaderZero) {
  ElfBuilder b(false, Endian::kBig, EM_PPC);
  for (int i = 0; i < 3; ++i) b.Load(0x1000 * (i + 1), {1, 2, 3, 4});
  auto bytes = b.ForcePnXnum().Build();
  Diagnostics d;
  auto elf = ElfFile::Parse(View(bytes), d);
  ASSERT_TRUE(elf.has_value()) << elf.error().message;
  EXPECT_TRUE(elf->uses_pn_xnum());
  EXPECT_EQ(elf->program_headers().size(), 4u);
  EXPECT_EQ(elf->program_headers()[3].p_vaddr, 0x3000u);
}

TEST(ElfFileTest, PnXnumWithoutSectionHeaderIsAnError) {
  auto bytes = ElfBuilder().ForcePnXnum().Build();
  // Point e_shoff at nothing.
  for (int i = 0; i < 8; ++i) bytes[40 + i] = 0;
  Diagnostics d;
  EXPECT_EQ(ElfFile::Parse(View(bytes), d).error().message,
            "e_phnum is PN_XNUM (0xffff) but there is no section header 0 to hold the real count");
}

TEST(ElfFileTest, ProgramHeaderTableOverflowingTheFileIsTruncated) {
  auto bytes = ElfBuilder().Load(0x1000, {1}).Build();
  bytes.resize(64 + 56 + 10);  // cut inside the second program header
  Diagnostics d;
  auto elf = ElfFile::Parse(View(bytes), d);
  ASSERT_FALSE(elf.has_value());
  EXPECT_EQ(elf.error().code, Errc::kTruncated);
  EXPECT_EQ(elf.error().message,
            "program header table at offset 0x40 with 2 entries overflows file of size 0x82");
}

TEST(ElfFileTest, HugeLyingPhnumDoesNotAllocate) {
  auto bytes = ElfBuilder().Build();
  bytes[56] = 0xfe;  // e_phnum = 0xfffe: 3.6 MB of headers in a 100-byte file
  bytes[57] = 0xff;
  Diagnostics d;
  auto elf = ElfFile::Parse(View(bytes), d);
  ASSERT_FALSE(elf.has_value());
  EXPECT_EQ(elf.error().code, Errc::kTruncated);
}

TEST(ElfFileTest, SegmentPastTheEndIsReportedTruncated) {
  auto bytes = ElfBuilder().Load(0x1000, std::vector<std::uint8_t>(100, 7)).Build();
  bytes.resize(bytes.size() - 40);
  Diagnostics d;
  auto elf = ElfFile::Parse(View(bytes), d);
  ASSERT_TRUE(elf.has_value());
  const ProgramHeader& load = elf->program_headers()[1];
  EXPECT_TRUE(elf->SegmentTruncated(load));
  EXPECT_EQ(elf->SegmentBytes(load).size(), 60u);
}

TEST(NotesTest, SplitsNotesWithFourByteAlignment) {
  ByteWriter w;
  auto a = testing::EncodeNote("CORE", 1, {1, 2, 3});
  auto b = testing::EncodeNote("LINUX", 0x202, {9});
  w.Bytes(a).Bytes(b);
  Diagnostics d;
  auto notes = ParseNotes(View(w.bytes()), 0x100, 4, d);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].owner, "CORE");
  EXPECT_EQ(notes[0].desc.size(), 3u);
  EXPECT_EQ(notes[1].owner, "LINUX");
  EXPECT_EQ(notes[1].type, 0x202u);
  EXPECT_EQ(notes[1].offset, 0x100u + a.size());
  EXPECT_TRUE(d.empty());
}

TEST(NotesTest, EightByteAlignmentPadsTheDescriptor) {
  ByteWriter w;
  w.U32(4).U32(8).U32(NT_GNU_PROPERTY_TYPE_0).Str("GNU", 4).U64(0x1122334455667788);
  w.U32(4).U32(4).U32(NT_GNU_BUILD_ID).Str("GNU", 4).U32(0xdeadbeef).U32(0);
  Diagnostics d;
  auto notes = ParseNotes(View(w.bytes()), 0, 8, d);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(*notes[0].desc.U64(0), 0x1122334455667788u);
  EXPECT_EQ(HexBytes(*GnuBuildId(notes)), "efbeadde");
}

TEST(NotesTest, OverflowingNoteIsSkippedAndTheNextPlausibleOneFound) {
  ByteWriter w;
  w.U32(5).U32(0x7fffffff).U32(1).Str("CORE", 8);  // a descsz that lies
  w.Bytes(testing::EncodeNote("CORE", NT_AUXV, {0, 0, 0, 0}));
  Diagnostics d;
  auto notes = ParseNotes(View(w.bytes()), 0x200, 4, d);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].type, NT_AUXV);
  ASSERT_EQ(d.kept().size(), 1u);
  EXPECT_EQ(d.kept()[0].message,
            "note at offset 0x200 has sizes that overflow its segment; skipped 20 bytes to the "
            "next plausible note at 0x214");
}

TEST(NotesTest, ZeroHeaderIsPadding) {
  ByteWriter w;
  w.Zeros(12).Bytes(testing::EncodeNote("CORE", NT_AUXV, {}));
  Diagnostics d;
  auto notes = ParseNotes(View(w.bytes()), 0, 4, d);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(d.total(), 1u);
}

TEST(NotesTest, GarbageEndsWithOneDiagnostic) {
  std::vector<std::uint8_t> junk(64, 0xff);
  Diagnostics d;
  EXPECT_TRUE(ParseNotes(View(junk), 0, 4, d).empty());
  EXPECT_EQ(d.total(), 1u);
}

}  // namespace
}  // namespace corekit::elf
