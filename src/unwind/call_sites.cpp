// Call sites: what a caller's DWARF records (DW_TAG_call_site and its parameters) about the call
// it was making — what it called, and the values it passed — for the crash report's assertion
// arguments, gdb's `name@entry` values in the debugger, and tail-call frames.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <span>

#include "corekit/unwind/call_sites.h"
#include "session.h"

namespace corekit::unwind {
namespace {

// The psABI's integer argument registers in DWARF numbering, in argument order.
std::vector<unsigned> ArgumentRegisters(elf::Arch arch) {
  switch (arch) {
    case elf::Arch::kX86_64: return {5, 4, 1, 2, 8, 9};  // rdi rsi rdx rcx r8 r9
    case elf::Arch::kAarch64: return {0, 1, 2, 3, 4, 5, 6, 7};
    case elf::Arch::kArm: return {0, 1, 2, 3};
    default: return {};  // i386 passes arguments on the stack
  }
}

// Evaluates a call site's DW_AT_call_value: the small expressions compilers emit there
// (addresses, constants, a callee-saved register plus an offset, and DW_OP_entry_value of a
// register: the caller's own argument, through `entry`). nullopt for anything else.
std::optional<std::uint64_t> EvaluateCallValue(const Dwarf_Op* ops, std::size_t n, Dwarf_Addr bias,
                                               const std::vector<std::pair<unsigned, std::uint64_t>>& registers,
                                               Dwarf_Attribute* value_attr,
                                               const std::function<std::optional<std::uint64_t>(unsigned)>& entry) {
  std::vector<std::uint64_t> stack;
  for (std::size_t i = 0; i < n; ++i) {
    const Dwarf_Op& op = ops[i];
    if (op.atom == DW_OP_entry_value || op.atom == DW_OP_GNU_entry_value) {
      Dwarf_Attribute inner;
      Dwarf_Op* block = nullptr;
      std::size_t nblock = 0;
      if (!value_attr || dwarf_getlocation_attr(value_attr, &op, &inner) != 0 ||
          dwarf_getlocation(&inner, &block, &nblock) != 0 || nblock != 1) {
        return std::nullopt;
      }
      std::optional<std::uint64_t> v;
      if (block[0].atom >= DW_OP_reg0 && block[0].atom <= DW_OP_reg31) v = entry(block[0].atom - DW_OP_reg0);
      if (block[0].atom == DW_OP_regx) v = entry(static_cast<unsigned>(block[0].number));
      if (!v) return std::nullopt;
      stack.push_back(*v);
    } else if (op.atom == DW_OP_addr) {
      stack.push_back(op.number + bias);
    } else if (op.atom >= DW_OP_lit0 && op.atom <= DW_OP_lit31) {
      stack.push_back(op.atom - DW_OP_lit0);
    } else if ((op.atom >= DW_OP_const1u && op.atom <= DW_OP_consts) ) {
      stack.push_back(op.number);
    } else if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) {
      const unsigned regno = op.atom - DW_OP_breg0;
      auto r = std::find_if(registers.begin(), registers.end(), [regno](const auto& x) { return x.first == regno; });
      if (r == registers.end()) return std::nullopt;
      stack.push_back(r->second + static_cast<std::uint64_t>(static_cast<std::int64_t>(op.number)));
    } else if (op.atom == DW_OP_plus_uconst && !stack.empty()) {
      stack.back() += op.number;
    } else if (op.atom == DW_OP_stack_value) {
      continue;
    } else {
      return std::nullopt;
    }
  }
  if (stack.size() != 1) return std::nullopt;
  return stack.back();
}

}  // namespace

// The DW_TAG_call_site (or GCC's DW_TAG_GNU_call_site) under `scope` whose return address is
// `return_pc` (module-relative). Searches nested blocks and inlined calls, boundedly.
std::optional<Dwarf_Die> FindCallSite(Dwarf_Die* scope, Dwarf_Addr return_pc, int& budget) {
  Dwarf_Die child;
  if (dwarf_child(scope, &child) != 0) return std::nullopt;
  do {
    if (--budget < 0) return std::nullopt;
    const int tag = dwarf_tag(&child);
    if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
      Dwarf_Attribute attr;
      Dwarf_Addr pc = 0;
      if ((dwarf_attr(&child, DW_AT_call_return_pc, &attr) || dwarf_attr(&child, DW_AT_low_pc, &attr)) &&
          dwarf_formaddr(&attr, &pc) == 0 && pc == return_pc) {
        return child;
      }
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
      if (auto found = FindCallSite(&child, return_pc, budget)) return found;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return std::nullopt;
}

// The concrete function (DW_TAG_subprogram) whose code holds `address`, with its module's bias.
// dwarf_getscopes leaves an inlined call for its abstract origin, so the function is found among
// the innermost scope's own parents.
std::optional<Dwarf_Die> FunctionAt(Session& s, Dwarf_Addr address, Dwarf_Addr* bias) {
  Dwfl_Module* mod = dwfl_addrmodule(s.dwfl, address);
  Dwarf_Die cu_storage;
  Dwarf_Die* cu = mod ? FindCu(s, mod, address, &cu_storage, bias) : nullptr;
  if (!cu) return std::nullopt;
  std::vector<Dwarf_Die> scopes = ScopesAt(s, mod, cu, address - *bias);
  std::optional<Dwarf_Die> innermost;
  if (!scopes.empty()) innermost = scopes[0];
  if (!innermost) return std::nullopt;
  Dwarf_Die* parents = nullptr;
  const int m = dwarf_getscopes_die(&*innermost, &parents);
  std::optional<Dwarf_Die> function;
  for (int k = 0; k < m && !function; ++k) {
    if (dwarf_tag(&parents[k]) == DW_TAG_subprogram) function = parents[k];
  }
  std::free(parents);
  return function;
}

// A call site's return address (for a tail call: the address after the jump), runtime.
std::optional<Dwarf_Addr> CallSiteReturnPc(Dwarf_Die* site, Dwarf_Addr bias) {
  Dwarf_Attribute attr;
  Dwarf_Addr pc = 0;
  if ((dwarf_attr(site, DW_AT_call_return_pc, &attr) || dwarf_attr(site, DW_AT_low_pc, &attr)) && dwarf_formaddr(&attr, &pc) == 0) {
    return pc + bias;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> CallTarget(Unwinder& unwinder, Dwarf_Die* site, Dwarf_Addr bias) {
  Dwarf_Attribute attr;
  Dwarf_Die origin;
  if (!(dwarf_attr(site, DW_AT_call_origin, &attr) || dwarf_attr(site, DW_AT_abstract_origin, &attr)) ||
      !dwarf_formref_die(&attr, &origin)) {
    return std::nullopt;  // an indirect call (DW_AT_call_target): not followed
  }
  Dwarf_Addr low = 0;
  if (dwarf_lowpc(&origin, &low) == 0) return low + bias;
  // A declaration (the callee is in another unit or object): its symbol.
  const char* name = LinkageName(&origin);
  if (!name) name = dwarf_formstring(dwarf_attr_integrate(&origin, DW_AT_name, &attr));
  return name ? unwinder.SymbolAddress(name) : std::nullopt;
}

std::optional<std::uint64_t> CallSites::Argument(const Frame& caller, unsigned index) const {
  const std::vector<unsigned> argument_registers = ArgumentRegisters(unwinder_->target_->abi().arch);
  if (index >= argument_registers.size()) return std::nullopt;
  return EntryValue(std::span<const Frame>(&caller, 1), argument_registers[index], std::nullopt);
}

std::optional<std::uint64_t> CallSites::EntryValue(std::span<const Frame> callers, unsigned register_number,
                                                  std::optional<std::uint64_t> callee) const {
  return EntryValue(callers, register_number, callee, 0);
}

std::optional<std::uint64_t> CallSites::EntryValue(std::span<const Frame> callers, unsigned register_number,
                                                  std::optional<std::uint64_t> callee, int depth) const {
  if (callers.empty() || depth > 8) return std::nullopt;
  const Frame& caller = callers.front();
  if (caller.how == "initial" || caller.pc == 0) return std::nullopt;
  Session& s = *unwinder_->session_;
  Dwarf_Addr bias = 0;
  std::optional<Dwarf_Die> function = FunctionAt(s, caller.pc - 1, &bias);
  if (!function) return std::nullopt;
  int budget = 100000;
  std::optional<Dwarf_Die> site = FindCallSite(&*function, caller.pc - bias, budget);
  if (!site) return std::nullopt;
  // Only a call to the callee itself (a tail call in between would make its values another
  // function's): the call site's target is the callee's entry, as gdb checks it.
  if (callee && CallTarget(*unwinder_, &*site, bias) != callee) return std::nullopt;
  Dwarf_Die parameter;
  if (dwarf_child(&*site, &parameter) != 0) return std::nullopt;
  do {
    const int tag = dwarf_tag(&parameter);
    if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter) continue;
    Dwarf_Attribute location, value;
    Dwarf_Op* where = nullptr;
    std::size_t nwhere = 0;
    if (!dwarf_attr(&parameter, DW_AT_location, &location) || dwarf_getlocation(&location, &where, &nwhere) != 0 ||
        nwhere != 1) {
      continue;
    }
    unsigned regno = ~0u;
    if (where[0].atom >= DW_OP_reg0 && where[0].atom <= DW_OP_reg31) regno = where[0].atom - DW_OP_reg0;
    if (where[0].atom == DW_OP_regx) regno = static_cast<unsigned>(where[0].number);
    if (regno != register_number) continue;
    Dwarf_Op* ops = nullptr;
    std::size_t nops = 0;
    if ((dwarf_attr(&parameter, DW_AT_call_value, &value) || dwarf_attr(&parameter, DW_AT_GNU_call_site_value, &value)) &&
        dwarf_getlocation(&value, &ops, &nops) == 0) {
      // A value the caller passed on from its own entry: from its caller's call site, in turn.
      auto entry = [&](unsigned regno) -> std::optional<std::uint64_t> {
        std::size_t next = 0;  // past the caller's own inlined frames, to the frame it returns to
        while (next < callers.size() && callers[next].inlined) ++next;
        Dwarf_Addr caller_entry = 0;
        if (next + 1 >= callers.size() || dwarf_lowpc(&*function, &caller_entry) != 0) return std::nullopt;
        return EntryValue(callers.subspan(next + 1), regno, caller_entry + bias, depth + 1);
      };
      return EvaluateCallValue(ops, nops, bias, caller.registers, &value, entry);
    }
  } while (dwarf_siblingof(&parameter, &parameter) == 0);
  return std::nullopt;
}

}  // namespace corekit::unwind
