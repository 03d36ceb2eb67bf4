// Writing a core to a file or stdout for `dump` and `compact` (dump/core_file_writer.h: a
// temporary name, mode 0600, renamed when complete); SIGINT, SIGTERM and SIGHUP cancel the dump
// (whose cleanup resumes the target).
#pragma once

#include <string>

#include "corekit/base/result.h"
#include "corekit/dump/dumper.h"

namespace corekit::tools {

// Runs every phase of `dumper` into `path` ("-": stdout, refused when it is a terminal),
// zstd-compressed on the fly when `compress` is set or the path ends in ".zst".
Result<dump::DumpSummary> WriteCore(dump::Dumper& dumper, const std::string& path, bool compress = false);

// "512M", "2G", "64K", "1048576": bytes.
Result<std::uint64_t> ParseSize(const std::string& text);

}  // namespace corekit::tools
