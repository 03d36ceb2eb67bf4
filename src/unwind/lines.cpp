// The line table as gdb reads it: which line covers an address (gdb's find_pc_line), where a line
// starts (find_line_pc), whether a pc starts its line. libdw decodes the table; this is gdb's
// choice among its rows.
#include <cstring>
#include <functional>

#include "session.h"

namespace corekit::unwind {
namespace {

struct Row {
  Dwarf_Addr address = 0;  // runtime
  int line = 0;
  const char* file = nullptr;
  bool statement = false, end_sequence = false;
};

// The unit's rows in address order, as gdb keeps them: it drops rows of line 0 (code of no line,
// as clang marks it) and a row repeating the line before it once that line has had a non-zero
// discriminator (gdb's fix for its PR 17276).
void ForEachRow(Dwarf_Die* cu, Dwarf_Addr bias, const std::function<bool(const Row&)>& visit) {
  Dwarf_Lines* lines = nullptr;
  std::size_t count = 0;
  if (!cu || dwarf_getsrclines(cu, &lines, &count) != 0) return;
  int last_line = -1;
  const char* last_file = nullptr;
  bool discriminated = false;
  for (std::size_t i = 0; i < count; ++i) {
    Dwarf_Line* line = dwarf_onesrcline(lines, i);
    Row row;
    unsigned discriminator = 0;
    if (!line || dwarf_lineaddr(line, &row.address) != 0 || dwarf_lineno(line, &row.line) != 0) continue;
    row.address += bias;
    dwarf_linediscriminator(line, &discriminator);
    dwarf_linebeginstatement(line, &row.statement);
    dwarf_lineendsequence(line, &row.end_sequence);
    row.file = dwarf_linesrc(line, nullptr, nullptr);
    if (row.line == 0 && !row.end_sequence) continue;  // gdb records no row for line 0
    const bool new_line = row.line != last_line || row.file != last_file;
    discriminated = new_line ? discriminator != 0 : (discriminated || discriminator != 0);
    last_line = row.line;
    last_file = row.file;
    if (!new_line && discriminated && !row.end_sequence) continue;
    if (!visit(row)) return;
  }
}

// Whether a row's file is the one a user named: the same path, or one ending in "/" + it.
bool SameFile(const char* row_file, const std::string& named) {
  if (!row_file) return false;
  const std::size_t length = std::strlen(row_file);
  if (named == row_file) return true;
  return length > named.size() && row_file[length - named.size() - 1] == '/' &&
         std::memcmp(row_file + length - named.size(), named.data(), named.size()) == 0;
}

}  // namespace

bool Unwinder::IsLineStart(std::uint64_t pc) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, pc);
  if (!mod) return false;
  Dwarf_Addr bias = 0;
  Dwarf_Die storage;
  bool start = false;
  // As gdb decides whether a frame's pc starts its line: some kept row at exactly this address
  // marks a statement boundary (is_stmt).
  Dwarf_Die* cu = FindCu(*session_, mod, pc, &storage, &bias);
  ForEachRow(cu, bias, [&](const Row& row) {
    start = row.address == pc && row.statement && !row.end_sequence;
    return !start;
  });
  return start;
}

std::optional<Unwinder::LineRange> Unwinder::LineAt(std::uint64_t address) {
  Dwfl_Module* mod = dwfl_addrmodule(session_->dwfl, address);
  if (!mod) return std::nullopt;
  Dwarf_Addr bias = 0;
  Dwarf_Die storage;
  std::optional<Row> best;
  std::optional<Dwarf_Addr> end;
  // The last row at or before the address (a statement row among those at its address, as gdb
  // steps back to one), and the first row after it, which ends its range.
  Dwarf_Die* cu = FindCu(*session_, mod, address, &storage, &bias);
  ForEachRow(cu, bias, [&](const Row& row) {
    if (row.address <= address) {
      if (!best || row.address != best->address || best->end_sequence || row.statement || !best->statement) best = row;
      end.reset();
      return true;
    }
    end = row.address;
    return false;
  });
  if (!best || best->end_sequence || best->line == 0 || !end) return std::nullopt;
  return LineRange{best->file ? best->file : "", best->line, best->address, *end};
}

std::optional<Unwinder::LineRange> Unwinder::LineStart(const std::string& file, int line) {
  // Of the statement rows of files so named, in every unit of every module: the first with the
  // line; else the first of the nearest line after it that has rows.
  std::optional<Row> exact, nearest;
  std::string named;  // the full name of a file so named, found in some row
  struct Modules {
    std::vector<Dwfl_Module*> list;
  } modules;
  dwfl_getmodules(
      session_->dwfl,
      [](Dwfl_Module* m, void**, const char*, Dwarf_Addr, void* arg) -> int {
        static_cast<Modules*>(arg)->list.push_back(m);
        return DWARF_CB_OK;
      },
      &modules, 0);
  for (Dwfl_Module* mod : modules.list) {
    Dwarf_Addr bias = 0;
    Dwarf* dwarf = dwfl_module_getdwarf(mod, &bias);
    if (!dwarf) continue;
    Dwarf_Off offset = 0, next = 0;
    std::size_t header_size = 0;
    while (!exact && dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dwarf, offset + header_size, &cu)) {
        ForEachRow(&cu, bias, [&](const Row& row) {
          if (row.end_sequence || !SameFile(row.file, file)) return true;
          if (named.empty()) named = row.file;
          if (!row.statement || row.line < line) return true;
          if (row.line == line) {
            exact = row;
            return false;
          }
          if (!nearest || row.line < nearest->line) nearest = row;
          return true;
        });
      }
      offset = next;
    }
    if (exact) break;
  }
  const std::optional<Row>& found = exact ? exact : nearest;
  if (!found) return named.empty() ? std::nullopt : std::optional<LineRange>(LineRange{named, 0, 0, 0});
  return LineRange{found->file, found->line, found->address, found->address};
}

}  // namespace corekit::unwind
