// `corekit handle`: what the kernel runs for each crash when core_pattern names corekit.
//
// The kernel keeps the dying process (and /proc/PID) until the handler closes its standard
// input, and the parent cannot reap it before. So, in this order:
//  1. one line to syslog (and the kernel log when there is no syslog): the crash happened —
//     written first, so that it survives whatever fails after;
//  2. the /proc/PID snapshot (proc_snapshot.h), checked against the kernel's pidfd;
//  3. the row, admitted under the rate limits (store.h); a crash that is not stored still gets
//     its row, which says why;
//  4. the core streamed from the pipe into an unnamed file in the store, zstd-compressed on the
//     fly in worker threads (core_stream.h: RLIMIT_CORE, the per-core cap);
//  5. standard input closed: the process goes;
//  6. the core linked under its name and its row updated; then, within a time limit, the
//     analysis — the crash report and its signature, the compact core — in child processes of
//     the corekit executable, so that a core that hangs or crashes the analysis costs only the
//     analysis; then the store's limits applied (vacuum).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corekit::capture {

struct HandleRequest {
  std::string store;                  // the store's directory
  pid_t host_pid = 0;                 // %P
  std::optional<std::int64_t> host_tid;  // %i
  int signal = 0;                     // %s
  std::int64_t time = 0;              // %t
  std::uint64_t rlimit = UINT64_MAX;  // %c
  bool dumpable = true;               // %d: 1 (or 2: suid_dumpable's root-only)
  std::string exe;                    // %E, its '!' back to '/'
  int pidfd = -1;                     // %F, when the kernel passes it
  int input_fd = 0;                   // the core
  std::string self;                   // the corekit executable that analyses
  std::optional<std::chrono::seconds> analysis_timeout;  // else the store's setting
};

// Never throws; returns the exit status (0 when the crash has its row).
int Handle(const HandleRequest& request);

// Runs `argv` (argv[0] a path) with `input` as fd 3, `extra` and `extra5` (when not -1) as fds 4
// and 5, and stdout
// into `output` (or a pipe whose text, at most `limit` bytes, is returned in `text`), killed
// after `timeout`; run as nobody when this process is root (unless `as_nobody` is false: a
// command analysing a core its user chose), with PATH and `env` ("NAME=value") as its
// environment. Returns its exit status, or -1 for a timeout, -2 when it could not start.
int RunAnalysis(const std::vector<std::string>& argv, int input, int output, std::string* text, std::size_t limit,
                std::chrono::seconds timeout, int extra = -1, const std::vector<std::string>& env = {},
                int extra5 = -1, bool as_nobody = true);

// The store's setting naming the debuginfod servers the handler fetches each crash's symbols
// from (`handler install --debuginfod URLS`), and the directory under the store where they are
// kept: debuginfod's cache layout, owned by nobody (the analysis's user).
inline constexpr const char* kDebuginfodSetting = "debuginfod_urls";
inline constexpr const char* kSymbolCacheDir = "debuginfod";

// The store's settings naming the collector the handler forwards each stored crash to
// (`handler install --upload URL --token-file F`): the crash joins the store's upload queue and
// `corekit upload --spool` drains it, detached from the handler, retrying with backoff.
inline constexpr const char* kUploadSetting = "upload_url";
inline constexpr const char* kUploadTokenSetting = "upload_token_file";

// Starts `self upload --spool --store STORE` detached (its own session, no descriptors of
// ours), so that the caller need not wait for the network. The worker exits at once when
// another one is draining the queue.
void StartUploadWorker(const std::string& self, const std::string& store);

}  // namespace corekit::capture
