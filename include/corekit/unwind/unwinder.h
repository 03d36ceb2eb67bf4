// Unwinder: backtraces of a Target's threads, on elfutils libdwfl.
//
// The unwinder reports every module itself (modules.h) — not dwfl_core_file_report, whose cost
// grows with the square of the segment count — and gives libdwfl its own thread callbacks:
// initial registers from the Target's model, stack memory from Target::ReadSome. So the same
// code serves a core file and, later, a live process. libdwfl unwinds with CFI (.eh_frame and
// .debug_frame) and falls back to frame pointers where a module has none; where both fail, a
// stack scan finds the next return address (a word pointing just after a call instruction) and
// libdwfl goes on from there. Each frame says how it was found (`how`). Symbols come from .symtab/.dynsym (global names preferred over weak aliases), file
// and line from DWARF, and inlined calls are expanded into frames of their own, like
// `eu-stack -i` and gdb. Files a module lacks (its executable, separate debug file, dwz alt
// file, sources) are found by a locate::Locator, by build-id, in gdb's order, debuginfod last.
//
// An Unwinder borrows its Target, which must outlive it. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corekit/base/result.h"
#include "corekit/target/target.h"
#include "corekit/unwind/modules.h"

namespace corekit::unwind {

struct Frame {
  std::size_t index = 0;
  std::uint64_t pc = 0;
  std::optional<std::string> function;  // demangled unless Options::demangle is false
  std::uint64_t offset = 0;             // pc - symbol start
  std::string module;                   // module name, or "" when pc is in none
  std::optional<std::string> file;      // as the DWARF names it: absolute, or relative to comp_dir
  std::optional<int> line;
  std::optional<std::string> comp_dir;  // the compile unit's build directory
  bool inlined = false;                 // an inlined call expanded from the physical frame
  // The address looked up for this frame: pc, or pc - 1 for a return address (the call itself).
  std::uint64_t lookup = 0;
  // The function is named by a DWARF subprogram (else by the symbol table, or not at all).
  bool dwarf_function = false;
  // Of the frames one pc stands for, 0 for the innermost inlined call, counting outwards to the
  // physical frame (the function the code belongs to).
  unsigned inline_depth = 0;
  // How the frame was recovered: "initial", "cfi", "frame-pointer", "inline", "signal" (the
  // code a signal interrupted, its pc exact), "signal-trampoline" (the kernel's return path),
  // "tail-call" (a function that jumped to its callee and left no frame, named by the DWARF
  // call sites; its pc is the address after that jump), or "stack-scan" (a return address
  // found by scanning the stack where nothing else led on: a guess).
  std::string how;
  // The registers the unwinder recovered in this physical frame (the first: all; callers: the
  // callee-saved ones, sp and pc), by DWARF register number (Unwinder::RegisterName).
  std::vector<std::pair<unsigned, std::uint64_t>> registers;
};

struct ThreadBacktrace {
  std::int64_t tid = 0;
  std::vector<Frame> frames;
  std::size_t frame_count = 0;  // physical frames unwound
  bool truncated = false;       // stopped by the frame limit or a loop
  std::string stop_reason;      // why unwinding ended, when not at the outermost frame
};

struct UnwindOptions {
  ModuleOptions modules;
  std::string debug_dir;
  // Finds the files modules lack; borrowed, must outlive the Unwinder. When null, the Unwinder
  // makes one of its own from modules.sysroot and debug_dir (debuginfod as the environment says).
  locate::Locator* locator = nullptr;
  // Where inflated copies of compressed debug files are kept (debug_cache.h); "" for none.
  std::string cache_dir;
  std::size_t max_frames = 10000;
  bool demangle = true;
};

// A demangled C++ function name without its parameter list, cv/ref qualifiers and (templates')
// return type, as gdb names a function that has debug information: "void ns::f<int>(int) const"
// -> "ns::f<int>". A C name is returned as it is.
std::string WithoutSignature(std::string demangled);

// $COREKIT_CACHE_DIR, else $XDG_CACHE_HOME/corekit, else $HOME/.cache/corekit; "" (no cache)
// when COREKIT_CACHE_DIR is "off" or no home is known.
std::string DefaultCacheDir();

class Unwinder {
 public:
  // Errors: kUnsupported for architectures without a register mapping (x86-64, i386, AArch64
  // and ARM have one); kIo when libdwfl cannot start.
  static Result<std::unique_ptr<Unwinder>> Create(target::Target& target, UnwindOptions options);
  ~Unwinder();

  const std::vector<Module>& modules() const { return modules_; }
  // Finds every module's debug file and dwz alt file now (they are otherwise found when first
  // needed), so that modules() says where each came from.
  void LoadDebugInfo();
  // A source file of the module `frame` is in, by its absolute path, from debuginfod (nullopt
  // when it is off or has none).
  std::optional<std::string> FetchSource(const Frame& frame, const std::string& path);
  locate::Locator& locator() { return *locator_; }
  ThreadBacktrace Backtrace(const target::Thread& thread);
  // The runtime address of a symbol (global or local) in any module, e.g. glibc's __abort_msg.
  std::optional<std::uint64_t> SymbolAddress(const std::string& name);
  // The same, saying whether the symbol is code (a function) or data.
  struct SymbolMatch {
    std::uint64_t address = 0;
    bool code = false;
  };
  std::optional<SymbolMatch> FindSymbol(const std::string& name);
  // The symbol containing `address` and the offset into it, e.g. {"__vdso_time", 0}; by its
  // linkage (mangled) name when `linkage`, as gdb labels code addresses (asm-demangle off).
  std::optional<std::pair<std::string, std::uint64_t>> SymbolAt(std::uint64_t address, bool linkage = false);
  // gdb's name for the code at `address` when no DWARF function covers it: of the symbols that
  // start where the containing one does, the last by name (gdb's minimal-symbol order), e.g.
  // "clone3" over "__clone3". Demangled unless Options::demangle is false.
  std::optional<std::string> MinimalSymbolName(std::uint64_t address);
  // The name of the ELF section of the module file that holds `address` (".text", ".data").
  std::optional<std::string> SectionOf(std::uint64_t address);
  // The runtime range of .text of the module holding `address` (gdb's From/To of a library).
  std::optional<std::pair<std::uint64_t, std::uint64_t>> TextRange(std::uint64_t address);
  // The allocated sections (SHF_ALLOC, in section-header order) of the module holding
  // `address`, at their runtime addresses, and its entry point: gdb's `info files`.
  struct LoadedSection {
    std::string name;
    std::uint64_t start = 0, end = 0;
  };
  std::vector<LoadedSection> LoadedSections(std::uint64_t address);
  std::optional<std::uint64_t> EntryPoint(std::uint64_t address);
  // The bounds of the function symbol containing `address`: start and size (0 when unknown).
  std::optional<std::pair<std::uint64_t, std::uint64_t>> SymbolBounds(std::uint64_t address);
  // Whether `pc` is the first address of a line-table row (gdb then shows no address in frame
  // lines).
  bool IsLineStart(std::uint64_t pc);
  // gdb's line-table answers (info line). The row covering `address` (gdb's find_pc_line): its
  // file, its line, its first address and where the next row starts; nullopt where no line does.
  struct LineRange {
    std::string file;
    int line = 0;
    std::uint64_t start = 0, end = 0;
  };
  std::optional<LineRange> LineAt(std::uint64_t address);
  // Where `line` of the files named `file` (a path or its last components) starts (gdb's
  // find_line_pc): its first statement row; when it has none, the first row of the nearest line
  // after it (whose number `line` then gives); line 0 when the file has no row at or after it.
  // nullopt: no file is so named. end == start.
  std::optional<LineRange> LineStart(const std::string& file, int line);
  // Our name of a DWARF register number ("rbx", "x19"), or "" for one we do not model.
  std::string_view RegisterName(unsigned dwarf_regno) const;

  struct Session;  // libdwfl state: src/unwind/session.h
  friend class CallSites;    // call_sites.h: what a caller's DWARF says about its call
  friend class DwarfAccess;  // dwarf_access.h: the evaluator's way in to the same libdwfl state

 private:
  Unwinder() = default;
  std::vector<Frame> Symbolize(std::uint64_t pc, std::uint64_t lookup);
  // The pcs of the functions that tail-called their way from what `caller_pc`'s call site
  // called to the callee (innermost first); empty when there were none or the chain is unsure.
  std::vector<std::uint64_t> TailCallPcs(std::uint64_t callee_lookup, std::uint64_t caller_pc);
  target::Target* target_ = nullptr;
  UnwindOptions options_;
  std::vector<Module> modules_;
  std::unique_ptr<locate::Locator> own_locator_;
  locate::Locator* locator_ = nullptr;
  std::unique_ptr<Session> session_;
};

}  // namespace corekit::unwind
