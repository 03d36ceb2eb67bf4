// corekit.sig/1 on hand-built frames.
#include "corekit/analyze/signature.h"

#include <gtest/gtest.h>

namespace corekit::analyze {
namespace {

unwind::Frame F(const char* name, std::uint64_t pc = 0x1000, const char* how = "cfi") {
  unwind::Frame f;
  if (name) f.function = name;
  f.pc = pc;
  f.how = how;
  return f;
}

TEST(Signature, NormalisesNames) {
  EXPECT_EQ(NormalizedFunction("ns::f<int>(int) const"), "ns::f<int>");
  EXPECT_EQ(NormalizedFunction("void ns::g<std::pair<int, int> >(std::pair<int, int>)"), "ns::g<std::pair<int, int> >");
  EXPECT_EQ(NormalizedFunction("process_order [clone .cold]"), "process_order");
  EXPECT_EQ(NormalizedFunction("parse.isra.0"), "parse");
  EXPECT_EQ(NormalizedFunction("run.constprop.3.cold"), "run");
  EXPECT_EQ(NormalizedFunction("(anonymous namespace)::worker(void*)"), "(anonymous namespace)::worker");
  EXPECT_EQ(NormalizedFunction("Order::operator<(Order const&) const"), "Order::operator<");
  EXPECT_EQ(NormalizedFunction("main"), "main");
}

TEST(Signature, SkipsAbortMachineryAndStopsAtThreadStart) {
  const std::vector<unwind::Frame> frames = {
      F("__pthread_kill_implementation"), F("__pthread_kill_internal"), F("__GI_raise"), F("__GI_abort"),
      F("__assert_fail_base"), F("__assert_fail"), F("check(int)"), F("run"), F("worker"), F("start_thread"),
      F("clone3")};
  EXPECT_EQ(Signature(frames, {}), "check | run | worker");
}

TEST(Signature, SkipsTerminateAndThrowMachinery) {
  const std::vector<unwind::Frame> frames = {
      F("__pthread_kill_implementation"), F("raise"), F("abort"), F("__gnu_cxx::__verbose_terminate_handler()"),
      F("__cxxabiv1::__terminate(void (*)())"), F("std::terminate()"), F("__cxa_throw"),
      F("Ledger::total() const"), F("main"), F("__libc_start_call_main"), F("__libc_start_main"), F("_start")};
  EXPECT_EQ(Signature(frames, {}), "Ledger::total | main");
}

TEST(Signature, KeepsFiveFramesSkipsTheTrampolineAndNamesUnsymbolisedFrames) {
  unwind::Module m;
  m.name = "/usr/lib/libfoo.so.1";
  m.start = 0x7f0000000000;
  m.end = 0x7f0000100000;
  const std::vector<unwind::Frame> frames = {
      F(nullptr, 0x7f0000001234), F(nullptr, 0x7fff0000, "signal-trampoline"), F("a"), F("b"), F("c"), F("d"),
      F("e")};
  EXPECT_EQ(Signature(frames, {m}), "libfoo.so.1+0x1234 | a | b | c | d");
  EXPECT_EQ(Signature({F(nullptr, 0x42)}, {m}), "0x42");  // a jump to nowhere
}

TEST(Signature, ACrashInsideTheCLibraryKeepsItsFrame) {
  // A segfault in strlen is not abort machinery.
  EXPECT_EQ(Signature({F("__strlen_avx2"), F("log_line"), F("main")}, {}), "__strlen_avx2 | log_line | main");
}

}  // namespace
}  // namespace corekit::analyze
