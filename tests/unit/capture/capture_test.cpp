// The capture layer's pure parts: containers from cgroup paths, field limits, core_pattern
// recognition, and a core streamed through a pipe as the kernel sends it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "corekit/capture/core_pattern.h"
#include "corekit/capture/handler.h"
#include "corekit/capture/core_stream.h"
#include "corekit/capture/proc_snapshot.h"
#include "corekit/dump/sink.h"
#include "corekit/elf/elf_file.h"
#include "../../support/elf_builder.h"

namespace corekit::capture {
namespace {

const std::string kId = "4b825dc642cb6eb9a060e54bf8d69288fbee4904" "4b825dc642cb6eb9a060e54b";

TEST(Container, FromCgroupPaths) {
  auto docker = ContainerOfCgroup("0::/system.slice/docker-" + kId + ".scope\n");
  ASSERT_TRUE(docker);
  EXPECT_EQ(docker->runtime, "docker");
  EXPECT_EQ(docker->id, kId);
  EXPECT_EQ(ContainerOfCgroup("12:pids:/docker/" + kId + "\n")->runtime, "docker");
  EXPECT_EQ(ContainerOfCgroup("0::/machine.slice/libpod-" + kId + ".scope/container\n")->runtime, "podman");
  EXPECT_EQ(ContainerOfCgroup("0::/system.slice/containerd.service/cri-containerd-" + kId + ".scope\n")->runtime,
            "containerd");
  EXPECT_EQ(ContainerOfCgroup("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-" +
                              kId + ".scope\n")->runtime, "kubepods");
  EXPECT_FALSE(ContainerOfCgroup("0::/user.slice/user-1000.slice/session-2.scope\n"));
  EXPECT_FALSE(ContainerOfCgroup("0::/system.slice/" + kId + ".service\n"));  // no runtime named
}

TEST(Limited, CutsAtACharacterBoundary) {
  EXPECT_EQ(Limited("short", 10), "short");
  EXPECT_EQ(Limited("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9\u2026");  // é é é -> é…
}

TEST(CorePattern, RecognisesHandlers) {
  EXPECT_TRUE(IsCorekitPattern("|/usr/bin/corekit handle %P %i %s %t %c %d %E"));
  EXPECT_FALSE(IsCorekitPattern("core"));
  EXPECT_EQ(ForeignHandler("|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h")->rfind("systemd-coredump", 0), 0u);
  EXPECT_EQ(ForeignHandler("|/usr/share/apport/apport -p%p -s%s -c%c")->rfind("apport", 0), 0u);
  EXPECT_EQ(ForeignHandler("|/usr/libexec/abrt-hook-ccpp %s %c %p")->rfind("abrt-hook-ccpp", 0), 0u);
  EXPECT_EQ(ForeignHandler("|/opt/x/handler %p")->rfind("a pipe handler", 0), 0u);
  EXPECT_FALSE(ForeignHandler("/var/crash/core.%p"));
  EXPECT_FALSE(ForeignHandler("|/usr/bin/corekit handle %P %i %s %t %c %d %E"));
  EXPECT_FALSE(HandlerPattern("/usr/bin/corekit", "/a path/with space", false));
  EXPECT_FALSE(HandlerPattern("/usr/bin/corekit", "/" + std::string(120, 'x'), false));
  EXPECT_EQ(HandlerPattern("/usr/bin/corekit", "/var/lib/corekit", true)->rfind("|/usr/bin/corekit handle %P", 0), 0u);
}

// Streams `bytes` through a pipe into a sink that records what it is given.
struct Streamed {
  StreamResult result;
  std::vector<std::uint8_t> written;  // gaps as zeros
  std::uint64_t finished = 0;
};

Streamed Stream(const std::vector<std::uint8_t>& bytes, StreamLimits limits) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    std::size_t at = 0;
    while (at < bytes.size()) {
      const ssize_t n = ::write(fds[1], bytes.data() + at, std::min<std::size_t>(bytes.size() - at, 7000));
      if (n <= 0) break;
      at += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
  });
  Streamed s;
  struct Recorder final : dump::Sink {
    Streamed* s;
    Result<void> Write(std::uint64_t offset, std::span<const std::uint8_t> b) override {
      if (s->written.size() < offset) s->written.resize(offset, 0);
      s->written.insert(s->written.end(), b.begin(), b.end());
      return {};
    }
    Result<void> Finish(std::uint64_t size) override {
      s->finished = size;
      return {};
    }
  } recorder;
  recorder.s = &s;
  s.result = StreamCore(fds[0], recorder, limits);
  writer.join();
  ::close(fds[0]);
  return s;
}

std::vector<std::uint8_t> CoreWithSegments() {
  corekit::testing::ElfBuilder core;
  core.Note("CORE", elf::NT_PRPSINFO, std::vector<std::uint8_t>(136, 0));
  core.Load(0x400000, std::vector<std::uint8_t>(1 << 20, 0x11));   // big: dropped in a compact
  core.Load(0x800000, std::vector<std::uint8_t>(4096, 0x22));      // small: kept
  return core.Build();
}

TEST(CoreStream, PassesACoreThroughWhole) {
  const auto core = CoreWithSegments();
  const Streamed s = Stream(core, {});
  EXPECT_EQ(s.result.state, "present");
  EXPECT_EQ(s.result.stream_bytes, core.size());
  EXPECT_EQ(*s.result.core_size, core.size());
  EXPECT_EQ(s.finished, core.size());
  EXPECT_EQ(s.written, core);
}

TEST(CoreStream, CutsAtRlimitCore) {
  const auto core = CoreWithSegments();
  StreamLimits limits;
  limits.rlimit = 10000;
  const Streamed s = Stream(core, limits);
  EXPECT_EQ(s.result.state, "truncated");
  EXPECT_EQ(s.result.stream_bytes, core.size());  // drained all the same
  EXPECT_EQ(s.finished, 10000u);
  EXPECT_EQ(std::vector<std::uint8_t>(core.begin(), core.begin() + 10000), s.written);
}

TEST(CoreStream, OverTheCapKeepsSmallSegmentsAndZeroesTheOthersFileSize) {
  const auto core = CoreWithSegments();
  StreamLimits limits;
  limits.max_core_size = 64 << 10;
  const Streamed s = Stream(core, limits);
  EXPECT_EQ(s.result.state, "compact");
  EXPECT_LT(s.result.written_bytes, 64u << 10);
  Diagnostics d;
  std::vector<std::uint8_t> written = s.written;
  written.resize(s.finished, 0);
  auto elf = elf::ElfFile::Parse(elf::Bytes(written.data(), written.size()), d);
  ASSERT_TRUE(elf);
  std::vector<std::uint64_t> filesz;
  for (const auto& ph : elf->program_headers()) {
    if (ph.p_type == elf::PT_LOAD) filesz.push_back(ph.p_filesz);
  }
  ASSERT_EQ(filesz.size(), 2u);
  EXPECT_EQ(filesz[0], 0u);      // dropped: readers see it absent, not zeros
  EXPECT_EQ(filesz[1], 4096u);   // kept
}

TEST(CoreStream, AGarbageStreamIsStoredAsItCame) {
  const std::vector<std::uint8_t> garbage(5000, 0xab);
  StreamLimits limits;
  limits.max_core_size = 100;
  const Streamed s = Stream(garbage, limits);
  EXPECT_EQ(s.result.state, "present");
  EXPECT_FALSE(s.result.core_size);
  EXPECT_EQ(s.written, garbage);
}

}  // namespace
}  // namespace corekit::capture

namespace corekit::capture {
namespace {

TEST(RunAnalysis, KillsWhatOutlivesItsTimeAndPassesFds) {
  const int null = ::open("/dev/null", O_RDONLY);
  std::string text;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(RunAnalysis({"/bin/sleep", "30"}, null, -1, &text, 100, std::chrono::seconds(1)), -1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // fd 3 is the input; the output is bounded.
  EXPECT_EQ(RunAnalysis({"/bin/sh", "-c", "cat /dev/fd/3; yes | head -c 100000"}, null, -1, &text, 1000,
                        std::chrono::seconds(10)),
            0);
  EXPECT_LE(text.size(), 1000u + 65536u);
  EXPECT_EQ(RunAnalysis({"/bin/sh", "-c", "exit 3"}, null, -1, nullptr, 0, std::chrono::seconds(10), null), 3);
  EXPECT_EQ(RunAnalysis({"/nonexistent"}, null, -1, nullptr, 0, std::chrono::seconds(10)), 127);
  ::close(null);
}

}  // namespace
}  // namespace corekit::capture
