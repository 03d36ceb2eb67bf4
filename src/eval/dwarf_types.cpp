#include "dwarf_types.h"

#include <dwarf.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

namespace corekit::eval {
namespace {

// gdb's canonical C++ names put const after the type it qualifies: an argument "const int"
// (clang's spelling) is "int const", "const char*" is "char const*".
std::string ConstAfterType(const std::string& name) {
  std::string out;
  std::size_t i = 0;
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  while (i < name.size()) {
    const bool argument_start = !out.empty() && (out.back() == '<' || (out.size() >= 2 && out.compare(out.size() - 2, 2, ", ") == 0));
    if (argument_start && name.compare(i, 6, "const ") == 0) {
      // The type after it: words (unsigned long, ns::Name) and their template arguments.
      std::size_t end = i + 6;
      int depth = 0;
      while (end < name.size()) {
        const char c = name[end];
        if (c == '<') ++depth;
        else if (c == '>' && depth > 0) --depth;
        else if (depth == 0 && !word_char(c) && !(c == ' ' && end + 1 < name.size() && word_char(name[end + 1]) &&
                                                    name.compare(end + 1, 5, "const") != 0)) {
          break;
        }
        ++end;
      }
      if (end == i + 6) {
        out += name[i++];
        continue;
      }
      out.append(name, i + 6, end - i - 6).append(" const");
      i = end;
      continue;
    }
    out += name[i++];
  }
  return out;
}

}  // namespace

// gdb's spelling inside C++ names: "Box<long int>" -> "Box<long>", "pair<const int, T>" ->
// "pair<int const, T>".
std::string CanonicalTemplateArguments(std::string name) {
  static const std::pair<const char*, const char*> kSpellings[] = {
      {"long long unsigned int", "unsigned long long"}, {"long unsigned int", "unsigned long"},
      {"short unsigned int", "unsigned short"},         {"long long int", "long long"},
      {"long int", "long"},                             {"short int", "short"}};
  if (name.find('<') == std::string::npos) return name;
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (const auto& [from, to] : kSpellings) {
    const std::string f = from;
    for (std::size_t at = 0; (at = name.find(f, at)) != std::string::npos;) {
      const bool bounded = (at == 0 || !word_char(name[at - 1])) && (at + f.size() >= name.size() || !word_char(name[at + f.size()]));
      if (bounded) {
        name.replace(at, f.size(), to);
        at += std::strlen(to);
      } else {
        at += f.size();
      }
    }
  }
  return ConstAfterType(name);
}

namespace {

// Deeper type nesting than this is taken as damaged DWARF.
constexpr int kMaxDepth = 64;

std::optional<Dwarf_Die> TypeOf(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Die type;
  if (dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, &type)) return type;
  return std::nullopt;
}

std::optional<std::uint64_t> Unsigned(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_attr_integrate(die, name, &attr) && dwarf_formudata(&attr, &value) == 0) return value;
  return std::nullopt;
}

bool Flag(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  bool value = false;
  return dwarf_attr_integrate(die, name, &attr) && dwarf_formflag(&attr, &value) == 0 && value;
}

// A DIE's name; "<unavailable>" when it has one that cannot be read (a string in a dwz file
// that was not found).
std::string Name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(die, DW_AT_name, &attr)) return "";
  const char* name = dwarf_formstring(&attr);
  return name ? name : "<unavailable>";
}

// A member's byte offset: a constant, or (older DWARF) DW_OP_plus_uconst N.
std::uint64_t MemberOffset(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (!dwarf_attr(die, DW_AT_data_member_location, &attr)) return 0;
  Dwarf_Word value = 0;
  if (dwarf_formudata(&attr, &value) == 0) return value;
  Dwarf_Op* ops = nullptr;
  std::size_t n = 0;
  if (dwarf_getlocation(&attr, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst) return ops[0].number;
  return 0;
}

// gdb's spelling of C's integer types: "long unsigned int" -> "unsigned long", "short int" ->
// "short". Other names are kept.
std::string CanonicalIntegerName(const std::string& name) {
  int longs = 0, shorts = 0, ints = 0;
  bool is_unsigned = false, is_signed = false;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t end = name.find(' ', start);
    if (end == std::string::npos) end = name.size();
    const std::string word = name.substr(start, end - start);
    if (word == "long") ++longs;
    else if (word == "short") ++shorts;
    else if (word == "int") ++ints;
    else if (word == "unsigned") is_unsigned = true;
    else if (word == "signed") is_signed = true;
    else return name;  // __int128, char16_t...
    start = end + 1;
  }
  std::string base = shorts ? "short" : longs >= 2 ? "long long" : longs ? "long" : "int";
  if (is_unsigned) return "unsigned " + base;
  (void)is_signed;
  (void)ints;
  return base;
}

bool IsTypeScopeTag(int tag) {
  return tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type ||
         tag == DW_TAG_enumeration_type || tag == DW_TAG_typedef;
}

// The same, by libdw's walk from the unit's top: for a DIE the unit index does not hold.
std::string ScopePrefixByWalk(Dwarf_Die* die) {
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(die, &scopes);
  std::string prefix;
  for (int k = 1; k < n; ++k) {
    const int tag = dwarf_tag(&scopes[k]);
    const std::string name = Name(&scopes[k]);
    if (tag == DW_TAG_namespace) {
      prefix = (name.empty() ? std::string("(anonymous namespace)") : name) + "::" + prefix;
    } else if ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) && !name.empty()) {
      prefix = CanonicalTemplateArguments(name) + "::" + prefix;
    } else {
      break;
    }
  }
  std::free(scopes);
  return prefix;
}

}  // namespace

std::string DwarfTypes::ScopePrefix(Dwarf_Die* die) {
  Dwarf_Die unit;
  if (!dwarf_diecu(die, &unit, nullptr, nullptr)) return ScopePrefixByWalk(die);
  const std::pair<const void*, Dwarf_Off> key{dwarf_cu_getdwarf(unit.cu), dwarf_dieoffset(&unit)};
  auto [it, inserted] = unit_scopes_.try_emplace(key);
  UnitScopes& scopes = it->second;
  if (inserted) {
    // One walk of the unit, depth first, carrying the prefix of the scope being walked; a
    // function (or anything not a namespace or a named class) starts the prefix again, as the
    // walk up from a DIE stops there.
    scopes.prefixes.push_back("");
    struct Level {
      Dwarf_Die die;
      std::uint32_t prefix;
    };
    std::vector<Level> stack;
    Dwarf_Die child;
    if (dwarf_child(&unit, &child) == 0) stack.push_back({child, 0});
    std::size_t budget = 20'000'000;
    while (!stack.empty() && --budget > 0) {
      Level level = stack.back();
      stack.pop_back();
      Dwarf_Die next;
      if (dwarf_siblingof(&level.die, &next) == 0) stack.push_back({next, level.prefix});
      const int tag = dwarf_tag(&level.die);
      if (IsTypeScopeTag(tag) || tag == DW_TAG_subprogram) scopes.prefix_of.emplace(dwarf_dieoffset(&level.die), level.prefix);
      Dwarf_Die inner;
      if (!dwarf_haschildren(&level.die) || dwarf_child(&level.die, &inner) != 0) continue;
      const std::string name = Name(&level.die);
      std::uint32_t inner_prefix = 0;
      if (tag == DW_TAG_namespace) {
        scopes.prefixes.push_back(scopes.prefixes[level.prefix] + (name.empty() ? std::string("(anonymous namespace)") : name) + "::");
        inner_prefix = static_cast<std::uint32_t>(scopes.prefixes.size() - 1);
      } else if ((tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) && !name.empty()) {
        scopes.prefixes.push_back(scopes.prefixes[level.prefix] + CanonicalTemplateArguments(name) + "::");
        inner_prefix = static_cast<std::uint32_t>(scopes.prefixes.size() - 1);
      }
      stack.push_back({inner, inner_prefix});
    }
  }
  if (auto found = scopes.prefix_of.find(dwarf_dieoffset(die)); found != scopes.prefix_of.end()) {
    return scopes.prefixes[found->second];
  }
  return ScopePrefixByWalk(die);
}

const Type* DwarfTypes::FromDie(Dwarf_Die die) {
  const std::pair<const void*, Dwarf_Off> key{dwarf_cu_getdwarf(die.cu), dwarf_dieoffset(&die)};
  if (auto it = by_die_.find(key); it != by_die_.end()) return it->second;
  if (depth_ > 2 * kMaxDepth) {  // arrays of arrays of...: only damaged DWARF nests this deep
    Type deep;
    deep.name = "<type nested too deeply>";
    return table_.Make(std::move(deep));
  }
  ++depth_;
  const Type* built = Build(die);
  if (depth_ == 1) {
    while (!pending_targets_.empty()) {
      auto [type, target] = pending_targets_.back();
      pending_targets_.pop_back();
      type->target = FromDie(target);
    }
  }
  --depth_;
  return built;
}

const Type* DwarfTypes::TypeOfDie(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  if (!dwarf_attr_integrate(die, DW_AT_type, &attr)) return table_.Void();
  Dwarf_Die type;
  if (!dwarf_formref_die(&attr, &type)) return table_.Unavailable();
  return FromDie(type);
}

const Type* DwarfTypes::Build(Dwarf_Die die) {
  const std::pair<const void*, Dwarf_Off> key{dwarf_cu_getdwarf(die.cu), dwarf_dieoffset(&die)};
  Type& t = table_.Add();
  by_die_[key] = &t;  // before the parts, which may point back here
  t.name = Name(&die);
  t.cplus = InCxxUnit(&die);
  const int die_tag = dwarf_tag(&die);
  std::string scope;  // C++: the namespaces and classes around the type
  if (t.cplus && (die_tag == DW_TAG_structure_type || die_tag == DW_TAG_class_type || die_tag == DW_TAG_union_type ||
                  die_tag == DW_TAG_enumeration_type || die_tag == DW_TAG_typedef)) {
    scope = ScopePrefix(&die);
    if (!t.name.empty()) t.name = scope + CanonicalTemplateArguments(t.name);
  }
  Dwarf_Word size = 0;
  if (auto s = Unsigned(&die, DW_AT_byte_size)) size = *s;
  t.size = size;
  auto target = [&]() -> const Type* { return TypeOfDie(&die); };
  switch (dwarf_tag(&die)) {
    case DW_TAG_base_type: {
      const auto encoding = Unsigned(&die, DW_AT_encoding).value_or(0);
      t.kind = TypeKind::kInteger;
      if (encoding == DW_ATE_boolean) t.kind = TypeKind::kBool;
      if (encoding == DW_ATE_float) t.kind = TypeKind::kFloat;
      if (encoding == DW_ATE_signed_char || encoding == DW_ATE_unsigned_char) t.kind = TypeKind::kChar;
      t.is_signed = encoding == DW_ATE_signed || encoding == DW_ATE_signed_char || encoding == DW_ATE_float;
      if (t.kind == TypeKind::kInteger) t.name = CanonicalIntegerName(t.name);
      break;
    }
    case DW_TAG_unspecified_type:
      t.kind = t.name == "void" ? TypeKind::kVoid : TypeKind::kOther;
      if (t.size == 0) t.size = table_.word_size();
      break;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
      t.kind = dwarf_tag(&die) == DW_TAG_pointer_type ? TypeKind::kPointer : TypeKind::kReference;
      t.rvalue = dwarf_tag(&die) == DW_TAG_rvalue_reference_type;
      if (t.size == 0) t.size = table_.word_size();
      if (auto type = TypeOf(&die); type && depth_ > 8) {
        pending_targets_.emplace_back(&t, *type);
      } else {
        t.target = target();
      }
      break;
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
      t.kind = dwarf_tag(&die) == DW_TAG_const_type ? TypeKind::kConst : TypeKind::kVolatile;
      t.target = target();
      t.size = t.target->size;
      break;
    case DW_TAG_restrict_type:
    case DW_TAG_atomic_type:
    case DW_TAG_typedef:
      // restrict and _Atomic change nothing a reader sees: they are named as their target.
      t.target = target();
      t.size = t.target->size;
      if (dwarf_tag(&die) == DW_TAG_typedef) {
        t.kind = TypeKind::kTypedef;
      } else {
        t = *t.target;
      }
      break;
    case DW_TAG_enumeration_type: {
      t.kind = TypeKind::kEnum;
      t.keyword = "enum";
      if (auto underlying = TypeOf(&die)) t.is_signed = FromDie(*underlying)->is_signed;
      Dwarf_Die child;
      if (dwarf_child(&die, &child) == 0) {
        do {
          if (dwarf_tag(&child) != DW_TAG_enumerator) continue;
          Dwarf_Attribute attr;
          Dwarf_Sword value = 0;
          if (dwarf_attr(&child, DW_AT_const_value, &attr) && dwarf_formsdata(&attr, &value) == 0) {
            // C++ names enumerators by their scope, and a scoped enum's by the enum too.
            const std::string qualified = t.cplus ? scope + (Flag(&die, DW_AT_enum_class) ? Name(&die) + "::" : "") : "";
            t.enumerators.emplace_back(qualified + Name(&child), value);
            if (value < 0) t.is_signed = true;
          }
        } while (dwarf_siblingof(&child, &child) == 0 && t.enumerators.size() < 100000);
      }
      break;
    }
    case DW_TAG_array_type: {
      std::vector<std::optional<std::uint64_t>> dims;
      Dwarf_Die child;
      if (dwarf_child(&die, &child) == 0) {
        do {
          if (dwarf_tag(&child) != DW_TAG_subrange_type) continue;
          if (auto count = Unsigned(&child, DW_AT_count)) {
            dims.push_back(*count);
          } else if (auto upper = Unsigned(&child, DW_AT_upper_bound)) {
            dims.push_back(*upper + 1 - Unsigned(&child, DW_AT_lower_bound).value_or(0));
          } else {
            dims.push_back(std::nullopt);
          }
        } while (dwarf_siblingof(&child, &child) == 0 && dims.size() < 64);
      }
      if (dims.empty()) dims.push_back(std::nullopt);
      const Type* element = target();
      for (std::size_t i = dims.size(); i-- > 1;) {
        Type inner;
        inner.kind = TypeKind::kArray;
        inner.target = element;
        inner.count = dims[i];
        inner.size = dims[i].value_or(0) * element->size;
        element = table_.Make(std::move(inner));
      }
      t.kind = TypeKind::kArray;
      t.target = element;
      t.count = dims[0];
      t.size = dims[0].value_or(0) * element->size;
      break;
    }
    case DW_TAG_subroutine_type:
    case DW_TAG_subprogram: {
      t.kind = TypeKind::kFunction;
      t.name.clear();
      t.target = target();
      t.prototyped = Flag(&die, DW_AT_prototyped) || t.cplus;
      t.size = 1;
      Dwarf_Die child;
      if (dwarf_child(&die, &child) == 0) {
        do {
          if (dwarf_tag(&child) == DW_TAG_unspecified_parameters) t.varargs = true;
          if (dwarf_tag(&child) != DW_TAG_formal_parameter) continue;
          t.parameters.push_back(TypeOfDie(&child));
        } while (dwarf_siblingof(&child, &child) == 0 && t.parameters.size() < 1000);
      }
      break;
    }
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type: {
      const int tag = dwarf_tag(&die);
      t.kind = tag == DW_TAG_union_type ? TypeKind::kUnion : TypeKind::kStruct;
      t.keyword = tag == DW_TAG_union_type ? "union" : tag == DW_TAG_class_type ? "class" : "struct";
      t.declaration = Flag(&die, DW_AT_declaration);
      const std::string default_access = tag == DW_TAG_class_type ? "private" : "public";
      Dwarf_Die child;
      if (dwarf_child(&die, &child) != 0) break;
      int budget = 100000;
      do {
        const int ctag = dwarf_tag(&child);
        std::string access = default_access;
        if (auto a = Unsigned(&child, DW_AT_accessibility)) {
          access = *a == DW_ACCESS_public ? "public" : *a == DW_ACCESS_private ? "private" : "protected";
        }
        if (ctag == DW_TAG_template_type_parameter) {
          t.template_parameters.emplace_back(Name(&child), TypeOfDie(&child));
        } else if (ctag == DW_TAG_GNU_template_parameter_pack) {
          // variant<int, std::string>'s arguments, unnamed: the printers need them, ptype not.
          Dwarf_Die argument;
          if (dwarf_child(&child, &argument) == 0) {
            do {
              if (dwarf_tag(&argument) == DW_TAG_template_type_parameter) {
                t.template_parameters.emplace_back("", TypeOfDie(&argument));
              }
            } while (dwarf_siblingof(&argument, &argument) == 0 && --budget > 0);
          }
        } else if (ctag == DW_TAG_member || ctag == DW_TAG_inheritance || (ctag == DW_TAG_variable && t.cplus)) {
          Member m;
          m.name = Name(&child);
          m.type = TypeOfDie(&child);
          m.is_base = ctag == DW_TAG_inheritance;
          m.is_static = ctag == DW_TAG_variable || Flag(&child, DW_AT_external) || Flag(&child, DW_AT_declaration);
          m.access = t.cplus ? access : "";
          if (m.is_static) {
            Dwarf_Attribute constant;
            Dwarf_Block block;
            Dwarf_Sword number = 0;
            if (dwarf_attr(&child, DW_AT_const_value, &constant)) {
              if (dwarf_formblock(&constant, &block) == 0) {
                m.static_value.assign(block.data, block.data + std::min<Dwarf_Word>(block.length, 4096));
              } else if (dwarf_formsdata(&constant, &number) == 0) {
                const std::uint64_t size = m.type && Strip(m.type) ? std::min<std::uint64_t>(Strip(m.type)->size, 8) : 8;
                for (std::uint64_t i = 0; i < size; ++i) m.static_value.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(number) >> (8 * i)));
              }
            }
          }
          if (m.is_base && !Unsigned(&child, DW_AT_accessibility)) m.access = tag == DW_TAG_class_type ? "private" : "public";
          m.offset = MemberOffset(&child);
          if (auto bits = Unsigned(&child, DW_AT_bit_size)) {
            m.bit_size = static_cast<unsigned>(*bits);
            if (auto data_bit = Unsigned(&child, DW_AT_data_bit_offset)) {
              m.offset = *data_bit / 8;
              m.bit_offset = static_cast<unsigned>(*data_bit % 8);
            } else if (auto old_bit = Unsigned(&child, DW_AT_bit_offset)) {
              // DWARF 2/3: counted from the most significant bit of a storage unit of byte_size.
              const std::uint64_t unit = Unsigned(&child, DW_AT_byte_size).value_or(m.type->size) * 8;
              const std::uint64_t low = unit - *old_bit - m.bit_size;
              m.offset += low / 8;
              m.bit_offset = static_cast<unsigned>(low % 8);
            }
          }
          t.members.push_back(std::move(m));
        } else if (ctag == DW_TAG_subprogram && !Flag(&child, DW_AT_artificial)) {
          std::string params;
          bool is_const = false;
          Dwarf_Die p;
          if (dwarf_child(&child, &p) == 0) {
            do {
              if (dwarf_tag(&p) == DW_TAG_unspecified_parameters) params += params.empty() ? "..." : ", ...";
              if (dwarf_tag(&p) != DW_TAG_formal_parameter) continue;
              const Type* ptype = TypeOfDie(&p);
              if (Flag(&p, DW_AT_artificial)) {  // `this`: a pointer to const in a const method
                const Type* pointee = ptype && Strip(ptype)->kind == TypeKind::kPointer ? Strip(ptype)->target : nullptr;
                is_const = pointee && pointee->kind == TypeKind::kConst;
                continue;
              }
              params += (params.empty() ? "" : ", ") + TypeName(ptype);
            } while (dwarf_siblingof(&p, &p) == 0 && --budget > 0);
          }
          const std::string name = Name(&child);
          // Constructors and destructors are named after the class (unqualified, without template
          // arguments) and have no return type.
          std::string class_name = t.name.substr(0, t.name.find('<'));
          if (const auto colons = class_name.rfind("::"); colons != std::string::npos) class_name.erase(0, colons + 2);
          const bool special = name == class_name || (!name.empty() && name[0] == '~');
          std::string decl = name + "(" + (params.empty() ? "void" : params) + ")" + (is_const ? " const" : "");
          if (!special) {
            decl = TypeName(TypeOfDie(&child), decl);
          }
          if (Unsigned(&child, DW_AT_virtuality).value_or(0)) decl = "virtual " + decl;
          t.methods.emplace_back(access, decl);
        }
      } while (dwarf_siblingof(&child, &child) == 0 && --budget > 0);
      break;
    }
    default:
      t.kind = TypeKind::kOther;
      t.member_pointer = dwarf_tag(&die) == DW_TAG_ptr_to_member_type;
      if (t.size == 0) t.size = table_.word_size();
      break;
  }
  return &t;
}

bool IsCxxLanguage(int language) {
  return language == DW_LANG_C_plus_plus || language == DW_LANG_C_plus_plus_03 || language == DW_LANG_C_plus_plus_11 ||
         language == DW_LANG_C_plus_plus_14;
}

bool InCxxUnit(Dwarf_Die* die) {
  Dwarf_Die cu;
  return dwarf_diecu(die, &cu, nullptr, nullptr) && IsCxxLanguage(dwarf_srclang(&cu));
}

}  // namespace corekit::eval
