#include "cxx_exception.h"

#include <cxxabi.h>

#include <cstdlib>

namespace corekit::analyze {
namespace {

constexpr std::uint64_t kGnuCxxClass = 0x474e5543432b2b00;  // "GNUCC++\0", big-endian packed
constexpr int kMaxBaseDepth = 16;

struct Layout {
  unsigned word;
  std::uint64_t type_info_before_header;  // __cxa_exception::exceptionType, before unwindHeader
  std::uint64_t object_after_header;      // sizeof(_Unwind_Exception), 16-aligned
};

std::optional<Layout> LayoutFor(const elf::Abi& abi) {
  // __cxa_exception: exceptionType, exceptionDestructor, unexpectedHandler, terminateHandler,
  // nextException, handlerCount, handlerSwitchValue, actionRecord, languageSpecificData,
  // catchTemp, adjustedPtr, then the 16-aligned _Unwind_Exception.
  if (abi.is64) return Layout{8, 80, 32};
  if (abi.arch == elf::Arch::kI386) return Layout{4, 48, 32};
  return std::nullopt;
}

std::string DemangleType(const std::string& mangled) {
  int status = 0;
  char* out = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && out ? out : mangled;
  std::free(out);
  return result;
}

// The type_info's mangled name (std::type_info: vtable, then const char* __name).
std::optional<std::string> TypeName(target::Target& t, const Layout& l, std::uint64_t type_info) {
  auto name = t.ReadWord(type_info + l.word, l.word);
  if (!name) return std::nullopt;
  auto text = t.ReadCString(*name, 1024);
  if (!text || text->empty()) return std::nullopt;
  if ((*text)[0] == '*') text->erase(0, 1);  // GCC marks names that compare by address
  return *text;
}

// Whether the class or one of its single-inheritance bases is `base` (mangled), walking
// __si_class_type_info::__base_type.
bool DerivesFrom(target::Target& t, unwind::Unwinder& unwinder, const Layout& l, std::uint64_t type_info,
                 const std::string& base) {
  for (int depth = 0; depth < kMaxBaseDepth; ++depth) {
    if (TypeName(t, l, type_info) == base) return true;
    auto vtable = t.ReadWord(type_info, l.word);
    if (!vtable) return false;
    auto symbol = unwinder.SymbolAt(*vtable);
    if (!symbol || symbol->first.find("__si_class_type_info") == std::string::npos) return false;
    auto next = t.ReadWord(type_info + 2 * l.word, l.word);
    if (!next) return false;
    type_info = *next;
  }
  return false;
}

}  // namespace

std::optional<UncaughtException> FindUncaughtException(target::Target& target, unwind::Unwinder& unwinder,
                                                       const unwind::ThreadBacktrace& bt) {
  const std::optional<Layout> layout = LayoutFor(target.abi());
  if (!layout) return std::nullopt;
  for (const unwind::Frame& f : bt.frames) {
    if (!f.function || *f.function != "__cxa_throw") continue;
    for (const auto& [regno, value] : f.registers) {
      if (target.ReadWord(value, 8).value_or(0) != kGnuCxxClass) continue;
      auto type_info = target.ReadWord(value - layout->type_info_before_header, layout->word);
      if (!type_info) continue;
      auto mangled = TypeName(target, *layout, *type_info);
      if (!mangled) continue;
      UncaughtException e{DemangleType(*mangled), std::nullopt};
      // libstdc++'s runtime_error and logic_error hold their message in a copy-on-write string
      // right after the vtable pointer: a pointer to the characters.
      if (DerivesFrom(target, unwinder, *layout, *type_info, "St13runtime_error") ||
          DerivesFrom(target, unwinder, *layout, *type_info, "St11logic_error")) {
        const std::uint64_t object = value + layout->object_after_header;
        if (auto chars = target.ReadWord(object + layout->word, layout->word)) {
          if (auto what = target.ReadCString(*chars, 4096)) e.what = *what;
        }
      }
      return e;
    }
  }
  return std::nullopt;
}

}  // namespace corekit::analyze
