#include "corekit/core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace corekit::core {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Unexpected SystemError(const std::string& what, const std::string& path) {
  return Unexpected(errno == EACCES || errno == EPERM ? Errc::kPermission : Errc::kIo,
                    "cannot " + what + " " + path + ": " + std::strerror(errno));
}

// An unlinked file to hold a decompressed core: on disk when $TMPDIR allows O_TMPFILE (a
// multi-GiB core should not live in RAM), else in memory.
int MakeScratchFile() {
  const char* dir = std::getenv("TMPDIR");
  int fd = ::open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  return ::memfd_create("corekit-core", MFD_CLOEXEC);
}

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kZstd: return "zstd";
    case Compression::kXz: return "xz";
    case Compression::kGzip: return "gzip";
    case Compression::kLz4: return "lz4";
    default: return "none";
  }
}

Compression DetectCompression(const std::uint8_t* data, std::size_t size) {
  auto starts = [&](std::initializer_list<std::uint8_t> magic) {
    if (size < magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), data);
  };
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return Compression::kZstd;
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) return Compression::kXz;
  if (starts({0x1f, 0x8b})) return Compression::kGzip;
  if (starts({0x04, 0x22, 0x4d, 0x18})) return Compression::kLz4;
  return Compression::kNone;
}

// "/dev/fd/N": the file this process already has open as N, used as it is — not opened again
// through /proc, which would check the file's permissions anew (a crash handler's analysis runs
// without privileges on a core that only root may open).
static int OpenPath(const std::string& path) {
  constexpr std::string_view kFd = "/dev/fd/";
  if (path.starts_with(kFd) && path.size() > kFd.size() && path.size() < kFd.size() + 8 &&
      path.find_first_not_of("0123456789", kFd.size()) == std::string::npos) {
    const int fd = ::fcntl(std::stoi(path.substr(kFd.size())), F_DUPFD_CLOEXEC, 0);
    if (fd >= 0) ::lseek(fd, 0, SEEK_SET);  // its offset is shared with whoever opened it
    return fd;
  }
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

Result<MappedFile> MappedFile::Open(const std::string& path) {
  Fd file(OpenPath(path));
  if (file.fd < 0) return SystemError("open", path);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return SystemError("stat", path);
  if (S_ISDIR(st.st_mode)) return Unexpected(Errc::kIo, "cannot read " + path + ": it is a directory");
  MappedFile mapped;
  mapped.stored_size_ = static_cast<std::uint64_t>(st.st_size);
  std::uint8_t magic[6] = {};
  const ssize_t got = ::pread(file.fd, magic, sizeof magic, 0);
  const Compression compression =
      got > 0 ? DetectCompression(magic, static_cast<std::size_t>(got)) : Compression::kNone;
  int map_fd = file.fd;
  Fd scratch(-1);
  if (compression != Compression::kNone) {
    scratch.fd = MakeScratchFile();
    if (scratch.fd < 0) return SystemError("create a scratch file to decompress", path);
    auto done = Decompress(compression, file.fd, scratch.fd);
    if (!done) {
      return Unexpected(done.error().code, path + ": " + std::string(CompressionName(compression)) +
                                               " stream: " + done.error().message);
    }
    if (::fstat(scratch.fd, &st) != 0) return SystemError("stat the decompressed copy of", path);
    map_fd = scratch.fd;
  }
  mapped.compression_ = compression;
  mapped.size_ = static_cast<std::size_t>(st.st_size);
  if (mapped.size_ == 0) return mapped;
  void* p = ::mmap(nullptr, mapped.size_, PROT_READ, MAP_PRIVATE, map_fd, 0);
  if (p == MAP_FAILED) return SystemError("map", path);
  mapped.data_ = static_cast<const std::uint8_t*>(p);
  return mapped;
}

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = other.data_;
    size_ = other.size_;
    compression_ = other.compression_;
    stored_size_ = other.stored_size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() { Reset(); }

void MappedFile::Reset() {
  if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace corekit::core
