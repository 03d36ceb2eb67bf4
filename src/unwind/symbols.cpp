// Naming code: symbols (demangled, default versions, gdb's choice among aliases), DWARF function
// names qualified as gdb qualifies them, compile units found without .debug_aranges, and the
// frames one pc stands for (the function and the calls inlined there, with file and line).
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "session.h"

namespace corekit::unwind {

Dwarf_Die DeclarationOf(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&die, DW_AT_abstract_origin, &attr) || dwarf_attr(&die, DW_AT_specification, &attr)) &&
        dwarf_formref_die(&attr, &next)) {
      die = next;
    } else {
      break;
    }
  }
  return die;
}

namespace {

// "ns::Class<T>::name": the DWARF name qualified by its enclosing namespaces and named classes,
// up to the first function scope (a local class, such as a lambda's, adds no prefix).
std::optional<std::string> QualifiedName(Dwarf_Die* die) {
  Dwarf_Die decl = DeclarationOf(*die);
  const char* name = dwarf_diename(&decl);
  if (!name) return std::nullopt;
  std::string qualified = name;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&decl, &scopes);
  bool in_class = false;
  for (int k = 1; k < n; ++k) {
    const int tag = dwarf_tag(&scopes[k]);
    const char* scope = dwarf_diename(&scopes[k]);
    if (tag == DW_TAG_namespace) {
      qualified = std::string(scope ? scope : "(anonymous namespace)") + "::" + qualified;
    } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
      if (!scope) break;  // GCC's lambdas: an unnamed local class adds nothing
      qualified = std::string(scope) + "::" + qualified;
      in_class = true;
    } else if (tag == DW_TAG_subprogram && in_class && scope) {
      qualified = std::string(scope) + "::" + qualified;  // a named local class (clang's main::$_0)
      in_class = false;
    } else {
      break;  // a function, a lexical block or the compile unit
    }
  }
  std::free(scopes);
  return qualified;
}

// A function's name from DWARF: its demangled linkage name when it has one (with parameter
// types, as the symbol table names it), else its qualified source name.

std::optional<std::string> DieName(Dwarf_Die* die, bool demangle) {
  if (const char* name = LinkageName(die)) return Demangle(name, demangle);
  return QualifiedName(die);
}

// An inlined call's name, as gdb prints it: the linkage name demangled without its signature,
// else the qualified DWARF name.
std::optional<std::string> InlinedName(Dwarf_Die* die, bool demangle) {
  if (const char* name = LinkageName(die)) {
    return demangle && std::strncmp(name, "_Z", 2) == 0 ? WithoutSignature(Demangle(name, true)) : std::string(name);
  }
  return QualifiedName(die);
}

// Deeper inline nesting than this is taken as damaged DWARF.
constexpr int kMaxInlineDepth = 64;

// Every other named, defined symbol of `sym`'s type that starts at `start` (its aliases:
// __clone3 / clone3, __libc_pause / pause); `visit(symbol, name)` returns false to stop.
template <typename Visit>
void ForEachAlias(Dwfl_Module* mod, GElf_Addr start, const GElf_Sym& sym, Visit visit) {
  const int count = dwfl_module_getsymtab(mod);
  for (int i = 1; i < count; ++i) {
    GElf_Sym other;
    GElf_Addr other_address = 0;
    const char* other_name = dwfl_module_getsym_info(mod, i, &other, &other_address, nullptr, nullptr, nullptr);
    if (!other_name || other_address != start || other.st_shndx == SHN_UNDEF || *other_name == '\0') continue;
    if (GELF_ST_TYPE(other.st_info) != GELF_ST_TYPE(sym.st_info)) continue;
    if (!visit(other, other_name)) return;
  }
}

}  // namespace

// A symbol's name as gdb shows it: demangled, and without a default version ("@@GLIBC_2.34",
// as a debug file's .symtab spells it).
std::string Demangle(const char* raw, bool demangle) {
  if (!raw) return {};
  std::string name = raw;
  if (const auto version = name.find("@@"); version != std::string::npos && version > 0) name.resize(version);
  if (!demangle || name.compare(0, 2, "_Z") != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : name;
  std::free(out);
  return result;
}

// The function's linkage (mangled) name, following abstract origins and specifications.
const char* LinkageName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int code : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, code, &attr)) {
      if (const char* name = dwarf_formstring(&attr)) return name;
    }
  }
  return nullptr;
}

// The compile unit holding `address` (a module-relative lookup is done by libdwfl). clang emits
// no .debug_aranges, and libdw 0.188 finds a CU only through that table, so when it fails the
// CUs' own DW_AT_ranges are indexed once per module and searched.
Dwarf_Die* FindCu(Session& s, Dwfl_Module* mod, Dwarf_Addr address, Dwarf_Die* storage, Dwarf_Addr* bias) {
  if (Dwarf_Die* cu = dwfl_module_addrdie(mod, address, bias)) return cu;
  Dwarf* dwarf = dwfl_module_getdwarf(mod, bias);
  if (!dwarf) return nullptr;
  auto [it, inserted] = s.cu_ranges.try_emplace(mod);
  std::vector<Session::CuRange>& ranges = it->second;
  if (inserted) {
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dwarf, offset + header_size, &cu)) {
        Dwarf_Addr base = 0, low = 0, high = 0;
        for (ptrdiff_t at = 0; (at = dwarf_ranges(&cu, at, &base, &low, &high)) > 0;) {
          ranges.push_back({low, high, offset + header_size});
        }
      }
      offset = next;
    }
    std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.low < b.low; });
  }
  const Dwarf_Addr relative = address - *bias;
  auto found = std::upper_bound(ranges.begin(), ranges.end(), relative,
                                [](Dwarf_Addr a, const Session::CuRange& r) { return a < r.low; });
  if (found == ranges.begin()) return nullptr;
  --found;
  if (relative >= found->high) return nullptr;
  return dwarf_offdie(dwarf, found->cu, storage);
}

namespace {

bool IsFunctionTag(int tag) { return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine; }

// The unit's functions with code, wherever the unit puts them (see Session::nested_functions).
std::vector<Session::NestedFunction> NestedFunctions(Dwarf_Die* cu) {
  std::vector<Session::NestedFunction> found;
  // Classes are entered only inside functions: elsewhere they hold declarations (a method's
  // code is a unit-level DIE pointing at one), and the standard library's are most of a unit.
  struct Level {
    Dwarf_Die die;
    bool in_function;
  };
  std::vector<Level> stack;
  Dwarf_Die child;
  if (dwarf_child(cu, &child) == 0) stack.push_back({child, false});
  std::size_t budget = 20'000'000;
  while (!stack.empty() && --budget > 0) {
    const Level level = stack.back();
    Dwarf_Die die = level.die;
    stack.pop_back();
    Dwarf_Die next;
    if (dwarf_siblingof(&die, &next) == 0) stack.push_back({next, level.in_function});
    const int tag = dwarf_tag(&die);
    if (tag == DW_TAG_subprogram) {
      Dwarf_Addr base = 0, low = 0, high = 0;
      for (ptrdiff_t at = 0; (at = dwarf_ranges(&die, at, &base, &low, &high)) > 0;) found.push_back({low, high, dwarf_dieoffset(&die)});
    }
    const bool class_scope = tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type;
    const bool scope = tag == DW_TAG_subprogram || tag == DW_TAG_namespace || tag == DW_TAG_lexical_block ||
                       (class_scope && level.in_function);
    Dwarf_Die inner;
    if (scope && dwarf_child(&die, &inner) == 0) stack.push_back({inner, level.in_function || tag == DW_TAG_subprogram});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.low < b.low; });
  return found;
}

}  // namespace

std::vector<Dwarf_Die> ScopesAt(Session& s, Dwfl_Module* mod, Dwarf_Die* cu, Dwarf_Addr address) {
  std::vector<Dwarf_Die> chain;
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes(cu, address, &scopes);
  bool function = false;
  for (int k = 0; k < n; ++k) {
    chain.push_back(scopes[k]);
    function |= IsFunctionTag(dwarf_tag(&scopes[k]));
  }
  std::free(scopes);
  if (function) return chain;
  auto [it, inserted] = s.nested_functions.try_emplace({mod, dwarf_dieoffset(cu)});
  if (inserted) it->second = NestedFunctions(cu);
  const auto& nested = it->second;
  auto found = std::upper_bound(nested.begin(), nested.end(), address, [](Dwarf_Addr a, const auto& f) { return a < f.low; });
  Dwarf_Die die;
  while (found != nested.begin()) {
    --found;
    if (address < found->high && dwarf_offdie(dwarf_cu_getdwarf(cu->cu), found->die, &die)) {
      // The function, then down its blocks and inlined calls that hold the address.
      std::vector<Dwarf_Die> inner = {die};
      for (int depth = 0; depth < 64; ++depth) {
        Dwarf_Die child;
        bool deeper = false;
        if (dwarf_child(&inner.back(), &child) == 0) {
          do {
            const int tag = dwarf_tag(&child);
            if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) && dwarf_haspc(&child, address) > 0) {
              inner.push_back(child);
              deeper = true;
              break;
            }
          } while (dwarf_siblingof(&child, &child) == 0);
        }
        if (!deeper) break;
      }
      std::reverse(inner.begin(), inner.end());
      inner.insert(inner.end(), chain.begin(), chain.end());
      return inner;
    }
  }
  return chain;
}

std::optional<Unwinder::SymbolMatch> Unwinder::FindSymbol(const std::string& name) {
  struct Search {
    const std::string* name;
    std::optional<SymbolMatch> found;
    std::optional<SymbolMatch> fallback;  // an old symbol version
  } search{&name, std::nullopt, std::nullopt};
  auto visit = [](Dwfl_Module* mod, void**, const char*, Dwarf_Addr, void* arg) -> int {
    auto* s = static_cast<Search*>(arg);
    const int count = dwfl_module_getsymtab(mod);
    for (int i = 1; i < count; ++i) {
      GElf_Sym sym;
      GElf_Addr address = 0;
      const char* symbol = dwfl_module_getsym_info(mod, i, &sym, &address, nullptr, nullptr, nullptr);
      if (!symbol || sym.st_shndx == SHN_UNDEF) continue;
      // A debug file's .symtab names versioned symbols: "name@@GLIBC_2.34" is the default
      // version (as good as the bare name), "name@GLIBC_2.2.5" an old one (only if nothing else).
      const std::string_view text(symbol);
      const std::size_t at = text.find('@');
      if (text.substr(0, at) != *s->name) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      const SymbolMatch match{address, type == STT_FUNC || type == STT_GNU_IFUNC};
      if (at == std::string_view::npos || text.substr(at, 2) == "@@") {
        s->found = match;
        return DWARF_CB_ABORT;
      }
      if (!s->fallback) s->fallback = match;
    }
    return DWARF_CB_OK;
  };
  dwfl_getmodules(session_->dwfl, visit, &search, 0);
  return search.found ? search.found : search.fallback;
}

std::optional<std::uint64_t> Unwinder::SymbolAddress(const std::string& name) {
  const auto match = FindSymbol(name);
  return match ? std::optional<std::uint64_t>(match->address) : std::nullopt;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> Unwinder::SymbolBounds(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  GElf_Off offset = 0;
  GElf_Sym sym;
  if (!mod || !dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr)) return std::nullopt;
  return std::make_pair(address - offset, static_cast<std::uint64_t>(sym.st_size));
}

std::optional<std::string> Unwinder::MinimalSymbolName(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = mod ? dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr) : nullptr;
  if (!name) return std::nullopt;
  ForEachAlias(mod, address - offset, sym, [&](const GElf_Sym&, const char* other) {
    if (std::strcmp(other, name) > 0) name = other;
    return true;
  });
  return Demangle(name, options_.demangle);
}

std::optional<std::string> Unwinder::SectionOf(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  if (!mod) return std::nullopt;
  Dwarf_Addr relative = address;
  Dwarf_Addr bias = 0;
  Elf_Scn* section = dwfl_module_address_section(mod, &relative, &bias);
  Elf* elf = section ? dwfl_module_getelf(mod, &bias) : nullptr;
  std::size_t names = 0;
  GElf_Shdr header;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0 || !gelf_getshdr(section, &header)) return std::nullopt;
  const char* name = elf_strptr(elf, names, header.sh_name);
  return name ? std::optional<std::string>(name) : std::nullopt;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> Unwinder::TextRange(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  Dwarf_Addr bias = 0;
  Elf* elf = mod ? dwfl_module_getelf(mod, &bias) : nullptr;
  std::size_t names = 0;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0) return std::nullopt;
  for (Elf_Scn* section = nullptr; (section = elf_nextscn(elf, section)) != nullptr;) {
    GElf_Shdr header;
    if (!gelf_getshdr(section, &header)) continue;
    const char* name = elf_strptr(elf, names, header.sh_name);
    if (name && std::strcmp(name, ".text") == 0 && header.sh_size > 0) {
      return std::make_pair(header.sh_addr + bias, header.sh_addr + bias + header.sh_size);
    }
  }
  return std::nullopt;
}

std::vector<Unwinder::LoadedSection> Unwinder::LoadedSections(std::uint64_t address) {
  std::vector<LoadedSection> sections;
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  Dwarf_Addr bias = 0;
  Elf* elf = mod ? dwfl_module_getelf(mod, &bias) : nullptr;
  std::size_t names = 0;
  if (!elf || elf_getshdrstrndx(elf, &names) != 0) return sections;
  for (Elf_Scn* section = nullptr; (section = elf_nextscn(elf, section)) != nullptr && sections.size() < 4096;) {
    GElf_Shdr header;
    if (!gelf_getshdr(section, &header) || !(header.sh_flags & SHF_ALLOC)) continue;
    const char* name = elf_strptr(elf, names, header.sh_name);
    sections.push_back({name ? name : "", header.sh_addr + bias, header.sh_addr + bias + header.sh_size});
  }
  return sections;
}

std::optional<std::uint64_t> Unwinder::EntryPoint(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  Dwarf_Addr bias = 0;
  Elf* elf = mod ? dwfl_module_getelf(mod, &bias) : nullptr;
  GElf_Ehdr header;
  if (!elf || !gelf_getehdr(elf, &header)) return std::nullopt;
  return header.e_entry + bias;
}

std::optional<std::pair<std::string, std::uint64_t>> Unwinder::SymbolAt(std::uint64_t address, bool linkage) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  if (!mod) return std::nullopt;
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(mod, address, &offset, &sym, nullptr, nullptr, nullptr);
  if (!name) return std::nullopt;
  // Of several names for one address, gdb shows a global one, else a local one, before a weak
  // alias (<__libc_pause+50>, not <pause+50>).
  auto rank = [](const GElf_Sym& s) {
    const int bind = GELF_ST_BIND(s.st_info);
    return bind == STB_GLOBAL ? 3 : bind == STB_LOCAL ? 2 : bind == STB_WEAK ? 1 : 0;
  };
  int best = rank(sym);
  ForEachAlias(mod, address - offset, sym, [&](const GElf_Sym& other, const char* other_name) {
    if (rank(other) > best) {
      best = rank(other);
      name = other_name;
    }
    return best < 3;  // a global name is as good as it gets
  });
  if (linkage) {
    // gdb labels code by the function its debug information puts there (by its linkage name,
    // else its DWARF name: glibc's __printf, not printf), unless a symbol starts closer (a
    // function's cold part).
    Dwarf_Addr bias = 0;
    if (auto function = FunctionAt(*session_, address, &bias)) {
      Dwarf_Addr entry = 0;
      Dwarf_Addr base = 0, low = 0, high = 0;
      bool found = dwarf_entrypc(&*function, &entry) == 0 || dwarf_lowpc(&*function, &entry) == 0;
      if (!found && dwarf_ranges(&*function, 0, &base, &low, &high) > 0) {
        entry = low;
        found = true;
      }
      const char* function_name = LinkageName(&*function);
      if (!function_name) function_name = dwarf_diename(&*function);
      if (found && function_name && entry + bias >= address - offset && entry + bias <= address) {
        return std::make_pair(std::string(function_name), static_cast<std::uint64_t>(address - (entry + bias)));
      }
    }
  }
  return std::make_pair(Demangle(name, options_.demangle && !linkage), static_cast<std::uint64_t>(offset));
}

// The frames one pc stands for: the function containing it and, innermost first, the calls
// inlined there; with module, offset, file and line. `lookup` is the address looked up (pc - 1
// for a return address). The physical frame's `how` is left empty for the caller to fill, unless
// it is the kernel's signal trampoline.
std::vector<Frame> Unwinder::Symbolize(std::uint64_t pc, std::uint64_t lookup) {
  Session& s = *session_;
  const Dwarf_Addr raw_pc = pc;
  Dwfl_Module* mod = dwfl_addrmodule(s.dwfl, lookup);
  Frame base;
  base.pc = pc;
  base.lookup = lookup;
  // The kernel's signal trampoline, between a handler and the code the signal interrupted.
  if (mod && CfiAt(mod, lookup).signal_frame) base.how = "signal-trampoline";
  if (mod) {
    const char* name = dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    base.module = name ? name : "";
    GElf_Off offset = 0;
    GElf_Sym sym;
    if (const char* symbol = dwfl_module_addrinfo(mod, lookup, &offset, &sym, nullptr, nullptr, nullptr)) {
      base.function = Demangle(symbol, options_.demangle);
      base.offset = offset + (raw_pc - lookup);
    }
    Dwarf_Addr bias = 0;
    Dwarf_Die cu_storage;
    Dwarf_Die* cudie = FindCu(s, mod, lookup, &cu_storage, &bias);
    if (cudie) {
      Dwarf_Attribute attr;
      if (const char* dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr))) base.comp_dir = dir;
    }
    if (Dwfl_Line* line = dwfl_module_getsrc(mod, lookup)) {
      int lineno = 0;
      if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
        base.file = file;
        base.line = lineno;
      }
    } else if (cudie) {
      if (Dwarf_Line* line = dwarf_getsrc_die(cudie, lookup - bias)) {
        int lineno = 0;
        if (const char* file = dwarf_linesrc(line, nullptr, nullptr); file && dwarf_lineno(line, &lineno) == 0) {
          base.file = file;
          base.line = lineno;
        }
      }
    }
    // Inlined calls: from the innermost function scope at pc outwards. dwarf_getscopes follows
    // an inlined instance to its abstract origin, so each next concrete caller is taken from
    // the inlined DIE's own parents (dwarf_getscopes_die), as far as the subprogram.
    std::vector<Dwarf_Die> scopes = cudie ? ScopesAt(s, mod, cudie, lookup - bias) : std::vector<Dwarf_Die>();
    const int nscopes = static_cast<int>(scopes.size());
    std::vector<Frame> expanded;
    std::optional<std::string> file = base.file;
    std::optional<int> line = base.line;
    std::optional<Dwarf_Die> current;
    for (int k = 0; k < nscopes && !current; ++k) {
      const int tag = dwarf_tag(&scopes[k]);
      if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) current = scopes[k];
    }
    // Assembler sources name one address several times (gas: __clone3, __GI___clone3, clone3);
    // gdb takes the last of the subprograms that start there, and so do we.
    Dwarf_Addr start = 0;
    if (current && dwarf_tag(&*current) == DW_TAG_subprogram && dwarf_lowpc(&*current, &start) == 0) {
      Dwarf_Die next = *current;
      for (int hops = 0; hops < 16 && dwarf_siblingof(&next, &next) == 0; ++hops) {
        Dwarf_Addr next_start = 0;
        if (dwarf_tag(&next) != DW_TAG_subprogram || dwarf_lowpc(&next, &next_start) != 0 || next_start != start) break;
        current = next;
      }
    }
    for (int depth = 0; current && depth < kMaxInlineDepth; ++depth) {
      const int tag = dwarf_tag(&*current);
      Frame f = base;
      f.inlined = tag == DW_TAG_inlined_subroutine;
      // As gdb names them: a physical frame by its linkage name (with parameter types), an
      // inlined call by its qualified name alone.
      if (auto name = f.inlined ? InlinedName(&*current, options_.demangle) : DieName(&*current, options_.demangle)) {
        f.function = name;
      }
      f.file = file;
      f.line = line;
      if (f.inlined) f.how = "inline";
      f.inline_depth = static_cast<unsigned>(depth);
      f.dwarf_function = true;
      expanded.push_back(f);
      if (tag != DW_TAG_inlined_subroutine) break;
      // The caller's location is where this inlined call was made.
      Dwarf_Attribute attr;
      Dwarf_Word call_file = 0, call_line = 0;
      Dwarf_Files* files = nullptr;
      std::size_t nfiles = 0;
      if (dwarf_formudata(dwarf_attr(&*current, DW_AT_call_file, &attr), &call_file) == 0 &&
          dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && call_file < nfiles) {
        const char* name = dwarf_filesrc(files, call_file, nullptr, nullptr);
        file = name ? std::optional<std::string>(name) : std::nullopt;
      }
      if (dwarf_formudata(dwarf_attr(&*current, DW_AT_call_line, &attr), &call_line) == 0) {
        line = static_cast<int>(call_line);
      }
      Dwarf_Die* parents = nullptr;
      const int nparents = dwarf_getscopes_die(&*current, &parents);
      std::optional<Dwarf_Die> caller;
      for (int k = 1; k < nparents && !caller; ++k) {
        const int ptag = dwarf_tag(&parents[k]);
        if (ptag == DW_TAG_inlined_subroutine || ptag == DW_TAG_subprogram) caller = parents[k];
      }
      std::free(parents);
      current = caller;
    }
    if (!expanded.empty()) {
      // Inlined frames keep the physical frame's symbol offset only on the outermost one.
      for (Frame& f : expanded) {
        if (f.inlined) f.offset = 0;
      }
      return expanded;
    }
  }
  return {base};
}

std::string WithoutSignature(std::string name) {
  // The parameter list: the last top-level "(...)", with whatever qualifiers follow it — when
  // the name ends so: "f<main()::<lambda()> >" ends with its template arguments, and the
  // parentheses inside them are not a parameter list.
  std::string_view tail = name;
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    for (std::string_view qualifier : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (tail.size() > qualifier.size() && tail.substr(tail.size() - qualifier.size()) == qualifier) {
        tail.remove_suffix(qualifier.size());
        trimmed = true;
      }
    }
  }
  int depth = tail.empty() || tail.back() != ')' ? -1 : 0;
  for (std::size_t i = name.size(); depth >= 0 && i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) {
      if (i >= 8 && name.compare(i - 8, 8, "operator") == 0) break;  // "operator()" itself
      name.resize(i);
      break;
    }
  }
  // A return type: everything up to the last space outside <> and (), unless it is an operator's.
  int angle = 0, paren = 0;
  std::size_t cut = std::string::npos;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<') ++angle;
    if (c == '>') --angle;
    if (c == '(') ++paren;
    if (c == ')') --paren;
    if (c == ' ' && angle == 0 && paren == 0 && !(i >= 8 && name.compare(i - 8, 8, "operator") == 0)) cut = i;
  }
  if (cut != std::string::npos) name.erase(0, cut + 1);
  return name;
}

}  // namespace corekit::unwind
