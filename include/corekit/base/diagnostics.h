// Diagnostics: where parsers report what is wrong with a file but does not stop them.
//
// A damaged core should still show what can be read (the LLVM Object way: warnings go to a
// handler). Parsers append a Diagnostic for each non-fatal problem ("note 7 at offset 0x3a0
// overflows its segment; the remaining notes are skipped") and carry on; the command layer
// prints them as warnings, or as a "diagnostics" array in JSON. The list is bounded so that a
// file built to produce millions of complaints cannot exhaust memory.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace corekit {

struct Diagnostic {
  std::string message;
};

class Diagnostics {
 public:
  static constexpr std::size_t kMaxKept = 256;

  void Warn(std::string message) {
    ++total_;
    if (kept_.size() < kMaxKept) kept_.push_back({std::move(message)});
  }
  const std::vector<Diagnostic>& kept() const { return kept_; }
  // How many were reported, including those past kMaxKept.
  std::size_t total() const { return total_; }
  bool empty() const { return total_ == 0; }

 private:
  std::vector<Diagnostic> kept_;
  std::size_t total_ = 0;
};

}  // namespace corekit
