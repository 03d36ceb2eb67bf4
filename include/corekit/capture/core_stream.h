// Receiving a core from the kernel's pipe: the stream is read once, in fixed-size chunks, and
// passed to a Sink (the store's zstd file) as it arrives, its zero pages as gaps, so memory stays bounded whatever the
// core's size. Only the head — ELF header, program headers and notes, at most 64 MiB — is held,
// to decide what to keep before any memory is written:
//  - RLIMIT_CORE (%c): the core is cut at that many bytes, as the kernel cuts a file core
//    ("truncated");
//  - a per-core cap: a core whose program headers say it is bigger keeps its notes and only the
//    segments a post-mortem needs ("compact": every thread's stack, the first page of each file
//    mapping — ELF headers, build-ids —, small writable file data such as the dynamic linker's
//    link map, and segments of at most 64 KiB); the other segments get p_filesz 0, so that no
//    reader takes their absent bytes for zeros.
// The stream is always read to its end: the kernel holds the process until the pipe is drained
// and closed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "corekit/dump/sink.h"

namespace corekit::capture {

struct StreamLimits {
  std::uint64_t rlimit = UINT64_MAX;  // the crashed process's RLIMIT_CORE
  std::uint64_t max_core_size = 0;    // 0: none
  int memory_fd = -1;                 // /proc/PID/mem of the crashed process, or -1
};

struct StreamResult {
  std::string state = "present";     // present, compact, truncated
  std::optional<std::string> reason; // why not present
  std::uint64_t stream_bytes = 0;    // read from the pipe
  std::optional<std::uint64_t> core_size;  // the size the program headers give
  std::uint64_t written_bytes = 0;   // stream bytes kept (dropped segments and the cut excluded)
  std::optional<std::string> error;  // the sink failed (disk full...): the rest was drained
};

StreamResult StreamCore(int input_fd, dump::Sink& sink, const StreamLimits& limits);

// Reads and discards the rest of `fd` (so that the kernel lets the process go).
std::uint64_t Drain(int fd);

}  // namespace corekit::capture
