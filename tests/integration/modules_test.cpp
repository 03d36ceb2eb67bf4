// One module per loaded object: on the kernel's, gdb's (gcore) and corekit's own cores of a
// program linked with libc (and so the loader), every object is listed once — NT_FILE's path
// and the link map's (merged /usr: /lib is /usr/lib) folded into one module with both names —
// and the count is gdb's `info sharedlibrary` plus the executable and the vDSO.
#include <set>

#include "support.h"

namespace corekit::itest {
namespace {

using nlohmann::json;

// How many shared objects gdb lists for the core.
std::size_t GdbSharedLibraryCount(const fs::path& core) {
  const std::string out = Gdb("gdb", CRASH_BIN, core, {"info sharedlibrary"});
  static const std::regex row(R"(^0x[0-9a-f]+\s+0x[0-9a-f]+\s+\S+\s+/)");
  std::size_t count = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) count += std::regex_search(line, row);
  return count;
}

void ExpectOneModulePerObject(const fs::path& core) {
  SCOPED_TRACE(core.string());
  const json modules = Corekit("bt --json " + Quote(core.string()))["modules"];
  ASSERT_GE(modules.size(), 3u);
  std::set<std::string> names;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    for (std::size_t k = i + 1; k < modules.size(); ++k) {
      EXPECT_FALSE(modules[i]["bias"] == modules[k]["bias"] && modules[i]["start"] == modules[k]["start"])
          << modules[i]["name"] << " and " << modules[k]["name"] << " are one object";
    }
    EXPECT_TRUE(names.insert(modules[i]["name"].get<std::string>()).second) << modules[i]["name"];
    for (const json& other : modules[i]["other_names"]) {
      EXPECT_TRUE(names.insert(other.get<std::string>()).second) << other;
    }
  }
  std::size_t vdso = 0, exe = 0;
  for (const json& m : modules) {
    vdso += m["source"] == "vdso";
    exe += m["source"] == "exe" || m["name"] == fs::canonical(CRASH_BIN).string();
  }
  EXPECT_EQ(vdso, 1u);
  EXPECT_EQ(exe, 1u);
  if (HaveTool("gdb")) {
    EXPECT_EQ(modules.size(), GdbSharedLibraryCount(core) + 2) << modules.dump(1);
  }
}

TEST(Modules, OnePerLoadedObjectInTheKernelsCore) {
  if (auto why = KernelCoresUnavailable()) GTEST_SKIP() << *why;
  TempDir dir;
  auto crash = CrashInDir({CRASH_BIN, "--threads=2", "--mode=segv"}, dir.path());
  ASSERT_FALSE(crash.core.empty());
  ExpectOneModulePerObject(crash.core);
}

TEST(Modules, OnePerLoadedObjectInGcoresAndCorekitsCores) {
  TempDir dir;
  Child child({CRASH_BIN, "--threads=2", "--mode=wait"});
  const Ready ready = child.WaitReady();
  const std::string pid = std::to_string(ready.pid);
  const fs::path ours = dir / "corekit.core";
  ASSERT_EQ(RunCommand(std::string(COREKIT_BIN) + " dump --quiet -o " + Quote(ours.string()) + " " + pid).status, 0);
  ExpectOneModulePerObject(ours);
  if (!HaveTool("gcore")) GTEST_SKIP() << "gcore is not installed";
  RunCommand("gcore -o " + Quote((dir / "gcore").string()) + " " + pid);
  const fs::path theirs = dir.path() / ("gcore." + pid);
  ASSERT_TRUE(fs::exists(theirs));
  ExpectOneModulePerObject(theirs);
}

}  // namespace
}  // namespace corekit::itest
