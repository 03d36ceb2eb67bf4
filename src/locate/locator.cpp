#include "corekit/locate/locator.h"

#include <elfutils/debuginfod.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "corekit/elf/bytes.h"
#include "corekit/elf/notes.h"

namespace corekit::locate {
namespace {

using Clock = std::chrono::steady_clock;

// An ELF file opened with libelf, closed on every way out.
class ElfHandle {
 public:
  explicit ElfHandle(const std::string& path) {
    elf_version(EV_CURRENT);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ >= 0) elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
    if (elf_ && elf_kind(elf_) != ELF_K_ELF) {
      elf_end(elf_);
      elf_ = nullptr;
    }
  }
  ~ElfHandle() {
    if (elf_) elf_end(elf_);
    if (fd_ >= 0) ::close(fd_);
  }
  ElfHandle(const ElfHandle&) = delete;
  ElfHandle& operator=(const ElfHandle&) = delete;
  Elf* get() const { return elf_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  Elf* elf_ = nullptr;
};

std::string Hex(const void* bytes, std::size_t size) {
  return elf::HexBytes(elf::Bytes(static_cast<const std::uint8_t*>(bytes), size));
}

// The GNU build-id (hex) of an opened ELF file, "" when it has none.
std::string BuildIdOf(Elf* e) {
  const void* bytes = nullptr;
  const ssize_t size = dwelf_elf_gnu_build_id(e, &bytes);
  return size > 0 ? Hex(bytes, static_cast<std::size_t>(size)) : std::string();
}

// `.build-id/xx/yyyy` + suffix: where debug directories keep a file by its build-id.
std::string BuildIdPath(const std::string& build_id, const std::string& suffix) {
  return ".build-id/" + build_id.substr(0, 2) + "/" + build_id.substr(2) + suffix;
}

// The servers, as the warnings name them.
std::string ServersText() {
  const char* urls = std::getenv(DEBUGINFOD_URLS_ENV_VAR);
  return urls ? urls : "";
}

bool ValidBuildId(const std::string& id) {
  return id.size() >= 4 && id.size() <= 128 && id.size() % 2 == 0 &&
         id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string DirName(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// The CRC-32 .gnu_debuglink records (zlib's), of the whole file.
std::optional<std::uint32_t> FileCrc(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if (st.st_size == 0) return 0;
  void* map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return std::nullopt;
  uLong crc = crc32(0, Z_NULL, 0);
  const auto* bytes = static_cast<const Bytef*>(map);
  for (off_t done = 0; done < st.st_size;) {
    const auto chunk = static_cast<uInt>(std::min<off_t>(st.st_size - done, 1 << 30));
    crc = crc32(crc, bytes + done, chunk);
    done += chunk;
  }
  ::munmap(map, static_cast<std::size_t>(st.st_size));
  return static_cast<std::uint32_t>(crc);
}

std::string DurationText(std::chrono::milliseconds ms) {
  const auto n = ms.count();
  return n % 1000 == 0 ? std::to_string(n / 1000) + " s" : std::to_string(n) + " ms";
}

// libdebuginfod's "not found" entry: an empty file (older releases: one of mode 000).
bool IsNegativeEntry(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_size == 0 || (st.st_mode & 0777) == 0);
}

bool IsCachedFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (st.st_mode & 0777) != 0;
}

// libdebuginfod's name for a source file in its cache: '/' as "##", '#' as "#_".
std::string CacheSuffix(const std::string& source_path) {
  std::string out;
  for (char c : source_path) {
    if (c == '/') out += "##";
    else if (c == '#') out += "#_";
    else out += c;
  }
  return out;
}

}  // namespace

std::string_view OriginName(Origin origin) {
  switch (origin) {
    case Origin::kNone: return "missing";
    case Origin::kMemory: return "core-memory";
    case Origin::kPath: return "path";
    case Origin::kSysroot: return "sysroot";
    case Origin::kExeOption: return "exe-option";
    case Origin::kEmbedded: return "embedded";
    case Origin::kBuildIdDir: return "build-id-dir";
    case Origin::kDebugLink: return "debuglink";
    case Origin::kAltLink: return "altlink";
    case Origin::kDebuginfod: return "debuginfod";
    case Origin::kDebuginfodCache: return "debuginfod-cache";
    case Origin::kCorekitCache: return "corekit-cache";
  }
  return "missing";
}

std::optional<std::string> BuildIdOfFile(const std::string& path) {
  ElfHandle e(path);
  if (!e.get()) return std::nullopt;
  std::string id = BuildIdOf(e.get());
  if (id.empty()) return std::nullopt;
  return id;
}

std::optional<std::pair<std::string, std::string>> AltLinkOf(const std::string& debug_file) {
  ElfHandle e(debug_file);
  if (!e.get()) return std::nullopt;
  std::size_t shstrndx = 0;
  if (elf_getshdrstrndx(e.get(), &shstrndx) != 0) return std::nullopt;
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e.get(), scn)) != nullptr;) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr)) continue;
    const char* name = elf_strptr(e.get(), shstrndx, shdr.sh_name);
    if (!name || std::strcmp(name, ".gnu_debugaltlink") != 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf || data->d_size == 0) return std::nullopt;
    const char* bytes = static_cast<const char*>(data->d_buf);
    const void* nul = std::memchr(bytes, '\0', data->d_size);
    if (!nul) return std::nullopt;
    const std::size_t path_size = static_cast<std::size_t>(static_cast<const char*>(nul) - bytes);
    const std::size_t id_size = data->d_size - path_size - 1;
    if (id_size == 0 || id_size > 64) return std::nullopt;
    return std::make_pair(std::string(bytes, path_size), Hex(bytes + path_size + 1, id_size));
  }
  return std::nullopt;
}

std::string DebuginfodCacheDir() {
  if (const char* dir = std::getenv(DEBUGINFOD_CACHE_PATH_ENV_VAR); dir && *dir) return dir;
  const char* home_env = std::getenv("HOME");
  const std::string home = home_env && *home_env ? home_env : "/";
  const std::string legacy = Join(home, ".debuginfod_client_cache");
  struct stat st;
  if (::stat(legacy.c_str(), &st) == 0) return legacy;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return Join(xdg, "debuginfod_client");
  return Join(Join(home, ".cache"), "debuginfod_client");
}

// libdebuginfod's client and the state its progress callback reads.
struct Locator::Client {
  debuginfod_client* handle = nullptr;
  Options* options = nullptr;
  Download download;
  Clock::time_point started, last_progress;
  long last_bytes = -1;
  bool timed_out = false, cancelled = false;

  ~Client() {
    if (handle) debuginfod_end(handle);
  }

  // Called by libdebuginfod about once a second while a request runs; nonzero abandons it.
  static int Progress(debuginfod_client* c, long a, long b) {
    auto* self = static_cast<Client*>(debuginfod_get_user_data(c));
    if (!self) return 0;
    const auto now = Clock::now();
    // Before a server answers, libdebuginfod passes a loop count and 0; bytes once it has one.
    if (b > 0 && a != self->last_bytes) {
      self->last_bytes = a;
      self->last_progress = now;
      self->download.bytes = a;
      self->download.total = b;
    }
    self->download.seconds = std::chrono::duration<double>(now - self->started).count();
    if (self->options->observer) self->options->observer->Progressed(self->download);
    if (self->options->cancel && self->options->cancel->load()) {
      self->cancelled = true;
      return 1;
    }
    if (now - self->last_progress > self->options->timeout) {
      self->timed_out = true;
      return 1;
    }
    return 0;
  }
};

Locator::Locator(Options options) : options_(std::move(options)) {}
Locator::~Locator() = default;

bool Locator::debuginfod_enabled() const {
  if (options_.offline || servers_failed_) return false;
  const char* urls = std::getenv(DEBUGINFOD_URLS_ENV_VAR);
  return urls && urls[0] != '\0';
}

void Locator::AddWarning(std::string message) {
  if (std::find(warnings_.begin(), warnings_.end(), message) == warnings_.end()) warnings_.push_back(std::move(message));
}

std::vector<std::string> Locator::DebugDirs() const {
  std::vector<std::string> dirs = options_.debug_dirs;
  if (!options_.sysroot.empty()) dirs.push_back(Join(options_.sysroot, "usr/lib/debug"));
  dirs.push_back("/usr/lib/debug");
  return dirs;
}

bool Locator::Accept(const std::string& path, const std::string& build_id, std::optional<std::uint32_t> crc) {
  ElfHandle e(path);
  if (!e.get()) return false;
  if (!build_id.empty()) {
    const std::string found = BuildIdOf(e.get());
    if (found != build_id) {
      AddWarning(path + " has build-id " + (found.empty() ? std::string("(none)") : found) + ", not " + build_id +
                 ": not used");
      return false;
    }
  }
  if (crc) {
    auto found = FileCrc(e.fd());
    if (!found || *found != *crc) {
      AddWarning(path + " does not have the CRC its .gnu_debuglink records: not used");
      return false;
    }
  }
  return true;
}

std::optional<Located> Locator::FromBuildIdTrees(const std::string& build_id, const std::string& suffix) {
  for (const std::string& dir : DebugDirs()) {
    const std::string path = Join(dir, BuildIdPath(build_id, suffix));
    if (::access(path.c_str(), R_OK) == 0 && Accept(path, build_id, std::nullopt)) {
      return Located{path, Origin::kBuildIdDir};
    }
  }
  return std::nullopt;
}

std::optional<Located> Locator::Executable(const std::string& build_id, const std::string& name) {
  if (!ValidBuildId(build_id)) return std::nullopt;
  if (auto found = FromBuildIdTrees(build_id, "")) return found;
  return Fetch("executable", build_id, name, "");
}

std::optional<Located> Locator::DebugFile(const std::string& build_id, const std::string& main_file,
                                          const std::string& debuglink, std::uint32_t crc, const std::string& name) {
  const bool have_id = ValidBuildId(build_id);
  if (have_id) {
    if (auto found = FromBuildIdTrees(build_id, ".debug")) return found;
  }
  // .gnu_debuglink names a file, never a path: anything with a slash is not one.
  if (!debuglink.empty() && debuglink.find('/') == std::string::npos && debuglink != "." && debuglink != "..") {
    std::vector<std::string> candidates;
    if (!main_file.empty()) {
      const std::string dir = DirName(main_file);
      candidates.push_back(Join(dir, debuglink));
      candidates.push_back(Join(Join(dir, ".debug"), debuglink));
      for (const std::string& debug_dir : DebugDirs()) candidates.push_back(Join(debug_dir + dir, debuglink));
    }
    for (const std::string& debug_dir : DebugDirs()) candidates.push_back(Join(debug_dir, debuglink));
    for (const std::string& path : candidates) {
      if (path == main_file || ::access(path.c_str(), R_OK) != 0) continue;
      if (Accept(path, have_id ? build_id : "", crc)) return Located{path, Origin::kDebugLink};
    }
  }
  if (!have_id) return std::nullopt;
  return Fetch("debuginfo", build_id, name, "");
}

std::optional<Located> Locator::AltFile(const std::string& alt_build_id, const std::string& alt_path,
                                        const std::string& debug_file, const std::string& name) {
  if (!ValidBuildId(alt_build_id)) return std::nullopt;
  if (!alt_path.empty()) {
    // An absolute path is the build machine's: under the sysroot first, when there is one.
    std::vector<std::string> candidates;
    if (alt_path[0] != '/') {
      candidates.push_back(Join(DirName(debug_file), alt_path));
    } else {
      if (!options_.sysroot.empty()) candidates.push_back(options_.sysroot + alt_path);
      candidates.push_back(alt_path);
    }
    for (const std::string& candidate : candidates) {
      if (::access(candidate.c_str(), R_OK) == 0 && Accept(candidate, alt_build_id, std::nullopt)) {
        return Located{candidate, Origin::kAltLink};
      }
    }
  }
  if (auto found = FromBuildIdTrees(alt_build_id, ".debug")) return found;
  return Fetch("debuginfo", alt_build_id, name + " (dwz)", "");
}

std::optional<Located> Locator::Source(const std::string& build_id, const std::string& path) {
  if (!ValidBuildId(build_id) || path.empty() || path[0] != '/' || path.size() > 1024) return std::nullopt;
  return Fetch("source", build_id, path, path);
}

std::optional<Located> Locator::Fetch(const std::string& kind, const std::string& build_id, const std::string& name,
                                      const std::string& source_path) {
  const std::string entry_name = kind + (source_path.empty() ? "" : CacheSuffix(source_path));
  // A cache's entry, when it holds a good one (a source has no build-id to check).
  auto cached = [&](const std::string& cache) -> std::optional<Located> {
    const std::string entry = Join(Join(cache, build_id), entry_name);
    if (IsCachedFile(entry) && (kind == "source" || Accept(entry, build_id, std::nullopt))) {
      return Located{entry, Origin::kDebuginfodCache};
    }
    return std::nullopt;
  };
  for (const std::string& cache : options_.extra_caches) {
    if (auto found = cached(cache)) return found;
  }
  const std::string cache_dir = DebuginfodCacheDir();
  // Offline, or no server: what an earlier run (or gdb) downloaded still serves.
  if (!debuginfod_enabled()) return cached(cache_dir);
  const std::string cache_entry = Join(Join(cache_dir, build_id), entry_name);
  if (!client_) {
    client_ = std::make_unique<Client>();
    client_->handle = debuginfod_begin();
    if (!client_->handle) {
      AddWarning("debuginfod: the client could not start");
      servers_failed_ = true;
      return std::nullopt;
    }
    client_->options = &options_;
    debuginfod_set_user_data(client_->handle, client_.get());
    debuginfod_set_progressfn(client_->handle, &Client::Progress);
  }
  Client& c = *client_;
  const bool was_cached = IsCachedFile(cache_entry);
  const bool had_negative = IsNegativeEntry(cache_entry);
  c.download = Download{kind, name, build_id, 0, 0, 0};
  c.started = c.last_progress = Clock::now();
  c.last_bytes = -1;
  c.timed_out = c.cancelled = false;
  if (options_.observer) options_.observer->Started(c.download);
  char* found = nullptr;
  const auto* id = reinterpret_cast<const unsigned char*>(build_id.c_str());
  int fd = -ENOSYS;
  if (kind == "debuginfo") fd = debuginfod_find_debuginfo(c.handle, id, 0, &found);
  else if (kind == "executable") fd = debuginfod_find_executable(c.handle, id, 0, &found);
  else fd = debuginfod_find_source(c.handle, id, 0, source_path.c_str(), &found);
  std::string path = found ? found : "";
  std::free(found);
  if (fd >= 0) ::close(fd);
  c.download.seconds = std::chrono::duration<double>(Clock::now() - c.started).count();

  std::string outcome;
  if (c.cancelled || c.timed_out) {
    outcome = c.cancelled ? "cancelled" : "timed out";
    // libdebuginfod took the abandoned request for "not found" and remembers it for ten
    // minutes: forget that, so that the next run asks again.
    if (!had_negative && IsNegativeEntry(cache_entry)) {
      ::unlink(cache_entry.c_str());
      ::rmdir(DirName(cache_entry).c_str());
    }
    if (c.cancelled) {
      AddWarning("the download of the " + kind + " of " + name + " was cancelled: going on without it");
    } else {
      AddWarning("debuginfod: " + ServersText() + " sent nothing for " + DurationText(options_.timeout) +
                 ": not asking it again in this run");
      servers_failed_ = true;
    }
  } else if (fd < 0) {
    const int error = -fd;
    if (error == ENOENT || error == EFBIG) {
      outcome = error == ENOENT ? "not found" : "too large";
    } else {
      outcome = std::strerror(error);
      AddWarning("debuginfod: " + ServersText() + " cannot be reached (" + outcome +
                 "): not asking it again in this run");
      servers_failed_ = true;
    }
  }
  if (options_.observer) options_.observer->Finished(c.download, outcome);
  if (fd < 0 || path.empty()) return std::nullopt;
  // A server is another machine: what it sends is checked like any other file.
  if (kind != "source" && !Accept(path, build_id, std::nullopt)) {
    ::unlink(path.c_str());  // a wrong file must not be served from the cache next time
    return std::nullopt;
  }
  return Located{path, was_cached ? Origin::kDebuginfodCache : Origin::kDebuginfod};
}

}  // namespace corekit::locate
