// Evaluator: C expressions over a stopped program's memory and registers, as gdb's `print`
// evaluates them — variables (locals, arguments, statics, globals) found through the DWARF scopes
// of a selected frame, their DWARF locations evaluated with the registers the unwinder recovered
// in that frame (callee-saved ones in callers) and the frame's CFA; member access, indexing,
// unary * and &, casts to named types, integer and pointer arithmetic, comparisons, registers
// ($pc, $sp, $rax...) and the value history ($1, $, $$n). Values print in gdb's format.
//
// An Evaluator borrows its Target and Unwinder, which must outlive it, and the frame selected
// with SelectFrame (owned by the caller's backtrace) until the next SelectFrame. Every method
// that reads the program returns an Error whose message is what gdb would say ("No symbol \"x\"
// in current context.", "Cannot access memory at address 0x0"). Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/eval/types.h"
#include "corekit/target/target.h"
#include "corekit/unwind/unwinder.h"

namespace corekit::eval {

struct Value {
  enum class Where {
    kMemory,        // at `address` in the program's memory, read when needed
    kRegister,      // held in a register of the frame (`bytes` are its contents)
    kComputed,      // the result of an operation, a constant or an implicit DWARF value
    kOptimizedOut,  // the compiler kept no copy at this pc
  };
  const Type* type = nullptr;
  Where where = Where::kComputed;
  std::uint64_t address = 0;
  std::vector<std::uint8_t> bytes;
  unsigned bit_size = 0;    // a bit-field: `bit_size` bits from `bit_offset` (LSB first)
  unsigned bit_offset = 0;
  bool not_saved = false;   // a register the unwinder did not recover in this frame
  // Byte ranges [from, to) of `bytes` the compiler kept no copy of: a value composed of pieces,
  // some optimized out (gdb prints the members it has and <optimized out> for the others).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> missing;
};

struct NamedValue {
  std::string name;
  Value value;
};

// gdb's /FMT letters: 0 for the natural format, or one of x d u o t c a z f s; `raw` is /r
// (the structure as it is, without the standard library's printers).
struct PrintFormat {
  char letter = 0;
  bool raw = false;
};

// gdb's `set print` settings that change how values look. 0 means unlimited for the counts.
struct PrintOptions {
  bool pretty = false;           // one member per line, indented
  unsigned elements = 200;       // characters of a string, elements of an array or container
  unsigned repeats = 10;         // runs longer than this fold into <repeats N times>
  bool address = true;           // addresses before strings, functions and referents
  bool null_stop = false;        // a char array ends at its first NUL
  std::string frame_arguments = "scalars";  // scalars | all | none | presence
  bool static_members = true;
  bool object = false;
  bool demangle = true;
};

// A character as gdb writes it inside `quote` ('"' in strings, '\'' in char literals): C
// escapes for the common controls and for the quote and backslash, octal for the rest.
std::string EscapedChar(unsigned char c, char quote);

class Evaluator {
 public:
  Evaluator(target::Target& target, unwind::Unwinder& unwinder);
  ~Evaluator();

  // The frame whose scopes and registers expressions see; nullptr for none (globals only).
  // `callers`, the frames outward from it (its backtrace after it), let parameters' entry
  // values be found at the call sites that led there.
  void SelectFrame(const unwind::Frame* frame, std::span<const unwind::Frame> callers = {});

  // Errors: kInvalidArgument for what does not parse or type-check, kNotInCore for memory the
  // core does not hold, kUnsupported for what the evaluator does not do (function calls,
  // assignment: a core cannot run).
  Result<Value> Evaluate(std::string_view expression);
  // A type named in an expression or a ptype/whatis command: "struct point", "unsigned long *".
  Result<const Type*> ParseType(std::string_view text);
  // Evaluates `text` as a type if it names one, else as an expression, for ptype and whatis.
  Result<const Type*> TypeOfExpressionOrType(std::string_view text);

  // The selected frame's locals (innermost block first) and arguments, as `info locals` and
  // `info args` list them. Errors: kNotInCore when the frame has no debug information.
  Result<std::vector<NamedValue>> Locals();
  Result<std::vector<NamedValue>> Arguments();
  // "p=0x0, n=3": the frame's arguments as gdb's frame lines show them (aggregates as "...",
  // with their entry values where the caller's call site records them: "n=n@entry=3").
  std::string FrameArguments(const unwind::Frame& frame, std::span<const unwind::Frame> callers);

  // gdb's convenience variables: `$name` evaluates to `value` (nullopt: unset, void).
  void SetConvenience(const std::string& name, std::optional<Value> value);
  // $_siginfo: the selected thread's raw siginfo_t (NT_SIGINFO); empty when it has none.
  void SetSiginfo(std::span<const std::uint8_t> siginfo);
  Value MakeScalar(const Type* type, std::uint64_t bits);
  // The settings every Format and frame line uses; changed by `set print ...`.
  PrintOptions& Options();
  // The value as gdb's print shows it, with or without the "(type *) " prefix of a top-level
  // pointer.
  std::string Format(const Value& value, PrintFormat format = {}, bool top_level = true);
  // Appends to the value history; returns its number ($N).
  std::size_t Record(const Value& value);

  // The address `x ADDR` examines: a pointer's or integer's value, an array's or function's
  // address, an lvalue's address.
  Result<std::uint64_t> AsAddress(const Value& value);
  // What `info frame` tells of a frame: its CFA (gdb's "frame at"), where its CFI says the
  // caller's registers were saved (DWARF register number, address), and its unit's language.
  struct FrameFacts {
    std::optional<std::uint64_t> cfa;
    std::vector<std::pair<unsigned, std::uint64_t>> saved;
    std::string language;  // "c", "c++", "asm", or "" when unknown
    // The frame's compilation unit, for `info source`.
    std::optional<std::string> comp_dir, producer;
    int dwarf_version = 0;  // 0: no unit
    bool has_macros = false;
  };
  FrameFacts DescribeFrame(const unwind::Frame& frame);
  // Where a function with debug information is defined (for `list FUNCTION`).
  struct SourcePlace {
    std::string file;  // as the DWARF names it
    int line = 0;
    std::string comp_dir;
  };
  std::optional<SourcePlace> FunctionSource(const std::string& name);
  // gdb's `info address NAME`: "Symbol \"g\" is static storage at address 0x4010.\n" — for the
  // selected frame's locals and arguments, globals, functions (by their demangled names) and
  // symbols without debug information. Errors: No symbol "NAME" in current context.
  Result<std::string> DescribeSymbol(const std::string& name);
  // gdb's `info scope` lines for the blocks holding `pc`, innermost out to its function: "Symbol
  // x is a variable in $rdi, length 4.\n". Errors: no debug information covers `pc`.
  Result<std::vector<std::string>> DescribeScope(std::uint64_t pc);
  // gdb's info functions / variables / types REGEX (a POSIX basic regex, as gdb's): the debug
  // information's matches sorted as gdb sorts them (by file, globals before statics, by name),
  // each with gdb's declaration ("int Sum(std::vector<Order> const&);", "static int n;"), and
  // the symbol tables' matches no debug information covers (not for types). Errors: a regex
  // that does not compile.
  enum class SymbolKind { kFunctions, kVariables, kTypes };
  struct SymbolSearch {
    struct Match {
      std::string file;  // the declaring file, as the DWARF names it
      int line = 0;      // 0: none (base types)
      std::string name, text;
      bool is_static = false;
    };
    struct Plain {
      std::uint64_t address = 0;
      std::string name;
    };
    std::vector<Match> symbols;
    std::vector<Plain> non_debugging;
  };
  Result<SymbolSearch> SearchSymbols(SymbolKind kind, const std::string& regex);
  // The name gdb gives a C++ frame's function in frame lines: its DWARF name qualified as gdb
  // qualifies it (nothing above an unnamed class: a lambda's operator() is "operator()"), with
  // its parameters where gdb's name parser cannot take them off (names holding "<lambda()>" or
  // "{...}"); nullopt for a frame without C++ debug information.
  std::optional<std::string> FrameFunctionName(const unwind::Frame& frame);
  // The name and offset gdb labels code at `address` with (<name+offset>) when the symbol table's
  // name would differ: a C++ function its DWARF gives no linkage name (gcc's for anything
  // involving a lambda's type), by the name gdb computes with its parameters. nullopt: the
  // symbol table's name is gdb's.
  std::optional<std::pair<std::string, std::uint64_t>> CodeLabel(std::uint64_t address);
  // The value with its bytes read now (lazy memory values are fetched), so that an unreadable
  // top-level value is an error, as in gdb's print, rather than text.
  Result<Value> Fetched(const Value& value);
  // What `v.m` (`v->m` of a pointer or smart pointer), `v[i]` and `*v` give in an expression,
  // with print's errors: for the scripting API (python/), which walks values one step at a time.
  Result<Value> MemberOf(const Value& value, const std::string& name);
  Result<Value> Element(const Value& value, std::int64_t index);
  // One member of a struct or union value (`member` one of its type's, a base class or an
  // anonymous member included), sliced as print slices it.
  Result<Value> MemberValue(const Value& value, const Member& member);
  Result<Value> Dereference(const Value& value);
  // A scalar as a number: integers, chars, bools, enums and pointers as integers (references
  // followed), floats as doubles.
  Result<std::int64_t> AsInteger(const Value& value);
  Result<double> AsDouble(const Value& value);
  // The standard library's view of a value that one of its printers knows (std::vector,
  // std::map, std::string, ...): what the printer shows, the children (a map's as key, value,
  // key, value...), at most `limit` of them. nullopt: no printer knows the value's type.
  struct LibraryView {
    enum class Shape { kLeaf, kArray, kMap, kStruct, kString };
    Shape shape = Shape::kLeaf;
    std::string summary;  // the printer's to_string
    std::vector<NamedValue> children;
    std::optional<Error> error;  // what ended the walk of the children early
    // kString: `length` code units of `char_width` bytes at `address`.
    std::uint64_t string_address = 0, string_length = 0;
    unsigned char_width = 1;
  };
  std::optional<LibraryView> StandardView(const Value& value, std::size_t limit);
  // Names of variables, functions and types starting with `prefix`, for completion.
  std::vector<std::string> Complete(const std::string& prefix, std::size_t limit);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace corekit::eval
