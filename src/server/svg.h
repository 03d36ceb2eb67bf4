// The pictures of the server's pages, as inline SVG (no script, no external resource): a
// group's crashes per day, and a crash's address space.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corekit::server {

// Bars of crashes per day, oldest first; the title says the total and the days.
std::string Sparkline(const std::vector<std::size_t>& per_day);

struct Region {
  std::uint64_t start = 0, end = 0;
  std::string perms;  // "r-xp"
  std::string path;   // "" for anonymous memory
  std::string kind;   // stack, heap, file, anonymous, guard, special
};
struct Marker {
  std::uint64_t address = 0;
  std::string label;  // "fault", "sp of 1234"
  bool fault = false;
};

// The kind a page shows for a mapping: guard pages (no access), stacks (a thread's sp inside,
// or "[stack]"), the heap ("[heap]"), special ([vdso], [vvar]), files, anonymous memory.
std::string RegionKind(const Region& region, const std::vector<std::uint64_t>& stack_pointers,
                       const std::vector<std::pair<std::uint64_t, std::string>>& named);

// Mappings top-down by address, each as tall as the logarithm of its size (so a 4 KiB guard
// page and a 1 GiB heap both show), gaps between them marked, the markers drawn at their
// addresses. At most `max_regions` are drawn; the rest are counted.
std::string AddressSpace(const std::vector<Region>& regions, const std::vector<Marker>& markers,
                         std::size_t max_regions = 400);

}  // namespace corekit::server
