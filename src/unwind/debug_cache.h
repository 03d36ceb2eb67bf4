// A cache of separate debug files with their compressed sections inflated.
//
// Debian's -dbg/-dbgsym files (glibc's among them) compress their .debug_* sections, and libdw
// 0.188 inflates every one of them whenever a file is opened: for glibc, half the time of a
// whole `corekit bt`. The first use writes an uncompressed copy, named by build-id, under the
// cache directory (to a temporary name, renamed when complete); later runs map that copy, as
// gdb's index-cache spares it the same work. A build-id names the file's contents, so an entry
// never goes stale; one whose build-id does not match is ignored and rewritten.
#pragma once

#include <optional>
#include <string>

namespace corekit::unwind {

// The path of an uncompressed copy of the debug file `path`, whose build-id is `build_id`
// (hex), in `cache_dir` (created if needed); nullopt when the file has no compressed sections
// or the copy cannot be made (then the original serves).
std::optional<std::string> UncompressedDebugFile(const std::string& path, const std::string& build_id,
                                                 const std::string& cache_dir);

// The cached uncompressed debug file for `build_id`, when a good one is there.
std::optional<std::string> CachedDebugFile(const std::string& build_id, const std::string& cache_dir);

}  // namespace corekit::unwind
