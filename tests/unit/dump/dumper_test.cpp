// The Dumper over a synthetic source, its output read back by CoreFile: layout, holes, notes
// order, PN_XNUM, the size limit, phase order, cancellation, and the sinks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "corekit/core/core_file.h"
#include "corekit/dump/dumper.h"
#include "corekit/elf/constants.h"

namespace corekit::dump {
namespace {

constexpr std::uint64_t kPage = 4096;

// Memory is a function of the address (its low byte), except pages listed as zero.
class FakeSource final : public DumpSource {
 public:
  explicit FakeSource(std::vector<PlannedSegment> plan, std::size_t threads = 2) : plan_(std::move(plan)), threads_(threads) {
    abi_.arch = elf::Arch::kX86_64;
    abi_.os = elf::Os::kLinux;
    abi_.is64 = true;
    abi_.e_machine = elf::EM_X86_64;
    abi_.long_size = 8;
    abi_.reg_width = 8;
  }
  Result<void> Suspend() override {
    suspended = true;
    return {};
  }
  const elf::Abi& abi() const override { return abi_; }
  std::size_t thread_count() const override { return threads_; }
  Result<std::vector<NoteData>> ProcessNotes() override {
    std::vector<std::uint8_t> psinfo(136, 0);
    std::memcpy(&psinfo[40], "fake", 4);
    return std::vector<NoteData>{{"CORE", elf::NT_PRPSINFO, psinfo}};
  }
  Result<std::vector<NoteData>> ThreadNotes(std::size_t index) override {
    std::vector<std::uint8_t> prstatus(336, 0);
    const std::int32_t tid = 100 + static_cast<std::int32_t>(index);
    std::memcpy(&prstatus[32], &tid, 4);
    const std::uint64_t rip = 0x401000 + index;
    std::memcpy(&prstatus[112 + 16 * 8], &rip, 8);
    return std::vector<NoteData>{{"CORE", elf::NT_PRSTATUS, prstatus}};
  }
  Result<std::vector<PlannedSegment>> PlanMemory() override { return plan_; }
  Result<std::size_t> ReadMemory(std::uint64_t address, std::span<std::uint8_t> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::uint64_t a = address + i;
      if (zero_pages.count(a / kPage * kPage)) out[i] = 0;
      else if (unreadable_pages.count(a / kPage * kPage)) return i;
      else out[i] = static_cast<std::uint8_t>(a & 0xff) | 1;
    }
    return out.size();
  }
  std::vector<bool> TouchedPages(std::uint64_t, std::size_t) override { return {}; }
  void Resume() override { resumed = true; }
  std::chrono::nanoseconds stopped_for() const override { return std::chrono::milliseconds(3); }

  bool suspended = false, resumed = false;
  std::map<std::uint64_t, bool> zero_pages, unreadable_pages;

 private:
  std::vector<PlannedSegment> plan_;
  std::size_t threads_;
  elf::Abi abi_;
};

PlannedSegment Segment(std::uint64_t start, std::uint64_t pages, std::uint64_t dumped_pages,
                       PlannedSegment::Priority priority = PlannedSegment::kLargeAnonymous) {
  PlannedSegment s;
  s.start = start;
  s.end = start + pages * kPage;
  s.flags = 6;
  s.dump_size = dumped_pages * kPage;
  s.priority = priority;
  return s;
}

class TempFile {
 public:
  TempFile() {
    path_ = (std::filesystem::temp_directory_path() / "corekit-dump-XXXXXX").string();
    fd_ = ::mkstemp(path_.data());
  }
  ~TempFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(Dumper, WritesACoreCoreFileReadsBack) {
  FakeSource source({Segment(0x10000, 4, 4), Segment(0x20000, 2, 0), Segment(0x30000, 3, 1)});
  source.zero_pages[0x11000] = true;
  source.unreadable_pages[0x12000] = true;
  Dumper dumper(source, {});
  std::vector<Phase> phases;
  dumper.set_observer([&](Phase p, const Progress&) {
    if (phases.empty() || phases.back() != p) phases.push_back(p);
  });
  TempFile file;
  FdWriter writer(file.fd());
  auto summary = dumper.Run(writer);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_TRUE(source.suspended && source.resumed);
  EXPECT_EQ(phases, (std::vector<Phase>{Phase::kSuspend, Phase::kProcessNotes, Phase::kThreadNotes, Phase::kPlanMemory,
                                        Phase::kWriteHeaders, Phase::kWriteMemory, Phase::kResume, Phase::kDone}));
  EXPECT_EQ(summary->memory_bytes, 5 * kPage);
  EXPECT_EQ(summary->hole_bytes, 2 * kPage);        // the zero page and the unreadable one
  EXPECT_EQ(summary->unreadable_bytes, kPage);
  EXPECT_EQ(summary->segments_dumped, 2u);

  auto core = core::CoreFile::Open(file.path());
  ASSERT_TRUE(core) << core.error().message;
  EXPECT_EQ((*core)->producer(), target::Producer::kCorekit);
  ASSERT_EQ((*core)->threads().size(), 2u);
  EXPECT_EQ((*core)->threads()[1].tid, 101);
  EXPECT_EQ((*core)->threads()[1].pc, 0x401001u);
  EXPECT_EQ((*core)->process().executable, "fake");
  // Notes: the first thread's NT_PRSTATUS, the process notes, the other thread, COREKIT last.
  const auto& notes = (*core)->notes();
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_EQ(notes[0].type, elf::NT_PRSTATUS);
  EXPECT_EQ(notes[1].type, elf::NT_PRPSINFO);
  EXPECT_EQ(notes[3].owner, "COREKIT");
  // Memory: data where it was, zeros in holes and unreadable pages, nothing where not dumped.
  std::uint8_t b[4];
  ASSERT_TRUE((*core)->ReadExact(0x10003, b));
  EXPECT_EQ(b[0], 0x03 | 1);
  ASSERT_TRUE((*core)->ReadExact(0x11010, b));
  EXPECT_EQ(b[0], 0);
  ASSERT_TRUE((*core)->ReadExact(0x12010, b));
  EXPECT_EQ(b[0], 0);
  EXPECT_FALSE((*core)->ReadExact(0x20000, b));
  EXPECT_TRUE((*core)->ReadExact(0x30ffc, b));
  EXPECT_FALSE((*core)->ReadExact(0x31000, b));
  // Segment data is page-aligned, in increasing offset.
  std::uint64_t last = 0;
  for (const core::Segment& s : (*core)->segments()) {
    EXPECT_EQ(s.offset % kPage, 0u);
    EXPECT_GE(s.offset, last);
    last = s.offset;
  }
}

TEST(Dumper, MoreThan65534SegmentsUsePnXnum) {
  std::vector<PlannedSegment> plan;
  for (std::uint64_t i = 0; i < 70000; ++i) plan.push_back(Segment(0x100000 + i * 2 * kPage, 1, i % 1000 == 0 ? 1 : 0));
  FakeSource source(plan, 1);
  Dumper dumper(source, {});
  TempFile file;
  FdWriter writer(file.fd());
  ASSERT_TRUE(dumper.Run(writer));
  auto core = core::CoreFile::Open(file.path());
  ASSERT_TRUE(core) << core.error().message;
  EXPECT_EQ((*core)->segments().size(), 70000u);
  std::uint8_t b[1];
  EXPECT_TRUE((*core)->ReadExact(0x100000 + 69000 * 2 * kPage, b));
  EXPECT_FALSE((*core)->ReadExact(0x100000 + 69001 * 2 * kPage, b));
}

TEST(Dumper, SizeLimitDropsLeastUsefulSegmentsWhole) {
  FakeSource source({Segment(0x10000, 4, 4, PlannedSegment::kStack), Segment(0x100000, 64, 64),
                     Segment(0x200000, 8, 8, PlannedSegment::kSmallAnonymous)});
  DumpOptions options;
  options.max_size = 20 * kPage;
  Dumper dumper(source, options);
  TempFile file;
  FdWriter writer(file.fd());
  auto summary = dumper.Run(writer);
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_EQ(summary->dropped.size(), 1u);
  EXPECT_EQ(summary->dropped[0].start, 0x100000u);
  EXPECT_LE(summary->file_size, 20 * kPage);
  auto core = core::CoreFile::Open(file.path());
  ASSERT_TRUE(core);
  std::uint8_t b[1];
  EXPECT_TRUE((*core)->ReadExact(0x10000, b));
  EXPECT_FALSE((*core)->ReadExact(0x100000, b));
  EXPECT_EQ((*core)->segments()[1].filesz, 0u);  // consistent headers: dropped means p_filesz 0
  DumpOptions tiny;
  tiny.max_size = 100;
  FakeSource again({Segment(0x10000, 4, 4)});
  Dumper impossible(again, tiny);
  TempFile other;
  FdWriter other_writer(other.fd());
  auto failed = impossible.Run(other_writer);
  ASSERT_FALSE(failed);
  EXPECT_TRUE(again.resumed) << "resumed on the error path";
}

TEST(Dumper, CancelAndPhaseOrder) {
  FakeSource source({Segment(0x10000, 4, 4)});
  Dumper dumper(source, {});
  TempFile file;
  FdWriter writer(file.fd());
  EXPECT_FALSE(dumper.PlanMemory()) << "out of order";
  dumper.set_observer([&](Phase p, const Progress&) {
    if (p == Phase::kThreadNotes) dumper.Cancel();
  });
  auto result = dumper.Run(writer);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "cancelled");
  EXPECT_TRUE(source.resumed);
}

TEST(Sinks, FdWriterOnAPipeWritesTheZeros) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FdWriter writer(fds[1]);
  EXPECT_FALSE(writer.sparse());
  const std::uint8_t data[3] = {1, 2, 3};
  ASSERT_TRUE(writer.Write(2, data));
  ASSERT_TRUE(writer.Finish(8));
  EXPECT_FALSE(writer.Write(1, data)) << "backwards";
  ::close(fds[1]);
  std::uint8_t got[16];
  const ssize_t n = ::read(fds[0], got, sizeof got);
  ::close(fds[0]);
  ASSERT_EQ(n, 8);
  EXPECT_EQ(std::vector<std::uint8_t>(got, got + 8), (std::vector<std::uint8_t>{0, 0, 1, 2, 3, 0, 0, 0}));
}

TEST(Sinks, CallbackSinkSeesIncreasingOffsets) {
  std::vector<std::uint64_t> offsets;
  CallbackSink sink([&](std::uint64_t offset, std::span<const std::uint8_t>) -> Result<void> {
    offsets.push_back(offset);
    return {};
  });
  FakeSource source({Segment(0x10000, 2, 2), Segment(0x20000, 1, 1)});
  Dumper dumper(source, {});
  ASSERT_TRUE(dumper.Run(sink));
  ASSERT_GE(offsets.size(), 2u);
  EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));
  EXPECT_EQ(offsets[0], 0u);
}

}  // namespace
}  // namespace corekit::dump
