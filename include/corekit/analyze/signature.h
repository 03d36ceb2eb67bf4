// Crash signatures: the few frames that say where a crash happened, as one line that groups
// crashes of the same bug together (the crash store's groups).
//
// corekit.sig/1, from the crashed thread's frames, innermost first:
//  - the kernel's signal trampoline is skipped;
//  - the abort/raise/assert machinery (glibc's abort, raise, pthread_kill, __assert_fail,
//    __GI_* internals, fortify and stack-protector failures) and the C++ runtime's terminate and
//    throw machinery are skipped with every frame inside them: the signature starts below the
//    outermost of them among the leading frames;
//  - it stops before thread-start frames (start_thread, clone3, __libc_start_main, _start);
//  - names are normalised: no parameter lists, no [clone .cold] / .isra / .constprop / .part
//    suffixes; a frame without a symbol is `module+0xoffset` (its file's basename and the offset
//    from the module's start), never dropped, so unsymbolised crashes do not all merge;
//  - the first five are joined with " | ".
// The version is part of the contract: a new algorithm gets a new name, so that stored groups
// are never regrouped silently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "corekit/unwind/unwinder.h"

namespace corekit::analyze {

inline constexpr std::string_view kSignatureVersion = "corekit.sig/1";

// The name a signature uses for a function: "ns::f<int>(int) const [clone .cold]" -> "ns::f<int>".
std::string NormalizedFunction(std::string_view name);

std::string Signature(const std::vector<unwind::Frame>& frames, const std::vector<unwind::Module>& modules);

}  // namespace corekit::analyze
