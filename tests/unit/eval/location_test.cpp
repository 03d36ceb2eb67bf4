// DWARF location expressions on hand-built operation arrays, and gdb's spelling of type names.
#include <dwarf.h>
#include <gtest/gtest.h>

#include <map>

#include "../../../src/eval/dwarf_types.h"
#include "../../../src/eval/location.h"
#include "corekit/eval/types.h"

namespace corekit::eval {
namespace {

Dwarf_Op Op(unsigned atom, Dwarf_Word number = 0, Dwarf_Word number2 = 0, Dwarf_Word offset = 0) {
  Dwarf_Op op{};
  op.atom = static_cast<std::uint8_t>(atom);
  op.number = number;
  op.number2 = number2;
  op.offset = offset;
  return op;
}

LocationContext Frame() {
  static const std::map<unsigned, std::uint64_t> registers = {{6, 0x7ffe0100}, {7, 0x7ffe0000}, {3, 42}};
  LocationContext c;
  c.read_register = [](unsigned regno) -> std::optional<std::uint64_t> {
    auto it = registers.find(regno);
    return it == registers.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
  };
  c.read_memory = [](std::uint64_t address, unsigned) -> std::optional<std::uint64_t> {
    if (address == 0x7ffe0008) return 0x5555;
    return std::nullopt;
  };
  c.frame_base = [] { return std::optional<std::uint64_t>(0x7ffe0110); };
  c.cfa = [] { return std::optional<std::uint64_t>(0x7ffe0120); };
  c.bias = 0x400000;
  return c;
}

TEST(Location, FrameBaseAndCfaRelative) {
  const Dwarf_Op fbreg[] = {Op(DW_OP_fbreg, static_cast<Dwarf_Word>(-24))};
  Location l = EvaluateLocation(fbreg, 1, Frame());
  ASSERT_TRUE(l.error.empty()) << l.error;
  ASSERT_EQ(l.pieces.size(), 1u);
  EXPECT_EQ(l.pieces[0].kind, Piece::Kind::kMemory);
  EXPECT_EQ(l.pieces[0].address, 0x7ffe0110u - 24);
  const Dwarf_Op cfa[] = {Op(DW_OP_call_frame_cfa)};
  EXPECT_EQ(EvaluateLocation(cfa, 1, Frame()).pieces[0].address, 0x7ffe0120u);
  const Dwarf_Op addr[] = {Op(DW_OP_addr, 0x4010)};
  EXPECT_EQ(EvaluateLocation(addr, 1, Frame()).pieces[0].address, 0x404010u);  // biased
}

TEST(Location, RegistersValuesAndPieces) {
  const Dwarf_Op reg[] = {Op(DW_OP_reg3)};
  Location l = EvaluateLocation(reg, 1, Frame());
  EXPECT_EQ(l.pieces[0].kind, Piece::Kind::kRegister);
  EXPECT_EQ(l.pieces[0].regno, 3u);
  const Dwarf_Op value[] = {Op(DW_OP_breg3, 8), Op(DW_OP_lit2), Op(DW_OP_mul), Op(DW_OP_stack_value)};
  l = EvaluateLocation(value, 4, Frame());
  EXPECT_EQ(l.pieces[0].kind, Piece::Kind::kValue);
  EXPECT_EQ(l.pieces[0].value, 100u);
  const Dwarf_Op deref[] = {Op(DW_OP_breg7, 8), Op(DW_OP_deref)};
  EXPECT_EQ(EvaluateLocation(deref, 2, Frame()).pieces[0].address, 0x5555u);
  const Dwarf_Op pieces[] = {Op(DW_OP_reg3), Op(DW_OP_piece, 4), Op(DW_OP_piece, 4), Op(DW_OP_fbreg, 0), Op(DW_OP_piece, 8)};
  l = EvaluateLocation(pieces, 5, Frame());
  ASSERT_EQ(l.pieces.size(), 3u);
  EXPECT_EQ(l.pieces[0].kind, Piece::Kind::kRegister);
  EXPECT_EQ(l.pieces[1].kind, Piece::Kind::kOptimizedOut);  // an empty piece
  EXPECT_EQ(l.pieces[2].kind, Piece::Kind::kMemory);
  EXPECT_EQ(l.pieces[2].size, 8u);
}

TEST(Location, WhatCannotBeKnownIsOptimizedOut) {
  const Dwarf_Op entry[] = {Op(DW_OP_entry_value, 1), Op(DW_OP_stack_value)};
  EXPECT_EQ(EvaluateLocation(entry, 2, Frame()).pieces[0].kind, Piece::Kind::kOptimizedOut);
  const Dwarf_Op unsaved[] = {Op(DW_OP_breg12, 0)};  // r12 was not recovered in this frame
  EXPECT_EQ(EvaluateLocation(unsaved, 1, Frame()).pieces[0].kind, Piece::Kind::kOptimizedOut);
  EXPECT_EQ(EvaluateLocation(nullptr, 0, Frame()).pieces[0].kind, Piece::Kind::kOptimizedOut);
}

TEST(Location, DamagedExpressionsFailWithoutHanging) {
  const Dwarf_Op underflow[] = {Op(DW_OP_plus)};
  EXPECT_FALSE(EvaluateLocation(underflow, 1, Frame()).error.empty());
  const Dwarf_Op divide[] = {Op(DW_OP_lit1), Op(DW_OP_lit0), Op(DW_OP_div)};
  EXPECT_FALSE(EvaluateLocation(divide, 3, Frame()).error.empty());
  // DW_OP_skip back to itself: an endless loop in the file, bounded here.
  const Dwarf_Op loop[] = {Op(DW_OP_skip, static_cast<Dwarf_Word>(-3), 0, 0)};
  EXPECT_NE(EvaluateLocation(loop, 1, Frame()).error.find("terminate"), std::string::npos);
  const Dwarf_Op unreadable[] = {Op(DW_OP_lit0), Op(DW_OP_deref)};
  EXPECT_EQ(EvaluateLocation(unreadable, 2, Frame()).error, "Cannot access memory at address 0x0");
  const Dwarf_Op unknown[] = {Op(0xe5)};
  EXPECT_FALSE(EvaluateLocation(unknown, 1, Frame()).error.empty());
}

TEST(TypeNames, SpelledAsGdbSpellsThem) {
  TypeTable table;
  const Type* c = table.Base("char");
  const Type* i = table.Base("int");
  Type konst;
  konst.kind = TypeKind::kConst;
  konst.target = c;
  const Type* const_char = table.Make(konst);
  EXPECT_EQ(TypeName(table.PointerTo(const_char)), "const char *");
  EXPECT_EQ(TypeName(table.PointerTo(table.PointerTo(c)), "argv"), "char **argv");
  EXPECT_EQ(TypeName(table.ArrayOf(i, 4)), "int [4]");
  EXPECT_EQ(TypeName(table.PointerTo(table.ArrayOf(i, 4))), "int (*)[4]");
  Type function;
  function.kind = TypeKind::kFunction;
  function.target = i;
  function.prototyped = true;
  function.parameters = {i, table.PointerTo(table.PointerTo(c))};
  const Type* f = table.Make(function);
  EXPECT_EQ(TypeName(f), "int (int, char **)");
  EXPECT_EQ(TypeName(table.PointerTo(f)), "int (*)(int, char **)");
  Type const_pointer;
  const_pointer.kind = TypeKind::kConst;
  const_pointer.target = table.PointerTo(c);
  EXPECT_EQ(TypeName(table.Make(const_pointer)), "char * const");
  Type point;
  point.kind = TypeKind::kStruct;
  point.keyword = "struct";
  point.name = "point";
  Member x, y;
  x.name = "x";
  x.type = i;
  y.name = "y";
  y.type = i;
  y.offset = 4;
  point.members = {x, y};
  const Type* p = table.Make(point);
  EXPECT_EQ(TypeName(table.PointerTo(p)), "struct point *");
  EXPECT_EQ(TypeDefinition(table.PointerTo(p)), "struct point {\n    int x;\n    int y;\n} *");
}

// gdb's canonical C++ names: const after the type, integers without "int".
TEST(TypeNames, TemplateArgumentsCanonicalAsGdbs) {
  EXPECT_EQ(CanonicalTemplateArguments("pair<const int, int>"), "pair<int const, int>");
  EXPECT_EQ(CanonicalTemplateArguments("map<const char*, long int>"), "map<char const*, long>");
  EXPECT_EQ(CanonicalTemplateArguments("pair<const std::basic_string<char>, int>"), "pair<std::basic_string<char> const, int>");
  EXPECT_EQ(CanonicalTemplateArguments("Box<const unsigned long>"), "Box<unsigned long const>");
  EXPECT_EQ(CanonicalTemplateArguments("pair<int const, int>"), "pair<int const, int>");
  EXPECT_EQ(CanonicalTemplateArguments("constant_thing<int>"), "constant_thing<int>");
  EXPECT_EQ(CanonicalTemplateArguments("point"), "point");
}

// An ILP32 target's pointers and longs; gdb's vector attribute; ptype's depth of anonymous types.
TEST(TypeNames, TargetWordVectorsAndNestedAnonymousTypes) {
  TypeTable table;
  table.SetWordSize(4);
  EXPECT_EQ(table.PointerTo(table.Void())->size, 4u);
  EXPECT_EQ(table.Base("long")->size, 4u);
  EXPECT_EQ(table.Base("unsigned long")->size, 4u);
  EXPECT_EQ(table.Base("long double")->size, 12u);
  const Type* i = table.Base("int");
  Type vector = *table.ArrayOf(i, 29);
  vector.vector = true;
  EXPECT_EQ(TypeName(table.Make(vector), "_pad"), "int _pad __attribute__ ((vector_size(29)))");
  auto aggregate = [&](TypeKind kind, const std::string& keyword, const std::string& name, std::vector<Member> members) {
    Type t;
    t.kind = kind;
    t.keyword = keyword;
    t.name = name;
    t.members = std::move(members);
    return table.Make(std::move(t));
  };
  auto member = [](const std::string& name, const Type* type) {
    Member m;
    m.name = name;
    m.type = type;
    return m;
  };
  const Type* inner = aggregate(TypeKind::kStruct, "struct", "", {member("x", i)});
  const Type* middle = aggregate(TypeKind::kUnion, "union", "", {member("a", i), member("s", inner)});
  const Type* outer = aggregate(TypeKind::kStruct, "struct", "outer", {member("u", middle)});
  EXPECT_EQ(TypeDefinition(outer), "struct outer {\n    union {\n        int a;\n        struct {...} s;\n    } u;\n}");
}

}  // namespace
}  // namespace corekit::eval
