#include "corekit/eval/types.h"

#include <fmt/format.h>

#include <cstring>

namespace corekit::eval {
namespace {

// Deeper type nesting than this (pointer to pointer to...) is taken as damaged DWARF.
constexpr int kMaxDepth = 64;

const char* Qualifier(TypeKind kind) { return kind == TypeKind::kConst ? "const" : "volatile"; }

bool StartsWithQualifier(const std::string& s) { return s.rfind("const", 0) == 0 || s.rfind("volatile", 0) == 0; }

std::string Join(const std::string& base, const std::string& declarator) {
  return declarator.empty() ? base : base + " " + declarator;
}

std::string AggregateName(const Type* t) {
  const std::string name = t->name.empty() ? "{...}" : t->name;
  return t->cplus ? name : t->keyword + " " + name;
}

// `show` is gdb's: 1 expands the type at the top of a ptype, whose members' types print at 0
// (an anonymous one still expanded) and theirs at -1 (an anonymous one as "struct {...}").
std::string Body(const Type* t, int indent, int show);

std::string NameWith(const Type* t, const std::string& declarator, int expand_indent, int depth, int show = 1) {
  if (!t) return Join("void", declarator);
  if (depth > kMaxDepth) return Join("?", declarator);
  switch (t->kind) {
    case TypeKind::kStruct:
    case TypeKind::kUnion:
    case TypeKind::kEnum:
      if (expand_indent >= 0) {  // expanded, C++ aggregates keep their keyword too
        return Join(t->keyword + (t->name.empty() ? "" : " " + t->name) + " " + Body(t, expand_indent, show), declarator);
      }
      if (t->name.empty()) return Join(t->keyword + " {...}", declarator);
      return Join(AggregateName(t), declarator);
    case TypeKind::kConst:
    case TypeKind::kVolatile: {
      const Type* target = t->target;
      if (target && (target->kind == TypeKind::kPointer || target->kind == TypeKind::kReference)) {
        return NameWith(target, Join(Qualifier(t->kind), declarator), expand_indent, depth + 1, show);
      }
      return std::string(Qualifier(t->kind)) + " " + NameWith(target, declarator, expand_indent, depth + 1, show);
    }
    case TypeKind::kPointer:
    case TypeKind::kReference: {
      const std::string op = t->kind == TypeKind::kPointer ? "*" : t->rvalue ? "&&" : "&";
      return NameWith(t->target, op + (StartsWithQualifier(declarator) ? " " : "") + declarator, expand_indent, depth + 1, show);
    }
    case TypeKind::kArray: {
      const bool wrap = !declarator.empty() && (declarator[0] == '*' || declarator[0] == '&');
      std::string d = wrap ? "(" + declarator + ")" : declarator;
      if (t->vector) d.append(fmt::format(" __attribute__ ((vector_size({})))", t->count.value_or(0)));
      else d.append(t->count ? fmt::format("[{}]", *t->count) : std::string("[]"));
      return NameWith(t->target, d, expand_indent, depth + 1, show);
    }
    case TypeKind::kFunction: {
      if (!t->no_debug_symbol.empty()) return Join(t->name, declarator);
      const bool wrap = !declarator.empty() && (declarator[0] == '*' || declarator[0] == '&');
      std::string params;
      for (const Type* p : t->parameters) params += (params.empty() ? "" : ", ") + NameWith(p, "", -1, depth + 1);
      if (t->varargs) params += params.empty() ? "..." : ", ...";
      if (params.empty() && t->prototyped) params = "void";
      return NameWith(t->target, (wrap ? "(" + declarator + ")" : declarator) + "(" + params + ")", expand_indent, depth + 1);
    }
    case TypeKind::kVoid:
      return Join("void", declarator);
    default:
      return Join(t->name.empty() ? "?" : t->name, declarator);
  }
}

// `{\n    int x;\n}` for a struct or union, `{A, B = 4}` for an enum.
std::string Body(const Type* t, int indent, int show) {
  if (t->kind == TypeKind::kEnum) {
    std::string text = "{";
    std::int64_t next = 0;
    for (std::size_t i = 0; i < t->enumerators.size(); ++i) {
      const auto& [name, value] = t->enumerators[i];
      text += (i ? ", " : "") + name;
      if (value != next) text += fmt::format(" = {}", value);
      next = value + 1;
    }
    return text + "}";
  }
  if (t->declaration) return "{\n" + std::string(indent + 4, ' ') + "<incomplete type>\n" + std::string(indent, ' ') + "}";
  const std::string pad(indent + 4, ' ');
  std::string text;
  // C++ bases and template arguments go on the first line:
  // "struct ns::Circle : public ns::Shape {", "struct Box<long> [with T = long] {".
  for (const Member& m : t->members) {
    if (m.is_base) text += (text.empty() ? ": " : ", ") + m.access + " " + NameWith(m.type, "", -1, 0);
  }
  std::string with;
  for (const auto& [name, type] : t->template_parameters) {
    if (name.empty()) continue;  // a parameter pack's argument: gdb does not list those
    with += (with.empty() ? "[with " : ", ") + name + " = " + NameWith(type, "", -1, 0);
  }
  if (!with.empty()) text += (text.empty() ? "" : " ") + with + "]";
  text += text.empty() ? "{\n" : " {\n";
  // gdb labels fields with their access only where C++ needs it (a class, or a struct with
  // non-public fields); methods are always labelled.
  bool labels = t->keyword == "class";
  for (const Member& m : t->members) labels = labels || (!m.access.empty() && m.access != "public" && !m.is_base);
  std::string section;
  auto label = [&](const std::string& access) {
    if (!access.empty() && access != section) {
      section = access;
      text += std::string(indent + 2, ' ') + section + ":\n";
    }
  };
  for (const Member& m : t->members) {
    if (m.is_base || m.name.rfind("_vptr", 0) == 0) continue;  // the vtable pointer is the compiler's
    if (t->cplus && labels) label(m.access);
    const Type* member_type = m.type;
    std::string line;
    for (const auto& [name, type] : t->template_parameters) {
      if (type == member_type && !name.empty()) line = name + (m.name.empty() ? "" : " " + m.name);
    }
    if (!line.empty()) {
      // A member declared with a template parameter's type shows the parameter.
    } else if (member_type && member_type->name.empty() && show > 0 &&
               (member_type->kind == TypeKind::kStruct || member_type->kind == TypeKind::kUnion)) {
      line = NameWith(member_type, m.name, indent + 4, 0, show - 1);  // an anonymous type is shown expanded
    } else {
      line = NameWith(member_type, m.name, -1, 0);
    }
    if (m.is_static) line = "static " + line;
    if (m.bit_size) line += fmt::format(" : {}", m.bit_size);
    text += pad + line + ";\n";
  }
  for (const auto& [access, declaration] : t->methods) {
    label(access);
    text += pad + declaration + ";\n";
  }
  return text + std::string(indent, ' ') + "}";
}

}  // namespace

const Type* Strip(const Type* type) {
  for (int depth = 0; type && depth < kMaxDepth; ++depth) {
    if (type->kind != TypeKind::kTypedef && type->kind != TypeKind::kConst && type->kind != TypeKind::kVolatile) return type;
    type = type->target;
  }
  return type;
}

bool IsIntegral(const Type* type) {
  type = Strip(type);
  if (!type) return false;
  return type->kind == TypeKind::kInteger || type->kind == TypeKind::kChar || type->kind == TypeKind::kBool ||
         type->kind == TypeKind::kEnum;
}

bool IsScalar(const Type* type) {
  const Type* t = Strip(type);
  return IsIntegral(t) || (t && (t->kind == TypeKind::kFloat || t->kind == TypeKind::kPointer));
}

std::string TypeName(const Type* type, const std::string& declarator) { return NameWith(type, declarator, -1, 0); }

std::string TypeDefinition(const Type* type) {
  // ptype looks through typedefs at the top, and expands the aggregate under pointers and arrays.
  const Type* t = type;
  for (int depth = 0; t && t->kind == TypeKind::kTypedef && depth < kMaxDepth; ++depth) t = t->target;
  return NameWith(t, "", 0, 0);
}

const Type* TypeTable::Make(Type type) { return &types_.emplace_back(std::move(type)); }

const Type* TypeTable::Void() { return Base("void"); }

const Type* TypeTable::Unavailable() {
  if (!unavailable_) {
    Type t;
    t.kind = TypeKind::kUnavailable;
    t.name = "<unavailable>";
    unavailable_ = Make(std::move(t));
  }
  return unavailable_;
}

const Type* TypeTable::Base(const std::string& spelling) {
  if (auto it = bases_.find(spelling); it != bases_.end()) return it->second;
  struct Spec {
    const char* name;
    TypeKind kind;
    std::uint64_t size;
    bool is_signed;
  };
  static const Spec kSpecs[] = {
      {"void", TypeKind::kVoid, 1, false},           {"char", TypeKind::kChar, 1, true},
      {"signed char", TypeKind::kChar, 1, true},     {"unsigned char", TypeKind::kChar, 1, false},
      {"short", TypeKind::kInteger, 2, true},        {"unsigned short", TypeKind::kInteger, 2, false},
      {"int", TypeKind::kInteger, 4, true},          {"unsigned int", TypeKind::kInteger, 4, false},
      {"long", TypeKind::kInteger, 8, true},         {"unsigned long", TypeKind::kInteger, 8, false},
      {"long long", TypeKind::kInteger, 8, true},    {"unsigned long long", TypeKind::kInteger, 8, false},
      {"float", TypeKind::kFloat, 4, true},          {"double", TypeKind::kFloat, 8, true},
      {"long double", TypeKind::kFloat, 16, true},   {"_Bool", TypeKind::kBool, 1, false},
      {"bool", TypeKind::kBool, 1, false},
  };
  for (const Spec& spec : kSpecs) {
    if (spelling == spec.name) {
      Type t;
      t.kind = spec.kind;
      t.name = spec.name;
      t.size = spec.size;
      // The target's data model: long is a word; i386's long double is 12 bytes.
      if (spelling == "long" || spelling == "unsigned long") t.size = word_size_;
      if (spelling == "long double" && word_size_ == 4) t.size = 12;
      t.is_signed = spec.is_signed;
      return bases_[spelling] = Make(std::move(t));
    }
  }
  return nullptr;
}

const Type* TypeTable::PointerTo(const Type* target) {
  if (auto it = pointers_.find(target); it != pointers_.end()) return it->second;
  Type t;
  t.kind = TypeKind::kPointer;
  t.size = word_size_;
  t.target = target;
  return pointers_[target] = Make(std::move(t));
}

const Type* TypeTable::ArrayOf(const Type* element, std::uint64_t count) {
  Type t;
  t.kind = TypeKind::kArray;
  t.target = element;
  t.count = count;
  t.size = count * (element ? element->size : 0);
  return Make(std::move(t));
}

Type& TypeTable::Add() { return types_.emplace_back(); }

}  // namespace corekit::eval
