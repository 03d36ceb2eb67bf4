// The Evaluator's state and the operations its parts share: evaluator.cpp (scopes, variables,
// memory, registers), value_ops.cpp (operations on values), expression.cpp (the parser and
// operators), format.cpp (gdb's printing).
#pragma once

#include <elfutils/libdwfl.h>

#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "corekit/eval/evaluator.h"
#include "dwarf_types.h"
#include "location.h"

namespace corekit::eval {

// gdb refuses to fetch a value larger than this (its max-value-size); so do we.
constexpr std::uint64_t kMaxValueSize = 65536;

Unexpected EvalError(std::string message);
// gdb's quoting of a string of code units (chars, or wchar_t/char16_t/char32_t units after an
// L/u/U prefix): runs longer than `repeats` (0: never) fold into 'c' <repeats N times>;
// `truncated` adds "...".
std::string QuotedUnits(const std::vector<std::uint32_t>& units, const std::string& prefix, bool truncated, unsigned repeats);
struct Synthetic;
std::vector<std::pair<std::uint64_t, std::uint64_t>> MissingWithin(const Value& whole, std::uint64_t from, std::uint64_t size,
                                                                    bool* all);
// What dereferencing a pointer to a type in a missing dwz file says.
inline constexpr const char* kUnavailableType =
    "The type this points to is unavailable: it is in a dwz file that was not found.";

// A DIE's name (through its abstract origin or specification), "" for none; a flag's value.
std::string DieName(Dwarf_Die* die);
bool HasFlag(Dwarf_Die* die, unsigned name);
// Calls visit(child) for each child of `parent` until it returns false (bounded).
template <typename Visit>
void ForEachChild(Dwarf_Die parent, Visit visit) {
  Dwarf_Die child;
  if (dwarf_child(&parent, &child) != 0) return;
  int budget = 1 << 20;
  do {
    if (!visit(child)) return;
  } while (dwarf_siblingof(&child, &child) == 0 && --budget > 0);
}

// The file a DIE's DW_AT_decl_file names (DWARF 5's index 0 included), or nullptr.
const char* DeclFile(Dwarf_Die* die);

struct Evaluator::Impl {
  Impl(target::Target& t, unwind::Unwinder& u);

  target::Target& target;
  unwind::Unwinder& unwinder;
  TypeTable types;
  DwarfTypes dwarf_types{types};
  Dwfl* dwfl = nullptr;

  // The selected frame and its DWARF: the scopes that hold pc, innermost first, ending with the
  // frame's function (an inlined call's DIE or a subprogram), and the physical frame's subprogram
  // (its frame base).
  const unwind::Frame* frame = nullptr;
  std::span<const unwind::Frame> callers;  // the frames outward from `frame`, for entry values
  struct FrameDwarf {
    Dwfl_Module* module = nullptr;
    Dwarf_Addr bias = 0;
    Dwarf_Die cu{};
    std::vector<Dwarf_Die> scopes;
    std::optional<Dwarf_Die> subprogram;
  };
  std::optional<FrameDwarf> frame_dwarf;
  bool cxx = false;  // the language gdb would say is current: the last selected unit's is C++
  std::optional<std::optional<std::uint64_t>> cfa_cache;

  std::vector<Value> history;
  PrintOptions options;
  std::map<std::string, Value> convenience;  // by name without the '$'
  std::vector<std::uint8_t> siginfo;         // the selected thread's raw siginfo_t
  const Type* siginfo_type = nullptr;
  // A convenience variable's value; nullopt when `name` is not one (then a register, or void).
  std::optional<Result<Value>> Convenience(const std::string& name);
  // While one Format runs: print/r (no standard library printers), and gdb's summary mode for
  // frame arguments (a container's children shown as {...}).
  bool raw = false;
  bool summary = false;

  // Named top-level DIEs of each module's DWARF (the first definition of each name), built on the
  // first lookup that needs them. Keys point into the DWARF's string table, or into `names` for
  // the "ns::name" of namespace members.
  struct ModuleIndex {
    std::unordered_map<std::string_view, Dwarf_Die> variables, functions;
    std::unordered_map<std::string_view, Dwarf_Die> tagged;    // struct, class, union, enum
    std::unordered_map<std::string_view, Dwarf_Die> typedefs;  // typedefs and base types
    std::unordered_map<std::string_view, std::pair<Dwarf_Die, std::int64_t>> enumerators;  // its enum, its value
    std::deque<std::string> names;
    Dwarf_Addr bias = 0;
  };
  std::map<Dwfl_Module*, ModuleIndex> index;
  std::vector<Dwfl_Module*> module_order;  // the selected frame's module, the executable, the rest

  void Select(const unwind::Frame* f, std::span<const unwind::Frame> outer = {});
  // The selection and what was derived from it, to look at another frame for a moment (a frame
  // line's arguments, info frame's neighbours) and come back without deriving it all again.
  struct Selection {
    const unwind::Frame* frame;
    std::span<const unwind::Frame> callers;
    std::optional<FrameDwarf> frame_dwarf;
    std::optional<std::optional<std::uint64_t>> cfa_cache;
  };
  Selection Saved() const { return {frame, callers, frame_dwarf, cfa_cache}; }
  void Restore(Selection saved);
  void FollowLanguage();  // sets cxx from the selected frame's unit
  // The CFI row of `module` for the selected frame's pc (.debug_frame, else .eh_frame).
  std::unique_ptr<Dwarf_Frame, void (*)(void*)> CfiFrame(Dwfl_Module* module) const;
  std::optional<FrameDwarf> DwarfFor(const unwind::Frame& f);

  // Memory and registers.
  Result<std::vector<std::uint8_t>> Read(std::uint64_t address, std::uint64_t size);
  Result<std::vector<std::uint8_t>> Contents(const Value& value);
  std::optional<std::uint64_t> Register(unsigned regno) const;
  std::optional<unsigned> RegisterNumber(const std::string& name) const;
  std::optional<std::uint64_t> Cfa();
  std::optional<std::uint64_t> FrameBase();
  // A register's value on entry to the selected (physical) frame's function, from its caller's
  // call site; a parameter's value there (gdb's `@entry`).
  std::optional<std::uint64_t> EntryRegister(unsigned regno);
  std::optional<Value> EntryValue(Dwarf_Die parameter);
  LocationContext FrameContext(Dwarf_Addr bias, Dwarf_Attribute* attribute);

  // Values.
  Value AtAddress(const Type* type, std::uint64_t address) const;
  Value Scalar(const Type* type, std::uint64_t bits) const;
  // A variable's value; `in_frame`: its location may depend on the selected frame's pc.
  Result<Value> VariableValue(Dwarf_Die variable, Dwarf_Addr bias, bool in_frame);
  // A local or argument of the selected frame for info locals/args: optimized out when its
  // location cannot be evaluated here.
  Value FrameVariable(Dwarf_Die variable);
  Value OptimizedOut(Dwarf_Die variable);
  Result<Value> FunctionValue(Dwarf_Die function, Dwarf_Addr bias);
  std::optional<Dwarf_Die> InScope(const std::string& name);  // a local or argument of the frame
  Result<Value> Lookup(const std::string& name);
  Result<Value> RegisterValue(const std::string& name);
  // gdb's name for a C++ function computed from its DWARF: qualified, with its parameters'
  // types and a const method's " const" (symbol_info.cpp).
  std::string ComputedPhysname(Dwarf_Die function);
  // The label gdb gives code at `address` when it differs from the symbol table's: see
  // Evaluator::CodeLabel.
  std::optional<std::pair<std::string, std::uint64_t>> CodeLabel(std::uint64_t address);
  // Where a variable lives, as gdb's info address / info scope say it (symbol_info.cpp); `pc`
  // chooses the frame base, `for_scope` info scope's wording of constants.
  std::string DescribeLocation(Dwarf_Die variable, Dwarf_Addr bias, Dwarf_Addr pc, bool for_scope);
  const Type* TypeOfDie(Dwarf_Die* die);
  // A named type: "int", "struct point", "size_t", "ns::Class".
  std::optional<const Type*> NamedType(const std::string& keyword, const std::string& name);
  const ModuleIndex& IndexOf(Dwfl_Module* module);
  std::vector<Dwfl_Module*> Modules();

  // Scalars out of values.
  Result<std::uint64_t> Bits(const Value& value);  // the raw bits, zero- or sign-extended
  Result<std::int64_t> AsInteger(const Value& value);
  Result<double> AsDouble(const Value& value);
  Result<Value> Dereference(const Value& pointer);
  // A member of an aggregate value (by address in memory, else a slice of its bytes).
  Value Slice(const Value& aggregate, const Member& member) const;
  Result<Value> MemberOf(const Value& aggregate, const std::string& name);
  Result<Value> Element(const Value& array_or_pointer, std::int64_t index);
  Result<Value> AddressOf(const Value& value);
  Result<Value> Cast(const Value& value, const Type* type);
  Result<Value> Coerced(const Value& value);  // references followed: the referent

  // deref_references: a reference shows its referent after its address (not for members, as in gdb).
  std::string Format(const Value& value, char letter, bool top_level, int depth, bool deref_references = true);
  bool target_read(std::uint64_t address, std::uint8_t* byte);
  Value StaticMember(const Type* owner, const Member& m);
  std::string FormatStruct(const Value& value, const Type* full, char letter, int depth);
  std::string FormatSynthetic(const Synthetic& synthetic, char letter, int depth);
};

// A linkage name demangled (itself when it is not a mangled one); and without a template
// function's return type, as gdb's DMGL_RET_DROP spells symbol names (symbol_info.cpp).
std::string Demangled(const char* name);
std::string DemangledWithoutReturnType(const char* name);
// gdb's parameter list for a C++ function the DWARF gives no linkage name (main, extern "C"
// ones): the types in the demangler's spelling, "(int, char**)" (symbol_info.cpp).
std::string PhysicalParameters(Evaluator::Impl& s, Dwarf_Die function);

// expression.cpp
Result<Value> ParseAndEvaluate(Evaluator::Impl& impl, std::string_view text);
Result<const Type*> ParseTypeText(Evaluator::Impl& impl, std::string_view text);

}  // namespace corekit::eval
