#include "debug_cache.h"
#include "corekit/unwind/unwinder.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "corekit/elf/notes.h"

namespace corekit::unwind {
namespace {

namespace fs = std::filesystem;

bool HasCompressedSections(Elf* e) {
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(e, scn)) != nullptr;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_COMPRESSED) != 0) return true;
  }
  return false;
}

std::optional<std::string> BuildIdOf(Elf* e) {
  const void* bytes = nullptr;
  const ssize_t size = dwelf_elf_gnu_build_id(e, &bytes);
  if (size <= 0) return std::nullopt;
  return elf::HexBytes(elf::Bytes(static_cast<const std::uint8_t*>(bytes), static_cast<std::size_t>(size)));
}

// Whether `path` is an uncompressed ELF file with this build-id.
bool IsGoodCopy(const std::string& path, const std::string& build_id) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool good = false;
  if (Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    good = elf_kind(e) == ELF_K_ELF && BuildIdOf(e) == build_id && !HasCompressedSections(e);
    elf_end(e);
  }
  ::close(fd);
  return good;
}

bool CopyFile(int in, int out) {
  struct stat st;
  if (::fstat(in, &st) != 0) return false;
  off_t offset = 0;
  while (offset < st.st_size) {
    const ssize_t n = ::sendfile(out, in, &offset, static_cast<std::size_t>(st.st_size - offset));
    if (n <= 0) return false;
  }
  return true;
}

// Writes `out` (then closes it) as a copy of `path` with every SHF_COMPRESSED section inflated; libelf lays the
// grown sections out anew.
bool WriteUncompressed(const std::string& path, int out) {
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    ::close(out);
    return false;
  }
  bool ok = CopyFile(in, out);
  ::close(in);
  if (ok) {
    ok = false;
    if (Elf* e = elf_begin(out, ELF_C_RDWR, nullptr)) {
      ok = true;
      for (Elf_Scn* scn = nullptr; ok && (scn = elf_nextscn(e, scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_COMPRESSED) != 0) ok = elf_compress(scn, 0, 0) == 1;
      }
      ok = ok && elf_update(e, ELF_C_WRITE) >= 0;
      elf_end(e);
    }
  }
  ok = ::close(out) == 0 && ok;
  return ok;
}

}  // namespace

std::optional<std::string> UncompressedDebugFile(const std::string& path, const std::string& build_id,
                                                 const std::string& cache_dir) {
  if (cache_dir.empty() || build_id.empty() || build_id.find('/') != std::string::npos) return std::nullopt;
  elf_version(EV_CURRENT);
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    bool compressed = false;
    if (Elf* e = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
      compressed = HasCompressedSections(e) && BuildIdOf(e) == build_id;
      elf_end(e);
    }
    ::close(fd);
    if (!compressed) return std::nullopt;
  }
  const std::string dir = cache_dir + "/debug";
  const std::string cached = dir + "/" + build_id + ".debug";
  if (IsGoodCopy(cached, build_id)) return cached;
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::string tmp = cached + ".tmp-XXXXXX";
  const int out = ::mkstemp(tmp.data());
  if (out < 0) return std::nullopt;
  ::fchmod(out, 0644);
  if (!WriteUncompressed(path, out) || !IsGoodCopy(tmp, build_id) || ::rename(tmp.c_str(), cached.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return std::nullopt;
  }
  return cached;
}

std::optional<std::string> CachedDebugFile(const std::string& build_id, const std::string& cache_dir) {
  if (cache_dir.empty() || build_id.empty() || build_id.find('/') != std::string::npos) return std::nullopt;
  const std::string cached = cache_dir + "/debug/" + build_id + ".debug";
  struct stat st;
  if (::stat(cached.c_str(), &st) != 0 || !IsGoodCopy(cached, build_id)) return std::nullopt;
  return cached;
}

std::string DefaultCacheDir() {
  if (const char* dir = std::getenv("COREKIT_CACHE_DIR"); dir && *dir) {
    return std::string(dir) == "off" ? std::string() : std::string(dir);
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/corekit";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/corekit";
  return {};
}

}  // namespace corekit::unwind
