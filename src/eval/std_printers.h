// The C++ standard library's values as gdb shows them with Debian's libstdc++ printers loaded:
// "std::vector of length 2, capacity 2 = {...}", "std::map with 3 elements = {[1] = ...}",
// "std::unique_ptr<Order> = {get() = 0x...}". Written in C++ over the library's data layout
// (as lldb's built-in formatters are), no Python. A printer gives gdb's to_string text and its
// children one at a time, so that printing 200 elements of a million-element vector reads 200;
// a container whose memory is damaged (a corrupt size, a cycle, a node outside the core) yields
// what can be read and then the error, never an unbounded walk.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "impl.h"

namespace corekit::eval {

struct Synthetic {
  // gdb's display hints: how children print (array: values only; map: [key] = value pairs;
  // none: name = value).
  enum class Hint { kNone, kArray, kMap };
  std::string summary;  // gdb's to_string; "" when the printer has none
  Hint hint = Hint::kNone;
  bool has_children = false;
  // Calls visit(name, value) for each child in order until visit returns false; returns the
  // error that ended the walk early (memory not in the core, a damaged container), if any.
  using Visit = std::function<bool(const std::string& name, const Value& value)>;
  std::function<std::optional<Error>(const Visit& visit)> children;
  // A string's code units (StringAt): `length` of `width` bytes at `address`, for scripts that
  // want the text rather than gdb's quoting of it.
  struct Text {
    std::uint64_t address = 0, length = 0;
    unsigned width = 1;
  };
  std::optional<Text> text;
};

// The printer for `value`'s type, or nullopt when it is not one the standard library's printers
// know (then the value prints as its structure). Never reads more than the summary needs.
std::optional<Synthetic> StdPrinter(Evaluator::Impl& impl, const Value& value);

// gdb's libstdc++ xmethods: `v[i]` of a vector, deque, string or array; nullopt when `value`
// is none of those.
std::optional<Result<Value>> StdSubscript(Evaluator::Impl& impl, const Value& value, std::int64_t index);
// `*p` and `p->` of a unique_ptr, shared_ptr or weak_ptr: the object; nullopt for other types.
std::optional<Result<Value>> StdPointee(Evaluator::Impl& impl, const Value& value);

}  // namespace corekit::eval
