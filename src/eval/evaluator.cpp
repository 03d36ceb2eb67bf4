#include <dwarf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>

#include "corekit/unwind/call_sites.h"
#include "unwind/dwarf_access.h"
#include "impl.h"
#include "std_printers.h"
#include "location.h"

namespace corekit::eval {

std::string DieName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
  return name ? name : "";
}

bool HasFlag(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  bool value = false;
  return dwarf_attr_integrate(die, name, &attr) && dwarf_formflag(&attr, &value) == 0 && value;
}

// The file a DIE's DW_AT_decl_file names. libdw 0.188's dwarf_decl_file refuses index 0, which
// DWARF 5 makes the unit's primary file (clang's functions in the main file name it so); the
// unit's file table is read directly then.
const char* DeclFile(Dwarf_Die* die) {
  if (const char* file = dwarf_decl_file(die)) return file;
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  Dwarf_Die unit;
  Dwarf_Files* files = nullptr;
  std::size_t count = 0;
  if (!dwarf_attr_integrate(die, DW_AT_decl_file, &attr) || dwarf_formudata(&attr, &index) != 0 ||
      !dwarf_diecu(die, &unit, nullptr, nullptr) || dwarf_getsrcfiles(&unit, &files, &count) != 0 || index >= count) {
    return nullptr;
  }
  return dwarf_filesrc(files, index, nullptr, nullptr);
}

namespace {

bool IsFunctionScope(int tag) { return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine; }

// The parents of `die` that are scopes, innermost first, up to and including the first function
// (a subprogram or an inlined call) above it.
std::vector<Dwarf_Die> ScopesAbove(Dwarf_Die die) {
  Dwarf_Die* parents = nullptr;
  const int n = dwarf_getscopes_die(&die, &parents);
  std::vector<Dwarf_Die> chain;
  for (int k = 1; k < n; ++k) {
    chain.push_back(parents[k]);
    if (IsFunctionScope(dwarf_tag(&parents[k]))) break;
  }
  std::free(parents);
  return chain;
}

// Whether a lexical block has code of its own (else gdb reads its children as its parent's).
bool HasCode(Dwarf_Die* block) {
  Dwarf_Addr low = 0;
  Dwarf_Attribute attr;
  return dwarf_lowpc(block, &low) == 0 || dwarf_attr(block, DW_AT_ranges, &attr) != nullptr;
}

// The variables (or parameters) a scope declares, as gdb lists them: its own children (and those
// of nested blocks without code, which gdb reads as the scope's), then the children of its
// abstract origin that no concrete child stands for (an inlined or out-of-line copy whose
// compiler dropped a variable: gdb shows it as <optimized out>), again through blocks without a
// concrete copy. `visit(die, concrete)`.
template <typename Visit>
void ForEachDeclared(Dwarf_Die scope, std::initializer_list<int> tags, Visit visit) {
  auto wanted = [&](Dwarf_Die* die) { return std::find(tags.begin(), tags.end(), dwarf_tag(die)) != tags.end(); };
  std::vector<Dwarf_Off> represented;
  std::function<void(Dwarf_Die, int)> concrete = [&](Dwarf_Die parent, int depth) {
    ForEachChild(parent, [&](Dwarf_Die child) {
      Dwarf_Attribute attr;
      Dwarf_Die origin;
      if (dwarf_attr(&child, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &origin)) {
        represented.push_back(dwarf_dieoffset(&origin));
      }
      if (wanted(&child)) visit(child, true);
      if (dwarf_tag(&child) == DW_TAG_lexical_block && !HasCode(&child) && depth < 16) concrete(child, depth + 1);
      return true;
    });
  };
  concrete(scope, 0);
  Dwarf_Attribute attr;
  Dwarf_Die origin;
  if (!dwarf_attr(&scope, DW_AT_abstract_origin, &attr) || !dwarf_formref_die(&attr, &origin)) return;
  std::function<void(Dwarf_Die, int)> inherited = [&](Dwarf_Die parent, int depth) {
    ForEachChild(parent, [&](Dwarf_Die child) {
      if (std::find(represented.begin(), represented.end(), dwarf_dieoffset(&child)) != represented.end()) return true;
      if (wanted(&child)) visit(child, false);
      if (dwarf_tag(&child) == DW_TAG_lexical_block && depth < 16) inherited(child, depth + 1);
      return true;
    });
  };
  inherited(origin, 0);
}

bool IsTypeTag(int tag) {
  return tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type ||
         tag == DW_TAG_enumeration_type || tag == DW_TAG_typedef || tag == DW_TAG_base_type;
}

}  // namespace

Unexpected EvalError(std::string message) { return Unexpected(Errc::kInvalidArgument, std::move(message)); }

Evaluator::Impl::Impl(target::Target& t, unwind::Unwinder& u)
    : target(t), unwinder(u), dwfl(unwind::DwarfAccess::Session(u)) {
  types.SetWordSize(t.abi().is64 ? 8 : 4);
}

Evaluator::Evaluator(target::Target& target, unwind::Unwinder& unwinder)
    : impl_(std::make_unique<Impl>(target, unwinder)) {}

Evaluator::~Evaluator() = default;

void Evaluator::SelectFrame(const unwind::Frame* frame, std::span<const unwind::Frame> callers) {
  impl_->Select(frame, callers);
}

void Evaluator::Impl::Select(const unwind::Frame* f, std::span<const unwind::Frame> outer) {
  frame = f;
  callers = outer;
  frame_dwarf = f ? DwarfFor(*f) : std::nullopt;
  cfa_cache.reset();
  FollowLanguage();
}

void Evaluator::Impl::FollowLanguage() {
  // gdb's `language auto` follows the frame's unit and stays put in a frame without one.
  if (frame_dwarf) {
    cxx = IsCxxLanguage(dwarf_srclang(&frame_dwarf->cu));
  }
}

std::optional<Evaluator::Impl::FrameDwarf> Evaluator::Impl::DwarfFor(const unwind::Frame& f) {
  Dwfl_Module* module = dwfl_addrmodule(dwfl, f.lookup);
  if (!module) return std::nullopt;
  FrameDwarf d;
  d.module = module;
  Dwarf_Die storage;
  Dwarf_Die* cu = unwind::DwarfAccess::CompileUnitAt(unwinder, module, f.lookup, &storage, &d.bias);
  if (!cu) return std::nullopt;
  d.cu = *cu;
  for (Dwarf_Die scope : unwind::DwarfAccess::ScopesAt(unwinder, module, cu, f.lookup - d.bias)) {
    d.scopes.push_back(scope);
    if (IsFunctionScope(dwarf_tag(&d.scopes.back()))) break;
  }
  if (d.scopes.empty() || !IsFunctionScope(dwarf_tag(&d.scopes.back()))) {
    d.scopes.clear();
    return d;
  }
  // An inlined call's caller: dwarf_getscopes continues into the abstract origin, so the
  // concrete scopes around each inlined call are its DIE's own parents.
  for (unsigned depth = 0; depth < f.inline_depth && dwarf_tag(&d.scopes.back()) == DW_TAG_inlined_subroutine; ++depth) {
    d.scopes = ScopesAbove(d.scopes.back());
    if (d.scopes.empty()) return std::nullopt;
  }
  std::vector<Dwarf_Die> outer = {d.scopes.back()};
  for (int hops = 0; hops < 64 && dwarf_tag(&outer.back()) == DW_TAG_inlined_subroutine; ++hops) {
    outer = ScopesAbove(outer.back());
    if (outer.empty()) break;
  }
  if (!outer.empty() && dwarf_tag(&outer.back()) == DW_TAG_subprogram) d.subprogram = outer.back();
  return d;
}

// ---- memory and registers ----

Result<std::vector<std::uint8_t>> Evaluator::Impl::Read(std::uint64_t address, std::uint64_t size) {
  if (size > kMaxValueSize) {
    return EvalError(fmt::format("value requires {} bytes, which is more than max-value-size", size));
  }
  std::vector<std::uint8_t> bytes(size);
  if (!target.ReadExact(address, bytes)) {
    return Unexpected(Errc::kNotInCore, fmt::format("Cannot access memory at address {:#x}", address));
  }
  return bytes;
}

Result<std::vector<std::uint8_t>> Evaluator::Impl::Contents(const Value& v) {
  switch (v.where) {
    case Value::Where::kOptimizedOut:
      return EvalError(v.not_saved ? "value is not available" : "value has been optimized out");
    case Value::Where::kMemory: {
      const Type* t = Strip(v.type);
      const std::uint64_t size = v.bit_size ? (v.bit_offset + v.bit_size + 7) / 8 : (t ? t->size : 0);
      return Read(v.address, size);
    }
    default:
      return v.bytes;
  }
}

std::optional<std::uint64_t> Evaluator::Impl::Register(unsigned regno) const {
  if (!frame) return std::nullopt;
  for (const auto& [number, value] : frame->registers) {
    if (number == regno) return value;
  }
  return std::nullopt;
}

std::optional<unsigned> Evaluator::Impl::RegisterNumber(const std::string& raw) const {
  std::string name = raw;
  // gdb's $pc, $sp and $fp: the architecture's program counter, stack and frame pointers.
  const elf::Arch arch = target.abi().arch;
  const bool x86_64 = arch == elf::Arch::kX86_64, i386 = arch == elf::Arch::kI386;
  if (name == "pc") name = x86_64 ? "rip" : i386 ? "eip" : "pc";
  if (name == "sp") name = x86_64 ? "rsp" : i386 ? "esp" : "sp";
  if (name == "fp") name = x86_64 ? "rbp" : i386 ? "ebp" : arch == elf::Arch::kArm ? "r11" : "x29";
  if (name == "eflags" && x86_64) name = "rflags";
  for (unsigned regno = 0; regno < 256; ++regno) {
    if (unwinder.RegisterName(regno) == name) return regno;
  }
  return std::nullopt;
}

void Evaluator::Impl::Restore(Selection saved) {
  frame = saved.frame;
  callers = saved.callers;
  frame_dwarf = std::move(saved.frame_dwarf);
  cfa_cache = saved.cfa_cache;
  FollowLanguage();
}

std::unique_ptr<Dwarf_Frame, void (*)(void*)> Evaluator::Impl::CfiFrame(Dwfl_Module* module) const {
  Dwarf_Frame* row = nullptr;
  for (bool eh : {false, true}) {
    if (!module || !frame) break;
    Dwarf_Addr bias = 0;
    Dwarf_CFI* cfi = eh ? dwfl_module_eh_cfi(module, &bias) : dwfl_module_dwarf_cfi(module, &bias);
    if (cfi && dwarf_cfi_addrframe(cfi, frame->lookup - bias, &row) == 0) break;
    row = nullptr;
  }
  return {row, std::free};
}

std::optional<std::uint64_t> Evaluator::Impl::Cfa() {
  if (cfa_cache) return *cfa_cache;
  cfa_cache = std::optional<std::uint64_t>();
  if (!frame || !frame_dwarf) return std::nullopt;
  const auto cfi_frame = CfiFrame(frame_dwarf->module);
  if (!cfi_frame) return std::nullopt;
  Dwarf_Op* ops = nullptr;
  std::size_t n = 0;
  if (dwarf_frame_cfa(cfi_frame.get(), &ops, &n) == 0) {
    LocationContext c;
    c.read_register = [this](unsigned regno) { return Register(regno); };
    const Location l = EvaluateLocation(ops, n, c);
    if (l.error.empty() && l.pieces.size() == 1 && l.pieces[0].kind == Piece::Kind::kMemory) {
      cfa_cache = l.pieces[0].address;
    }
  }
  return *cfa_cache;
}

std::optional<std::uint64_t> Evaluator::Impl::FrameBase() {
  if (!frame || !frame_dwarf || !frame_dwarf->subprogram) return std::nullopt;
  Dwarf_Attribute attr;
  if (!dwarf_attr(&*frame_dwarf->subprogram, DW_AT_frame_base, &attr)) return std::nullopt;
  Dwarf_Op* ops = nullptr;
  std::size_t n = 0;
  if (dwarf_getlocation_addr(&attr, frame->lookup - frame_dwarf->bias, &ops, &n, 1) != 1) return std::nullopt;
  LocationContext c;
  c.read_register = [this](unsigned regno) { return Register(regno); };
  c.cfa = [this] { return Cfa(); };
  const Location l = EvaluateLocation(ops, n, c);
  if (!l.error.empty() || l.pieces.size() != 1) return std::nullopt;
  const Piece& p = l.pieces[0];
  if (p.kind == Piece::Kind::kMemory) return p.address;
  if (p.kind == Piece::Kind::kRegister) return Register(p.regno);
  if (p.kind == Piece::Kind::kValue) return p.value;
  return std::nullopt;
}

LocationContext Evaluator::Impl::FrameContext(Dwarf_Addr bias, Dwarf_Attribute* attribute) {
  LocationContext c;
  c.read_register = [this](unsigned regno) { return Register(regno); };
  c.read_memory = [this](std::uint64_t address, unsigned size) -> std::optional<std::uint64_t> {
    auto bytes = Read(address, size);
    if (!bytes) return std::nullopt;
    std::uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= static_cast<std::uint64_t>((*bytes)[i]) << (8 * i);
    return value;
  };
  c.frame_base = [this] { return FrameBase(); };
  c.cfa = [this] { return Cfa(); };
  c.entry_register = [this](unsigned regno) { return EntryRegister(regno); };
  c.bias = bias;
  c.attribute = attribute;
  return c;
}

namespace {

// A function's entry: its entry_pc or low_pc, else (a function split into hot and cold parts,
// described by DW_AT_ranges) the start of its first range, where its symbol is.
bool FunctionEntry(Dwarf_Die* function, Dwarf_Addr* entry) {
  if (dwarf_entrypc(function, entry) == 0) return true;
  Dwarf_Addr base = 0, start = 0, end = 0;
  if (dwarf_ranges(function, 0, &base, &start, &end) > 0) {
    *entry = start;
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::uint64_t> Evaluator::Impl::EntryRegister(unsigned regno) {
  // An inlined call has no call site of its own; gdb gives up there too.
  if (!frame || callers.empty() || frame->inlined || !frame_dwarf || !frame_dwarf->subprogram) return std::nullopt;
  Dwarf_Die function = *frame_dwarf->subprogram;
  Dwarf_Addr entry = 0;
  if (!FunctionEntry(&function, &entry)) return std::nullopt;
  return unwind::CallSites(unwinder).EntryValue(callers, regno, entry + frame_dwarf->bias);
}

std::optional<Value> Evaluator::Impl::EntryValue(Dwarf_Die parameter) {
  // Where the parameter was at the function's first instruction: a register the caller set.
  // gdb shows no entry values for a tail-call frame (its own values already come from there).
  if (!frame_dwarf || !frame_dwarf->subprogram || !frame || frame->inlined || frame->how == "tail-call") return std::nullopt;
  Dwarf_Die function = *frame_dwarf->subprogram;
  Dwarf_Addr entry = 0;
  Dwarf_Attribute attr;
  Dwarf_Op* ops = nullptr;
  std::size_t n = 0;
  if (!FunctionEntry(&function, &entry) || !dwarf_attr(&parameter, DW_AT_location, &attr) ||
      dwarf_getlocation_addr(&attr, entry, &ops, &n, 1) != 1 || n != 1) {
    return std::nullopt;
  }
  std::optional<unsigned> regno;
  if (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31) regno = ops[0].atom - DW_OP_reg0;
  if (ops[0].atom == DW_OP_regx) regno = static_cast<unsigned>(ops[0].number);
  const auto value = regno ? EntryRegister(*regno) : std::nullopt;
  if (!value) return std::nullopt;
  return Scalar(TypeOfDie(&parameter), *value);
}

// ---- values ----

Value Evaluator::Impl::AtAddress(const Type* type, std::uint64_t address) const {
  Value v;
  v.type = type;
  v.where = Value::Where::kMemory;
  v.address = address;
  return v;
}

Value Evaluator::Impl::Scalar(const Type* type, std::uint64_t bits) const {
  Value v;
  v.type = type;
  const std::uint64_t size = std::min<std::uint64_t>(Strip(type) ? Strip(type)->size : 8, 16);
  v.bytes.resize(size);
  for (std::uint64_t i = 0; i < size && i < 8; ++i) v.bytes[i] = static_cast<std::uint8_t>(bits >> (8 * i));
  return v;
}

const Type* Evaluator::Impl::TypeOfDie(Dwarf_Die* die) { return dwarf_types.TypeOfDie(die); }

Result<Value> Evaluator::Impl::VariableValue(Dwarf_Die die, Dwarf_Addr bias, bool in_frame) {
  Value v;
  v.type = TypeOfDie(&die);
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(&die, DW_AT_const_value, &attr)) {
    Dwarf_Block block;
    Dwarf_Sword value = 0;
    if (dwarf_formblock(&attr, &block) == 0) {
      v.bytes.assign(block.data, block.data + block.length);
    } else if (dwarf_formsdata(&attr, &value) == 0) {
      v = Scalar(v.type, static_cast<std::uint64_t>(value));
    }
    return v;
  }
  Dwarf_Op* ops = nullptr;
  std::size_t n = 0;
  int found = 0;
  if (dwarf_attr(&die, DW_AT_location, &attr)) {
    if (frame && in_frame) {
      found = dwarf_getlocation_addr(&attr, frame->lookup - bias, &ops, &n, 1);
      if (found == 0 && frame->lookup == frame->pc) {
        // An empty range at exactly this pc (a location view at a function's entry): gdb uses it
        // when the frame stopped right there, and so do we.
        Dwarf_Addr base = 0, start = 0, end = 0;
        for (ptrdiff_t at = 0; (at = dwarf_getlocations(&attr, at, &base, &start, &end, &ops, &n)) > 0;) {
          if (start == end && start == frame->pc - bias) {
            found = 1;
            break;
          }
        }
      }
    } else {
      found = dwarf_getlocation(&attr, &ops, &n) == 0 ? 1 : 0;
    }
  }
  if (found != 1) {
    v.where = Value::Where::kOptimizedOut;
    return v;
  }
  const Location l = EvaluateLocation(ops, n, FrameContext(bias, &attr));
  if (!l.error.empty()) return EvalError(l.error);
  const std::uint64_t size = Strip(v.type) ? Strip(v.type)->size : 0;
  if (l.pieces.size() == 1 && l.pieces[0].kind == Piece::Kind::kMemory) return AtAddress(v.type, l.pieces[0].address);
  // Registers, values and pieces: assembled into the value's bytes now.
  std::vector<std::uint8_t> bytes;
  for (const Piece& p : l.pieces) {
    const std::uint64_t piece_size = p.size ? p.size : size;
    std::vector<std::uint8_t> part;
    switch (p.kind) {
      case Piece::Kind::kMemory: {
        auto read = Read(p.address, piece_size);
        if (!read) return Unexpected(read.error());
        part = *read;
        break;
      }
      case Piece::Kind::kRegister: {
        auto reg = Register(p.regno);
        if (!reg || piece_size > 8) {
          v.where = Value::Where::kOptimizedOut;
          return v;
        }
        for (std::uint64_t i = 0; i < piece_size; ++i) part.push_back(static_cast<std::uint8_t>(*reg >> (8 * i)));
        break;
      }
      case Piece::Kind::kValue:
        for (std::uint64_t i = 0; i < piece_size; ++i) part.push_back(i < 8 ? static_cast<std::uint8_t>(p.value >> (8 * i)) : 0);
        break;
      case Piece::Kind::kImplicit:
        part = p.bytes;
        part.resize(piece_size);
        break;
      case Piece::Kind::kOptimizedOut:
        if (p.size == 0 || l.pieces.size() == 1) {
          v.where = Value::Where::kOptimizedOut;
          return v;
        }
        v.missing.emplace_back(bytes.size(), bytes.size() + piece_size);
        part.assign(piece_size, 0);
        break;
    }
    bytes.insert(bytes.end(), part.begin(), part.end());
    if (bytes.size() > kMaxValueSize) return EvalError("value too large");
  }
  bytes.resize(size);
  std::uint64_t missing_bytes = 0;
  for (const auto& [from, to] : v.missing) missing_bytes += std::min(to, size) - std::min(from, size);
  if (size != 0 && missing_bytes >= size) {
    v.missing.clear();
    v.where = Value::Where::kOptimizedOut;
    return v;
  }
  v.where = l.pieces.size() == 1 && l.pieces[0].kind == Piece::Kind::kRegister ? Value::Where::kRegister
                                                                                : Value::Where::kComputed;
  v.bytes = std::move(bytes);
  return v;
}

Value Evaluator::Impl::FrameVariable(Dwarf_Die variable) {
  auto value = VariableValue(variable, frame_dwarf->bias, true);
  // A location this frame cannot evaluate (no frame base, no CFA) holds nothing here.
  return value ? *value : OptimizedOut(variable);
}

Value Evaluator::Impl::OptimizedOut(Dwarf_Die variable) {
  Value nowhere;
  nowhere.type = TypeOfDie(&variable);
  nowhere.where = Value::Where::kOptimizedOut;
  return nowhere;
}

Result<Value> Evaluator::Impl::FunctionValue(Dwarf_Die function, Dwarf_Addr bias) {
  Dwarf_Addr low = 0;
  if (dwarf_lowpc(&function, &low) != 0 && dwarf_entrypc(&function, &low) != 0) {
    return EvalError("Function \"" + DieName(&function) + "\" has no code here (it was inlined everywhere).");
  }
  return AtAddress(dwarf_types.FromDie(function), low + bias);
}

std::vector<Dwfl_Module*> Evaluator::Impl::Modules() {
  if (module_order.empty()) {
    std::vector<Dwfl_Module*> all;
    dwfl_getmodules(
        dwfl,
        [](Dwfl_Module* m, void**, const char*, Dwarf_Addr, void* arg) -> int {
          static_cast<std::vector<Dwfl_Module*>*>(arg)->push_back(m);
          return DWARF_CB_OK;
        },
        &all, 0);
    // The executable (no ".so" in its name) before the libraries, as gdb searches objfiles.
    std::stable_partition(all.begin(), all.end(), [](Dwfl_Module* m) {
      const char* name = dwfl_module_info(m, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
      return name && !std::strstr(name, ".so") && name[0] != '[';
    });
    module_order = all;
  }
  std::vector<Dwfl_Module*> order;
  if (frame_dwarf) order.push_back(frame_dwarf->module);
  for (Dwfl_Module* m : module_order) {
    if (order.empty() || m != order.front()) order.push_back(m);
  }
  return order;
}

const Evaluator::Impl::ModuleIndex& Evaluator::Impl::IndexOf(Dwfl_Module* module) {
  auto [it, inserted] = index.try_emplace(module);
  if (!inserted) return it->second;
  ModuleIndex& idx = it->second;
  Dwarf* dwarf = dwfl_module_getdwarf(module, &idx.bias);
  if (!dwarf) return idx;
  // Recurse into namespaces, naming their members "ns::name".
  std::function<void(Dwarf_Die, const std::string&, int)> scan = [&](Dwarf_Die parent, const std::string& prefix, int depth) {
    auto key = [&](const char* name) -> std::string_view {
      if (prefix.empty()) return name;
      return idx.names.emplace_back(prefix + name);
    };
    ForEachChild(parent, [&](Dwarf_Die child) {
      const int tag = dwarf_tag(&child);
      if (tag == DW_TAG_namespace && depth < 8) {
        const char* name = dwarf_diename(&child);
        scan(child, prefix + (name ? name : "(anonymous namespace)") + "::", depth + 1);
        return true;
      }
      if (tag == DW_TAG_enumeration_type) {
        ForEachChild(child, [&](Dwarf_Die e) {
          Dwarf_Attribute value;
          Dwarf_Sword number = 0;
          const char* name = dwarf_diename(&e);
          if (name && dwarf_tag(&e) == DW_TAG_enumerator && dwarf_attr(&e, DW_AT_const_value, &value) &&
              dwarf_formsdata(&value, &number) == 0) {
            idx.enumerators.try_emplace(key(name), child, static_cast<std::int64_t>(number));
          }
          return true;
        });
      }
      Dwarf_Attribute attr;
      const char* name = dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &attr));
      if (!name || !*name) return true;
      if (tag == DW_TAG_variable) {
        if (dwarf_attr(&child, DW_AT_location, &attr) || dwarf_attr(&child, DW_AT_const_value, &attr)) {
          idx.variables.try_emplace(key(name), child);
        }
      } else if (tag == DW_TAG_subprogram) {
        Dwarf_Addr low = 0;
        if (!HasFlag(&child, DW_AT_declaration) && (dwarf_lowpc(&child, &low) == 0 || dwarf_entrypc(&child, &low) == 0)) {
          idx.functions.try_emplace(key(name), child);
        }
      } else if (IsTypeTag(tag) && !HasFlag(&child, DW_AT_declaration)) {
        (tag == DW_TAG_typedef || tag == DW_TAG_base_type ? idx.typedefs : idx.tagged).try_emplace(key(name), child);
      }
      return true;
    });
  };
  Dwarf_Off offset = 0, next = 0;
  std::size_t header_size = 0;
  while (dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dwarf, offset + header_size, &cu)) scan(cu, "", 0);
    offset = next;
  }
  return idx;
}

std::optional<Dwarf_Die> Evaluator::Impl::InScope(const std::string& name) {
  if (!frame_dwarf) return std::nullopt;
  for (const Dwarf_Die& scope : frame_dwarf->scopes) {
    std::optional<Dwarf_Die> found;
    ForEachChild(scope, [&](Dwarf_Die child) {
      const int tag = dwarf_tag(&child);
      if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) && DieName(&child) == name) {
        found = child;
        return false;
      }
      return true;
    });
    if (found) return found;
  }
  return std::nullopt;
}

Result<Value> Evaluator::Impl::Lookup(const std::string& name) {
  // The frame's blocks, innermost first, then its function's parameters.
  if (auto local = InScope(name)) return VariableValue(*local, frame_dwarf->bias, true);
  // C++: a member of `this`, as in the method's own code.
  if (auto self = InScope("this")) {
    auto pointer = VariableValue(*self, frame_dwarf->bias, true);
    auto object = pointer ? Dereference(*pointer) : Result<Value>(Unexpected(pointer.error()));
    if (object) {
      if (auto member = MemberOf(*object, name)) return member;
    }
  }
  for (Dwfl_Module* module : Modules()) {
    const ModuleIndex& idx = IndexOf(module);
    if (auto it = idx.variables.find(name); it != idx.variables.end()) return VariableValue(it->second, idx.bias, false);
    if (auto it = idx.functions.find(name); it != idx.functions.end()) return FunctionValue(it->second, idx.bias);
    if (auto it = idx.enumerators.find(name); it != idx.enumerators.end()) {
      return Scalar(dwarf_types.FromDie(it->second.first), static_cast<std::uint64_t>(it->second.second));
    }
  }
  // The symbol tables: a function without debug information, or data of unknown type.
  if (const auto symbol = unwinder.FindSymbol(name)) {
    Type t;
    t.kind = symbol->code ? TypeKind::kFunction : TypeKind::kOther;
    t.name = symbol->code ? "<text variable, no debug info>" : "<data variable, no debug info>";
    t.size = symbol->code ? 1 : 4;
    t.no_debug_symbol = name;
    return AtAddress(types.Make(std::move(t)), symbol->address);
  }
  return EvalError("No symbol \"" + name + "\" in current context.");
}

Result<Value> Evaluator::Impl::RegisterValue(const std::string& name) {
  const auto regno = RegisterNumber(name);
  if (!regno) {
    Value v;
    v.type = types.Void();  // an unset convenience variable, as gdb has it
    return v;
  }
  const std::string canonical(unwinder.RegisterName(*regno));
  const Type* type = types.Base("long");
  if (canonical == "rip" || canonical == "eip" || canonical == "pc") {
    Type code;
    code.kind = TypeKind::kFunction;
    code.target = types.Void();
    code.size = 1;
    code.prototyped = cxx;  // C++ spells it void (*)(void), C void (*)()
    type = types.PointerTo(types.Make(std::move(code)));
  } else if (canonical == "rsp" || canonical == "rbp" || canonical == "esp" || canonical == "ebp" || canonical == "sp" ||
             canonical == "x29") {
    type = types.PointerTo(types.Void());
  } else if (canonical == "rflags") {
    type = types.Base("int");
  }
  const auto value = Register(*regno);
  if (!value) {
    Value v;
    v.type = type;
    v.where = Value::Where::kOptimizedOut;
    v.not_saved = true;
    return v;
  }
  Value v = Scalar(type, *value);
  v.where = Value::Where::kRegister;
  return v;
}

std::optional<const Type*> Evaluator::Impl::NamedType(const std::string& keyword, const std::string& name) {
  auto matches = [&](Dwarf_Die* die) {
    const int tag = dwarf_tag(die);
    if (keyword == "struct" || keyword == "class") return tag == DW_TAG_structure_type || tag == DW_TAG_class_type;
    if (keyword == "union") return tag == DW_TAG_union_type;
    if (keyword == "enum") return tag == DW_TAG_enumeration_type;
    if (tag == DW_TAG_typedef || tag == DW_TAG_base_type) return true;
    return dwarf_types.FromDie(*die)->cplus;  // C++ names its classes without a keyword
  };
  if (frame_dwarf) {
    std::optional<Dwarf_Die> found;
    ForEachChild(frame_dwarf->cu, [&](Dwarf_Die child) {
      if (IsTypeTag(dwarf_tag(&child)) && !HasFlag(&child, DW_AT_declaration) && DieName(&child) == name && matches(&child)) {
        found = child;
        return false;
      }
      return true;
    });
    if (found) return dwarf_types.FromDie(*found);
  }
  for (Dwfl_Module* module : Modules()) {
    const ModuleIndex& idx = IndexOf(module);
    for (const auto* map : {&idx.typedefs, &idx.tagged}) {
      if (auto it = map->find(name); it != map->end()) {
        Dwarf_Die die = it->second;
        if (matches(&die)) return dwarf_types.FromDie(die);
      }
    }
  }
  return std::nullopt;
}

// ---- the public face ----

namespace {

// Where a top-level assignment's `=` is (not ==, !=, <=, >=, nor inside brackets or quotes).
std::optional<std::size_t> AssignmentAt(std::string_view text) {
  int nesting = 0;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '(' || c == '[') ++nesting;
    else if (c == ')' || c == ']') --nesting;
    else if (c == '=' && nesting == 0) {
      const char before = i ? text[i - 1] : 0;
      const char after = i + 1 < text.size() ? text[i + 1] : 0;
      if (after == '=' || before == '=' || before == '!' || before == '<' || before == '>') {
        if (after == '=') ++i;
        continue;
      }
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Value> Evaluator::Evaluate(std::string_view expression) {
  // An assignment evaluates both sides, then fails as gdb's does on a core: its memory and
  // registers are the core's, and cannot be written.
  if (auto at = AssignmentAt(expression)) {
    auto target = ParseAndEvaluate(*impl_, expression.substr(0, *at));
    if (!target) return target;
    auto value = ParseAndEvaluate(*impl_, expression.substr(*at + 1));
    if (!value) return value;
    if (target->where == Value::Where::kMemory) {
      return Unexpected(Errc::kUnsupported, fmt::format("Cannot access memory at address {:#x}", target->address));
    }
    if (target->where == Value::Where::kRegister) return Unexpected(Errc::kUnsupported, "Cannot write registers of a core file.");
    return Unexpected(Errc::kInvalidArgument, "Left operand of assignment is not an lvalue.");
  }
  return ParseAndEvaluate(*impl_, expression);
}

Result<const Type*> Evaluator::ParseType(std::string_view text) { return ParseTypeText(*impl_, text); }

Result<const Type*> Evaluator::TypeOfExpressionOrType(std::string_view text) {
  if (auto type = ParseTypeText(*impl_, text)) return type;
  auto value = ParseAndEvaluate(*impl_, text);
  if (!value) return Unexpected(value.error());
  return value->type;
}

Result<std::vector<NamedValue>> Evaluator::Locals() {
  Impl& s = *impl_;
  if (!s.frame_dwarf || s.frame_dwarf->scopes.empty()) return Unexpected(Errc::kNotInCore, "No symbol table info available.");
  std::vector<NamedValue> locals;
  for (const Dwarf_Die& scope : s.frame_dwarf->scopes) {
    // gdb also lists a label the compiler left without an address, as <optimized out>.
    ForEachDeclared(scope, {DW_TAG_variable, DW_TAG_label}, [&](Dwarf_Die variable, bool concrete) {
      const std::string name = DieName(&variable);
      Dwarf_Addr address = 0;
      if (name.empty() || HasFlag(&variable, DW_AT_declaration)) return;
      if (dwarf_tag(&variable) == DW_TAG_label) {
        if (dwarf_lowpc(&variable, &address) != 0) locals.push_back({name, s.OptimizedOut(variable)});
        return;
      }
      locals.push_back({name, concrete ? s.FrameVariable(variable) : s.OptimizedOut(variable)});
    });
  }
  return locals;
}

Result<std::vector<NamedValue>> Evaluator::Arguments() {
  Impl& s = *impl_;
  if (!s.frame_dwarf || s.frame_dwarf->scopes.empty()) return Unexpected(Errc::kNotInCore, "No symbol table info available.");
  std::vector<NamedValue> args;
  ForEachDeclared(s.frame_dwarf->scopes.back(), {DW_TAG_formal_parameter}, [&](Dwarf_Die parameter, bool concrete) {
    if (DieName(&parameter).empty()) return;  // unnamed: gdb has no symbol to list
    args.push_back({DieName(&parameter), concrete ? s.FrameVariable(parameter) : s.OptimizedOut(parameter)});
  });
  return args;
}

std::string Evaluator::FrameArguments(const unwind::Frame& frame, std::span<const unwind::Frame> callers) {
  Impl& s = *impl_;
  Impl::Selection selected = s.Saved();
  s.Select(&frame, callers);
  std::string text;
  // gdb's `print frame-arguments`: scalars (the default) shows aggregates as "...", and the
  // standard library's values as their summary with "{...}" for their elements; all shows
  // everything; none and presence show nothing of the values.
  const std::string mode = s.options.frame_arguments;
  auto shown = [&](const Value& value) {
    if (mode == "none") return std::string("...");
    const Type* t = Strip(value.type);
    const Type* referent = t && t->kind == TypeKind::kReference ? Strip(t->target) : t;
    if (mode != "all" && value.where != Value::Where::kOptimizedOut && referent &&
        (referent->kind == TypeKind::kStruct || referent->kind == TypeKind::kUnion || referent->kind == TypeKind::kArray)) {
      auto target = s.Coerced(value);
      if (target && referent->kind == TypeKind::kStruct && StdPrinter(s, *target)) {
        s.summary = true;
        std::string text = s.Format(value, 0, false, 0);
        s.summary = false;
        return text;
      }
      return std::string("...");
    }
    return s.Format(value, 0, false, 0);
  };
  if (mode == "presence") {
    bool any = false;
    if (s.frame_dwarf && !s.frame_dwarf->scopes.empty()) {
      ForEachDeclared(s.frame_dwarf->scopes.back(), {DW_TAG_formal_parameter}, [&](Dwarf_Die, bool) { any = true; });
    }
    s.Restore(std::move(selected));
    return any ? "..." : "";
  }
  if (s.frame_dwarf && !s.frame_dwarf->scopes.empty()) {
    ForEachDeclared(s.frame_dwarf->scopes.back(), {DW_TAG_formal_parameter}, [&](Dwarf_Die parameter, bool concrete) {
      const std::string name = DieName(&parameter);
      if (name.empty()) return;  // an unnamed parameter (a tag type's): gdb's frame line leaves it out
      const Value actual = concrete ? s.FrameVariable(parameter) : s.OptimizedOut(parameter);
      const std::optional<Value> entry = concrete ? s.EntryValue(parameter) : std::nullopt;
      text += text.empty() ? "" : ", ";
      // gdb's `print entry-values default`: name=name@entry=V when both agree, both otherwise.
      if (!entry) {
        text += name + "=" + shown(actual);
        return;
      }
      auto actual_bytes = actual.where == Value::Where::kOptimizedOut ? Result<std::vector<std::uint8_t>>(EvalError(""))
                                                                      : s.Contents(actual);
      auto entry_bytes = s.Contents(*entry);
      if (actual_bytes && entry_bytes && *actual_bytes == *entry_bytes) {
        text += name + "=" + name + "@entry=" + shown(actual);
      } else {
        text += name + "=" + shown(actual) + ", " + name + "@entry=" + shown(*entry);
      }
    });
  }
  s.Restore(std::move(selected));
  return text;
}

std::string Evaluator::Format(const Value& value, PrintFormat format, bool top_level) {
  impl_->raw = format.raw;
  std::string text = impl_->Format(value, format.letter, top_level, 0);
  impl_->raw = false;
  return text;
}

PrintOptions& Evaluator::Options() { return impl_->options; }

std::size_t Evaluator::Record(const Value& value) {
  // History values are fixed when recorded, as gdb's are: later reads see the same bytes.
  Value kept = value;
  if (kept.where == Value::Where::kMemory && Strip(kept.type) && Strip(kept.type)->size <= kMaxValueSize &&
      Strip(kept.type)->kind != TypeKind::kFunction) {
    if (auto bytes = impl_->Contents(kept)) {
      kept.where = Value::Where::kComputed;
      kept.bytes = *bytes;
      kept.address = value.address;
    }
  }
  impl_->history.push_back(kept);
  return impl_->history.size();
}

Result<std::uint64_t> Evaluator::AsAddress(const Value& value) {
  auto v = impl_->Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (t && (t->kind == TypeKind::kArray || t->kind == TypeKind::kFunction || t->kind == TypeKind::kStruct ||
            t->kind == TypeKind::kUnion) && v->where == Value::Where::kMemory) {
    return v->address;
  }
  auto i = impl_->AsInteger(*v);
  if (!i) return Unexpected(i.error());
  return static_cast<std::uint64_t>(*i);
}

Evaluator::FrameFacts Evaluator::DescribeFrame(const unwind::Frame& frame) {
  Impl& s = *impl_;
  Impl::Selection selected = s.Saved();
  s.Select(&frame);
  FrameFacts facts;
  facts.cfa = s.Cfa();
  if (s.frame_dwarf) {
    switch (dwarf_srclang(&s.frame_dwarf->cu)) {
      case DW_LANG_C89: case DW_LANG_C: case DW_LANG_C99: case DW_LANG_C11: facts.language = "c"; break;
      case DW_LANG_C_plus_plus: case DW_LANG_C_plus_plus_03: case DW_LANG_C_plus_plus_11: case DW_LANG_C_plus_plus_14:
        facts.language = "c++";
        break;
      case DW_LANG_Mips_Assembler: facts.language = "asm"; break;
      default: break;
    }
    Dwarf_Die* unit = &s.frame_dwarf->cu;
    Dwarf_Attribute attr;
    if (const char* dir = dwarf_formstring(dwarf_attr(unit, DW_AT_comp_dir, &attr))) facts.comp_dir = dir;
    if (const char* producer = dwarf_formstring(dwarf_attr(unit, DW_AT_producer, &attr))) facts.producer = producer;
    Dwarf_Half version = 0;
    if (dwarf_cu_info(unit->cu, &version, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr) == 0) facts.dwarf_version = version;
    facts.has_macros = dwarf_hasattr(unit, DW_AT_macros) || dwarf_hasattr(unit, DW_AT_GNU_macros) || dwarf_hasattr(unit, DW_AT_macro_info);
  }
  const auto cfi_frame = s.CfiFrame(dwfl_addrmodule(s.dwfl, frame.lookup));
  if (cfi_frame && facts.cfa) {
    for (unsigned regno = 0; regno <= 16; ++regno) {  // the general registers and the return address
      Dwarf_Op ops_mem[3];
      Dwarf_Op* ops = nullptr;
      std::size_t n = 0;
      if (dwarf_frame_register(cfi_frame.get(), static_cast<int>(regno), ops_mem, &ops, &n) != 0 || n == 0) continue;
      LocationContext c;
      c.cfa = [&] { return facts.cfa; };
      c.read_register = [&](unsigned r) { return s.Register(r); };
      const Location l = EvaluateLocation(ops, n, c);
      if (l.error.empty() && l.pieces.size() == 1 && l.pieces[0].kind == Piece::Kind::kMemory) {
        facts.saved.emplace_back(regno, l.pieces[0].address);
      }
    }
  }
  s.Restore(std::move(selected));
  return facts;
}

namespace {


}  // namespace

std::optional<Evaluator::SourcePlace> Evaluator::FunctionSource(const std::string& name) {
  Impl& s = *impl_;
  for (Dwfl_Module* module : s.Modules()) {
    const auto& idx = s.IndexOf(module);
    auto it = idx.functions.find(name);
    if (it == idx.functions.end()) continue;
    Dwarf_Die die = it->second;
    const char* file = DeclFile(&die);
    int line = 0;
    if (!file || dwarf_decl_line(&die, &line) != 0) return std::nullopt;
    SourcePlace place{file, line, ""};
    Dwarf_Die cu;
    Dwarf_Attribute attr;
    if (dwarf_diecu(&die, &cu, nullptr, nullptr)) {
      if (const char* dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr))) place.comp_dir = dir;
      // gdb lists around the line of the function's first instruction (its opening brace when
      // the declaration spans lines), not the declaration's first line.
      Dwarf_Addr entry = 0;
      int entry_line = 0;
      if (Dwarf_Line* row = dwarf_lowpc(&die, &entry) == 0 ? dwarf_getsrc_die(&cu, entry) : nullptr;
          row && dwarf_lineno(row, &entry_line) == 0 && entry_line > 0) {
        place.line = entry_line;
      }
    }
    return place;
  }
  return std::nullopt;
}

Result<Value> Evaluator::MemberOf(const Value& value, const std::string& name) {
  auto v = impl_->Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (t && t->kind == TypeKind::kPointer) {
    v = impl_->Dereference(*v);
    if (!v) return Unexpected(v.error());
  } else if (t && t->kind == TypeKind::kStruct) {
    // A smart pointer's `->` follows it when the object has no member of that name itself.
    if (auto own = impl_->MemberOf(*v, name)) return own;
    if (auto pointee = StdPointee(*impl_, *v); pointee && *pointee) v = **pointee;
  }
  return impl_->MemberOf(*v, name);
}

Result<Value> Evaluator::Element(const Value& value, std::int64_t index) { return impl_->Element(value, index); }
Result<Value> Evaluator::MemberValue(const Value& value, const Member& member) {
  auto v = impl_->Coerced(value);
  if (!v) return Unexpected(v.error());
  return impl_->Slice(*v, member);
}
Result<Value> Evaluator::Dereference(const Value& value) { return impl_->Dereference(value); }
Result<std::int64_t> Evaluator::AsInteger(const Value& value) { return impl_->AsInteger(value); }
Result<double> Evaluator::AsDouble(const Value& value) { return impl_->AsDouble(value); }

std::optional<Evaluator::LibraryView> Evaluator::StandardView(const Value& value, std::size_t limit) {
  auto v = impl_->Coerced(value);
  if (!v) return std::nullopt;
  auto printer = StdPrinter(*impl_, *v);
  if (!printer) return std::nullopt;
  LibraryView view;
  view.summary = printer->summary;
  if (printer->text) {
    view.shape = LibraryView::Shape::kString;
    view.string_address = printer->text->address;
    view.string_length = printer->text->length;
    view.char_width = printer->text->width;
    return view;
  }
  // An empty container keeps its shape (gdb's hint) without children.
  view.shape = printer->hint == Synthetic::Hint::kArray ? LibraryView::Shape::kArray
               : printer->hint == Synthetic::Hint::kMap ? LibraryView::Shape::kMap
               : printer->has_children                  ? LibraryView::Shape::kStruct
                                                        : LibraryView::Shape::kLeaf;
  if (!printer->has_children || !printer->children) return view;
  const std::size_t max_children = view.shape == LibraryView::Shape::kMap ? 2 * limit : limit;
  view.error = printer->children([&](const std::string& name, const Value& child) {
    if (view.children.size() >= max_children) return false;
    view.children.push_back({name, child});
    return true;
  });
  return view;
}

Result<Value> Evaluator::Fetched(const Value& value) {
  const Type* t = Strip(value.type);
  if (value.where != Value::Where::kMemory || !t || t->kind == TypeKind::kFunction || !t->no_debug_symbol.empty()) {
    if (t && !t->no_debug_symbol.empty() && t->kind == TypeKind::kOther) {
      auto bits = impl_->Bits(value);
      if (!bits) return Unexpected(bits.error());
    }
    return value;
  }
  auto bytes = impl_->Contents(value);
  if (!bytes) return Unexpected(bytes.error());
  Value fetched = value;
  fetched.where = Value::Where::kComputed;
  fetched.bytes = std::move(*bytes);
  return fetched;
}

std::vector<std::string> Evaluator::Complete(const std::string& prefix, std::size_t limit) {
  std::set<std::string> names;
  Impl& s = *impl_;
  auto consider = [&](const std::string& name) {
    if (name.rfind(prefix, 0) == 0) names.insert(name);
  };
  if (s.frame_dwarf) {
    for (const Dwarf_Die& scope : s.frame_dwarf->scopes) {
      ForEachChild(scope, [&](Dwarf_Die child) {
        const int tag = dwarf_tag(&child);
        if (tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) consider(DieName(&child));
        return true;
      });
    }
  }
  for (Dwfl_Module* module : s.Modules()) {
    const auto& idx = s.IndexOf(module);
    for (const auto* map : {&idx.variables, &idx.functions, &idx.tagged, &idx.typedefs}) {
      for (const auto& [name, die] : *map) consider(std::string(name));
    }
  }
  std::vector<std::string> sorted(names.begin(), names.end());
  if (sorted.size() > limit) sorted.resize(limit);
  return sorted;
}

}  // namespace corekit::eval
