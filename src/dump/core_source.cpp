#include "corekit/dump/core_source.h"

#include <algorithm>

#include "corekit/elf/constants.h"

namespace corekit::dump {

Result<std::vector<NoteData>> CoreSource::ProcessNotes() {
  std::vector<NoteData> notes;
  for (const elf::Note& n : core_.notes()) {
    if (n.owner == "COREKIT") continue;
    NoteData d;
    d.owner = std::string(n.owner);
    d.type = n.type;
    d.desc.assign(n.desc.data(), n.desc.data() + n.desc.size());
    notes.push_back(std::move(d));
  }
  return notes;
}

Result<std::vector<PlannedSegment>> CoreSource::PlanMemory() {
  std::vector<PlannedSegment> plan;
  std::vector<const target::Mapping*> mappings;
  for (const target::Mapping& m : core_.mappings()) mappings.push_back(&m);
  std::sort(mappings.begin(), mappings.end(), [](auto* a, auto* b) { return a->start < b->start; });
  for (const core::Segment& s : core_.segments()) {
    PlannedSegment p;
    p.start = s.vaddr;
    p.end = s.vaddr + s.memsz;
    p.flags = s.flags;
    p.dump_size = std::min(s.available, s.memsz);
    auto it = std::upper_bound(mappings.begin(), mappings.end(), s.vaddr,
                               [](std::uint64_t a, const target::Mapping* m) { return a < m->start; });
    if (it != mappings.begin() && s.vaddr < (*std::prev(it))->end) p.path = (*std::prev(it))->path;
    plan.push_back(std::move(p));
  }
  return plan;
}

}  // namespace corekit::dump
