// What the standard libraries' printers share: reading a container's words by member name, its
// template arguments, the layout of a node-based container's nodes, gdb's text for strings and
// for wrappers holding one value. std_printers.cpp (libstdc++) and libcxx_printers.cpp (libc++)
// build on it; nothing outside the printers uses it.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "std_printers.h"

namespace corekit::eval::printers {

using Impl = Evaluator::Impl;
using Hint = Synthetic::Hint;

// Walks stop here even with `print elements unlimited`: a damaged size or a cycle must end.
constexpr std::uint64_t kMaxWalk = 100'000'000;

// "std::vector" for "std::vector<int, std::allocator<int> >"; "" for a type without arguments.
std::string_view TemplateName(const Type* t);
// libc++'s inline namespace: its std::vector is std::__1::vector.
constexpr std::string_view kLibcxxNamespace = "std::__1::";
// TemplateName without libc++'s inline namespace: "std::vector" for either library's vector.
std::string LibraryName(const Type* t);
// A template's n-th argument, from the DWARF or else from the type's name; null when unknown.
const Type* TemplateArgument(Impl& s, const Type* t, std::size_t n);
std::uint64_t AlignOf(const Type* type, int depth = 0);
std::uint64_t AlignUp(std::uint64_t offset, std::uint64_t align);
std::string ElementCount(std::uint64_t n);  // "1 element", "3 elements"
// The limit on children: gdb's `print elements` (0: unlimited, bounded by kMaxWalk).
std::uint64_t Limit(const Impl& s);

// A member reached by names through base classes and anonymous unions; its value as a word.
Result<Value> Field(Impl& s, const Value& value, std::initializer_list<const char*> path);
Result<std::uint64_t> Word(Impl& s, const Value& value, std::initializer_list<const char*> path);
Result<std::uint64_t> AddressOfField(Impl& s, const Value& value, std::initializer_list<const char*> path);
std::uint64_t Ptr(const Impl& s);  // the program's pointer size
Result<std::uint64_t> ReadPointer(Impl& s, std::uint64_t address);

std::string TypeText(const Type* t);
// A type's name as gdb's type recognizers print it: std::string, std::vector<int>, ...
std::string Recognized(Impl& s, const Type* type);

Synthetic Leaf(std::string summary);
Synthetic ErrorLeaf(const Error& e);  // <optimized out>, or <error: ...>
// `length` code units of `char_type` at `data`, quoted as gdb quotes strings.
Synthetic StringAt(Impl& s, const Type* char_type, std::uint64_t data, std::uint64_t length);
// A string_view's text from its pointer and length members (named per library).
Synthetic StringViewOf(Impl& s, const Value& v, const Type* t, const char* data_member, const char* length_member);
// The children of `length` consecutive elements from `first` on, their memory checked ahead.
std::function<std::optional<Error>(const Synthetic::Visit&)> ArrayChildren(Impl& s, const Type* element, std::uint64_t first,
                                                                           std::int64_t length);

// Where a tree's or hash table's element lies in its node: after the node's header (its links),
// aligned; a map's mapped value after its key, aligned.
struct NodeLayout {
  const Type* key = nullptr;
  const Type* mapped = nullptr;  // null for a set
  std::uint64_t value_offset = 0, mapped_offset = 0;
};
std::optional<NodeLayout> LayoutOf(Impl& s, const Type* t, bool is_map, std::uint64_t header);
// Visits the i-th element of the node at `node`: [2i] key and [2i+1] mapped value for a map
// (gdb's map hint pairs them), [i] for a set. False: the walk ends (visit said so, or `error`).
bool VisitNode(Impl& s, const NodeLayout& layout, std::uint64_t node, std::uint64_t i, const Synthetic::Visit& visit,
               std::optional<Error>* error);

// optional and variant hold one value; when it has a printer with children of its own, those
// are shown in its place (gdb's SingleObjContainerPrinter).
Synthetic HoldingOne(Impl& s, std::string summary, const Value& held, Hint hint, const std::string& containing_prefix);
// std::pair: its two members, without the empty base gdb's printer hides.
std::optional<Synthetic> Pair(Impl& s, const Value& v);
// A linked list's text and children: "std::list" (or "empty std::list"), the nodes from `first`
// until `end`, each linked at `next_offset` and holding its element at `value_offset`; a cycle
// ends the walk with an error.
Synthetic LinkedList(Impl& s, const std::string& name, const Type* element, std::uint64_t first, std::uint64_t end,
                     std::uint64_t next_offset, std::uint64_t value_offset);
// A hash table's text and children: "std::unordered_map with 3 elements", its nodes one list
// from `first` linked by their first word.
Synthetic HashNodes(Impl& s, std::string_view name, bool is_map, const NodeLayout& layout, std::uint64_t first, std::uint64_t count);
// A smart pointer's text and its one child, get().
Synthetic Holding(std::string summary, const Value& get);
// A shared_ptr's or weak_ptr's text: "std::shared_ptr<int> (use count 2, weak count 1)".
Synthetic SharedSummary(std::string_view name, const Type* held, const Value& get, std::optional<std::int64_t> use,
                        std::int64_t weak);

// libc++'s printers, subscripts and pointees (libcxx_printers.cpp), for a type whose LibraryName
// is `name`; nullopt when libc++ has no such template or the printer does not apply.
std::optional<Synthetic> LibcxxPrinter(Impl& s, const Value& value, const Type* t, const std::string& name);
std::optional<Result<Value>> LibcxxSubscript(Impl& s, const Value& value, const Type* t, const std::string& name, std::int64_t index);
std::optional<Result<Value>> LibcxxPointee(Impl& s, const Value& value, const std::string& name);

}  // namespace corekit::eval::printers
