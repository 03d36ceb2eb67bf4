#include "corekit/analyze/signature.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace corekit::analyze {
namespace {

constexpr std::size_t kSignatureFrames = 5;
// Only the leading frames are searched for the machinery: a crash deep below an unrelated
// abort() call is not shortened.
constexpr std::size_t kMachineryWindow = 24;

constexpr std::array<std::string_view, 30> kMachinery = {
    "abort", "raise", "gsignal", "pthread_kill", "__pthread_kill", "__pthread_kill_implementation",
    "__pthread_kill_internal", "__assert_fail", "__assert_fail_base", "__assert_perror_fail",
    "__libc_message", "__libc_fatal", "__fortify_fail", "__chk_fail", "__stack_chk_fail",
    "malloc_printerr", "std::terminate", "__cxxabiv1::__terminate", "__cxxabiv1::__unexpected",
    "std::__terminate", "__gnu_cxx::__verbose_terminate_handler", "__cxa_throw", "__cxa_rethrow",
    "__cxa_call_terminate", "__cxa_call_unexpected", "__cxa_pure_virtual", "__cxa_bad_cast",
    "_Unwind_RaiseException", "_Unwind_Resume", "__cxa_throw_bad_array_new_length"};

constexpr std::array<std::string_view, 6> kThreadStart = {"start_thread", "clone", "clone3", "__libc_start_main",
                                                          "__libc_start_call_main", "_start"};

bool IsMachinery(std::string_view name) {
  if (name.starts_with("__GI_")) return true;
  if (name.starts_with("std::__throw_")) return true;  // std::__throw_out_of_range and friends
  return std::find(kMachinery.begin(), kMachinery.end(), name) != kMachinery.end();
}

bool IsThreadStart(std::string_view name) {
  return std::find(kThreadStart.begin(), kThreadStart.end(), name) != kThreadStart.end();
}

std::string_view Basename(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A compiler's clone suffix: " [clone .cold]", ".cold", ".isra.0", ".constprop.3", ".part.1".
std::string WithoutCloneSuffix(std::string name) {
  if (const std::size_t clone = name.find(" [clone "); clone != std::string::npos) name.erase(clone);
  for (std::string_view suffix : {".cold", ".isra", ".constprop", ".part", ".lto_priv", ".localalias"}) {
    for (std::size_t at = name.find(suffix); at != std::string::npos; at = name.find(suffix, at + 1)) {
      // Only a suffix: what follows is digits and further suffixes.
      const std::size_t after = at + suffix.size();
      if (after == name.size() || name[after] == '.') {
        name.erase(at);
        break;
      }
    }
  }
  return name;
}

std::string FrameName(const unwind::Frame& frame, const std::vector<unwind::Module>& modules) {
  if (frame.function && !frame.function->empty()) return NormalizedFunction(*frame.function);
  for (const unwind::Module& m : modules) {
    if (frame.pc >= m.start && frame.pc < m.end) {
      return fmt::format("{}+0x{:x}", Basename(m.name), frame.pc - m.start);
    }
  }
  // No module: the address alone says where (a jump to a wild pointer).
  return fmt::format("0x{:x}", frame.pc);
}

// An operator's own symbol ("operator<", "operator()", "operator<<=") would read as template
// brackets or a parameter list: it is masked while the name is cut, then restored.
std::size_t MaskOperator(std::string& text, std::string& masked) {
  const std::size_t at = text.find("operator");
  if (at == std::string::npos || (at > 0 && text[at - 1] != ':' && text[at - 1] != ' ')) return std::string::npos;
  std::size_t begin = at + 8, end = begin;
  if (text.compare(begin, 2, "()") == 0) {
    end = begin + 2;
  } else {
    while (end < text.size() && std::string_view("<>=!+-*/%^&|~[],").find(text[end]) != std::string_view::npos) ++end;
  }
  masked = text.substr(begin, end - begin);
  for (std::size_t i = begin; i < end; ++i) text[i] = 'X';
  return begin;
}

}  // namespace

std::string NormalizedFunction(std::string_view name) {
  std::string text = WithoutCloneSuffix(std::string(name));
  std::string op;
  const std::size_t op_at = MaskOperator(text, op);
  // "(anonymous namespace)" is part of a name, not a parameter list: masked the same way.
  constexpr std::string_view kAnonymous = "(anonymous namespace)";
  constexpr std::string_view kAnonymousMask = "{anonymous~namespace}";
  for (std::size_t at = text.find(kAnonymous); at != std::string::npos; at = text.find(kAnonymous, at)) {
    text.replace(at, kAnonymous.size(), kAnonymousMask);
  }
  // The parameter list starts at the first '(' outside template arguments.
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') ++depth;
    else if (c == '>' && depth > 0) --depth;
    else if (c == '(' && depth == 0 && i > 0) {
      text.erase(i);
      break;
    }
  }
  // A return type before the name ("void ns::f<int>"): the name is the last part outside
  // template arguments that has no space.
  depth = 0;
  for (std::size_t i = text.size(); i-- > 0;) {
    const char c = text[i];
    if (c == '>') ++depth;
    else if (c == '<' && depth > 0) --depth;
    else if (c == ' ' && depth == 0) {
      const std::size_t cut = i + 1;
      text.erase(0, cut);
      if (op_at != std::string::npos && op_at >= cut) {
        for (std::size_t k = 0; k < op.size(); ++k) text[op_at - cut + k] = op[k];
      }
      op.clear();
      break;
    }
  }
  if (!op.empty() && op_at + op.size() <= text.size()) {
    for (std::size_t k = 0; k < op.size(); ++k) text[op_at + k] = op[k];
  }
  for (std::size_t at = text.find(kAnonymousMask); at != std::string::npos; at = text.find(kAnonymousMask, at)) {
    text.replace(at, kAnonymousMask.size(), kAnonymous);
  }
  return text;
}

std::string Signature(const std::vector<unwind::Frame>& frames, const std::vector<unwind::Module>& modules) {
  std::vector<std::string> names;
  names.reserve(frames.size());
  for (const unwind::Frame& f : frames) {
    names.push_back(f.how == "signal-trampoline" ? std::string() : FrameName(f, modules));
  }
  std::size_t first = 0;
  for (std::size_t i = 0; i < names.size() && i < kMachineryWindow; ++i) {
    if (IsMachinery(names[i])) first = i + 1;
  }
  std::string signature;
  std::size_t taken = 0;
  for (std::size_t i = first; i < names.size() && taken < kSignatureFrames; ++i) {
    if (names[i].empty()) continue;  // the trampoline
    if (IsThreadStart(names[i])) break;
    if (taken++ > 0) signature += " | ";
    signature += names[i];
  }
  return signature;
}

}  // namespace corekit::analyze
