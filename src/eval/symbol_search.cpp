// gdb's info functions / info variables / info types REGEX: the debug information's functions,
// variables and types whose names match, by file and name as gdb sorts them, declared as gdb
// prints them; then the symbol tables' functions and data that no debug information covers.
#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <cstdlib>
#include <regex>
#include <set>

#include "impl.h"
#include "unwind/dwarf_access.h"

namespace corekit::eval {
namespace {

using Kind = Evaluator::SymbolKind;

const char* LinkageName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int code : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (const char* name = dwarf_formstring(dwarf_attr_integrate(die, code, &attr))) return name;
  }
  return nullptr;
}

bool HasCode(Dwarf_Die* die) {
  Dwarf_Addr low = 0;
  Dwarf_Attribute attr;
  return dwarf_lowpc(die, &low) == 0 || dwarf_attr(die, DW_AT_ranges, &attr) != nullptr;
}

class Searcher {
 public:
  Searcher(Evaluator::Impl& s, Kind kind, const std::regex& regex, Evaluator::SymbolSearch& out)
      : s_(s), kind_(kind), regex_(regex), out_(out) {}

  // The unit's symbols: at its top and in its namespaces, as gdb's global and static blocks hold
  // them (a function's own statics and types are in its blocks, which info functions skips).
  void Unit(Dwarf_Die cu) {
    cxx_ = IsCxxLanguage(dwarf_srclang(&cu));
    Scope(cu, 0);
  }

 private:
  void Scope(Dwarf_Die parent, int depth) {
    ForEachChild(parent, [&](Dwarf_Die child) {
      const int tag = dwarf_tag(&child);
      if (tag == DW_TAG_namespace && depth < 16) {
        Scope(child, depth + 1);
      } else if (kind_ == Kind::kFunctions && tag == DW_TAG_subprogram) {
        Function(child);
        if (depth < 16) Scope(child, depth + 1);  // a local class's methods (clang's lambdas)
      } else if (kind_ == Kind::kFunctions && depth < 16 &&
                 (tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type)) {
        Scope(child, depth + 1);
      } else if (kind_ == Kind::kVariables && tag == DW_TAG_variable) {
        Variable(child);
      } else if (kind_ == Kind::kTypes) {
        TypeSymbol(child, tag);
      }
      return true;
    });
  }

  // Records the symbol when its name matches; its declaration text is made only then (building
  // the types of every symbol in a program costs seconds).
  void Add(Dwarf_Die* die, const std::string& name, const std::function<std::string()>& text, bool has_line = true) {
    if (!std::regex_search(name, regex_)) return;
    const char* file = DeclFile(die);
    int line = 0;
    if (has_line) dwarf_decl_line(die, &line);
    Evaluator::SymbolSearch::Match match;
    match.file = file ? file : "";
    match.line = line;
    match.name = name;
    match.is_static = !HasFlag(die, DW_AT_external);
    match.text = text();
    out_.symbols.push_back(std::move(match));
  }

  void Function(Dwarf_Die die) {
    // A definition, not a declaration (a definition's DW_AT_specification leads to one, whose
    // flag dwarf_attr_integrate would find).
    Dwarf_Attribute declaration;
    if (dwarf_attr(&die, DW_AT_declaration, &declaration) || !HasCode(&die)) return;
    std::string name;
    if (const char* linkage = LinkageName(&die); linkage && cxx_) {
      name = DemangledWithoutReturnType(linkage);
    } else {
      name = DieName(&die);
      if (cxx_ && !name.empty()) name = s_.dwarf_types.ScopePrefix(&die) + name + PhysicalParameters(s_, die);
    }
    if (name.empty()) return;
    Add(&die, name, [&] {
      const Type* type = s_.dwarf_types.FromDie(die);
      // A demangled name holds the parameters: gdb prints the return type before it.
      const Type* result = type ? type->target : nullptr;
      const std::string text = name.find('(') != std::string::npos ? TypeName(result ? result : s_.types.Void(), name) : TypeName(type, name);
      return (HasFlag(&die, DW_AT_external) ? "" : "static ") + text + ";";
    });
  }

  void Variable(Dwarf_Die die) {
    Dwarf_Attribute attr;
    if (!dwarf_attr(&die, DW_AT_location, &attr) && !dwarf_attr(&die, DW_AT_const_value, &attr)) return;
    const std::string name = DieName(&die);
    if (name.empty()) return;
    const std::string qualified = cxx_ ? s_.dwarf_types.ScopePrefix(&die) + name : name;
    Add(&die, qualified, [&] { return (HasFlag(&die, DW_AT_external) ? "" : "static ") + TypeName(s_.TypeOfDie(&die), qualified) + ";"; });
  }

  void TypeSymbol(Dwarf_Die die, int tag) {
    const bool tagged = tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type ||
                        tag == DW_TAG_enumeration_type;
    if (!(tagged || tag == DW_TAG_typedef || tag == DW_TAG_base_type) || HasFlag(&die, DW_AT_declaration)) return;
    const std::string name = DieName(&die);
    if (name.empty()) return;
    const std::string qualified = cxx_ ? s_.dwarf_types.ScopePrefix(&die) + name : name;
    Add(
        &die, qualified,
        [&]() -> std::string {
          if (tag == DW_TAG_typedef) {
            const Type* type = s_.dwarf_types.FromDie(die);
            return "typedef " + TypeName(type ? type->target : nullptr, qualified) + ";";
          }
          if (tag == DW_TAG_base_type) return qualified;
          // C names a tagged type with its keyword; C++ by its name alone.
          const char* keyword = tag == DW_TAG_union_type ? "union " : tag == DW_TAG_enumeration_type ? "enum " : "struct ";
          return (cxx_ ? std::string() : std::string(keyword)) + qualified + ";";
        },
        tag != DW_TAG_base_type);  // gdb lists base types without a line
  }

  Evaluator::Impl& s_;
  Kind kind_;
  const std::regex& regex_;
  Evaluator::SymbolSearch& out_;
  bool cxx_ = false;
};

// gdb compiles a GNU basic regular expression: \( \) \{ \} \| \+ \? are the operators and
// ( ) { } | + ? literal characters — the other way round from an extended one, which this
// returns.
std::string FromGnuBasicRegex(const std::string& basic) {
  static const std::string kSwapped = "(){}|+?";
  std::string out;
  for (std::size_t i = 0; i < basic.size(); ++i) {
    const char c = basic[i];
    if (c == '\\' && i + 1 < basic.size()) {
      const char next = basic[++i];
      if (kSwapped.find(next) != std::string::npos) out += next;
      else out.append(1, '\\').append(1, next);
    } else if (kSwapped.find(c) != std::string::npos) {
      out.append(1, '\\').append(1, c);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<Evaluator::SymbolSearch> Evaluator::SearchSymbols(SymbolKind kind, const std::string& pattern) {
  Impl& s = *impl_;
  std::regex regex;
  try {
    regex = std::regex(FromGnuBasicRegex(pattern), std::regex::ECMAScript | std::regex::nosubs);
  } catch (const std::regex_error&) {
    return EvalError("Invalid regexp: " + pattern);
  }
  SymbolSearch out;
  std::set<std::string> debug_linkage;  // the symbols the debug information already names
  for (Dwfl_Module* module : s.Modules()) {
    Dwarf_Addr bias = 0;
    Dwarf* dwarf = dwfl_module_getdwarf(module, &bias);
    if (!dwarf) continue;
    Searcher searcher(s, kind, regex, out);
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dwarf, offset + header_size, &cu)) searcher.Unit(cu);
      offset = next;
    }
  }
  // gdb's order: by file, a file's global symbols before its static ones, then by name; each once.
  std::sort(out.symbols.begin(), out.symbols.end(), [](const SymbolSearch::Match& a, const SymbolSearch::Match& b) {
    return std::tie(a.file, a.is_static, a.name, a.line) < std::tie(b.file, b.is_static, b.name, b.line);
  });
  out.symbols.erase(std::unique(out.symbols.begin(), out.symbols.end(),
                                [](const SymbolSearch::Match& a, const SymbolSearch::Match& b) {
                                  return a.file == b.file && a.name == b.name && a.text == b.text;
                                }),
                    out.symbols.end());
  if (kind == SymbolKind::kTypes) return out;
  // The symbol tables' functions (or data) that match and that no debug information covers:
  // a function at an address no unit describes, data no debug variable names.
  std::set<std::string> described;
  for (const SymbolSearch::Match& m : out.symbols) described.insert(m.name);
  for (Dwfl_Module* module : s.Modules()) {
    const int count = dwfl_module_getsymtab(module);
    std::vector<SymbolSearch::Plain> found;
    for (int i = 1; i < count && found.size() < 100000; ++i) {
      GElf_Sym sym;
      GElf_Addr address = 0;
      const char* raw = dwfl_module_getsym_info(module, i, &sym, &address, nullptr, nullptr, nullptr);
      if (!raw || !*raw || sym.st_shndx == SHN_UNDEF) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      if (kind == SymbolKind::kFunctions ? type != STT_FUNC && type != STT_GNU_IFUNC : type != STT_OBJECT) continue;
      std::string name = raw;
      if (const auto at = name.find('@'); at != std::string::npos) name.resize(at);
      if (name.compare(0, 2, "_Z") == 0) name = Demangled(name.c_str());
      if (!std::regex_search(name, regex)) continue;
      if (kind == SymbolKind::kFunctions) {
        Dwarf_Addr bias = 0;
        Dwarf_Die storage;
        if (unwind::DwarfAccess::CompileUnitAt(s.unwinder, module, address, &storage, &bias)) continue;
      } else if (described.count(name)) {
        continue;
      }
      found.push_back({address, name});
    }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.address < b.address; });
    found.erase(std::unique(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.address == b.address && a.name == b.name; }),
                found.end());
    out.non_debugging.insert(out.non_debugging.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace corekit::eval
