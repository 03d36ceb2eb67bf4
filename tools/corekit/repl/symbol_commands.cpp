// The symbol table's answers, in gdb's words: info line (where a line's code is, or which line an
// address is in), info address (where a symbol lives), info scope (what a block holds) and info
// files (the core's and the program's sections).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "corekit/core/core_file.h"

#include "render.h"
#include "repl/command_text.h"
#include "repl/debugger.h"

namespace corekit::tools {
namespace {

// BFD's name for a file's format, as gdb's info files prints it.
std::string BfdTarget(const elf::Abi& abi) {
  const bool big = abi.endian == elf::Endian::kBig;
  switch (abi.arch) {
    case elf::Arch::kX86_64: return "elf64-x86-64";
    case elf::Arch::kX32: return "elf32-x86-64";
    case elf::Arch::kI386: return "elf32-i386";
    case elf::Arch::kAarch64: return big ? "elf64-bigaarch64" : "elf64-littleaarch64";
    case elf::Arch::kArm: return big ? "elf32-bigarm" : "elf32-littlearm";
    case elf::Arch::kPpc64: return big ? "elf64-powerpc" : "elf64-powerpcle";
    case elf::Arch::kPpc: return big ? "elf32-powerpc" : "elf32-powerpcle";
    case elf::Arch::kS390x: return "elf64-s390";
    case elf::Arch::kS390: return "elf32-s390";
    case elf::Arch::kRiscv64: return "elf64-littleriscv";
    case elf::Arch::kRiscv32: return "elf32-littleriscv";
    default: return std::string(abi.is64 ? "elf64-" : "elf32-") + (big ? "big" : "little");
  }
}

bool AllDigits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Debugger::LineSpec Debugger::ParseLineSpec(const std::string& raw) {
  const std::string text = Trim(raw);
  LineSpec spec;
  if (!text.empty() && text[0] == '*') {
    spec.address = EvaluateAddress(text.substr(1));
    return spec;
  }
  const unwind::Frame* current = &SelectedFrame();
  if (!current->file) current = source_frame_;
  const auto colon = text.rfind(':');
  if (text.empty() || AllDigits(text)) {
    if (!current || !current->file) throw CommandError("No symbol table is loaded.  Use the \"file\" command.");
    spec.file = *current->file;
    spec.line = text.empty() ? current->line.value_or(0) : std::stoi(text.substr(0, 9));
  } else if (colon != std::string::npos && AllDigits(text.substr(colon + 1))) {
    spec.file = text.substr(0, colon);
    spec.line = std::stoi(text.substr(colon + 1, 9));
  } else {
    // A function: its entry (gdb's list-mode linespec, no prologue skipped); one with debug
    // information, else a code symbol.
    auto value = Evaluator().FunctionSource(text) ? Evaluator().Evaluate(text) : Result<eval::Value>(Unexpected(Error{}));
    auto address = value ? Evaluator().AsAddress(*value) : Result<std::uint64_t>(Unexpected(Error{}));
    if (address) {
      spec.address = *address;
    } else if (auto symbol = unwinder_.FindSymbol(text); symbol && symbol->code) {
      spec.address = symbol->address;
    } else {
      throw CommandError("Function \"" + text + "\" not defined.");
    }
  }
  return spec;
}

void Debugger::InfoLine(const std::string& args) {
  const LineSpec spec = ParseLineSpec(args);
  const auto label = [&](std::uint64_t a) { return fmt::format("{:#x}", a) + AddressLabel(a, true); };
  std::uint64_t start = 0;
  if (spec.address) {
    const auto row = unwinder_.LineAt(*spec.address);
    if (!row) {
      if (*spec.address == 0) PrintTo(out_, "No line number information available.\n");
      else PrintTo(out_, "No line number information available for address {}\n", label(*spec.address));
      return;
    }
    PrintTo(out_, "Line {} of \"{}\" starts at address {} and ends at {}.\n", row->line, Printable(row->file), label(row->start),
            label(row->end));
    start = row->start;
  } else {
    const auto first = unwinder_.LineStart(spec.file, spec.line);
    if (!first) throw CommandError("No source file named " + spec.file + ".");
    if (first->line == 0) {
      PrintTo(out_, "Line number {} is out of range for \"{}\".\n", spec.line, Printable(first->file));
      return;
    }
    // As gdb's find_line_pc_range: the row that covers the line's first address decides; a
    // line whose first address is another line's has no code of its own.
    const auto row = unwinder_.LineAt(first->start);
    start = row ? row->start : first->start;
    if (row && row->line == spec.line && first->line == spec.line) {
      PrintTo(out_, "Line {} of \"{}\" starts at address {} and ends at {}.\n", spec.line, Printable(first->file), label(row->start),
              label(row->end));
    } else {
      PrintTo(out_, "Line {} of \"{}\" is at address {} but contains no code.\n", spec.line, Printable(first->file), label(start));
    }
  }
  // x with no address goes on from the line's code, and $_ holds it, as after gdb's info line.
  examine_.next = start;
  if (auto pointer = Evaluator().ParseType("void *")) Evaluator().SetConvenience("_", Evaluator().MakeScalar(*pointer, start));
}

void Debugger::InfoAddress(const std::string& args) {
  const std::string name = Trim(args);
  if (name.empty()) throw CommandError("Argument required.");
  auto sentence = Evaluator().DescribeSymbol(name);
  if (!sentence) throw CommandError(sentence.error().message);
  PrintTo(out_, "{}", *sentence);
}

void Debugger::InfoScope(const std::string& args) {
  const std::string text = Trim(args);
  if (text.empty()) throw CommandError("requires an argument (an expression or variable): foo");
  LineSpec spec = ParseLineSpec(text);
  std::uint64_t pc = 0;
  if (spec.address && text[0] == '*') {
    pc = *spec.address;
  } else if (spec.address) {
    // A function: its first line after the prologue, as gdb's linespecs place a breakpoint —
    // the start of the second row of the function's first line's sequence.
    pc = *spec.address;
    if (const auto first = unwinder_.LineAt(pc)) {
      if (const auto next = unwinder_.LineAt(first->end); next && next->line != first->line) pc = next->start;
    }
  } else {
    const auto first = unwinder_.LineStart(spec.file, spec.line);
    if (!first || first->line == 0) throw CommandError("No line " + std::to_string(spec.line) + " in the current file.");
    pc = first->start;
  }
  auto lines = Evaluator().DescribeScope(pc);
  if (!lines) throw CommandError(lines.error().message);
  if (lines->empty()) {
    PrintTo(out_, "Scope for {}:\nSymbol {} contains no locals.\n", Printable(text), Printable(text));
    return;
  }
  PrintTo(out_, "Scope for {}:\n", Printable(text));
  for (const std::string& line : *lines) PrintTo(out_, "{}", line);
}

void Debugger::InfoSymbols(eval::Evaluator::SymbolKind kind, const std::string& args) {
  // gdb's options: -q (no header), -n (no non-debugging symbols); the rest is the regex.
  bool quiet = false, no_plain = false;
  std::string regex = Trim(args);
  for (bool option = true; option;) {
    option = false;
    for (const char* flag : {"-q", "-n"}) {
      if (regex == flag || regex.rfind(std::string(flag) + " ", 0) == 0) {
        (std::string(flag) == "-q" ? quiet : no_plain) = true;
        regex = Trim(regex.substr(2));
        option = true;
      }
    }
  }
  if (regex.rfind("-- ", 0) == 0) regex = Trim(regex.substr(3));
  const char* noun = kind == eval::Evaluator::SymbolKind::kFunctions ? "functions"
                     : kind == eval::Evaluator::SymbolKind::kVariables ? "variables" : "types";
  auto found = Evaluator().SearchSymbols(kind, regex);
  if (!found) throw CommandError(found.error().message);
  if (!quiet) {
    if (regex.empty()) PrintTo(out_, "All defined {}:\n", noun);
    else PrintTo(out_, "All {} matching regular expression \"{}\":\n", noun, Printable(regex));
  }
  const std::string* file = nullptr;
  for (const auto& match : found->symbols) {
    CheckInterrupt();
    if (!file || *file != match.file) {
      PrintTo(out_, "\nFile {}:\n", Printable(match.file));
      file = &match.file;
    }
    if (match.line) PrintTo(out_, "{}:\t{}\n", match.line, Printable(match.text));
    else PrintTo(out_, "\t{}\n", Printable(match.text));
  }
  if (no_plain || found->non_debugging.empty()) return;
  PrintTo(out_, "\nNon-debugging symbols:\n");
  for (const auto& plain : found->non_debugging) {
    PrintTo(out_, "{}  {}\n", target_.abi().is64 ? fmt::format("{:#018x}", plain.address) : fmt::format("{:#010x}", plain.address),
            Printable(plain.name));
  }
}

void Debugger::InfoFiles() {
  const bool is64 = target_.abi().is64;
  const auto range = [&](std::uint64_t start, std::uint64_t end) {
    return is64 ? fmt::format("{:#018x} - {:#018x}", start, end) : fmt::format("{:#010x} - {:#010x}", start, end);
  };
  const unwind::Module* exe = nullptr;
  std::vector<const unwind::Module*> libraries;
  const unwind::Module* vdso = nullptr;
  for (const unwind::Module& m : unwinder_.modules()) {
    if (m.source == "exe") exe = &m;
    else if (m.source == "vdso") vdso = &m;
    else if (m.link_map_index >= 0) libraries.push_back(&m);
  }
  std::sort(libraries.begin(), libraries.end(), [](auto* a, auto* b) { return a->link_map_index < b->link_map_index; });
  if (exe && !exe->file.empty()) PrintTo(out_, "Symbols from \"{}\".\n", Printable(exe->file));
  if (auto* core = dynamic_cast<core::CoreFile*>(&target_)) {
    // BFD's sections of a core: one per PT_LOAD, named by its program header's index; a
    // segment only partly in the file is two, "a" (in the file) and "b" (the rest).
    PrintTo(out_, "Local core dump file:\n\t`{}', file type {}.\n", Printable(std::filesystem::absolute(core->path()).string()),
            BfdTarget(core->abi()));
    const auto& headers = core->elf().program_headers();
    for (std::size_t i = 0; i < headers.size(); ++i) {
      const elf::ProgramHeader& h = headers[i];
      if (h.p_type != elf::PT_LOAD) continue;
      const bool split = h.p_memsz > 0 && h.p_filesz > 0 && h.p_memsz > h.p_filesz;
      if (h.p_filesz > 0) PrintTo(out_, "\t{} is load{}{}\n", range(h.p_vaddr, h.p_vaddr + h.p_filesz), i, split ? "a" : "");
      if (h.p_memsz > h.p_filesz) PrintTo(out_, "\t{} is load{}{}\n", range(h.p_vaddr + h.p_filesz, h.p_vaddr + h.p_memsz), i, split ? "b" : "");
    }
  }
  if (!exe || exe->file.empty()) return;
  // gdb reads memory from the core first: what the exec file's sections hold is shadowed.
  if (dynamic_cast<core::CoreFile*>(&target_)) PrintTo(out_, "\tWhile running this, GDB does not access memory from...\n");
  PrintTo(out_, "Local exec file:\n\t`{}', file type {}.\n", Printable(exe->file), BfdTarget(target_.abi()));
  if (const auto entry = unwinder_.EntryPoint(exe->start)) PrintTo(out_, "\tEntry point: {:#x}\n", *entry);
  const auto list = [&](const unwind::Module& m, const std::string& where) {
    for (const auto& section : unwinder_.LoadedSections(m.start)) {
      PrintTo(out_, "\t{} is {}{}\n", range(section.start, section.end), Printable(section.name), where);
    }
  };
  list(*exe, "");
  for (const unwind::Module* m : libraries) list(*m, " in " + Printable(m->link_map_name.empty() ? m->name : m->link_map_name));
  if (vdso) list(*vdso, fmt::format(" in system-supplied DSO at {:#x}", vdso->start));
}

}  // namespace corekit::tools
