// Locator: the files a core's modules need — executables, separate debug files, dwz alt files,
// sources — found by build-id, in gdb's order, each one checked before it is used.
//
// Order (gdb's): the debug directories (--debug-dir, the sysroot's /usr/lib/debug, then
// /usr/lib/debug) by build-id (`.build-id/xx/yyyy.debug`, or `.build-id/xx/yyyy` for an
// executable), then by `.gnu_debuglink` (next to the file, in its `.debug/`, and under each debug
// directory; the CRC checked), then debuginfod. A file whose build-id differs from the one asked
// for is rejected with one warning, whichever place it came from — a debuginfod server included.
//
// debuginfod goes through elfutils' libdebuginfod and its cache (DEBUGINFOD_CACHE_PATH or its
// default, shared with gdb and elfutils), with corekit's own limits: a request that receives
// nothing for `timeout` is abandoned; a server that refuses or times out is named once and not
// asked again in this run; `cancel` (set from a SIGINT handler) abandons the download in
// progress and the run goes on without that file. libdebuginfod 0.188 caches an abandoned
// download as "not found" for ten minutes: that entry is removed, so the next run tries again.
//
// Nothing here prints: progress goes to the FetchObserver, problems to warnings().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corekit::locate {

// Where a file came from.
enum class Origin {
  kNone,              // not found
  kMemory,            // the core's memory (the vDSO)
  kPath,              // the path the core names, on this machine
  kSysroot,           // the path the core names, under --sysroot
  kExeOption,         // -e/--exe
  kEmbedded,          // the debug info is in the file itself
  kBuildIdDir,        // a debug directory's .build-id tree
  kDebugLink,         // .gnu_debuglink
  kAltLink,           // .gnu_debugaltlink's path (dwz)
  kDebuginfod,        // downloaded from a debuginfod server in this run
  kDebuginfodCache,   // debuginfod's cache, downloaded earlier
  kCorekitCache,      // corekit's inflated copy of a debug file found earlier (by build-id)
};
std::string_view OriginName(Origin origin);  // "build-id-dir", "debuginfod", ...

struct Located {
  std::string path;
  Origin origin = Origin::kNone;
};

// One download, as its observer sees it.
struct Download {
  std::string kind;      // "debuginfo", "executable", "source"
  std::string name;      // what it is for: a module's name, or a source path
  std::string build_id;  // hex
  long bytes = 0;        // received so far
  long total = 0;        // announced size, 0 when unknown
  double seconds = 0;    // since the request
};

class FetchObserver {
 public:
  virtual ~FetchObserver() = default;
  virtual void Started(const Download& download) = 0;
  virtual void Progressed(const Download& download) = 0;
  // `outcome` is "" when the file arrived, else why not ("not found", "cancelled", "timed out").
  virtual void Finished(const Download& download, std::string_view outcome) = 0;
};

struct Options {
  std::string sysroot;                  // its /usr/lib/debug is a debug directory
  std::vector<std::string> debug_dirs;  // --debug-dir, searched before /usr/lib/debug
  // debuginfod: on when DEBUGINFOD_URLS is set (the caller may set it from --debuginfod); off
  // when `offline`.
  bool offline = false;
  // Further caches in debuginfod's layout, read before any server (and offline): the crash
  // store's, where the handler fetched a crash's symbols.
  std::vector<std::string> extra_caches;
  std::chrono::milliseconds timeout{10'000};  // per request, without a byte received
  FetchObserver* observer = nullptr;
  const std::atomic<bool>* cancel = nullptr;
};

class Locator {
 public:
  explicit Locator(Options options);
  ~Locator();
  Locator(const Locator&) = delete;
  Locator& operator=(const Locator&) = delete;

  // The executable or library whose build-id is `build_id` (hex): the debug directories'
  // .build-id trees, then debuginfod. `name` says what it is for (progress, warnings).
  std::optional<Located> Executable(const std::string& build_id, const std::string& name);
  // The separate debug file of `main_file` (may be "" when only the build-id is known).
  // `debuglink` and `crc` are its .gnu_debuglink ("" when it has none); `build_id` may be "" for
  // a file without one (then only the debuglink, checked by CRC, can find it).
  std::optional<Located> DebugFile(const std::string& build_id, const std::string& main_file,
                                   const std::string& debuglink, std::uint32_t crc, const std::string& name);
  // The dwz alt file a debug file's .gnu_debugaltlink names (`alt_path`, relative to the debug
  // file's directory when not absolute) with build-id `alt_build_id`: that path, the debug
  // directories' .build-id trees, then debuginfod.
  std::optional<Located> AltFile(const std::string& alt_build_id, const std::string& alt_path,
                                 const std::string& debug_file, const std::string& name);
  // A source file of the module with `build_id`, by its absolute path as the DWARF names it
  // (debuginfod only: local paths are the caller's).
  std::optional<Located> Source(const std::string& build_id, const std::string& path);

  bool debuginfod_enabled() const;
  // What went wrong, once each: a rejected file, a server down or silent, a cancelled download,
  // and what the callers add (a dwz file not found).
  const std::vector<std::string>& warnings() const { return warnings_; }
  void AddWarning(std::string message);

 private:
  // The first debug directory's `.build-id/xx/yyyy` + suffix that is a good file.
  std::optional<Located> FromBuildIdTrees(const std::string& build_id, const std::string& suffix);
  std::optional<Located> Fetch(const std::string& kind, const std::string& build_id, const std::string& name,
                               const std::string& source_path);
  // `path` when it is readable ELF with `build_id` (and, when crc is given, that CRC); warns once
  // when it is there but different.
  bool Accept(const std::string& path, const std::string& build_id, std::optional<std::uint32_t> crc);
  std::vector<std::string> DebugDirs() const;

  Options options_;
  struct Client;
  std::unique_ptr<Client> client_;  // libdebuginfod's, made on first use
  bool servers_failed_ = false;     // a server refused or timed out: not asked again
  std::vector<std::string> warnings_;
};

// The GNU build-id (hex) of an ELF file on disk.
std::optional<std::string> BuildIdOfFile(const std::string& path);
// A debug file's .gnu_debugaltlink: the alt file's path and build-id (hex).
std::optional<std::pair<std::string, std::string>> AltLinkOf(const std::string& debug_file);
// The directory libdebuginfod caches in: $DEBUGINFOD_CACHE_PATH, else ~/.debuginfod_client_cache
// when it exists, else $XDG_CACHE_HOME (or ~/.cache)/debuginfod_client.
std::string DebuginfodCacheDir();

}  // namespace corekit::locate
