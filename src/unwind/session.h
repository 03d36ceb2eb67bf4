// The libdwfl session behind an Unwinder, and the helpers its parts share. Private to the
// unwind layer: unwinder.cpp (the session and the frame walk), symbols.cpp (naming frames and
// addresses), stack_scan.cpp (return addresses found on the stack), tail_calls.cpp (frames tail
// calls left none of) and call_sites.cpp (what a caller's call site says about its call).
#pragma once

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <future>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "corekit/unwind/unwinder.h"

namespace corekit::unwind {

// The libdwfl session and what its callbacks need.
struct Unwinder::Session {
  Dwfl* dwfl = nullptr;
  Elf* machine_elf = nullptr;
  std::vector<char> machine_header;  // an ELF header naming the machine, for the backend
  Dwfl_Callbacks callbacks{};
  locate::Locator* locator = nullptr;  // finds the files modules lack
  std::string cache_dir;                // of inflated debug files (debug_cache.h), "" for none
  // What libdwfl's find_debuginfo callback gets as its module's userdata: our module, libdwfl's,
  // and the session. One per reported module, made before any callback (stable addresses).
  struct DebugHook {
    Module* module = nullptr;
    Dwfl_Module* mod = nullptr;
    Session* session = nullptr;
  };
  std::vector<DebugHook> hooks;
  // Inflated copies of debug files being written for the next run (debug_cache.h), on another
  // core while this one unwinds; joined when the session ends.
  std::vector<std::future<std::optional<std::string>>> copies;
  target::Target* target = nullptr;
  std::vector<std::string> dwarf_registers;  // our register names in DWARF numbering order
  bool pc_separate = false;                  // AArch64: pc is not a DWARF register
  unsigned sp_regno = 0;
  unsigned word = 8;
  // Per module, the address ranges of its compile units, for DWARF without .debug_aranges.
  struct CuRange {
    Dwarf_Addr low, high;
    Dwarf_Off cu;
  };
  std::map<Dwfl_Module*, std::vector<CuRange>> cu_ranges;
  // Per unit (module, unit offset): its functions with code, (low, high, DIE offset) sorted, for
  // the addresses dwarf_getscopes finds no function at: a local class's methods (gcc places a
  // lambda's operator() inside the function that made it) and clang's template instances.
  struct NestedFunction {
    Dwarf_Addr low, high;
    Dwarf_Off die;
  };
  std::map<std::pair<Dwfl_Module*, Dwarf_Off>, std::vector<NestedFunction>> nested_functions;
  // Symbolized frames by (pc, lookup address).
  std::map<std::pair<Dwarf_Addr, Dwarf_Addr>, std::vector<Frame>> symbolized;
  // Tail-call frames' pcs between a callee (by its lookup address) and its caller's pc.
  std::map<std::pair<Dwarf_Addr, Dwarf_Addr>, std::vector<std::uint64_t>> tail_calls;
  // Executable mappings, sorted: where a stack word must point to be a return address.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> code_ranges;
  // When set, the next unwind starts from this pc and sp alone (a frame found by stack scan).
  std::optional<std::pair<Dwarf_Addr, Dwarf_Word>> restart;

  ~Session() {
    if (dwfl) dwfl_end(dwfl);
    if (machine_elf) elf_end(machine_elf);
  }
};

using Session = Unwinder::Session;

// symbols.cpp
// A symbol's name as gdb shows it: demangled, and without a default version ("@@GLIBC_2.34",
// as a debug file's .symtab spells it).
std::string Demangle(const char* raw, bool demangle);
// The function's linkage (mangled) name, following abstract origins and specifications.
const char* LinkageName(Dwarf_Die* die);
// The compile unit holding `address`, in `storage`, with the module's bias; nullptr when no
// DWARF covers it (also for DWARF without .debug_aranges: clang's).
Dwarf_Die* FindCu(Session& s, Dwfl_Module* mod, Dwarf_Addr address, Dwarf_Die* storage, Dwarf_Addr* bias);
// The scopes holding `address` (module-relative) in `cu`, innermost first, as dwarf_getscopes
// gives them — and, where it finds no function (a local class's method: a lambda's
// operator()), the function from the unit's index of nested functions with its blocks and
// inlined calls inside it that hold the address.
std::vector<Dwarf_Die> ScopesAt(Session& s, Dwfl_Module* mod, Dwarf_Die* cu, Dwarf_Addr address);

// unwinder.cpp
// What the CFI says about pc: whether there is any, and whether it is a signal trampoline
// (the 'S' augmentation glibc and the vDSO put on __restore_rt / __kernel_rt_sigreturn).
struct CfiInfo {
  bool present = false;
  bool signal_frame = false;
};
CfiInfo CfiAt(Dwfl_Module* mod, Dwarf_Addr pc);

// stack_scan.cpp
// Whether `address` can be a return address: it is in executable memory right after a call
// instruction. What lets a stack scan tell return addresses from other words on the stack.
bool IsReturnAddress(Session& s, std::uint64_t address);
struct ScanHit {
  Dwarf_Addr pc;
  Dwarf_Word sp;  // the caller's stack pointer: just above the slot the address was found in
};
// Breakpad's last resort where neither CFI nor frame pointers lead on: the first word above sp
// that is a return address.
std::optional<ScanHit> ScanStack(Session& s, Dwarf_Word sp);

// call_sites.cpp
// The DW_TAG_call_site (or GCC's DW_TAG_GNU_call_site) under `scope` whose return address is
// `return_pc` (module-relative). Searches nested blocks and inlined calls, boundedly.
std::optional<Dwarf_Die> FindCallSite(Dwarf_Die* scope, Dwarf_Addr return_pc, int& budget);
// A call site's return address (for a tail call: the address after the jump), runtime.
std::optional<Dwarf_Addr> CallSiteReturnPc(Dwarf_Die* site, Dwarf_Addr bias);
// The concrete function (DW_TAG_subprogram) whose code holds `address`, with its module's bias.
std::optional<Dwarf_Die> FunctionAt(Session& s, Dwarf_Addr address, Dwarf_Addr* bias);
// The entry address of what a call site calls, or nullopt (indirect calls).
std::optional<std::uint64_t> CallTarget(Unwinder& unwinder, Dwarf_Die* site, Dwarf_Addr bias);

}  // namespace corekit::unwind
