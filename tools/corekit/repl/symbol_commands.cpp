// The symbol table's answers, in gdb's words: info line (where a line's code is, or which line an
// address is in), info address (where a symbol lives) and info scope (what a block holds).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "render.h"
#include "repl/command_text.h"
#include "repl/debugger.h"

namespace corekit::tools {
namespace {

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

}  // namespace corekit::tools
