// FileMappingIndex: NT_FILE entries sorted by start address, to find the one holding an address.
//
// Shared by CoreFile (naming the file of each mapping) and FileBacking (reading file-backed bytes).
// It refers to the entries it indexes, which must outlive it and not change.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "corekit/elf/core_notes.h"

namespace corekit::core {

class FileMappingIndex {
 public:
  explicit FileMappingIndex(const std::vector<elf::FileMapping>& mappings) : mappings_(mappings) {
    by_start_.resize(mappings_.size());
    for (std::size_t i = 0; i < by_start_.size(); ++i) by_start_[i] = i;
    std::sort(by_start_.begin(), by_start_.end(),
              [&](std::size_t a, std::size_t b) { return mappings_[a].start < mappings_[b].start; });
  }

  // The entry whose [start, end) holds address, or nullptr.
  const elf::FileMapping* Find(std::uint64_t address) const {
    auto it = std::upper_bound(by_start_.begin(), by_start_.end(), address,
                               [&](std::uint64_t a, std::size_t i) { return a < mappings_[i].start; });
    if (it == by_start_.begin()) return nullptr;
    const elf::FileMapping& m = mappings_[*(it - 1)];
    return address < m.end ? &m : nullptr;
  }

  const std::vector<elf::FileMapping>& mappings() const { return mappings_; }

 private:
  const std::vector<elf::FileMapping>& mappings_;
  std::vector<std::size_t> by_start_;  // indices of mappings_, sorted by start
};

}  // namespace corekit::core
