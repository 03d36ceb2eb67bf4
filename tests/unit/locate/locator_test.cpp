// The Locator on hand-built ELF files: the .build-id trees, .gnu_debuglink with its CRC,
// .gnu_debugaltlink, build-id checks that reject another file, and debuginfod's cache read
// offline (an empty entry is libdebuginfod's "not found").
#include "corekit/locate/locator.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "../../support/elf_builder.h"

namespace corekit::locate {
namespace {

namespace fs = std::filesystem;
using corekit::testing::ByteWriter;

// An ELF64 file with section headers only: a GNU build-id note and, optionally, a
// .gnu_debugaltlink naming an alt file and its build-id.
std::vector<std::uint8_t> ElfWithBuildId(const std::vector<std::uint8_t>& id, const std::string& alt_path = "",
                                         const std::vector<std::uint8_t>& alt_id = {}) {
  const std::vector<std::uint8_t> note = corekit::testing::EncodeNote("GNU", 3, id, elf::Endian::kLittle);
  std::vector<std::uint8_t> altlink(alt_path.begin(), alt_path.end());
  altlink.push_back(0);
  altlink.insert(altlink.end(), alt_id.begin(), alt_id.end());
  const std::string shstrtab = std::string("\0.note.gnu.build-id\0.gnu_debugaltlink\0.shstrtab\0", 49);
  const bool with_alt = !alt_path.empty();
  const std::uint64_t note_off = 64, alt_off = note_off + note.size(), str_off = alt_off + (with_alt ? altlink.size() : 0);
  std::uint64_t sh_off = (str_off + shstrtab.size() + 7) & ~std::uint64_t{7};
  const std::uint16_t shnum = with_alt ? 4 : 3;
  ByteWriter w;
  w.U8(0x7f).U8('E').U8('L').U8('F').U8(2).U8(1).U8(1).U8(0).Zeros(8);
  w.U16(elf::ET_DYN).U16(elf::EM_X86_64).U32(1).U64(0).U64(0).U64(sh_off);
  w.U32(0).U16(64).U16(56).U16(0).U16(64).U16(shnum).U16(shnum - 1);
  w.Bytes(note);
  if (with_alt) w.Bytes(altlink);
  w.Bytes(std::vector<std::uint8_t>(shstrtab.begin(), shstrtab.end()));
  while (w.size() < sh_off) w.U8(0);
  auto section = [&](std::uint32_t name, std::uint32_t type, std::uint64_t off, std::uint64_t size, std::uint64_t align) {
    w.U32(name).U32(type).U64(0).U64(0).U64(off).U64(size).U32(0).U32(0).U64(align).U64(0);
  };
  section(0, 0, 0, 0, 0);
  section(1, 7 /* SHT_NOTE */, note_off, note.size(), 4);
  if (with_alt) section(20, 1 /* SHT_PROGBITS */, alt_off, altlink.size(), 1);
  section(38, 3 /* SHT_STRTAB */, str_off, shstrtab.size(), 1);
  return w.bytes();
}

const std::vector<std::uint8_t> kId = {0xab, 0xcd, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
const std::string kIdHex = "abcd010203040506";
const std::vector<std::uint8_t> kOtherId = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
const std::vector<std::uint8_t> kAltId = {0xa1, 0x7a, 0x17, 0x00, 0x01, 0x02, 0x03, 0x04};
const std::string kAltIdHex = "a17a170001020304";

class LocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "corekit-locate-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    ::setenv("DEBUGINFOD_CACHE_PATH", (dir_ / "cache").c_str(), 1);
    ::unsetenv("DEBUGINFOD_URLS");
  }
  void TearDown() override {
    ::unsetenv("DEBUGINFOD_CACHE_PATH");
    fs::remove_all(dir_);
  }
  fs::path Write(const fs::path& relative, const std::vector<std::uint8_t>& bytes) {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  Locator Make() {
    Options o;
    o.debug_dirs.push_back((dir_ / "debug").string());
    return Locator(o);
  }
  fs::path dir_;
};

TEST_F(LocatorTest, ReadsBuildIdsAndAltLinks) {
  const fs::path plain = Write("plain", ElfWithBuildId(kId));
  EXPECT_EQ(BuildIdOfFile(plain.string()), kIdHex);
  EXPECT_FALSE(AltLinkOf(plain.string()));
  const fs::path linked = Write("linked", ElfWithBuildId(kId, "../.dwz/common.debug", kAltId));
  auto alt = AltLinkOf(linked.string());
  ASSERT_TRUE(alt);
  EXPECT_EQ(alt->first, "../.dwz/common.debug");
  EXPECT_EQ(alt->second, kAltIdHex);
  EXPECT_FALSE(BuildIdOfFile((dir_ / "absent").string()));
}

TEST_F(LocatorTest, FindsDebugFilesInTheBuildIdTree) {
  const fs::path debug = Write("debug/.build-id/ab/cd010203040506.debug", ElfWithBuildId(kId));
  Locator locator = Make();
  auto found = locator.DebugFile(kIdHex, "", "", 0, "prog");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->path, debug.string());
  EXPECT_EQ(found->origin, Origin::kBuildIdDir);
  EXPECT_TRUE(locator.warnings().empty());
}

TEST_F(LocatorTest, RejectsAFileWithAnotherBuildIdOnce) {
  Write("debug/.build-id/ab/cd010203040506.debug", ElfWithBuildId(kOtherId));
  Locator locator = Make();
  EXPECT_FALSE(locator.DebugFile(kIdHex, "", "", 0, "prog"));
  EXPECT_FALSE(locator.DebugFile(kIdHex, "", "", 0, "prog"));
  ASSERT_EQ(locator.warnings().size(), 1u);
  EXPECT_NE(locator.warnings()[0].find("has build-id 1122334455667788, not " + kIdHex), std::string::npos);
}

TEST_F(LocatorTest, FollowsGnuDebuglinkCheckingItsCrc) {
  const std::vector<std::uint8_t> bytes = ElfWithBuildId(kId);
  const auto crc = static_cast<std::uint32_t>(crc32(0, bytes.data(), static_cast<uInt>(bytes.size())));
  const fs::path main = Write("bin/prog", ElfWithBuildId(kId));
  const fs::path debug = Write("bin/.debug/prog.debug", bytes);
  Locator locator = Make();
  auto found = locator.DebugFile(kIdHex, main.string(), "prog.debug", crc, "prog");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->path, debug.string());
  EXPECT_EQ(found->origin, Origin::kDebugLink);
  // The same name with another CRC is another file.
  Locator strict = Make();
  EXPECT_FALSE(strict.DebugFile(kIdHex, main.string(), "prog.debug", crc ^ 1, "prog"));
  ASSERT_EQ(strict.warnings().size(), 1u);
  EXPECT_NE(strict.warnings()[0].find("CRC"), std::string::npos);
  // A debuglink is a file name, never a path.
  Locator paths = Make();
  EXPECT_FALSE(paths.DebugFile("", main.string(), "../bin/.debug/prog.debug", crc, "prog"));
}

TEST_F(LocatorTest, FindsTheAltFileByItsPathOrBuildId) {
  const fs::path debug = Write("debug/usr/lib/prog.debug", ElfWithBuildId(kId, "../.dwz/common.debug", kAltId));
  const fs::path alt = Write("debug/usr/.dwz/common.debug", ElfWithBuildId(kAltId));
  Locator locator = Make();
  auto found = locator.AltFile(kAltIdHex, "../.dwz/common.debug", debug.string(), "prog");
  ASSERT_TRUE(found);
  EXPECT_EQ(fs::canonical(found->path), fs::canonical(alt));
  EXPECT_EQ(found->origin, Origin::kAltLink);
  fs::remove(alt);
  const fs::path by_id = Write("debug/.build-id/a1/7a170001020304.debug", ElfWithBuildId(kAltId));
  found = locator.AltFile(kAltIdHex, "../.dwz/common.debug", debug.string(), "prog");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->path, by_id.string());
  EXPECT_EQ(found->origin, Origin::kBuildIdDir);
}

TEST_F(LocatorTest, OfflineReadsDebuginfodsCacheButNotItsNegativeEntries) {
  Write("cache/" + kIdHex + "/debuginfo", ElfWithBuildId(kId));
  Write("cache/" + kAltIdHex + "/debuginfo", {});  // libdebuginfod's "not found"
  Options o;
  o.offline = true;
  Locator locator(o);
  EXPECT_FALSE(locator.debuginfod_enabled());
  auto found = locator.DebugFile(kIdHex, "", "", 0, "prog");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->origin, Origin::kDebuginfodCache);
  EXPECT_FALSE(locator.DebugFile(kAltIdHex, "", "", 0, "alt"));
  // A cached file with the wrong build-id is as wrong as any other.
  Write("cache/" + kIdHex + "/executable", ElfWithBuildId(kOtherId));
  EXPECT_FALSE(locator.Executable(kIdHex, "prog"));
}

TEST_F(LocatorTest, DebuginfodIsOnOnlyWithServersAndNotOffline) {
  ::setenv("DEBUGINFOD_URLS", "http://127.0.0.1:9", 1);
  EXPECT_TRUE(Make().debuginfod_enabled());
  Options o;
  o.offline = true;
  EXPECT_FALSE(Locator(o).debuginfod_enabled());
  ::setenv("DEBUGINFOD_URLS", "", 1);
  EXPECT_FALSE(Make().debuginfod_enabled());
  ::unsetenv("DEBUGINFOD_URLS");
}

TEST(DebuginfodCacheDir, FollowsLibdebuginfodsRules) {
  ::setenv("DEBUGINFOD_CACHE_PATH", "/x/cache", 1);
  EXPECT_EQ(DebuginfodCacheDir(), "/x/cache");
  ::unsetenv("DEBUGINFOD_CACHE_PATH");
  const char* home = std::getenv("HOME");
  const std::string saved_home = home ? home : "";
  ::setenv("HOME", "/nonexistent-home", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(DebuginfodCacheDir(), "/xdg/debuginfod_client");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DebuginfodCacheDir(), "/nonexistent-home/.cache/debuginfod_client");
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace corekit::locate
