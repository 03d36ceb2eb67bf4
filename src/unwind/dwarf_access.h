// DwarfAccess: the libdwfl session of an Unwinder, for readers of DWARF beyond frames (the
// expression evaluator reads variables, types and locations through it). Everything returned
// belongs to the Unwinder and lives as long as it does.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <vector>

#include "corekit/unwind/unwinder.h"

namespace corekit::unwind {

// The DIE that declares a function: an inlined or out-of-line instance points at its abstract
// origin, and a member function's definition at its declaration inside the class.
Dwarf_Die DeclarationOf(Dwarf_Die die);

class DwarfAccess {
 public:
  static Dwfl* Session(Unwinder& unwinder);
  // The compile unit holding `address`, in `storage`, with the module's bias; nullptr when no
  // DWARF covers it. Also finds units of DWARF without .debug_aranges (clang's).
  static Dwarf_Die* CompileUnitAt(Unwinder& unwinder, Dwfl_Module* module, std::uint64_t address,
                                  Dwarf_Die* storage, Dwarf_Addr* bias);
  // The scopes holding `address` (module-relative) in `cu`, innermost first: dwarf_getscopes'
  // answer, or the function a unit nests in a class (a lambda's operator()) and its blocks.
  static std::vector<Dwarf_Die> ScopesAt(Unwinder& unwinder, Dwfl_Module* module, Dwarf_Die* cu, std::uint64_t address);
};

}  // namespace corekit::unwind
