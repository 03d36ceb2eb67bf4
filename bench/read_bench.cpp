// Micro-benchmarks of the core reader through its library API, on a core named by the
// COREKIT_BENCH_CORE environment variable: opening it, and random 8-byte reads at addresses
// inside its dumped segments (what a sampling profiler reading a core would do).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "corekit/core/core_file.h"

namespace {

const char* CorePath() {
  const char* path = std::getenv("COREKIT_BENCH_CORE");
  return path && *path ? path : nullptr;
}

void BM_Open(benchmark::State& state) {
  if (!CorePath()) return state.SkipWithError("set COREKIT_BENCH_CORE to a core file");
  for (auto _ : state) {
    auto core = corekit::core::CoreFile::Open(CorePath());
    if (!core) return state.SkipWithError(core.error().message.c_str());
    benchmark::DoNotOptimize((*core)->threads().size());
  }
}
BENCHMARK(BM_Open)->Unit(benchmark::kMillisecond);

void BM_RandomRead8(benchmark::State& state) {
  if (!CorePath()) return state.SkipWithError("set COREKIT_BENCH_CORE to a core file");
  auto core = corekit::core::CoreFile::Open(CorePath());
  if (!core) return state.SkipWithError(core.error().message.c_str());
  // Addresses drawn uniformly over the bytes the core holds, precomputed.
  std::vector<std::uint64_t> addresses;
  std::mt19937_64 random(42);
  std::vector<const corekit::core::Segment*> segments;
  for (const auto& s : (*core)->segments()) {
    if (s.available >= 8) segments.push_back(&s);
  }
  if (segments.empty()) return state.SkipWithError("no dumped segments");
  for (int i = 0; i < 1 << 20; ++i) {
    const auto* s = segments[random() % segments.size()];
    addresses.push_back(s->vaddr + random() % (s->available - 7));
  }
  std::uint8_t buffer[8];
  std::size_t i = 0;
  for (auto _ : state) {
    auto got = (*core)->ReadSome(addresses[i++ & (addresses.size() - 1)], buffer);
    benchmark::DoNotOptimize(got);
    benchmark::DoNotOptimize(buffer);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RandomRead8);

// 8-byte reads walking through memory the way a stack walk or a string read does: runs of
// consecutive words (512 bytes) starting at random places.
void BM_RunRead8(benchmark::State& state) {
  if (!CorePath()) return state.SkipWithError("set COREKIT_BENCH_CORE to a core file");
  auto core = corekit::core::CoreFile::Open(CorePath());
  if (!core) return state.SkipWithError(core.error().message.c_str());
  std::vector<std::uint64_t> starts;
  std::mt19937_64 random(7);
  std::vector<const corekit::core::Segment*> segments;
  for (const auto& s : (*core)->segments()) {
    if (s.available >= 512) segments.push_back(&s);
  }
  if (segments.empty()) return state.SkipWithError("no dumped segments of 512 bytes");
  for (int i = 0; i < 1 << 16; ++i) {
    const auto* s = segments[random() % segments.size()];
    starts.push_back(s->vaddr + (random() % (s->available - 511)) / 8 * 8);
  }
  std::uint8_t buffer[8];
  std::size_t i = 0;
  for (auto _ : state) {
    const std::uint64_t address = starts[(i >> 6) & (starts.size() - 1)] + (i & 63) * 8;
    ++i;
    auto got = (*core)->ReadSome(address, buffer);
    benchmark::DoNotOptimize(got);
    benchmark::DoNotOptimize(buffer);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunRead8);

}  // namespace

BENCHMARK_MAIN();
