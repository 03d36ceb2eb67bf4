// CallSites: what a caller's DWARF records about the call it was making when it stopped — the
// DW_TAG_call_site at its return address and that site's parameters. The crash report reads an
// assertion's arguments through it (Argument), the evaluator gdb's `name@entry` values
// (EntryValue); that is all either reads of the unwinder's call-site knowledge. The unwinder's
// own use of call sites (tail-call frames) is inside the unwind layer.
//
// A CallSites borrows an Unwinder (and so its libdwfl session), which must outlive it. Cheap to
// make; not thread-safe, as the Unwinder is not.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "corekit/unwind/unwinder.h"

namespace corekit::unwind {

class CallSites {
 public:
  explicit CallSites(Unwinder& unwinder) : unwinder_(&unwinder) {}

  // The value of the index-th (0-based) integer argument of the call `caller` was making when
  // it was stopped (its pc is the return address), as the compiler recorded it at that call site
  // (DWARF call_site_parameter values: constants, addresses, callee-saved registers). For
  // arguments passed in registers; nullopt when not recorded or not computable.
  std::optional<std::uint64_t> Argument(const Frame& caller, unsigned index) const;

  // The value the call `callers[0]` was making passed in DWARF register `register_number`, as
  // its call site records it (a parameter's value at the callee's entry: gdb's `@entry`). With
  // `callee` (an entry address), only if the call site calls that function. `callers` are the
  // frames outward from that caller: a value the caller passed on from its own entry is found at
  // the next call site out, and so on (at most 8 deep).
  std::optional<std::uint64_t> EntryValue(std::span<const Frame> callers, unsigned register_number,
                                          std::optional<std::uint64_t> callee) const;

 private:
  std::optional<std::uint64_t> EntryValue(std::span<const Frame> callers, unsigned register_number,
                                          std::optional<std::uint64_t> callee, int depth) const;
  Unwinder* unwinder_;
};

}  // namespace corekit::unwind
