// Types of the program being debugged, as the evaluator models them: built from DWARF type DIEs
// (libdw) on first use, or made up for what DWARF does not hold (the type of a literal, of `&x`,
// of a register). Names and declarations are spelled as gdb spells them ("char *",
// "int (*)(int)", "struct point", "char [16]").
//
// A TypeTable owns every Type it returns; pointers stay valid as long as the table. The types
// DWARF describes are built by the evaluator (src/eval/dwarf_types.h) into its table. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace corekit::eval {

enum class TypeKind {
  kVoid,
  kInteger,
  kBool,
  kChar,       // char, signed char, unsigned char: printed with their character
  kFloat,
  kEnum,
  kPointer,
  kReference,  // & and && (Type::rvalue)
  kArray,
  kStruct,     // struct and class (Type::keyword says which)
  kUnion,
  kFunction,
  kTypedef,
  kConst,
  kVolatile,
  kOther,      // what we do not model (pointer to member, nullptr_t): printed as raw integers
  kUnavailable,  // named by the DWARF but unreadable (in a dwz file that was not found)
};

struct Type;

struct Member {
  std::string name;     // "" for an anonymous struct or union member
  const Type* type = nullptr;
  std::uint64_t offset = 0;  // bytes from the start of the aggregate
  unsigned bit_size = 0;     // a bit-field's width, else 0
  unsigned bit_offset = 0;   // a bit-field's first bit, counted from the least significant bit at `offset`
  bool is_base = false;      // a C++ base class
  bool is_static = false;    // a C++ static member: not stored in the object
  std::vector<std::uint8_t> static_value;  // its DW_AT_const_value, when the class declares one
  std::string access;        // C++: "public", "private", "protected" as declared
};

struct Type {
  TypeKind kind = TypeKind::kOther;
  std::string name;          // the DWARF name ("int", "point", "size_t"), "" when anonymous
  std::uint64_t size = 0;    // bytes
  bool is_signed = false;    // integers, chars, enums
  const Type* target = nullptr;  // pointee, element, referent, typedef/cv target, return type
  std::optional<std::uint64_t> count;  // arrays: elements (nullopt: unknown bound, `int a[]`)
  bool vector = false;       // an array that is a vector (gdb: `int v __attribute__ ((vector_size(4)))`)
  bool member_pointer = false;  // a C++ pointer to member (kOther): gdb prints a null one NULL
  bool rvalue = false;       // a `&&` reference
  std::vector<Member> members;
  std::vector<std::pair<std::string, std::int64_t>> enumerators;
  std::vector<const Type*> parameters;  // functions
  bool prototyped = false;
  bool varargs = false;
  std::string keyword;       // "struct", "class", "union", "enum" for aggregates and enums
  bool cplus = false;        // from a C++ unit: aggregates are named without their keyword
  bool declaration = false;  // an incomplete type (`struct x;`): no members, no size
  // C++ member functions: access ("public"...) and the declaration as gdb's ptype shows it.
  std::vector<std::pair<std::string, std::string>> methods;
  // C++ templates: the parameters' names and the types they stand for ("T", long).
  std::vector<std::pair<std::string, const Type*>> template_parameters;
  // A symbol-table entry without debug information ("<text variable, no debug info>" or
  // "<data variable, no debug info>" in `name`): the symbol it stands for.
  std::string no_debug_symbol;
};

// The type with typedefs and cv-qualifiers removed.
const Type* Strip(const Type* type);
bool IsScalar(const Type* type);     // integers, chars, bools, enums, floats, pointers
bool IsIntegral(const Type* type);   // integers, chars, bools, enums

// "char *", "const char *", "int [4]", "int (*)(int)", "struct point": `declarator` is what the
// type describes ("" for the type alone, "argv" for a declaration of argv).
std::string TypeName(const Type* type, const std::string& declarator = "");
// gdb's ptype body: aggregates and enums expanded one level (`struct point {\n    int x;\n...}`),
// everything else as TypeName; typedefs are resolved first.
std::string TypeDefinition(const Type* type);

class TypeTable {
 public:
  // The target's word: the size of its pointers and longs (8 for LP64, 4 for ILP32). Set before
  // the first type is made.
  void SetWordSize(unsigned bytes) { word_size_ = bytes; }
  unsigned word_size() const { return word_size_; }
  const Type* Void();
  // The type of what the DWARF describes in a file that is missing: printed "<unavailable>".
  const Type* Unavailable();
  // A base type of C by its spelling: "int", "unsigned long", "char", "_Bool"/"bool", "double".
  const Type* Base(const std::string& spelling);
  const Type* PointerTo(const Type* target);
  const Type* ArrayOf(const Type* element, std::uint64_t count);
  const Type* Make(Type type);
  // A new, empty type to fill in (the DWARF builder fills it after recording where it is).
  Type& Add();

 private:
  std::deque<Type> types_;
  std::map<const Type*, const Type*> pointers_;
  std::map<std::string, const Type*> bases_;
  const Type* unavailable_ = nullptr;
  unsigned word_size_ = 8;
};

}  // namespace corekit::eval
