// DwarfTypes: the Types that DWARF type DIEs describe (DW_TAG_base_type, pointer_type,
// structure_type...), built into a TypeTable on first use, once per DIE. Types that refer to each
// other (a list node's `next`) are pointers back into the table, and long chains of pointers are
// built iteratively, so damaged or deep DWARF never exhausts the stack.
#pragma once

#include <elfutils/libdw.h>

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "corekit/eval/types.h"

namespace corekit::eval {

// gdb's canonical spelling of the template arguments in a C++ name: "Box<long int>" ->
// "Box<long>", "pair<const int, T>" -> "pair<int const, T>", "map<const char*, int>" ->
// "map<char const*, int>".
std::string CanonicalTemplateArguments(std::string name);

// Whether a unit's DW_AT_language (dwarf_srclang) is C++, of any standard; whether a DIE is in
// such a unit. C++ units name, print and look up their symbols as gdb does for C++.
bool IsCxxLanguage(int language);
bool InCxxUnit(Dwarf_Die* die);

class DwarfTypes {
 public:
  explicit DwarfTypes(TypeTable& table) : table_(table) {}
  // The type `die` describes; a DIE that is not a type, or damaged DWARF, gives kOther.
  const Type* FromDie(Dwarf_Die die);
  // The type of a variable, member or parameter DIE (its DW_AT_type): void when it has none,
  // "unavailable" when it names one that cannot be read (in a dwz file that was not found).
  const Type* TypeOfDie(Dwarf_Die* die);
  // "ns::Outer::" for a C++ type or function DIE inside namespace ns and class Outer; nothing
  // above an unnamed class (gdb's rule: a lambda's operator() is just that). Found in an index of
  // the DIE's unit, built by one walk of it on first use: libdw finds a DIE's parents only by
  // walking its unit from the top, which for each of the thousands of types in a unit that
  // includes the standard library's headers made printing one frame's locals take a second.
  std::string ScopePrefix(Dwarf_Die* die);

 private:
  const Type* Build(Dwarf_Die die);
  struct UnitScopes {
    std::unordered_map<Dwarf_Off, std::uint32_t> prefix_of;  // a type's or function's offset -> prefixes index
    std::vector<std::string> prefixes;
  };
  std::map<std::pair<const void*, Dwarf_Off>, UnitScopes> unit_scopes_;
  TypeTable& table_;
  std::map<std::pair<const void*, Dwarf_Off>, Type*> by_die_;
  // Past a few levels of recursion, pointer targets are queued and built by the outermost call.
  int depth_ = 0;
  std::vector<std::pair<Type*, Dwarf_Die>> pending_targets_;
};

}  // namespace corekit::eval
