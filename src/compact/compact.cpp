#include "corekit/compact/compact.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "corekit/analyze/report.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::compact {
namespace {

constexpr std::uint64_t kPage = 4096;

std::uint64_t PageOf(std::uint64_t address) { return address & ~(kPage - 1); }

// A Target that passes everything through to another and notes the pages each read touched.
class RecordingTarget final : public target::Target {
 public:
  RecordingTarget(target::Target& inner, std::set<std::uint64_t>& pages) : inner_(inner), pages_(pages) {}
  const elf::Abi& abi() const override { return inner_.abi(); }
  target::Producer producer() const override { return inner_.producer(); }
  const target::Process& process() const override { return inner_.process(); }
  const std::vector<target::Thread>& threads() const override { return inner_.threads(); }
  const std::vector<target::Mapping>& mappings() const override { return inner_.mappings(); }
  const Diagnostics& diagnostics() const override { return inner_.diagnostics(); }
  Result<std::size_t> ReadSome(std::uint64_t address, std::span<std::uint8_t> out) override {
    auto n = inner_.ReadSome(address, out);
    if (n && *n > 0) {
      for (std::uint64_t page = PageOf(address); page < address + *n; page += kPage) pages_.insert(page);
    }
    return n;
  }

 private:
  target::Target& inner_;
  std::set<std::uint64_t>& pages_;
};

// The full plan's dumped ranges, sorted, for "is this address something the full core has".
class DumpedRanges {
 public:
  explicit DumpedRanges(const std::vector<dump::PlannedSegment>& plan) {
    for (const dump::PlannedSegment& s : plan) {
      if (s.dump_size > 0) ranges_.emplace_back(s.start, s.start + s.dump_size);
    }
    std::sort(ranges_.begin(), ranges_.end());
  }
  // The dumped range holding address, or nullptr.
  const std::pair<std::uint64_t, std::uint64_t>* Find(std::uint64_t address) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(address, ~std::uint64_t{0}));
    if (it == ranges_.begin()) return nullptr;
    --it;
    return address < it->second ? &*it : nullptr;
  }

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
};

bool IsLoaderOrLibcData(const dump::PlannedSegment& s) {
  const auto slash = s.path.rfind('/');
  const std::string base = slash == std::string::npos ? s.path : s.path.substr(slash + 1);
  return (s.flags & 2) && (base.rfind("ld-linux", 0) == 0 || base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0);
}

}  // namespace

std::vector<dump::PlannedSegment> CompactPlan(target::Target& target, const std::vector<dump::PlannedSegment>& full,
                                              const CompactOptions& options) {
  const DumpedRanges dumped(full);
  std::set<std::uint64_t> pages;
  auto keep_range = [&](std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t page = PageOf(from); page < to; page += kPage) {
      if (dumped.Find(page)) pages.insert(page);
    }
  };
  // 1. What corekit reads to explain the process: modules, every thread's frames, the report.
  {
    RecordingTarget recording(target, pages);
    unwind::UnwindOptions uo;
    uo.cache_dir = unwind::DefaultCacheDir();
    if (auto unwinder = unwind::Unwinder::Create(recording, uo)) analyze::Analyze(recording, **unwinder);
  }
  // 2. Stacks, from SP up to the end of their mapping.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> stacks;
  for (const target::Thread& t : target.threads()) {
    if (!t.sp) continue;
    if (const auto* range = dumped.Find(*t.sp)) {
      const std::uint64_t end = std::min(range->second, PageOf(*t.sp) + options.stack_limit);
      keep_range(*t.sp, end);
      stacks.emplace_back(*t.sp, end);
    }
  }
  // 3. One level of pointers: from every register and every stack word, the page it points into.
  std::uint64_t budget = options.pointee_limit / kPage;
  auto keep_pointee = [&](std::uint64_t value) {
    if (budget == 0 || !dumped.Find(value)) return;
    if (pages.insert(PageOf(value)).second) --budget;
  };
  for (const target::Thread& t : target.threads()) {
    for (const elf::Register& r : t.registers) {
      if (r.width == 8 || r.width == 4) keep_pointee(r.value);
    }
  }
  const unsigned word = target.abi().is64 ? 8 : 4;
  std::vector<std::uint8_t> buffer(64 * 1024);
  for (const auto& [from, to] : stacks) {
    for (std::uint64_t at = from & ~std::uint64_t{word - 1}; at < to && budget > 0;) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), to - at));
      auto n = target.ReadSome(at, std::span(buffer.data(), want));
      if (!n || *n < word) break;
      for (std::size_t i = 0; i + word <= *n; i += word) {
        std::uint64_t value = 0;
        std::memcpy(&value, &buffer[i], word);
        keep_pointee(value);
      }
      at += *n / word * word;
    }
  }
  // 4. Around the fault, the vDSO, file mappings' first pages, the loader's and libc's data.
  if (const auto& signal = target.process().signal; signal && signal->fault_address) {
    keep_range(*signal->fault_address - std::min<std::uint64_t>(*signal->fault_address, kPage), *signal->fault_address + 2 * kPage);
  }
  for (const dump::PlannedSegment& s : full) {
    if (s.dump_size == 0) continue;
    if (s.path == "[vdso]" || IsLoaderOrLibcData(s)) keep_range(s.start, s.start + s.dump_size);
    if (!s.path.empty() && s.path[0] == '/') keep_range(s.start, s.start + kPage);
  }
  // Split every mapping into runs of kept and dropped pages.
  std::vector<dump::PlannedSegment> out;
  for (const dump::PlannedSegment& s : full) {
    if (s.dump_size == 0) {
      out.push_back(s);
      continue;
    }
    std::uint64_t run_start = s.start;
    bool run_kept = pages.count(s.start) > 0;
    auto emit = [&](std::uint64_t end) {
      dump::PlannedSegment part = s;
      part.start = run_start;
      part.end = end;
      part.dump_size = run_kept ? end - run_start : 0;
      out.push_back(part);
    };
    const std::uint64_t dumped_end = s.start + s.dump_size;
    for (std::uint64_t page = s.start + kPage; page < dumped_end; page += kPage) {
      const bool kept = pages.count(page) > 0;
      if (kept == run_kept) continue;
      emit(page);
      run_start = page;
      run_kept = kept;
    }
    if (run_kept) {
      emit(dumped_end);
      run_start = dumped_end;
      run_kept = false;
    }
    if (run_start < s.end) emit(s.end);
  }
  return out;
}

Result<std::vector<dump::PlannedSegment>> CompactSource::PlanMemory() {
  auto full = inner_.PlanMemory();
  if (!full) return full;
  target::Target* target = target_();
  if (!target) return Unexpected(Errc::kInvalidArgument, "compact: no target to plan over");
  return CompactPlan(*target, *full, options_);
}

}  // namespace corekit::compact
