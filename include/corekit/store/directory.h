// The crash store's directory: cores and their details, each file written unnamed (O_TMPFILE)
// and linked under its name only when complete, every file reached relative to the directory's
// descriptor with O_NOFOLLOW. The Store keeps its index beside them; a fleet's servers share a
// directory of files whose index is elsewhere (PostgreSQL).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "corekit/base/result.h"

namespace corekit::store {

enum class Access { kRead, kWrite };

class Directory {
 public:
  // kWrite creates the directory (0755); as root it must be root's and writable by root alone.
  static Result<std::unique_ptr<Directory>> Open(const std::string& dir, Access access);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // An unnamed file in the directory (mode 0600 until published); Publish syncs it and links it
  // as `name` (failing with EEXIST's message when the name is taken).
  Result<int> CreateUnnamed();
  Result<void> Publish(int fd, const std::string& name);
  Result<int> OpenFile(const std::string& name) const;  // read-only, O_NOFOLLOW
  Result<std::uint64_t> FileBytes(const std::string& name) const;  // blocks on disk
  bool Exists(const std::string& name) const;
  void RemoveFile(const std::string& name);
  // Mode 0640 root:root, readable by `uid` too (an ACL entry) when `share` is set.
  void Protect(int fd, std::optional<std::int64_t> uid, bool share);

 private:
  Directory(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

// The file's bytes, at most `limit` of them (a file that is longer is cut there).
Result<std::string> ReadWholeFile(const Directory& files, const std::string& name, std::size_t limit);

// Writes `text` as the whole of a new file `name` in the directory, published when complete.
Result<void> WriteWholeFile(Directory& files, const std::string& name, std::string_view text,
                            std::optional<std::int64_t> uid, bool share);

}  // namespace corekit::store
