// The debugger's commands about data and code: print, output, ptype, whatis, info locals and
// args (and bt full's locals), list, disassemble and x/i.
#include <capstone/capstone.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "render.h"
#include "repl/debugger.h"

namespace corekit::tools {
namespace {

// "/x rest" -> {{'x'}, "rest"}; "/rx rest" adds raw (no standard library printers); anything
// else -> {{}, text}.
std::pair<eval::PrintFormat, std::string> SplitFormat(const std::string& text) {
  if (text.empty() || text[0] != '/') return {{}, text};
  std::size_t i = 1;
  eval::PrintFormat format;
  for (; i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) throw CommandError("Item count other than 1 is meaningless in \"print\" command.");
    if (c == 'r') {
      format.raw = true;
      continue;
    }
    if (std::string("xduotcazfs").find(c) == std::string::npos) throw CommandError(std::string("Undefined output format \"") + c + "\".");
    format.letter = c;
  }
  const auto rest = text.find_first_not_of(" \t", i);
  return {format, rest == std::string::npos ? std::string() : text.substr(rest)};
}


// Capstone's AT&T text in objdump's (gdb's) spelling: no operand-size suffix where a register
// operand already says the size (and never on call/ret/push/pop/jmp/leave), immediates and
// displacements in hex, no space after commas: "movl %edi, -4(%rbp)" -> "mov %edi,-0x4(%rbp)".
std::pair<std::string, std::string> ObjdumpSpelling(std::string mnemonic, std::string operands) {
  for (std::size_t at; (at = operands.find(", ")) != std::string::npos;) operands.erase(at + 1, 1);
  std::string hexed;
  int parens = 0;  // a scale inside (base,index,scale) stays decimal
  for (std::size_t i = 0; i < operands.size();) {
    if (operands[i] == '(') ++parens;
    if (operands[i] == ')') --parens;
    const bool starts_number = parens == 0 && std::isdigit(static_cast<unsigned char>(operands[i])) &&
                               (i == 0 || operands[i - 1] == '$' || operands[i - 1] == ',' || operands[i - 1] == '-');
    if (starts_number && operands.compare(i, 2, "0x") != 0) {
      std::size_t j = i;
      while (j < operands.size() && std::isdigit(static_cast<unsigned char>(operands[j]))) ++j;
      hexed += fmt::format("{:#x}", std::stoull(operands.substr(i, j - i)));
      i = j;
    } else {
      hexed += operands[i++];
    }
  }
  operands = hexed;
  static const char* const kNeverSuffixed[] = {"call", "ret", "push", "pop", "jmp", "leave"};
  static const char* const kSuffixed[] = {"mov", "add", "sub", "and", "or", "xor", "cmp", "test", "lea", "inc", "dec",
                                          "neg", "not", "shl", "shr", "sar", "sal", "imul", "adc", "sbb", "xchg", "rol", "ror", "movabs"};
  if (mnemonic.size() > 1 && std::string("bwlq").find(mnemonic.back()) != std::string::npos) {
    const std::string base = mnemonic.substr(0, mnemonic.size() - 1);
    bool register_operand = false;
    std::size_t start = 0;
    for (std::size_t end; start <= operands.size(); start = end + 1) {
      end = operands.find(',', start);
      if (end == std::string::npos) end = operands.size();
      const std::string operand = operands.substr(start, end - start);
      if (operand.rfind("%", 0) == 0 || operand.rfind("*%", 0) == 0) register_operand = true;
      if (end == operands.size()) break;
    }
    for (const char* m : kNeverSuffixed) {
      if (base == m) mnemonic = base;
    }
    for (const char* m : kSuffixed) {
      if (base == m && register_operand) mnemonic = base;
    }
  }
  return {mnemonic, operands};
}

}  // namespace

void Debugger::Print(const std::string& args, bool record) {
  auto [format, expression] = SplitFormat(args);
  // gdb's /r without a letter takes the last letter print or x used (its last_format).
  if (format.raw && !format.letter && std::string("xduotcazf").find(last_format_) != std::string::npos) {
    format.letter = last_format_;
  }
  if (format.letter) last_format_ = format.letter;
  // A bare print shows the last value again, as a new history entry.
  if (expression.empty() && !record) throw CommandError("Argument required (expression to compute).");
  if (expression.empty()) expression = "$";
  eval::Evaluator& evaluator = Evaluator();
  auto value = evaluator.Fetched(EvaluateOrThrow(expression));
  if (!value) throw CommandError(value.error().message);
  const std::string text = evaluator.Format(*value, format, true);
  if (!record) {
    PrintTo(out_, "{}", text);
    return;
  }
  const std::size_t number = evaluator.Record(*value);
  PrintTo(out_, "${} = {}\n", number, text);
}

void Debugger::Ptype(const std::string& args, bool whatis) {
  if (args.empty()) throw CommandError("Argument required (one or more choice items).");
  eval::Evaluator& evaluator = Evaluator();
  std::string text;
  if (auto type = evaluator.ParseType(args)) {
    const eval::Type* t = *type;
    // whatis of a typedef's name shows what it stands for, one level down, as gdb does.
    if (whatis && t->kind == eval::TypeKind::kTypedef && t->target) t = t->target;
    text = whatis ? eval::TypeName(t) : eval::TypeDefinition(t);
  } else {
    const eval::Value value = EvaluateOrThrow(args);
    text = whatis ? eval::TypeName(value.type) : eval::TypeDefinition(value.type);
  }
  PrintTo(out_, "type = {}\n", text);
}

void Debugger::PrintNamedValues(bool locals, const std::string& indent) {
  eval::Evaluator& evaluator = Evaluator();
  auto values = locals ? evaluator.Locals() : evaluator.Arguments();
  if (!values) {
    if (!indent.empty()) {  // bt full goes on past a frame without debug information, unindented
      PrintTo(out_, "{}\n", SelectedFrame().how == "signal-trampoline" ? "No locals." : values.error().message);
      return;
    }
    throw CommandError(values.error().message);
  }
  if (values->empty()) PrintTo(out_, "{}\n", locals ? "No locals." : "No arguments.");  // unindented, as gdb has it
  for (const eval::NamedValue& v : *values) {
    CheckInterrupt();
    PrintTo(out_, "{}{} = {}\n", indent, v.name, evaluator.Format(v.value, {}, false));
  }
}

void Debugger::List(const std::string& args) {
  unwind::Frame place;
  int center = 0;
  std::optional<int> first;
  if (args.empty()) {
    const unwind::Frame& f = SelectedFrame();
    if (!f.file || !f.line) throw CommandError("No symbol table is loaded.  Use the \"file\" command.");
    place = f;
    if (list_next_ && list_next_->first == &f) {
      first = list_next_->second;
    } else {
      center = *f.line;
    }
  } else {
    const std::string text = args;
    const auto colon = text.rfind(':');
    const bool all_digits = std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (all_digits) {
      const unwind::Frame& f = SelectedFrame();
      if (!f.file) throw CommandError("No symbol table is loaded.  Use the \"file\" command.");
      place = f;
      center = std::stoi(text.substr(0, 9));
    } else if (colon != std::string::npos && colon + 1 < text.size() &&
               std::all_of(text.begin() + static_cast<long>(colon) + 1, text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      place.file = text.substr(0, colon);
      place.comp_dir = SelectedFrame().comp_dir;
      center = std::stoi(text.substr(colon + 1, 9));
    } else {
      auto where = Evaluator().FunctionSource(text);
      if (!where) throw CommandError("Function \"" + text + "\" not defined.");
      place.file = where->file;
      place.comp_dir = where->comp_dir;
      center = where->line;
    }
  }
  const int from = first ? *first : std::max(1, center - ListLines() / 2);
  int shown = 0;
  for (int n = from; n < from + ListLines(); ++n) {
    auto text = sources_.Line(place, n);
    if (!text) {
      if (n == from) {
        if (!sources_.Path(place)) throw CommandError(fmt::format("{}\t{}: No such file or directory.", n, place.file.value_or("??")));
        throw CommandError(fmt::format("Line number {} out of range; \"{}\" has fewer lines.", n, *place.file));
      }
      break;
    }
    PrintTo(out_, "{}\t{}\n", n, Printable(*text));
    ++shown;
  }
  if (args.empty()) list_next_ = std::make_pair(&SelectedFrame(), from + shown);
}

std::uint64_t Debugger::PrintInstructions(std::uint64_t address, std::size_t count, std::uint64_t end, bool offsets) {
  cs_arch arch = CS_ARCH_X86;
  cs_mode mode = CS_MODE_64;
  switch (target_.abi().arch) {
    case elf::Arch::kX86_64: break;
    case elf::Arch::kI386: mode = CS_MODE_32; break;
    case elf::Arch::kAarch64: arch = CS_ARCH_ARM64; mode = CS_MODE_ARM; break;
    case elf::Arch::kArm: arch = CS_ARCH_ARM; mode = CS_MODE_ARM; break;
    default: throw CommandError("Disassembly is not supported for this architecture.");
  }
  csh handle = 0;
  if (cs_open(arch, mode, &handle) != CS_ERR_OK) throw CommandError("The disassembler could not start.");
  struct Closer {
    csh& h;
    ~Closer() { cs_close(&h); }
  } closer{handle};
  if (arch == CS_ARCH_X86) cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);  // gdb's default syntax
  const std::uint64_t pc = SelectedFrame().pc;
  const std::uint64_t function_start = [&] {
    if (auto sym = unwinder_.SymbolAt(address)) return address - sym->second;
    return address;
  }();
  std::size_t printed = 0;
  while (printed < count && address < end) {
    CheckInterrupt();
    std::vector<std::uint8_t> code(std::min<std::uint64_t>(4096, end - address));
    auto got = target_.ReadSome(address, code);
    if (!got || *got == 0) throw CommandError(fmt::format("Cannot access memory at address {:#x}", address));
    cs_insn* insns = nullptr;
    const std::size_t n = cs_disasm(handle, code.data(), *got, address, std::min<std::size_t>(count - printed, 256), &insns);
    if (n == 0) {
      const std::string label = offsets ? fmt::format(" <+{}>", address - function_start) : AddressLabel(address, true);
      PrintTo(out_, "{}{}{}:\t(bad)\n", address == pc ? "=> " : "   ",
              offsets ? HexAddress(address, target_.abi().is64) : fmt::format("{:#x}", address), label);
      ++address;
      ++printed;
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const cs_insn& insn = insns[i];
      if (insn.address >= end) break;
      auto [mnemonic, operands] = arch == CS_ARCH_X86 ? ObjdumpSpelling(insn.mnemonic, insn.op_str)
                                                      : std::make_pair(std::string(insn.mnemonic), std::string(insn.op_str));
      std::string text = operands.empty() ? mnemonic : fmt::format("{:<6} {}", mnemonic, operands);
      // A rip-relative operand: gdb shows the address it means, and its symbol.
      if (const auto rip = operands.find("(%rip)"); rip != std::string::npos) {
        std::size_t begin = operands.rfind(',', rip);
        begin = begin == std::string::npos ? 0 : begin + 1;
        const std::string displacement = operands.substr(begin, rip - begin);
        if (!displacement.empty()) {
          const std::int64_t disp = std::strtoll(displacement.c_str(), nullptr, 16);
          const std::uint64_t target = insn.address + insn.size + static_cast<std::uint64_t>(disp);
          text += fmt::format("        # {:#x}", target) + AddressLabel(target, true);
        }
      }
      // Direct branches and calls name their target, as gdb does.
      if (operands.rfind("0x", 0) == 0 && (mnemonic[0] == 'j' || mnemonic.rfind("call", 0) == 0 || mnemonic[0] == 'b')) {
        text += AddressLabel(std::strtoull(operands.c_str(), nullptr, 16), true);
      }
      const std::string marker = insn.address == pc ? "=> " : "   ";
      if (offsets) {
        PrintTo(out_, "{}{} <+{}>:\t{}\n", marker, HexAddress(insn.address, target_.abi().is64), insn.address - function_start, text);
      } else {
        PrintTo(out_, "{}{:#x}{}:\t{}\n", marker, insn.address, AddressLabel(insn.address, true), text);
      }
      address = insn.address + insn.size;
      if (++printed >= count) break;
    }
    cs_free(insns, n);
  }
  return address;
}

void Debugger::Disassemble(const std::string& args) {
  const std::uint64_t pc = args.empty() ? SelectedFrame().pc : EvaluateAddress(args);
  // The function's bounds, from the symbol table (an inlined frame's code is its caller's).
  const std::uint64_t lookup = args.empty() ? SelectedFrame().lookup : pc;
  const auto bounds = unwinder_.SymbolBounds(lookup);
  const auto label = bounds ? unwinder_.SymbolAt(bounds->first) : std::nullopt;
  if (!bounds || bounds->second == 0 || !label) throw CommandError("No function contains specified address.");
  PrintTo(out_, "Dump of assembler code for function {}:\n", label->first);
  PrintInstructions(bounds->first, ~std::size_t{0}, bounds->first + bounds->second, true);
  PrintTo(out_, "End of assembler dump.\n");
}

std::vector<std::string> Debugger::SymbolNames(const std::string& prefix) { return Evaluator().Complete(prefix, 200); }

}  // namespace corekit::tools
