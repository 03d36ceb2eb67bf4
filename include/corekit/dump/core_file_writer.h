// A dump's core written to a file as cores must be: created as PATH.tmp-XXXXXX (mode 0600),
// synced and renamed to PATH once complete, removed on any failure (a cancelled dump included),
// so that nobody ever sees a partial core under its final name. zstd-compressed on the fly when
// asked or when the path ends in ".zst". Used by `corekit dump`/`compact` and by the Python
// module's corekit.dump.
#pragma once

#include <string>

#include "corekit/base/result.h"
#include "corekit/dump/dumper.h"

namespace corekit::dump {

// Runs every phase of `dumper` into `path`. Cancelling the dumper (Dumper::Cancel, from its
// observer or a signal handler) ends the dump with an error and no file.
Result<DumpSummary> WriteCoreFile(Dumper& dumper, const std::string& path, bool compress = false);
// The same into an open descriptor (a pipe, stdout): no temporary name.
Result<DumpSummary> WriteCoreTo(Dumper& dumper, int fd, bool compress);

}  // namespace corekit::dump
