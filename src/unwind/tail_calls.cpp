// Tail calls: a function that jumped to its callee left no frame; the DWARF call sites of the
// caller (and of the functions they name, DW_AT_call_tail_call) put it back, as gdb's TAILCALL
// frames, when exactly one chain leads to the callee.
#include <algorithm>
#include <functional>

#include "session.h"

namespace corekit::unwind {
namespace {

// The call sites under `scope` that are tail calls (DW_AT_call_tail_call), through nested
// blocks and inlined calls, boundedly.
void TailCallSites(Dwarf_Die* scope, std::vector<Dwarf_Die>& sites, int& budget) {
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return;
  do {
    if (--budget < 0) return;
    const int tag = dwarf_tag(&child);
    if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
      Dwarf_Attribute attr;
      bool tail = false;
      if ((dwarf_attr(&child, DW_AT_call_tail_call, &attr) || dwarf_attr(&child, DW_AT_GNU_tail_call, &attr)) &&
          dwarf_formflag(&attr, &tail) == 0 && tail) {
        sites.push_back(child);
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      TailCallSites(&child, sites, budget);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

}  // namespace

std::vector<std::uint64_t> Unwinder::TailCallPcs(std::uint64_t callee_lookup, std::uint64_t caller_pc) {
  Session& s = *session_;
  const auto callee = SymbolBounds(callee_lookup);
  Dwarf_Addr bias = 0;
  std::optional<Dwarf_Die> caller = FunctionAt(s, caller_pc - 1, &bias);
  if (!callee || !caller) return {};
  int budget = 100000;
  std::optional<Dwarf_Die> site = FindCallSite(&*caller, caller_pc - bias, budget);
  const auto first = site ? CallTarget(*this, &*site, bias) : std::nullopt;
  if (!first || *first == callee->first) return {};
  // Every chain of tail calls from the function the caller called to the callee; gdb's rule:
  // frames only where the chain is certain (here: exactly one chain, at most 5 calls long).
  std::vector<std::vector<std::uint64_t>> chains;
  std::vector<std::uint64_t> path, visited;
  std::function<void(Dwarf_Addr, int)> walk = [&](Dwarf_Addr function_entry, int depth) {
    if (depth > 5 || chains.size() > 1 || std::find(visited.begin(), visited.end(), function_entry) != visited.end()) return;
    visited.push_back(function_entry);
    Dwarf_Addr function_bias = 0;
    std::optional<Dwarf_Die> function = FunctionAt(s, function_entry, &function_bias);
    if (!function) return;
    std::vector<Dwarf_Die> sites;
    TailCallSites(&*function, sites, budget);
    for (Dwarf_Die& tail : sites) {
      const auto target = CallTarget(*this, &tail, function_bias);
      const auto pc = CallSiteReturnPc(&tail, function_bias);
      if (!target || !pc) continue;
      path.push_back(*pc);
      if (*target == callee->first) {
        chains.push_back(path);
      } else {
        walk(*target, depth + 1);
      }
      path.pop_back();
    }
    visited.pop_back();
  };
  walk(*first, 0);
  if (chains.size() != 1) return {};
  return {chains[0].rbegin(), chains[0].rend()};  // innermost first
}

}  // namespace corekit::unwind
