#include "corekit/store/directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "corekit/base/io.h"

namespace corekit::store {
namespace {

Error Errno(const std::string& what) { return Error{Errc::kIo, what + ": " + std::strerror(errno)}; }

}  // namespace

Result<std::unique_ptr<Directory>> Directory::Open(const std::string& dir, Access access) {
  if (access == Access::kWrite && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Unexpected(Errno("cannot create the crash store " + dir));
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return Unexpected(errno == ENOENT ? Error{Errc::kIo, "no crash store at " + dir + " (corekit handler install creates one)"}
                                      : Errno("cannot open the crash store " + dir));
  }
  // A store root writes into must be root's and writable by nobody else: otherwise another user
  // could swap its files under the handler.
  if (struct stat st {}; access == Access::kWrite && ::geteuid() == 0 &&
                         (::fstat(fd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0)) {
    ::close(fd);
    return Unexpected(Errc::kPermission, "the crash store " + dir +
                                             " must be owned by root and writable by root alone (chown root, chmod 755)");
  }
  return std::unique_ptr<Directory>(new Directory(dir, fd));
}

Directory::~Directory() { ::close(fd_); }

Result<int> Directory::CreateUnnamed() {
  int fd = ::openat(fd_, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return Unexpected(Errno("cannot create a file in the crash store " + path_));
  return fd;
}

Result<void> Directory::Publish(int fd, const std::string& name) {
  // linkat of an O_TMPFILE through /proc/self/fd: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH.
  const std::string source = "/proc/self/fd/" + std::to_string(fd);
  if (::fsync(fd) != 0) return Unexpected(Errno("cannot sync " + name));
  if (::linkat(AT_FDCWD, source.c_str(), fd_, name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return Unexpected(Errno("cannot publish " + name + " in the crash store"));
  }
  return {};
}

Result<int> Directory::OpenFile(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos) return Unexpected(Errc::kInvalidArgument, "bad file name in the crash store");
  const int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Unexpected(Errno("cannot open " + path_ + "/" + name));
  return fd;
}

Result<std::uint64_t> Directory::FileBytes(const std::string& name) const {
  struct stat st {};
  if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Unexpected(Errno("stat " + name));
  return std::uint64_t(st.st_blocks) * 512;
}

void Directory::RemoveFile(const std::string& name) {
  if (!name.empty() && name.find('/') == std::string::npos) ::unlinkat(fd_, name.c_str(), 0);
}

void Directory::Protect(int fd, std::optional<std::int64_t> uid, bool share) {
  ::fchown(fd, 0, 0);
  ::fchmod(fd, 0640);
  if (!share || !uid || *uid == 0) return;
  // A POSIX access ACL (the xattr's binary form, as libacl writes it): owner rw, the crashed
  // process's user r, group r, mask r, others nothing. Where the file system has no ACLs the
  // core stays root's.
  struct Entry {
    std::uint16_t tag, perm;
    std::uint32_t id;
  };
  const std::uint32_t kVersion = 2;
  const Entry entries[] = {{0x01, 6, ~0u}, {0x02, 4, static_cast<std::uint32_t>(*uid)}, {0x04, 4, ~0u},
                           {0x10, 4, ~0u}, {0x20, 0, ~0u}};
  std::uint8_t acl[sizeof kVersion + sizeof entries];
  std::memcpy(acl, &kVersion, sizeof kVersion);
  std::memcpy(acl + sizeof kVersion, entries, sizeof entries);
  ::fsetxattr(fd, "system.posix_acl_access", acl, sizeof acl, 0);
}

bool Directory::Exists(const std::string& name) const {
  struct stat st {};
  return !name.empty() && name.find('/') == std::string::npos && ::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<std::string> ReadWholeFile(const Directory& files, const std::string& name, std::size_t limit) {
  auto fd = files.OpenFile(name);
  if (!fd) return Unexpected(fd.error());
  std::string text;
  char buffer[65536];
  ssize_t n;
  while (text.size() < limit && (n = ::read(*fd, buffer, std::min(sizeof buffer, limit - text.size()))) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(*fd);
  return text;
}

Result<void> WriteWholeFile(Directory& store, const std::string& name, std::string_view text,
                            std::optional<std::int64_t> uid, bool share) {
  auto fd = store.CreateUnnamed();
  if (!fd) return Unexpected(fd.error());
  if (auto w = WriteAll(*fd, text.data(), text.size()); !w) {
    ::close(*fd);
    return Unexpected(Errc::kIo, "cannot " + w.error().message + " " + name);
  }
  store.Protect(*fd, uid, share);
  auto published = store.Publish(*fd, name);
  ::close(*fd);
  return published;
}

}  // namespace corekit::store
