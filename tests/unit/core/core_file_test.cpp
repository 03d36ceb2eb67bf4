#include "corekit/core/core_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../../support/elf_builder.h"
#include "../../support/linux_notes.h"

namespace corekit::core {
namespace {

namespace fs = std::filesystem;
using testing::ByteWriter;
using testing::ElfBuilder;
using testing::NtFile;
using testing::Prpsinfo;
using testing::Prstatus;
using testing::Siginfo;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "corekit-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A two-thread Linux x86-64 core: thread 101 took SIGSEGV at 0x0, thread 100 is the leader.
std::vector<std::uint8_t> TwoThreadCore() {
  std::vector<std::uint8_t> stack(0x2000);
  for (std::size_t i = 0; i < stack.size(); ++i) stack[i] = static_cast<std::uint8_t>(i);
  return ElfBuilder()
      .Note("CORE", elf::NT_PRSTATUS, Prstatus(101, 11, 0x401000, 0x7ff000))
      .Note("CORE", elf::NT_PRPSINFO, Prpsinfo("crash", "./crash --threads=2 "))
      .Note("CORE", elf::NT_SIGINFO, Siginfo(11, 1, 0))
      .Note("CORE", elf::NT_PRSTATUS, Prstatus(100, 11, 0x402000, 0x7fe000))
      .Load(0x7fe000, stack)                                 // fully in the core
      .Load(0x800000, {}, 0x1000)                            // p_filesz 0: not dumped
      .Load(0x801000, std::vector<std::uint8_t>(0x1000, 0x5a))  // right after it
      .Build();
}

TEST(CoreFileTest, DecodesThreadsProcessAndSignal) {
  TempDir dir;
  WriteFile(dir / "core", TwoThreadCore());
  auto core = CoreFile::Open((dir / "core").string());
  ASSERT_TRUE(core.has_value()) << core.error().message;
  const CoreFile& c = **core;
  EXPECT_EQ(c.abi().os, elf::Os::kLinux);
  EXPECT_EQ(c.producer(), target::Producer::kKernel);
  ASSERT_EQ(c.threads().size(), 2u);
  EXPECT_EQ(c.threads()[0].tid, 101);
  EXPECT_EQ(*c.threads()[0].pc, 0x401000u);
  EXPECT_EQ(*c.threads()[0].sp, 0x7ff000u);
  EXPECT_EQ(c.process().pid, 100);
  EXPECT_EQ(c.process().command_line, "./crash --threads=2");
  ASSERT_TRUE(c.process().signal.has_value());
  EXPECT_EQ(c.process().signal->number, 11);
  EXPECT_EQ(*c.process().signal->fault_address, 0u);
  EXPECT_EQ(c.process().signalled_thread, 101);
  // Only the thread that took the signal has it; the leader's pr_cursig is the kernel's copy.
  ASSERT_TRUE(c.threads()[0].signal.has_value());
  EXPECT_EQ(*c.threads()[0].signal->code, 1);
  EXPECT_FALSE(c.threads()[1].signal.has_value());
}

TEST(CoreFileTest, ReadsMemoryAndNamesWhatIsAbsent) {
  TempDir dir;
  WriteFile(dir / "core", TwoThreadCore());
  auto core = CoreFile::Open((dir / "core").string());
  ASSERT_TRUE(core.has_value());
  CoreFile& c = **core;
  std::uint8_t buffer[16];
  auto got = c.ReadSome(0x7fe010, buffer);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, 16u);
  EXPECT_EQ(buffer[0], 0x10);
  // A p_filesz 0 segment reads as absent, never as the next segment's bytes.
  auto hole = c.ReadSome(0x800ff8, buffer);
  ASSERT_FALSE(hole.has_value());
  EXPECT_EQ(hole.error().code, Errc::kNotInCore);
  EXPECT_EQ(hole.error().message,
            "0x800ff8 is mapped but not in the core: the segment was not dumped (p_filesz 0)");
  auto unmapped = c.ReadSome(0x10, buffer);
  ASSERT_FALSE(unmapped.has_value());
  EXPECT_EQ(unmapped.error().code, Errc::kUnmapped);
  // A read that runs off the end of a segment stops there.
  auto edge = c.ReadSome(0x7ffff8, buffer);
  ASSERT_TRUE(edge.has_value());
  EXPECT_EQ(*edge, 8u);
  auto exact = c.ReadExact(0x7ffff8, buffer);
  ASSERT_FALSE(exact.has_value());
  EXPECT_EQ(exact.error().message,
            "0x800000 is mapped but not in the core: the segment was not dumped (p_filesz 0)");
  auto word = c.ReadWord(0x801000, 4);
  ASSERT_TRUE(word.has_value());
  EXPECT_EQ(*word, 0x5a5a5a5au);
}

TEST(CoreFileTest, TruncatedCoreOpensAndSaysWhichSegmentsAreCut) {
  TempDir dir;
  auto bytes = TwoThreadCore();
  bytes.resize(bytes.size() - 0x1800);  // cut into the stack segment's second half, drop the last
  WriteFile(dir / "core", bytes);
  auto core = CoreFile::Open((dir / "core").string());
  ASSERT_TRUE(core.has_value());
  EXPECT_EQ((*core)->truncated_segment_count(), 2u);
  std::uint8_t b[4];
  EXPECT_TRUE((*core)->ReadSome(0x7fe000, b).has_value());
  auto cut = (*core)->ReadSome(0x7ff900, b);
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().message, "0x7ff900 is mapped but not in the core: the core file is truncated there");
  EXPECT_FALSE((*core)->diagnostics().empty());
}

TEST(CoreFileTest, NotACoreIsRefused) {
  TempDir dir;
  WriteFile(dir / "exe", ElfBuilder(true, elf::Endian::kLittle, elf::EM_X86_64, elf::ET_EXEC).Build());
  auto core = CoreFile::Open((dir / "exe").string());
  ASSERT_FALSE(core.has_value());
  EXPECT_EQ(core.error().code, Errc::kUnsupported);
  EXPECT_EQ(core.error().message, (dir / "exe").string() + ": not a core file: ELF type executable");
  auto missing = CoreFile::Open((dir / "nothing").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::kIo);
}

// A shared library on disk with a build-id, its second page a known pattern.
std::vector<std::uint8_t> Library(std::uint32_t build_id) {
  ByteWriter id;
  id.U32(build_id);
  auto lib = ElfBuilder(true, elf::Endian::kLittle, elf::EM_X86_64, elf::ET_DYN)
                 .Note("GNU", elf::NT_GNU_BUILD_ID, id.bytes())
                 .NoteAtItsOffset()
                 .Load(0, {}, 0x2000, elf::PF_R | elf::PF_X)
                 .Build();
  lib.resize(0x2000, 0);
  for (std::size_t i = 0x1000; i < 0x2000; ++i) lib[i] = 0xc3;
  return lib;
}

struct MappedLibraryCore {
  std::vector<std::uint8_t> core;
  std::string lib_path;
};

MappedLibraryCore CoreMappingLibrary(const TempDir& dir, std::uint32_t id_on_disk, std::uint32_t id_in_core) {
  const auto on_disk = Library(id_on_disk);
  WriteFile(dir / "libx.so", on_disk);
  const std::string path = (dir / "libx.so").string();
  auto in_core = Library(id_in_core);
  in_core.resize(0x1000);  // the kernel dumps the first page of an ELF mapping
  auto core = ElfBuilder()
                  .Note("CORE", elf::NT_PRSTATUS, Prstatus(7, 11, 0x7001000, 0))
                  .Note("CORE", elf::NT_FILE, NtFile({{0x7000000, 0x7002000, 0, path}}))
                  .Load(0x7000000, in_core, 0x2000, elf::PF_R | elf::PF_X)
                  .Build();
  return {core, path};
}

TEST(CoreFileTest, ReadsFileBackedBytesWhenTheBuildIdMatches) {
  TempDir dir;
  auto made = CoreMappingLibrary(dir, 0x11223344, 0x11223344);
  WriteFile(dir / "core", made.core);
  auto core = CoreFile::Open((dir / "core").string());
  ASSERT_TRUE(core.has_value());
  std::uint8_t b[8];
  auto got = (*core)->ReadSome(0x7001000, b);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(b[0], 0xc3);
  EXPECT_EQ((*core)->mappings()[0].backing, target::Backing::kPartial);
  // ReadFromCore never consults files.
  EXPECT_FALSE((*core)->ReadFromCore(0x7001000, b).has_value());
}

TEST(CoreFileTest, RefusesFileBackedBytesWhenTheBuildIdDiffers) {
  TempDir dir;
  auto made = CoreMappingLibrary(dir, 0x11223344, 0x55667788);
  WriteFile(dir / "core", made.core);
  auto core = CoreFile::Open((dir / "core").string());
  ASSERT_TRUE(core.has_value());
  std::uint8_t b[8];
  auto got = (*core)->ReadSome(0x7001000, b);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, Errc::kNotInCore);
  EXPECT_EQ(got.error().message, "0x7001000 is in " + made.lib_path +
                                     " but its bytes are not in the core and " + made.lib_path +
                                     " has build-id 44332211 but the core's is 88776655");
}

TEST(CoreFileTest, SysrootPrefixesTheMappedPaths) {
  TempDir dir;
  auto made = CoreMappingLibrary(dir, 1, 1);
  WriteFile(dir / "core", made.core);
  fs::create_directories(dir / ("root" + fs::path(made.lib_path).parent_path().string()));
  fs::rename(made.lib_path, (dir / "root").string() + made.lib_path);
  Options options;
  options.sysroot = (dir / "root").string();
  auto core = CoreFile::Open((dir / "core").string(), options);
  ASSERT_TRUE(core.has_value());
  std::uint8_t b[1];
  EXPECT_TRUE((*core)->ReadSome(0x7001000, b).has_value());
}

class CompressedCoreTest : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(CompressedCoreTest, OpensDirectly) {
  const auto [tool, suffix] = GetParam();
  if (std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << tool << " is not installed";
  }
  TempDir dir;
  WriteFile(dir / "core", TwoThreadCore());
  const std::string core_path = (dir / "core").string();
  std::string command = std::string(tool) + " -q -k " + core_path;
  if (std::string(tool) == "lz4") command += " " + core_path + suffix;  // lz4 names no output itself
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto core = CoreFile::Open((dir / "core").string() + suffix);
  ASSERT_TRUE(core.has_value()) << core.error().message;
  EXPECT_NE((*core)->file().compression(), Compression::kNone);
  EXPECT_EQ((*core)->threads().size(), 2u);
  std::uint8_t b[1];
  EXPECT_TRUE((*core)->ReadSome(0x7fe010, b).has_value());
  // A cut stream is a clear error, not a crash.
  auto compressed = fs::path((dir / "core").string() + suffix);
  fs::resize_file(compressed, fs::file_size(compressed) / 2);
  auto cut = CoreFile::Open(compressed.string());
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, Errc::kCorrupt);
}

INSTANTIATE_TEST_SUITE_P(Formats, CompressedCoreTest,
                         ::testing::Values(std::make_pair("zstd", ".zst"), std::make_pair("gzip", ".gz"),
                                           std::make_pair("xz", ".xz"), std::make_pair("lz4", ".lz4")),
                         [](const auto& info) { return std::string(info.param.first); });

TEST(CoreFileTest, ManySegmentsUsePnXnumAndStayOrdered) {
  ElfBuilder b;
  b.Note("CORE", elf::NT_PRSTATUS, Prstatus(1, 0, 0, 0));
  for (int i = 70000; i > 0; --i) b.Load(0x10000000ull + 0x2000ull * i, {static_cast<std::uint8_t>(i)});
  TempDir dir;
  WriteFile(dir / "core", b.Build());
  auto core = CoreFile::Open((dir / "core").string());
  ASSERT_TRUE(core.has_value()) << core.error().message;
  EXPECT_TRUE((*core)->elf().uses_pn_xnum());
  EXPECT_EQ((*core)->segments().size(), 70000u);
  auto byte = (*core)->ReadWord(0x10000000ull + 0x2000ull * 1234, 1);
  ASSERT_TRUE(byte.has_value());
  EXPECT_EQ(*byte, 1234u & 0xff);
}

}  // namespace
}  // namespace corekit::core

namespace corekit::core {
namespace {

// A FreeBSD amd64 core: thread names from NT_THRMISC, the signal from pr_cursig, mappings from
// NT_PROCSTAT_VMMAP, auxv from NT_PROCSTAT_AUXV (after its 4-byte structsize).
TEST(CoreFileTest, FreeBsdCoreThroughTheModel) {
  auto prstatus = [](int lwp, int cursig, std::uint64_t rip) {
    ByteWriter w;
    w.U32(1).Zeros(4).U64(224).U64(176).U64(512).U32(1300000).U32(cursig).U32(lwp).Zeros(4);
    for (int i = 0; i < 22; ++i) w.U64(i == 17 ? rip : 0);
    return w.bytes();
  };
  ByteWriter psinfo;
  psinfo.U32(1).Zeros(4).U64(120).Str("vim", 17).Str("vim notes.txt", 81).Zeros(2).U32(4242);
  ByteWriter thrmisc_main, thrmisc_worker;
  thrmisc_main.Str("vim", 20).U32(0);
  thrmisc_worker.Str("timer", 20).U32(0);
  ByteWriter vmmap;
  vmmap.U32(1160);
  vmmap.U32(144).U32(2).U64(0x400000).U64(0x401000).U64(0).Zeros(16).U32(0).U32(0).U32(5).Zeros(76);
  vmmap.Str("/usr/local/bin/vim", 8);  // cut to fit the 144-byte record, as the kernel packs it
  ByteWriter auxv;
  auxv.U32(16).U64(elf::AT_PAGESZ).U64(4096).U64(elf::AT_NULL).U64(0);
  auto bytes = ElfBuilder()
                   .Note("FreeBSD", elf::NT_PRPSINFO, psinfo.bytes())
                   .Note("FreeBSD", elf::NT_PRSTATUS, prstatus(100001, 11, 0x401234))
                   .Note("FreeBSD", elf::NT_FREEBSD_THRMISC, thrmisc_main.bytes())
                   .Note("FreeBSD", elf::NT_PRSTATUS, prstatus(100002, 11, 0x405678))
                   .Note("FreeBSD", elf::NT_FREEBSD_THRMISC, thrmisc_worker.bytes())
                   .Note("FreeBSD", elf::NT_FREEBSD_PROCSTAT_VMMAP, vmmap.bytes())
                   .Note("FreeBSD", elf::NT_FREEBSD_PROCSTAT_AUXV, auxv.bytes())
                   .Load(0x400000, std::vector<std::uint8_t>(0x1000, 0xcc), 0x1000, elf::PF_R | elf::PF_X)
                   .Build();
  TempDir dir;
  WriteFile(dir / "vim.core", bytes);
  auto core = CoreFile::Open((dir / "vim.core").string());
  ASSERT_TRUE(core.has_value()) << core.error().message;
  const CoreFile& c = **core;
  EXPECT_EQ(c.abi().os, elf::Os::kFreeBSD);
  ASSERT_EQ(c.threads().size(), 2u);
  EXPECT_EQ(c.threads()[0].name, "vim");
  EXPECT_EQ(c.threads()[1].name, "timer");
  EXPECT_EQ(*c.threads()[1].pc, 0x405678u);
  EXPECT_EQ(c.process().executable, "vim");
  EXPECT_EQ(c.process().command_line, "vim notes.txt");
  EXPECT_EQ(c.process().pid, 4242);
  EXPECT_EQ(c.process().signal->number, 11);
  EXPECT_EQ(c.process().signalled_thread, 100001);
  EXPECT_EQ(c.process().Auxv(elf::AT_PAGESZ), 4096u);
  ASSERT_EQ(c.mappings().size(), 1u);
  EXPECT_EQ(c.mappings()[0].perms, "r-xp");
  EXPECT_EQ(c.mappings()[0].path, "/usr/loc");
  EXPECT_EQ(c.mappings()[0].backing, target::Backing::kCore);
}

}  // namespace
}  // namespace corekit::core
