#include "svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "html.h"

namespace corekit::server {

std::string Sparkline(const std::vector<std::size_t>& per_day) {
  const std::size_t days = per_day.size();
  const std::size_t peak = days ? *std::max_element(per_day.begin(), per_day.end()) : 0;
  const std::size_t total = std::accumulate(per_day.begin(), per_day.end(), std::size_t{0});
  constexpr int kHeight = 20, kBar = 3;
  std::string svg = fmt::format(
      R"(<svg class="spark" role="img" width="{0}" height="{1}" viewBox="0 0 {0} {1}"><title>{2} crashes in the last {3} days (peak {4} a day)</title>)",
      days * kBar, kHeight, total, days, peak);
  svg += fmt::format(R"(<line x1="0" y1="{0}" x2="{1}" y2="{0}" class="axis"/>)", kHeight - 0.5, days * kBar);
  for (std::size_t d = 0; d < days; ++d) {
    if (per_day[d] == 0) continue;
    const double h = std::max(1.5, (kHeight - 1.0) * static_cast<double>(per_day[d]) / static_cast<double>(peak));
    svg += fmt::format(R"(<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}"/>)", d * kBar, kHeight - 1 - h, kBar - 1, h);
  }
  return svg + "</svg>";
}

std::string RegionKind(const Region& r, const std::vector<std::uint64_t>& stack_pointers,
                       const std::vector<std::pair<std::uint64_t, std::string>>& named) {
  std::string name = r.path;
  for (const auto& [start, n] : named) {
    if (start == r.start) name = n;
  }
  if (r.perms.size() >= 3 && r.perms.compare(0, 3, "---") == 0) return "guard";
  if (name == "[stack]") return "stack";
  for (const std::uint64_t sp : stack_pointers) {
    if (sp >= r.start && sp < r.end) return "stack";
  }
  if (name == "[heap]") return "heap";
  if (!name.empty() && name[0] == '[') return "special";
  if (!name.empty()) return "file";
  return "anonymous";
}

namespace {

std::string Hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

std::string SizeText(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string Basename(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string AddressSpace(const std::vector<Region>& regions, const std::vector<Marker>& markers,
                         std::size_t max_regions) {
  constexpr int kWidth = 720, kBarX = 150, kBarW = 260, kGap = 10;
  const std::size_t shown = std::min(regions.size(), max_regions);
  // Each region's top and height, top-down by address; a gap between regions that do not touch.
  std::vector<double> top(shown), height(shown);
  double y = 4;
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0 && regions[i].start != regions[i - 1].end) y += kGap;
    const double pages = std::max(1.0, static_cast<double>(regions[i].end - regions[i].start) / 4096.0);
    top[i] = y;
    height[i] = 12 + 3 * std::log2(pages);
    y += height[i];
  }
  const double total_height = y + (shown < regions.size() ? 24 : 8);
  std::string svg = fmt::format(
      R"(<svg class="aspace" role="img" viewBox="0 0 {0} {1:.0f}" width="{0}" height="{1:.0f}"><title>The address space: {2} mappings</title>)",
      kWidth, total_height, regions.size());
  for (std::size_t i = 0; i < shown; ++i) {
    const Region& r = regions[i];
    if (i > 0 && r.start != regions[i - 1].end) {
      svg += fmt::format(R"(<line class="gap" x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}"/>)", kBarX, top[i] - kGap / 2.0,
                         kBarX + kBarW, top[i] - kGap / 2.0);
    }
    const std::string label = r.path.empty() ? r.kind : Basename(r.path);
    svg += fmt::format(R"(<g class="{}"><title>{} - {} {} {} {}</title>)", Html(r.kind), Hex(r.start), Hex(r.end),
                       Html(r.perms), SizeText(r.end - r.start), Html(r.path.empty() ? r.kind : r.path));
    svg += fmt::format(R"(<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}"/>)", kBarX, top[i], kBarW, height[i]);
    const double text_y = top[i] + std::min(height[i], 14.0) - 3;
    svg += fmt::format(R"(<text class="addr" x="{}" y="{:.1f}">{}</text>)", kBarX - 6, text_y, Hex(r.start));
    svg += fmt::format(R"(<text class="label" x="{}" y="{:.1f}">{} {} {}</text></g>)", kBarX + kBarW + 8, text_y,
                       Html(r.perms), SizeText(r.end - r.start), Html(label.size() > 40 ? label.substr(0, 40) + "..." : label));
  }
  // Markers: at their place inside a region, or in the gap before the first region above them.
  for (const Marker& m : markers) {
    double at = -1;
    for (std::size_t i = 0; i < shown; ++i) {
      const Region& r = regions[i];
      if (m.address >= r.start && m.address < r.end) {
        at = top[i] + height[i] * static_cast<double>(m.address - r.start) / static_cast<double>(r.end - r.start);
        break;
      }
      if (m.address < r.start) {
        at = top[i] - (i > 0 && r.start != regions[i - 1].end ? kGap / 2.0 : 0);
        break;
      }
    }
    if (at < 0) continue;
    svg += fmt::format(R"(<g class="{}"><line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}"/><text x="{}" y="{:.1f}">{} {}</text></g>)",
                       m.fault ? "fault" : "sp", kBarX - 2, at, kBarX + kBarW + 2, at, kBarX + kBarW / 2, at - 2,
                       Html(m.label), Hex(m.address));
  }
  if (shown < regions.size()) {
    svg += fmt::format(R"(<text class="label" x="{}" y="{:.1f}">... {} more mappings</text>)", kBarX, y + 16,
                       regions.size() - shown);
  }
  return svg + "</svg>";
}

}  // namespace corekit::server
