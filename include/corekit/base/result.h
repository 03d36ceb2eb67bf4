// Result<T>: the value of an operation that can fail, or the Error saying why.
//
// The member names follow std::expected (has_value, value, error, operator*, operator->) so that
// the swap to std::expected is a one-line change once both compilers we support (g++ 12,
// clang++ 14) offer it with its monadic members. Errors are values, never exceptions: the only
// exception corekit lets escape is std::bad_alloc.
//
// Messages are complete sentences without a trailing period and name offsets and addresses in
// hex ("PT_NOTE at offset 0x1c0 overflows file of size 0x1a0"), because they are what a user
// sees after "error: ".
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace corekit {

// Why an operation failed; each code tells the caller what it can do about it.
enum class Errc {
  kNotInCore,   // the bytes or the fact are simply not recorded in the core
  kTruncated,   // the file ends before what its headers promise
  kUnmapped,    // the address is not in any mapping of the process
  kCorrupt,     // the file contradicts itself or the format
  kUnsupported, // well-formed, but something corekit does not read (yet)
  kIo,          // the operating system refused (open, mmap, read)
  kPermission,  // not allowed: file mode, ptrace policy
  kTargetGone,  // the live process exited under us
  kInvalidArgument,  // the caller asked for something meaningless
};

const char* ErrcName(Errc code);

struct Error {
  Errc code;
  std::string message;
};

// Wraps an Error so that `return Unexpected(...)` converts to any Result<T>.
struct Unexpected {
  Error error;
  Unexpected(Errc code, std::string message) : error{code, std::move(message)} {}
  explicit Unexpected(Error e) : error(std::move(e)) {}
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Unexpected u) : state_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)), failed_(true) {}  // NOLINT: implicit

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {}
  const Error& error() const { return error_; }

 private:
  Error error_{};
  bool failed_ = false;
};

inline const char* ErrcName(Errc code) {
  switch (code) {
    case Errc::kNotInCore: return "not-in-core";
    case Errc::kTruncated: return "truncated";
    case Errc::kUnmapped: return "unmapped";
    case Errc::kCorrupt: return "corrupt";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kIo: return "io";
    case Errc::kPermission: return "permission";
    case Errc::kTargetGone: return "target-gone";
    case Errc::kInvalidArgument: return "invalid-argument";
  }
  return "unknown";
}

}  // namespace corekit
