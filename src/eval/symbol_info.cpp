// Where a symbol lives, in gdb's sentences (info address, info scope): "static storage at address
// 0x...", "a variable in $rax", "a variable at frame base reg $rbp offset 16+-20", "a complex
// DWARF expression:" with the expression disassembled as gdb disassembles it, "multi-location:"
// with a line per range. libdw decodes the expressions; this names them as gdb does.
#include <cxxabi.h>
#include <dwarf.h>
#include <fmt/format.h>

#include <cstdlib>

#include "corekit/unwind/unwinder.h"
#include "impl.h"
#include "unwind/dwarf_access.h"

namespace corekit::eval {
namespace {

const char* OpName(unsigned atom) {
  switch (atom) {
#define CK_OP(name) \
  case name:        \
    return #name;
    CK_OP(DW_OP_addr) CK_OP(DW_OP_deref) CK_OP(DW_OP_const1u) CK_OP(DW_OP_const1s) CK_OP(DW_OP_const2u)
    CK_OP(DW_OP_const2s) CK_OP(DW_OP_const4u) CK_OP(DW_OP_const4s) CK_OP(DW_OP_const8u) CK_OP(DW_OP_const8s)
    CK_OP(DW_OP_constu) CK_OP(DW_OP_consts) CK_OP(DW_OP_dup) CK_OP(DW_OP_drop) CK_OP(DW_OP_over) CK_OP(DW_OP_pick)
    CK_OP(DW_OP_swap) CK_OP(DW_OP_rot) CK_OP(DW_OP_xderef) CK_OP(DW_OP_abs) CK_OP(DW_OP_and) CK_OP(DW_OP_div)
    CK_OP(DW_OP_minus) CK_OP(DW_OP_mod) CK_OP(DW_OP_mul) CK_OP(DW_OP_neg) CK_OP(DW_OP_not) CK_OP(DW_OP_or)
    CK_OP(DW_OP_plus) CK_OP(DW_OP_plus_uconst) CK_OP(DW_OP_shl) CK_OP(DW_OP_shr) CK_OP(DW_OP_shra) CK_OP(DW_OP_xor)
    CK_OP(DW_OP_bra) CK_OP(DW_OP_eq) CK_OP(DW_OP_ge) CK_OP(DW_OP_gt) CK_OP(DW_OP_le) CK_OP(DW_OP_lt) CK_OP(DW_OP_ne)
    CK_OP(DW_OP_skip) CK_OP(DW_OP_regx) CK_OP(DW_OP_fbreg) CK_OP(DW_OP_bregx) CK_OP(DW_OP_piece)
    CK_OP(DW_OP_deref_size) CK_OP(DW_OP_xderef_size) CK_OP(DW_OP_nop) CK_OP(DW_OP_push_object_address)
    CK_OP(DW_OP_call2) CK_OP(DW_OP_call4) CK_OP(DW_OP_call_ref) CK_OP(DW_OP_form_tls_address)
    CK_OP(DW_OP_call_frame_cfa) CK_OP(DW_OP_bit_piece) CK_OP(DW_OP_implicit_value) CK_OP(DW_OP_stack_value)
    CK_OP(DW_OP_implicit_pointer) CK_OP(DW_OP_addrx) CK_OP(DW_OP_constx) CK_OP(DW_OP_entry_value)
    CK_OP(DW_OP_const_type) CK_OP(DW_OP_regval_type) CK_OP(DW_OP_deref_type) CK_OP(DW_OP_convert)
    CK_OP(DW_OP_reinterpret) CK_OP(DW_OP_GNU_push_tls_address) CK_OP(DW_OP_GNU_uninit)
    CK_OP(DW_OP_GNU_implicit_pointer) CK_OP(DW_OP_GNU_entry_value) CK_OP(DW_OP_GNU_const_type)
    CK_OP(DW_OP_GNU_regval_type) CK_OP(DW_OP_GNU_deref_type) CK_OP(DW_OP_GNU_convert) CK_OP(DW_OP_GNU_parameter_ref)
    CK_OP(DW_OP_GNU_addr_index) CK_OP(DW_OP_GNU_const_index) CK_OP(DW_OP_GNU_variable_value)
#undef CK_OP
    default:
      return nullptr;
  }
}

class Describer {
 public:
  Describer(Evaluator::Impl& s, Dwarf_Attribute* attribute) : s_(s), attribute_(attribute) {}

  // gdb's locexpr_describe_location_1: the pieces, each named when gdb names its form, else
  // the expression disassembled. `function`: the subprogram whose frame base DW_OP_fbreg means.
  std::string Describe(const Dwarf_Op* ops, std::size_t n, Dwarf_Die* function, Dwarf_Addr pc, Dwarf_Addr bias) {
    std::string out;
    std::size_t at = 0;
    for (bool first = true; at < n; first = false) {
      if (!first) out += ", and ";
      const std::size_t here = at;
      std::string piece = Piece(ops, n, &at, function, pc, bias);
      const bool named = at != here;
      bool disassembled = false;
      if (!named && ops[at].atom != DW_OP_piece && ops[at].atom != DW_OP_bit_piece) {
        piece = "a complex DWARF expression:\n";
        for (; at < n && ops[at].atom != DW_OP_piece && ops[at].atom != DW_OP_bit_piece; ++at) piece += Disassembled(ops, n, at, 0);
        disassembled = true;
      }
      out += piece;
      if (at < n) {
        if (disassembled) out += "   ";
        const Dwarf_Op& p = ops[at];
        if (p.atom == DW_OP_piece) {
          out += at == here ? fmt::format("an empty {}-byte piece", p.number) : fmt::format(" [{}-byte piece]", p.number);
        } else if (p.atom == DW_OP_bit_piece) {
          out += at == here ? fmt::format("an empty {}-bit piece", p.number)
                            : fmt::format(" [{}-bit piece, offset {} bits]", p.number, p.number2);
        } else {
          return out + "<error: a corrupted DWARF expression>";
        }
        ++at;
      }
    }
    return out;
  }

 private:
  std::string Register(unsigned regno) const {
    const std::string_view name = s_.unwinder.RegisterName(regno);
    return name.empty() ? fmt::format("{}", regno) : std::string(name);
  }

  // gdb's locexpr_describe_location_piece: one piece in words, advancing `at`; "" (and `at`
  // unchanged) for a form it does not name.
  std::string Piece(const Dwarf_Op* ops, std::size_t n, std::size_t* at, Dwarf_Die* function, Dwarf_Addr pc, Dwarf_Addr bias) {
    const Dwarf_Op& op = ops[*at];
    const auto ends_piece = [&](std::size_t next) {
      return next == n || ops[next].atom == DW_OP_piece || ops[next].atom == DW_OP_bit_piece;
    };
    if (op.atom >= DW_OP_reg0 && op.atom <= DW_OP_reg31) {
      ++*at;
      return "a variable in $" + Register(op.atom - DW_OP_reg0);
    }
    if (op.atom == DW_OP_regx) {
      ++*at;
      return "a variable in $" + Register(static_cast<unsigned>(op.number));
    }
    if (op.atom == DW_OP_fbreg && ends_piece(*at + 1) && function) {
      Dwarf_Attribute base;
      Dwarf_Op* base_ops = nullptr;
      std::size_t base_n = 0;
      if (!dwarf_attr(function, DW_AT_frame_base, &base) || dwarf_getlocation_addr(&base, pc - bias, &base_ops, &base_n, 1) != 1 ||
          base_n != 1) {
        return "";
      }
      std::int64_t base_offset = 0;
      unsigned regno = 0;
      if (base_ops[0].atom >= DW_OP_breg0 && base_ops[0].atom <= DW_OP_breg31) {
        regno = base_ops[0].atom - DW_OP_breg0;
        base_offset = static_cast<std::int64_t>(base_ops[0].number);
      } else if (base_ops[0].atom >= DW_OP_reg0 && base_ops[0].atom <= DW_OP_reg31) {
        regno = base_ops[0].atom - DW_OP_reg0;
      } else {
        return "";  // DW_OP_call_frame_cfa: gdb disassembles the expression instead
      }
      ++*at;
      return fmt::format("a variable at frame base reg ${} offset {}+{}", Register(regno), base_offset,
                         static_cast<std::int64_t>(op.number));
    }
    if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31 && ends_piece(*at + 1)) {
      ++*at;
      return fmt::format("a variable at offset {} from base reg ${}", static_cast<std::int64_t>(op.number), Register(op.atom - DW_OP_breg0));
    }
    // A thread-local variable: its offset in the module's TLS block, then the TLS operator.
    if (*at + 1 < n && (op.atom == DW_OP_addr || op.atom == DW_OP_const4u || op.atom == DW_OP_const8u) &&
        (ops[*at + 1].atom == DW_OP_GNU_push_tls_address || ops[*at + 1].atom == DW_OP_form_tls_address) && ends_piece(*at + 2)) {
      *at += 2;
      const char* file = nullptr;
      if (Dwfl_Module* module = dwfl_addrmodule(s_.dwfl, pc)) {
        dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, &file, nullptr);
      }
      return fmt::format("a thread-local variable at offset {:#x} in the thread-local storage for `{}'", op.number, file ? file : "");
    }
    return "";
  }

  // One operation as gdb's disassemble_dwarf_expression prints it: its offset in hex, right
  // aligned in 4 + indent columns after two spaces; its name; its operands.
  std::string Disassembled(const Dwarf_Op* ops, std::size_t n, std::size_t i, int indent) {
    const Dwarf_Op& op = ops[i];
    std::string name;
    if (op.atom >= DW_OP_lit0 && op.atom <= DW_OP_lit31) name = fmt::format("DW_OP_lit{}", op.atom - DW_OP_lit0);
    else if (op.atom >= DW_OP_reg0 && op.atom <= DW_OP_reg31) name = fmt::format("DW_OP_reg{}", op.atom - DW_OP_reg0);
    else if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) name = fmt::format("DW_OP_breg{}", op.atom - DW_OP_breg0);
    else if (const char* known = OpName(op.atom)) name = known;
    else name = fmt::format("0x{:x}", op.atom);
    std::string out = fmt::format("  {:>{}x}: {}", op.offset, 4 + indent, name);
    const auto s64 = [](Dwarf_Word w) { return static_cast<std::int64_t>(w); };
    switch (op.atom) {
      case DW_OP_addr: out += fmt::format(" 0x{:x}", op.number); break;
      case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u: case DW_OP_constu:
      case DW_OP_plus_uconst: case DW_OP_pick:
        out += fmt::format(" {}", op.number);
        break;
      case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s: case DW_OP_consts: case DW_OP_fbreg:
        out += fmt::format(" {}", s64(op.number));
        break;
      case DW_OP_regx: out += fmt::format(" {} [${}]", op.number, Register(static_cast<unsigned>(op.number))); break;
      case DW_OP_bregx:
        out += fmt::format(" register {} [${}] offset {}", op.number, Register(static_cast<unsigned>(op.number)), s64(op.number2));
        break;
      case DW_OP_piece: out += fmt::format(" {} (bytes)", op.number); break;
      case DW_OP_bit_piece: out += fmt::format(" size {} offset {} (bits)", op.number, op.number2); break;
      case DW_OP_deref_size: case DW_OP_xderef_size: out += fmt::format(" {}", op.number); break;
      case DW_OP_skip: case DW_OP_bra: out += fmt::format(" to {}", op.number); break;
      case DW_OP_implicit_value: case DW_OP_GNU_implicit_pointer: case DW_OP_implicit_pointer:
        out += op.atom == DW_OP_implicit_value ? fmt::format(" {}", op.number)
                                               : fmt::format(" DIE <0x{:x}> offset {}", op.number, s64(op.number2));
        break;
      case DW_OP_entry_value: case DW_OP_GNU_entry_value: {
        // The expression it holds, indented two more columns.
        out += "\n";
        Dwarf_Attribute inner;
        Dwarf_Op* inner_ops = nullptr;
        std::size_t inner_n = 0;
        if (attribute_ && dwarf_getlocation_attr(attribute_, &op, &inner) == 0 && dwarf_getlocation(&inner, &inner_ops, &inner_n) == 0) {
          // gdb counts the inner operations' offsets from the outer expression's start: after
          // this operation's opcode and its ULEB128 length.
          std::uint64_t length_size = 1;
          for (Dwarf_Word v = op.number; v >= 0x80; v >>= 7) ++length_size;
          for (std::size_t k = 0; k < inner_n; ++k) {
            Dwarf_Op shifted = inner_ops[k];
            shifted.offset += op.offset + 1 + length_size;
            out += Disassembled(&shifted, 1, 0, indent + 2);
          }
        }
        return out;
      }
      default:
        if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) out += fmt::format(" {} [${}]", s64(op.number), Register(op.atom - DW_OP_breg0));
        else if (op.atom >= DW_OP_reg0 && op.atom <= DW_OP_reg31) out += fmt::format(" [${}]", Register(op.atom - DW_OP_reg0));
        break;
    }
    (void)n;
    return out + "\n";
  }

  Evaluator::Impl& s_;
  Dwarf_Attribute* attribute_;
};

// The subprogram a variable or parameter belongs to (for its frame base), or nullopt for a global.
std::optional<Dwarf_Die> EnclosingFunction(Dwarf_Die die) {
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&die, &scopes);
  std::optional<Dwarf_Die> function;
  for (int k = 1; k < n && !function; ++k) {
    if (dwarf_tag(&scopes[k]) == DW_TAG_subprogram) function = scopes[k];
  }
  std::free(scopes);
  return function;
}

// Whether gdb's C++ name parser fails on a name (so that its frame lines keep the parameters):
// a lambda's or an unnamed class's spelling is not C++ syntax.
bool GdbCannotParse(const std::string& name) {
  for (const char* token : {"<lambda", "{lambda", "{...}", "{unnamed", "(lambda at", "(unnamed"}) {
    if (name.find(token) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string Demangled(const char* name) {
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : name;
  std::free(out);
  return result;
}

std::string DemangledWithoutReturnType(const char* name) {
  const std::string demangled = Demangled(name);
  const auto at = demangled.find(unwind::WithoutSignature(demangled));
  return at == std::string::npos ? demangled : demangled.substr(at);
}

// gdb's name for a C++ function the DWARF gives no linkage name (main, extern "C" ones): its
// parameters' types in the demangler's spelling, "(int, char**)".
std::string PhysicalParameters(Evaluator::Impl& s, Dwarf_Die function) {
  std::string out;
  ForEachChild(function, [&](Dwarf_Die child) {
    if (dwarf_tag(&child) != DW_TAG_formal_parameter || HasFlag(&child, DW_AT_artificial)) return true;
    std::string type = TypeName(s.TypeOfDie(&child));
    for (std::size_t at; (at = type.find(" *")) != std::string::npos || (at = type.find(" &")) != std::string::npos;) type.erase(at, 1);
    out += (out.empty() ? "" : ", ") + type;
    return true;
  });
  return "(" + out + ")";
}

std::optional<std::string> Evaluator::FrameFunctionName(const unwind::Frame& frame) {
  Impl& s = *impl_;
  const auto dwarf = s.DwarfFor(frame);
  if (!dwarf || dwarf->scopes.empty()) return std::nullopt;
  Dwarf_Die function = dwarf->scopes.back();
  if (!InCxxUnit(&function)) return std::nullopt;
  // gdb names a function by its demangled linkage name (the return type dropped) when it has
  // one, else by the name it computes from the DWARF: qualified, and for a subprogram (not an
  // inlined call) with its parameters' types. Frame lines then take the parameters off — unless
  // gdb's C++ name parser fails on the name, which a lambda's spelling makes it do.
  Dwarf_Attribute attr;
  for (int code : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (const char* linkage = dwarf_formstring(dwarf_attr_integrate(&function, code, &attr))) {
      const std::string demangled = DemangledWithoutReturnType(linkage);
      return GdbCannotParse(demangled) ? demangled : unwind::WithoutSignature(demangled);
    }
  }
  Dwarf_Die declaration = unwind::DeclarationOf(function);
  const std::string name = DieName(&declaration);
  if (name.empty()) return std::nullopt;
  const std::string qualified = s.dwarf_types.ScopePrefix(&declaration) + name;
  if (!GdbCannotParse(qualified) || dwarf_tag(&function) == DW_TAG_inlined_subroutine) return qualified;
  return s.ComputedPhysname(function);
}

std::string Evaluator::Impl::ComputedPhysname(Dwarf_Die function) {
  Dwarf_Die declaration = unwind::DeclarationOf(function);
  const std::string qualified = dwarf_types.ScopePrefix(&declaration) + DieName(&declaration);
  // The parameters' types (gdb's "(void)" for none), and " const" for a method whose `this`
  // points to const.
  std::string parameters;
  bool const_method = false;
  Dwarf_Die* owner = &declaration;
  Dwarf_Die child;
  if (dwarf_child(owner, &child) != 0) owner = &function;
  ForEachChild(*owner, [&](Dwarf_Die p) {
    if (dwarf_tag(&p) != DW_TAG_formal_parameter) return true;
    const Type* type = TypeOfDie(&p);
    if (HasFlag(&p, DW_AT_artificial)) {
      const Type* self = Strip(type);
      const_method = self && self->kind == TypeKind::kPointer && self->target && self->target->kind == TypeKind::kConst;
      return true;
    }
    parameters += (parameters.empty() ? "" : ", ") + TypeName(type);
    return true;
  });
  return qualified + "(" + (parameters.empty() ? "void" : parameters) + ")" + (const_method ? " const" : "");
}

std::optional<std::pair<std::string, std::uint64_t>> Evaluator::Impl::CodeLabel(std::uint64_t address) {
  // gdb labels code by its function's symbol; a C++ function the DWARF gives no linkage name
  // (gcc gives none to what involves a lambda's type) is named by the name gdb computes, which
  // the symbol table's demangled name does not spell alike. Others: nullopt, the symbol's.
  // Only code in .text has a function's name (data is labelled by its symbol, as in gdb).
  if (const auto text = unwinder.TextRange(address); !text || address < text->first || address >= text->second) return std::nullopt;
  unwind::Frame place;
  place.pc = place.lookup = address;
  const auto dwarf = DwarfFor(place);
  if (!dwarf || !dwarf->subprogram) return std::nullopt;
  Dwarf_Die function = *dwarf->subprogram;
  Dwarf_Attribute attr;
  if (!InCxxUnit(&function) || dwarf_attr_integrate(&function, DW_AT_linkage_name, &attr) ||
      dwarf_attr_integrate(&function, DW_AT_MIPS_linkage_name, &attr)) {
    return std::nullopt;
  }
  Dwarf_Addr entry = 0, base = 0, low = 0, high = 0;
  if (dwarf_entrypc(&function, &entry) != 0 && dwarf_lowpc(&function, &entry) != 0) {
    if (dwarf_ranges(&function, 0, &base, &low, &high) <= 0) return std::nullopt;
    entry = low;
  }
  entry += dwarf->bias;
  // A symbol starting closer (a function's cold part) labels the address, as in gdb.
  if (entry > address) return std::nullopt;
  if (auto symbol = unwinder.SymbolAt(address); symbol && address - symbol->second > entry) return std::nullopt;
  return std::make_pair(ComputedPhysname(function), address - entry);
}

std::optional<std::pair<std::string, std::uint64_t>> Evaluator::CodeLabel(std::uint64_t address) { return impl_->CodeLabel(address); }

std::string Evaluator::Impl::DescribeLocation(Dwarf_Die variable, Dwarf_Addr bias, Dwarf_Addr pc, bool for_scope) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(&variable, DW_AT_const_value, &attr)) {
    Dwarf_Sword value = 0;
    if (for_scope && dwarf_formsdata(&attr, &value) == 0) return fmt::format("a constant with value {} ({:#x})", value, value);
    return "constant";
  }
  if (!dwarf_attr_integrate(&variable, DW_AT_location, &attr)) return "optimized out";
  std::optional<Dwarf_Die> function = EnclosingFunction(variable);
  Dwarf_Die* frame_function = function ? &*function : nullptr;
  Describer describe(*this, &attr);
  Dwarf_Op* ops = nullptr;
  std::size_t n = 0;
  if (dwarf_whatform(&attr) == DW_FORM_exprloc || dwarf_whatform(&attr) == DW_FORM_block1 || dwarf_whatform(&attr) == DW_FORM_block) {
    if (dwarf_getlocation(&attr, &ops, &n) != 0) return "<error: a corrupted DWARF expression>";
    if (n == 1 && ops[0].atom == DW_OP_addr) return fmt::format("static storage at address {:#x}", ops[0].number + bias);
    if (n == 1 && (ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index)) {  // DWARF 5: by .debug_addr
      Dwarf_Attribute address;
      Dwarf_Addr value = 0;
      if (dwarf_getlocation_attr(&attr, &ops[0], &address) == 0 && dwarf_formaddr(&address, &value) == 0) {
        return fmt::format("static storage at address {:#x}", value + bias);
      }
    }
    return describe.Describe(ops, n, frame_function, pc, bias);
  }
  // A location list: each range and what the variable is there.
  std::string out = "multi-location:\n";
  Dwarf_Addr base = 0, start = 0, end = 0;
  int guard = 0;
  for (ptrdiff_t at = 0; (at = dwarf_getlocations(&attr, at, &base, &start, &end, &ops, &n)) > 0 && ++guard < 4096;) {
    out += fmt::format("  Range {:#x}-{:#x}: {}\n", start + bias, end + bias, describe.Describe(ops, n, frame_function, start + bias, bias));
  }
  return out;
}

Result<std::string> Evaluator::DescribeSymbol(const std::string& name) {
  Impl& s = *impl_;
  const auto sentence = [&](const std::string& printed, const std::string& what) {
    return "Symbol \"" + printed + "\" is " + what + ".\n";
  };
  if (auto local = s.InScope(name)) {
    const Dwarf_Addr pc = s.frame ? s.frame->lookup : 0;
    return sentence(name, s.DescribeLocation(*local, s.frame_dwarf->bias, pc, false));
  }
  for (Dwfl_Module* module : s.Modules()) {
    const auto& idx = s.IndexOf(module);
    if (auto it = idx.variables.find(name); it != idx.variables.end()) {
      Dwarf_Die die = it->second;
      return sentence(name, s.DescribeLocation(die, idx.bias, 0, false));
    }
    if (auto it = idx.functions.find(name); it != idx.functions.end()) {
      Dwarf_Die die = it->second;
      auto value = s.FunctionValue(die, idx.bias);
      if (!value) return Unexpected(value.error());
      Dwarf_Attribute attr;
      std::string printed = name;
      bool linkage_named = false;
      for (int code : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
        if (const char* linkage = dwarf_formstring(dwarf_attr_integrate(&die, code, &attr))) {
          printed = Demangled(linkage);
          linkage_named = true;
          break;
        }
      }
      if (!linkage_named && InCxxUnit(&die)) {
        printed += PhysicalParameters(s, die);
      }
      return sentence(printed, fmt::format("a function at address {:#x}", value->address));
    }
  }
  if (const auto symbol = s.unwinder.FindSymbol(name)) {
    return "Symbol \"" + name + "\" is at " + fmt::format("{:#x}", symbol->address) + " in a file compiled without debugging.\n";
  }
  return EvalError("No symbol \"" + name + "\" in current context.");
}

Result<std::vector<std::string>> Evaluator::DescribeScope(std::uint64_t pc) {
  Impl& s = *impl_;
  unwind::Frame place;
  place.pc = place.lookup = pc;
  const auto dwarf = s.DwarfFor(place);
  if (!dwarf || dwarf->scopes.empty()) return EvalError("No function contains specified address.");
  const Dwarf_Addr bias = dwarf->bias;
  std::vector<std::string> lines;
  // The blocks from the innermost out to the function: their variables and parameters.
  for (const Dwarf_Die& scope : dwarf->scopes) {
    ForEachChild(scope, [&](Dwarf_Die child) {
      const int child_tag = dwarf_tag(&child);
      if (child_tag != DW_TAG_variable && child_tag != DW_TAG_formal_parameter) return true;
      const std::string name = DieName(&child);
      if (name.empty()) return true;
      std::string line = "Symbol " + name + " is " + s.DescribeLocation(child, bias, pc, true);
      if (line.size() >= 13 && line.compare(line.size() - 13, 13, "optimized out") == 0) {
        lines.push_back(line + ".\n");
        return true;
      }
      const Type* type = Strip(s.TypeOfDie(&child));
      lines.push_back(line + fmt::format(", length {}.\n", type ? type->size : 0));
      return true;
    });
  }
  return lines;
}

}  // namespace corekit::eval
