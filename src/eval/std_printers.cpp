// libstdc++'s containers and wrappers read from their layout (GCC 5 and later, the C++11 ABI),
// named and counted as gcc's printers.py names and counts them. Members are found by name
// through base classes (MemberOf), so that a layout change becomes an error, not a wrong value;
// the node headers of lists, trees and hash tables are the library's stable ABI and are read
// by offset, which keeps a walk of many nodes to one small read per node.
#include "std_printers.h"

#include "printer_support.h"

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <set>

namespace corekit::eval {
namespace printers {


// "std::vector" for "std::vector<int, std::allocator<int> >"; "" for a type without arguments.
std::string_view TemplateName(const Type* t) {
  const std::string_view name = t->name;
  const auto open = name.find('<');
  return open == std::string_view::npos ? std::string_view() : name.substr(0, open);
}

// The template arguments spelled in a type's name: "int", "std::less<int>" of "std::map<int, ...>".
std::vector<std::string> ArgumentsInName(std::string_view name) {
  std::vector<std::string> out;
  const auto open = name.find('<');
  if (open == std::string_view::npos || name.back() != '>') return out;
  int nesting = 0;
  std::string current;
  for (std::size_t i = open + 1; i + 1 < name.size(); ++i) {
    const char c = name[i];
    if (c == '<' || c == '(') ++nesting;
    if (c == '>' || c == ')') --nesting;
    if (c == ',' && nesting == 0) {
      out.push_back(current);
      current.clear();
      continue;
    }
    if (!(current.empty() && c == ' ')) current += c;
  }
  while (!current.empty() && current.back() == ' ') current.pop_back();
  out.push_back(current);
  return out;
}

// A template's argument: from the DWARF's template parameters, else (a class the compiler
// described without them, as g++ does std::_List_iterator) by the name its name spells.
std::string LibraryName(const Type* t) {
  std::string name(TemplateName(t));
  if (name.rfind(kLibcxxNamespace, 0) == 0) name.replace(0, kLibcxxNamespace.size(), "std::");
  return name;
}

const Type* TemplateArgument(Impl& s, const Type* t, std::size_t n) {
  if (n < t->template_parameters.size()) return t->template_parameters[n].second;
  if (!t->template_parameters.empty()) return nullptr;
  const auto names = ArgumentsInName(t->name);
  if (n >= names.size()) return nullptr;
  if (const Type* base = s.types.Base(names[n])) return base;
  if (auto named = s.NamedType("", names[n])) return *named;
  return nullptr;
}

std::uint64_t AlignOf(const Type* type, int depth) {
  const Type* t = Strip(type);
  if (!t || depth > 32) return 1;
  switch (t->kind) {
    case TypeKind::kStruct:
    case TypeKind::kUnion: {
      std::uint64_t align = 1;
      for (const Member& m : t->members) {
        if (!m.is_static) align = std::max(align, AlignOf(m.type, depth + 1));
      }
      return align;
    }
    case TypeKind::kArray:
      return AlignOf(t->target, depth + 1);
    default:
      return t->size == 0 ? 1 : std::min<std::uint64_t>(t->size, 16);
  }
}

std::uint64_t AlignUp(std::uint64_t offset, std::uint64_t align) { return (offset + align - 1) / align * align; }

std::string ElementCount(std::uint64_t n) { return n == 1 ? "1 element" : fmt::format("{} elements", n); }

// The limit on children: gdb's `print elements` (0: unlimited, bounded by kMaxWalk).
std::uint64_t Limit(const Impl& s) { return s.options.elements == 0 ? kMaxWalk : s.options.elements; }

Result<Value> Field(Impl& s, const Value& value, std::initializer_list<const char*> path) {
  Value v = value;
  for (const char* name : path) {
    auto next = s.MemberOf(v, name);
    if (!next) return next;
    v = std::move(*next);
  }
  return v;
}

Result<std::uint64_t> Word(Impl& s, const Value& value, std::initializer_list<const char*> path) {
  auto field = Field(s, value, path);
  if (!field) return Unexpected(field.error());
  return s.Bits(*field);
}

// The program's pointer size: the node headers below are laid out in pointers.
std::uint64_t Ptr(const Impl& s) { return s.target.abi().is64 ? 8 : 4; }

Result<std::uint64_t> ReadPointer(Impl& s, std::uint64_t address) {
  const std::uint64_t size = Ptr(s);
  auto bytes = s.Read(address, size);
  if (!bytes) return Unexpected(bytes.error());
  std::uint64_t v = 0;
  for (std::uint64_t i = 0; i < size && i < bytes->size(); ++i) v |= static_cast<std::uint64_t>((*bytes)[i]) << (8 * i);
  return v;
}

Result<std::uint64_t> AddressOfField(Impl& s, const Value& value, std::initializer_list<const char*> path) {
  auto field = Field(s, value, path);
  if (!field) return Unexpected(field.error());
  if (field->where != Value::Where::kMemory) return EvalError("value is not in memory");
  return field->address;
}

std::string TypeText(const Type* t) { return t ? TypeName(t) : "?"; }

// gdb applies its type recognizers to the names in optional's and variant's summaries, so that
// std::__cxx11::basic_string<char, ...> reads std::string.
std::string Recognized(Impl& s, const Type* type) {
  const Type* t = Strip(type);
  if (t && t->kind == TypeKind::kStruct) {
    const std::string name = LibraryName(t);
    if (name == "std::__cxx11::basic_string" || name == "std::basic_string") {
      const Type* ch = Strip(TemplateArgument(s, t, 0));
      const std::string c = ch ? ch->name : "";
      if (c == "char") return "std::string";
      if (c == "wchar_t") return "std::wstring";
      if (c == "char16_t") return "std::u16string";
      if (c == "char32_t") return "std::u32string";
      if (c == "char8_t") return "std::u8string";
    }
    // Containers without their defaulted arguments (allocator, less, hash, equal_to, deleter).
    static const std::map<std::string_view, std::size_t> kShownArguments = {
        {"std::vector", 1}, {"std::deque", 1}, {"std::list", 1}, {"std::__cxx11::list", 1}, {"std::forward_list", 1},
        {"std::unique_ptr", 1}, {"std::set", 1}, {"std::multiset", 1}, {"std::unordered_set", 1},
        {"std::unordered_multiset", 1}, {"std::map", 2}, {"std::multimap", 2}, {"std::unordered_map", 2},
        {"std::unordered_multimap", 2}};
    if (auto shown = kShownArguments.find(name); shown != kShownArguments.end()) {
      std::string text = std::string(name) + "<";
      for (std::size_t i = 0; i < shown->second; ++i) {
        const Type* argument = TemplateArgument(s, t, i);
        if (!argument) return TypeText(type);
        text += (i ? ", " : "") + Recognized(s, argument);
      }
      return text + ">";
    }
  }
  return TypeText(type);
}

Synthetic Leaf(std::string summary) {
  Synthetic s;
  s.summary = std::move(summary);
  return s;
}

// What a printer says when the value cannot be read: gdb's <optimized out> for a part the
// compiler dropped, else the error.
Synthetic ErrorLeaf(const Error& e) {
  return Leaf(e.message == "value has been optimized out" ? "<optimized out>" : "<error: " + e.message + ">");
}

// ---- strings ----

// A string of `length` code units of `char_type` at `data`: at most `print elements` of them are
// read, quoted as gdb quotes them (L"", u"", U"" for the wider ones).
Synthetic StringAt(Impl& s, const Type* char_type, std::uint64_t data, std::uint64_t length) {
  const Type* ch = Strip(char_type);
  const std::uint64_t width = ch && ch->size ? ch->size : 1;
  const std::uint64_t shown = std::min(length, Limit(s));
  if (width * shown > kMaxValueSize * 16) return Leaf(fmt::format("<error: the string of {} characters is too long to read>", length));
  std::vector<std::uint32_t> units;
  std::string trailer;
  if (shown) {
    auto bytes = s.Read(data, width * shown);
    if (!bytes) return ErrorLeaf(bytes.error());
    units.reserve(shown);
    for (std::uint64_t i = 0; i < shown; ++i) {
      std::uint32_t u = 0;
      for (std::uint64_t b = 0; b < width && b < 4; ++b) u |= static_cast<std::uint32_t>((*bytes)[i * width + b]) << (8 * b);
      units.push_back(u);
    }
  }
  std::string prefix;
  if (ch && ch->name == "wchar_t") prefix = "L";
  else if (ch && ch->name == "char16_t") prefix = "u";
  else if (ch && ch->name == "char32_t") prefix = "U";
  else if (ch && ch->name == "char8_t") prefix = "u8";
  Synthetic string = Leaf(QuotedUnits(units, prefix, length > shown, s.options.repeats));
  string.text = Synthetic::Text{data, length, static_cast<unsigned>(width)};
  return string;
}

std::optional<NodeLayout> LayoutOf(Impl& s, const Type* t, bool is_map, std::uint64_t header) {
  NodeLayout layout;
  layout.key = TemplateArgument(s, t, 0);
  layout.mapped = is_map ? TemplateArgument(s, t, 1) : nullptr;
  if (!layout.key || (is_map && !layout.mapped)) return std::nullopt;
  layout.value_offset = AlignUp(header, std::max(AlignOf(layout.key), is_map ? AlignOf(layout.mapped) : 1));
  layout.mapped_offset = is_map ? AlignUp(Strip(layout.key)->size, AlignOf(layout.mapped)) : 0;
  return layout;
}

// Visits the i-th element of the node at `node`: [2i] key and [2i+1] mapped value for a map
// (gdb's map hint pairs them), [i] for a set. False: the walk ends (visit said so, or `error`).
bool VisitNode(Impl& s, const NodeLayout& layout, std::uint64_t node, std::uint64_t i, const Synthetic::Visit& visit,
               std::optional<Error>* error) {
  const std::uint64_t at = node + layout.value_offset;
  if (auto readable = s.Read(at, 1); !readable) {  // a node outside the core ends the walk
    *error = readable.error();
    return false;
  }
  if (!layout.mapped) return visit(fmt::format("[{}]", i), s.AtAddress(layout.key, at));
  return visit(fmt::format("[{}]", 2 * i), s.AtAddress(layout.key, at)) &&
         visit(fmt::format("[{}]", 2 * i + 1), s.AtAddress(layout.mapped, at + layout.mapped_offset));
}

Synthetic HoldingOne(Impl& s, std::string summary, const Value& held, Hint hint, const std::string& containing_prefix) {
  if (auto inner = StdPrinter(s, held); inner && inner->has_children) {
    inner->summary = containing_prefix + inner->summary;
    return *inner;
  }
  Synthetic out;
  out.summary = std::move(summary);
  out.hint = hint;
  out.has_children = true;
  out.children = [held](const Synthetic::Visit& visit) -> std::optional<Error> {
    visit("[contained value]", held);
    return std::nullopt;
  };
  return out;
}

// std::pair: its two members, without the empty __pair_base gdb's printer hides.
std::optional<Synthetic> Pair(Impl& s, const Value& v) {
  auto first = s.MemberOf(v, "first");
  auto second = s.MemberOf(v, "second");
  if (!first || !second) return std::nullopt;
  Synthetic out;
  out.has_children = true;
  out.children = [first = *first, second = *second](const Synthetic::Visit& visit) -> std::optional<Error> {
    if (visit("first", first)) visit("second", second);
    return std::nullopt;
  };
  return out;
}

// The children of `length` elements of `element` from `first` on, as a vector or an array holds
// them. The elements' memory is checked ahead a block at a time: a length the core does not back
// (a damaged vector) ends at the first element it lacks, not after a billion errors.
std::function<std::optional<Error>(const Synthetic::Visit&)> ArrayChildren(Impl& s, const Type* element, std::uint64_t first,
                                                                           std::int64_t length) {
  const std::uint64_t size = Strip(element) ? Strip(element)->size : 0;
  return [&s, element, size, first, length](const Synthetic::Visit& visit) -> std::optional<Error> {
    constexpr std::uint64_t kBlock = 64 * 1024;
    std::uint64_t checked_until = first;
    for (std::int64_t i = 0; i < length && static_cast<std::uint64_t>(i) < kMaxWalk; ++i) {
      const std::uint64_t at = first + static_cast<std::uint64_t>(i) * size;
      if (at + size > checked_until) {
        const std::uint64_t want = std::min<std::uint64_t>(kBlock, (static_cast<std::uint64_t>(length) - static_cast<std::uint64_t>(i)) * size);
        if (s.Read(at, std::max(want, size))) {
          checked_until = at + std::max(want, size);
        } else if (auto one = s.Read(at, size); one) {
          checked_until = at + size;
        } else {
          return one.error();
        }
      }
      if (!visit(fmt::format("[{}]", i), s.AtAddress(element, at))) break;
    }
    return std::nullopt;
  };
}

Synthetic SharedSummary(std::string_view name, const Type* held, const Value& get, std::optional<std::int64_t> use,
                        std::int64_t weak) {
  std::string state = "empty";
  if (use) state = *use == 0 ? fmt::format("expired, weak count {}", weak) : fmt::format("use count {}, weak count {}", *use, weak);
  return Holding(fmt::format("{}<{}> ({})", name, TypeText(held), state), get);
}

Synthetic Holding(std::string summary, const Value& get) {
  Synthetic out;
  out.summary = std::move(summary);
  out.has_children = true;
  out.children = [get](const Synthetic::Visit& visit) -> std::optional<Error> {
    visit("get()", get);
    return std::nullopt;
  };
  return out;
}

Synthetic LinkedList(Impl& s, const std::string& name, const Type* element, std::uint64_t first, std::uint64_t end,
                     std::uint64_t next_offset, std::uint64_t value_offset) {
  Synthetic out;
  out.has_children = first != end;
  out.summary = out.has_children ? name : "empty " + name;
  out.children = [&s, element, next_offset, value_offset, node = first, end](const Synthetic::Visit& visit) mutable -> std::optional<Error> {
    std::set<std::uint64_t> seen;  // a cycle ends the walk
    for (std::uint64_t i = 0; node != end && i < kMaxWalk; ++i) {
      if (!seen.insert(node).second) return Error{Errc::kCorrupt, fmt::format("the list loops back to the node at {:#x}", node)};
      if (!visit(fmt::format("[{}]", i), s.AtAddress(element, node + value_offset))) break;
      auto next = ReadPointer(s, node + next_offset);
      if (!next) return next.error();
      node = *next;
    }
    return std::nullopt;
  };
  return out;
}

Synthetic HashNodes(Impl& s, std::string_view name, bool is_map, const NodeLayout& layout, std::uint64_t first, std::uint64_t count) {
  Synthetic out;
  out.summary = fmt::format("{} with {}", name, ElementCount(count));
  out.hint = is_map ? Hint::kMap : Hint::kNone;
  out.has_children = first != 0;
  out.children = [&s, layout, node = first](const Synthetic::Visit& visit) mutable -> std::optional<Error> {
    std::set<std::uint64_t> seen;
    std::optional<Error> error;
    for (std::uint64_t i = 0; node != 0 && i < kMaxWalk; ++i) {
      if (!seen.insert(node).second) return Error{Errc::kCorrupt, fmt::format("the hash table loops back to the node at {:#x}", node)};
      if (!VisitNode(s, layout, node, i, visit, &error)) return error;
      auto next = ReadPointer(s, node);
      if (!next) return next.error();
      node = *next;
    }
    return std::nullopt;
  };
  return out;
}

Synthetic StringViewOf(Impl& s, const Value& v, const Type* t, const char* data_member, const char* length_member) {
  auto data = Word(s, v, {data_member});
  auto length = Word(s, v, {length_member});
  if (!data) return ErrorLeaf(data.error());
  if (!length) return ErrorLeaf(length.error());
  return StringAt(s, TemplateArgument(s, t, 0), *data, *length);
}

}  // namespace printers

namespace {

using namespace printers;

std::optional<Synthetic> String(Impl& s, const Value& v, const Type* t) {
  auto data = Word(s, v, {"_M_dataplus", "_M_p"});
  if (!data) {
    // clang describes _Alloc_hider only by name (its definition is libstdc++.so's): the pointer
    // is its one word, after the empty allocator base.
    if (auto hider = AddressOfField(s, v, {"_M_dataplus"})) data = ReadPointer(s, *hider);
  }
  auto length = Word(s, v, {"_M_string_length"});
  if (!data) return ErrorLeaf(data.error());
  if (!length) return ErrorLeaf(length.error());
  return StringAt(s, TemplateArgument(s, t, 0), *data, *length);
}

std::optional<Synthetic> StringView(Impl& s, const Value& v, const Type* t) { return StringViewOf(s, v, t, "_M_str", "_M_len"); }

// ---- sequences ----

std::optional<Synthetic> Vector(Impl& s, const Value& v, const Type* t) {
  const Type* element = TemplateArgument(s, t, 0);
  if (Strip(element) && Strip(element)->kind == TypeKind::kBool) {
    // vector<bool>: bits in unsigned longs, [start._M_p, finish._M_p) plus finish._M_offset bits.
    auto start = Word(s, v, {"_M_impl", "_M_start", "_M_p"});
    auto finish = Word(s, v, {"_M_impl", "_M_finish", "_M_p"});
    auto offset = Word(s, v, {"_M_impl", "_M_finish", "_M_offset"});
    auto end = Word(s, v, {"_M_impl", "_M_end_of_storage"});
    if (!start || !finish || !offset || !end) return ErrorLeaf((!start ? start : !finish ? finish : !offset ? offset : end).error());
    const std::uint64_t word = Ptr(s);  // unsigned long
    const std::int64_t bits = static_cast<std::int64_t>(word * 8);
    const std::int64_t length = bits * (static_cast<std::int64_t>(*finish - *start) / static_cast<std::int64_t>(word)) + static_cast<std::int64_t>(*offset);
    const std::int64_t capacity = bits * (static_cast<std::int64_t>(*end - *start) / static_cast<std::int64_t>(word));
    Synthetic out;
    out.summary = fmt::format("std::vector<bool> of length {}, capacity {}", length, capacity);
    out.hint = Hint::kArray;
    out.has_children = length > 0;
    const Type* bool_type = element;
    out.children = [&s, start = *start, length, bool_type, word](const Synthetic::Visit& visit) -> std::optional<Error> {
      const std::uint64_t bits = word * 8;
      std::uint64_t loaded_word = ~std::uint64_t{0};
      std::uint64_t bits_of_word = 0;
      for (std::int64_t i = 0; i < length && static_cast<std::uint64_t>(i) < kMaxWalk; ++i) {
        const std::uint64_t w = static_cast<std::uint64_t>(i) / bits;
        if (w != loaded_word) {
          auto bytes = s.Read(start + w * word, word);
          if (!bytes) return bytes.error();
          bits_of_word = 0;
          for (std::uint64_t b = 0; b < word; ++b) bits_of_word |= static_cast<std::uint64_t>((*bytes)[b]) << (8 * b);
          loaded_word = w;
        }
        if (!visit(fmt::format("[{}]", i), s.Scalar(bool_type, (bits_of_word >> (static_cast<std::uint64_t>(i) % bits)) & 1))) break;
      }
      return std::nullopt;
    };
    return out;
  }
  auto start = Field(s, v, {"_M_impl", "_M_start"});
  if (!start) return ErrorLeaf(start.error());
  const Type* pointee = Strip(start->type) && Strip(start->type)->kind == TypeKind::kPointer ? Strip(start->type)->target : element;
  const std::uint64_t size = Strip(pointee) ? Strip(pointee)->size : 0;
  auto first = s.Bits(*start);
  auto finish = Word(s, v, {"_M_impl", "_M_finish"});
  auto end = Word(s, v, {"_M_impl", "_M_end_of_storage"});
  if (!first || !finish || !end) return ErrorLeaf((!first ? first : !finish ? finish : end).error());
  if (size == 0) return std::nullopt;
  const std::int64_t length = static_cast<std::int64_t>(*finish - *first) / static_cast<std::int64_t>(size);
  const std::int64_t capacity = static_cast<std::int64_t>(*end - *first) / static_cast<std::int64_t>(size);
  Synthetic out;
  out.summary = fmt::format("std::vector of length {}, capacity {}", length, capacity);
  out.hint = Hint::kArray;
  out.has_children = length > 0;
  out.children = ArrayChildren(s, pointee, *first, length);
  return out;
}

std::optional<Synthetic> Deque(Impl& s, const Value& v, const Type* t) {
  const Type* element = TemplateArgument(s, t, 0);
  const std::uint64_t size = Strip(element) ? Strip(element)->size : 0;
  if (size == 0) return std::nullopt;
  const std::uint64_t buffer = size < 512 ? 512 / size : 1;
  auto start_cur = Word(s, v, {"_M_impl", "_M_start", "_M_cur"});
  auto start_last = Word(s, v, {"_M_impl", "_M_start", "_M_last"});
  auto start_node = Word(s, v, {"_M_impl", "_M_start", "_M_node"});
  auto finish_cur = Word(s, v, {"_M_impl", "_M_finish", "_M_cur"});
  auto finish_first = Word(s, v, {"_M_impl", "_M_finish", "_M_first"});
  auto finish_node = Word(s, v, {"_M_impl", "_M_finish", "_M_node"});
  for (const auto* r : {&start_cur, &start_last, &start_node, &finish_cur, &finish_first, &finish_node}) {
    if (!*r) return ErrorLeaf(r->error());
  }
  const std::int64_t ptr = static_cast<std::int64_t>(Ptr(s));
  const std::int64_t nodes = (static_cast<std::int64_t>(*finish_node - *start_node)) / ptr - 1;
  const std::int64_t length = static_cast<std::int64_t>(buffer) * nodes +
                              static_cast<std::int64_t>(*start_last - *start_cur) / static_cast<std::int64_t>(size) +
                              static_cast<std::int64_t>(*finish_cur - *finish_first) / static_cast<std::int64_t>(size);
  Synthetic out;
  out.summary = "std::deque with " + (length == 1 ? std::string("1 element") : fmt::format("{} elements", length));
  out.hint = Hint::kArray;
  out.has_children = *start_cur != *finish_cur;
  out.children = [&s, element, size, buffer, node = *start_node, p = *start_cur, end = *start_last,
                  last = *finish_cur, ptr](const Synthetic::Visit& visit) mutable -> std::optional<Error> {
    for (std::uint64_t i = 0; p != last && i < kMaxWalk; ++i) {
      if (!visit(fmt::format("[{}]", i), s.AtAddress(element, p))) break;
      p += size;
      if (p == end) {
        node += static_cast<std::uint64_t>(ptr);
        auto next = ReadPointer(s, node);
        if (!next) return next.error();
        p = *next;
        end = p + buffer * size;
      }
    }
    return std::nullopt;
  };
  return out;
}

// std::list and std::forward_list: nodes linked by their first word (the list's back to its
// head); the value after the links, aligned.
std::optional<Synthetic> List(Impl& s, const Value& v, const Type* t, std::string_view name) {
  const Type* element = TemplateArgument(s, t, 0);
  const bool forward = name == "std::forward_list";
  // A forward_list ends at a null link, so its head may be a value the compiler keeps in a
  // register; a list's last node links back to the head, whose address is needed.
  Result<std::uint64_t> head = forward ? std::uint64_t{0} : AddressOfField(s, v, {"_M_impl", "_M_node"});
  if (!head) return ErrorLeaf(head.error());
  auto first = forward ? Word(s, v, {"_M_impl", "_M_head", "_M_next"}) : ReadPointer(s, *head);
  if (!first) return ErrorLeaf(first.error());
  const std::uint64_t end = forward ? 0 : *head;
  return LinkedList(s, std::string(name), element, *first, end, 0, AlignUp((forward ? 1 : 2) * Ptr(s), AlignOf(element)));
}

// ---- associative containers ----

// The nodes of a red-black tree in order: _Rb_tree_node_base is {color, parent, left, right},
// each a pointer's size.
Result<std::uint64_t> NextInOrder(Impl& s, std::uint64_t node) {
  const std::uint64_t p = Ptr(s);
  auto right = ReadPointer(s, node + 3 * p);
  if (!right) return right;
  if (*right) {
    node = *right;
    for (std::uint64_t guard = 0; guard < 128; ++guard) {
      auto left = ReadPointer(s, node + 2 * p);
      if (!left) return left;
      if (!*left) return node;
      node = *left;
    }
    return EvalError("the tree is deeper than a balanced tree can be");
  }
  auto parent = ReadPointer(s, node + p);
  if (!parent) return parent;
  for (std::uint64_t guard = 0; guard < 128; ++guard) {
    auto parent_right = ReadPointer(s, *parent + 3 * p);
    if (!parent_right) return parent_right;
    if (node != *parent_right) break;
    node = *parent;
    parent = ReadPointer(s, node + p);
    if (!parent) return parent;
  }
  auto right_again = ReadPointer(s, node + 3 * p);
  if (!right_again) return right_again;
  return *right_again != *parent ? *parent : node;
}

std::optional<Synthetic> Tree(Impl& s, const Value& v, const Type* t, std::string_view name) {
  const bool is_map = name == "std::map" || name == "std::multimap";
  const auto layout = LayoutOf(s, t, is_map, 4 * Ptr(s));
  if (!layout) return std::nullopt;
  auto header = AddressOfField(s, v, {"_M_t", "_M_impl", "_M_header"});
  auto count = Word(s, v, {"_M_t", "_M_impl", "_M_node_count"});
  if (!header) return ErrorLeaf(header.error());
  if (!count) return ErrorLeaf(count.error());
  Synthetic out;
  out.summary = fmt::format("{} with {}", name, ElementCount(*count));
  out.hint = is_map ? Hint::kMap : Hint::kNone;
  out.has_children = *count > 0;
  out.children = [&s, layout = *layout, header = *header, count = *count](const Synthetic::Visit& visit) -> std::optional<Error> {
    auto node = ReadPointer(s, header + 2 * Ptr(s));  // the leftmost node
    if (!node) return node.error();
    std::optional<Error> error;
    for (std::uint64_t i = 0; i < count && i < kMaxWalk; ++i) {
      if (*node == header || *node == 0) return Error{Errc::kCorrupt, fmt::format("the tree ends after {} of its {} nodes", i, count)};
      if (!VisitNode(s, layout, *node, i, visit, &error)) return error;
      if (i + 1 < count) {
        node = NextInOrder(s, *node);
        if (!node) return node.error();
      }
    }
    return std::nullopt;
  };
  return out;
}

std::optional<Synthetic> Hashtable(Impl& s, const Value& v, const Type* t, std::string_view name) {
  const bool is_map = name == "std::unordered_map" || name == "std::unordered_multimap";
  const auto layout = LayoutOf(s, t, is_map, Ptr(s));
  if (!layout) return std::nullopt;
  auto first = Word(s, v, {"_M_h", "_M_before_begin", "_M_nxt"});
  auto count = Word(s, v, {"_M_h", "_M_element_count"});
  if (!first) return ErrorLeaf(first.error());
  if (!count) return ErrorLeaf(count.error());
  return HashNodes(s, name, is_map, *layout, *first, *count);
}

// ---- wrappers ----

// std::tuple's elements: _Tuple_impl<N, Head, Tail...> derives from _Tuple_impl<N+1, Tail...>
// and _Head_base<N, Head>, whose _M_head_impl is the element (or which is the element, when
// that is an empty class).
Result<std::vector<Value>> TupleElements(Impl& s, const Value& tuple) {
  std::vector<Value> elements;
  auto bases = [](const Value& v) {
    std::vector<const Member*> out;
    const Type* t = Strip(v.type);
    if (t) {
      for (const Member& m : t->members) {
        if (!m.is_static) out.push_back(&m);
      }
    }
    return out;
  };
  std::optional<Value> head = tuple;
  auto nodes = bases(*head);
  if (nodes.empty()) return elements;
  if (nodes.size() == 1 || (nodes.size() == 2 && TemplateName(Strip(nodes[1]->type)) == "std::__tuple_base")) {
    head = s.Slice(*head, *nodes[0]);
  }
  for (int guard = 0; head && guard < 256; ++guard) {
    nodes = bases(*head);
    if (nodes.empty()) break;
    if (nodes.size() > 2) return EvalError("Cannot parse more than 2 nodes in a tuple tree.");
    Value impl;
    if (nodes.size() == 1) {
      impl = s.Slice(*head, *nodes[0]);
      head.reset();
    } else {
      impl = s.Slice(*head, *nodes[1]);
      head = s.Slice(*head, *nodes[0]);
    }
    const Type* it = Strip(impl.type);
    if (it && !it->members.empty() && it->members[0].name == "_M_head_impl") impl = s.Slice(impl, it->members[0]);
    elements.push_back(impl);
  }
  return elements;
}

Result<std::uint64_t> UniquePointer(Impl& s, const Value& v) {
  auto inner = Field(s, v, {"_M_t"});
  if (!inner) return Unexpected(inner.error());
  // Since GCC 9 the tuple is inside a __uniq_ptr_impl (or __uniq_ptr_data).
  const Type* it = Strip(inner->type);
  if (it && TemplateName(it) != "std::tuple") {
    inner = Field(s, *inner, {"_M_t"});
    if (!inner) return Unexpected(inner.error());
  }
  auto elements = TupleElements(s, *inner);
  if (!elements) return Unexpected(elements.error());
  if (elements->empty()) return EvalError("Unsupported implementation for unique_ptr");
  return s.Bits(elements->front());
}

std::optional<Synthetic> UniquePtr(Impl& s, const Value& v, const Type* t) {
  auto pointer = Field(s, v, {"_M_t"});
  auto inner = pointer ? Field(s, *pointer, {"_M_t"}) : pointer;
  std::optional<Value> get;
  if (inner && TemplateName(Strip(pointer->type)) != "std::tuple") pointer = inner;
  if (pointer) {
    if (auto elements = TupleElements(s, *pointer); elements && !elements->empty()) get = elements->front();
  }
  if (!get) return std::nullopt;
  return Holding(fmt::format("std::unique_ptr<{}>", TypeText(TemplateArgument(s, t, 0))), *get);
}

std::optional<Synthetic> SharedPtr(Impl& s, const Value& v, const Type* t, std::string_view name) {
  auto pointer = Field(s, v, {"_M_ptr"});
  auto counts = Word(s, v, {"_M_refcount", "_M_pi"});
  if (!pointer) return ErrorLeaf(pointer.error());
  if (!counts) return ErrorLeaf(counts.error());
  if (!*counts) return SharedSummary(name, TemplateArgument(s, t, 0), *pointer, std::nullopt, 0);
  auto base = s.Read(*counts + Ptr(s), 8);  // _Sp_counted_base: vptr, _M_use_count, _M_weak_count
  if (!base) return ErrorLeaf(base.error());
  std::int32_t use = 0, weak = 0;
  std::memcpy(&use, base->data(), 4);
  std::memcpy(&weak, base->data() + 4, 4);
  // _M_weak_count holds one more while any shared_ptr lives.
  return SharedSummary(name, TemplateArgument(s, t, 0), *pointer, use, use == 0 ? weak : weak - 1);
}

std::optional<Synthetic> Optional(Impl& s, const Value& v, const Type* t) {
  const std::string name = fmt::format("std::optional<{}>", Recognized(s, TemplateArgument(s, t, 0)));
  auto engaged = Word(s, v, {"_M_payload", "_M_engaged"});
  auto payload = Field(s, v, {"_M_payload", "_M_payload"});
  if (!engaged) return ErrorLeaf(engaged.error());
  if (!payload) return ErrorLeaf(payload.error());
  if (auto value = s.MemberOf(*payload, "_M_value")) payload = value;
  if (!*engaged) return Leaf(name + " [no contained value]");
  return HoldingOne(s, name, *payload, Hint::kNone, name + " containing ");
}

std::optional<Synthetic> Variant(Impl& s, const Value& v, const Type* t) {
  std::string name = "std::variant<";
  for (std::size_t i = 0; i < t->template_parameters.size(); ++i) name += (i ? ", " : "") + Recognized(s, t->template_parameters[i].second);
  name += ">";
  auto index = Word(s, v, {"_M_index"});
  auto storage = Field(s, v, {"_M_u"});
  if (!index) return ErrorLeaf(index.error());
  if (!storage) return ErrorLeaf(storage.error());
  const std::uint64_t i = *index & 0xff;
  if (*index >= t->template_parameters.size()) return Leaf(name + " [no contained value]");
  Value held = *storage;
  held.type = t->template_parameters[i].second;
  if (held.where != Value::Where::kMemory) held.bytes.resize(std::min<std::size_t>(held.bytes.size(), Strip(held.type)->size));
  const std::string summary = fmt::format("{} [index {}]", name, i);
  return HoldingOne(s, summary, held, Hint::kArray, summary + " containing ");
}

std::optional<Synthetic> Tuple(Impl& s, const Value& v, const Type* t) {
  (void)t;
  auto elements = TupleElements(s, v);
  if (!elements) return ErrorLeaf(elements.error());
  Synthetic out;
  out.summary = elements->empty() ? "empty std::tuple" : "std::tuple containing";
  out.has_children = !elements->empty();
  out.children = [elements = std::move(*elements)](const Synthetic::Visit& visit) -> std::optional<Error> {
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (!visit(fmt::format("[{}]", i + 1), elements[i])) break;
    }
    return std::nullopt;
  };
  return out;
}

std::optional<Synthetic> Atomic(Impl& s, const Value& v, const Type* t) {
  const Type* held = TemplateArgument(s, t, 0);
  const Type* h = Strip(held);
  if (!h) return std::nullopt;
  Result<Value> value = EvalError("");
  if (h->kind == TypeKind::kPointer) value = Field(s, v, {"_M_b", "_M_p"});
  else if (h->kind == TypeKind::kFloat) value = Field(s, v, {"_M_fp"});
  else if (h->kind == TypeKind::kBool) value = Field(s, v, {"_M_base", "_M_i"});
  else value = Field(s, v, {"_M_i"});
  if (!value) return std::nullopt;
  return Leaf(fmt::format("std::atomic<{}> = {{ {} }}", TypeText(held), s.Format(*value, 0, false, 1)));
}

// ---- iterators: gdb shows the element they point at ----

std::optional<Synthetic> Iterator(Impl& s, const Value& v, const Type* t, std::string_view name) {
  auto show = [&](Result<Value> element) -> Synthetic {
    if (!element) return ErrorLeaf(element.error());
    return Leaf(s.Format(*element, 0, false, 1));
  };
  // A vector's and a deque's iterators hold a pointer to the element.
  if (name == "__gnu_cxx::__normal_iterator" || name == "std::_Deque_iterator") {
    const bool vector = name == "__gnu_cxx::__normal_iterator";
    auto current = Field(s, v, {vector ? "_M_current" : "_M_cur"});
    if (!current) return ErrorLeaf(current.error());
    auto address = s.Bits(*current);
    if (address && *address == 0) return Leaf(std::string("non-dereferenceable iterator for ") + (vector ? "std::vector" : "std::deque"));
    return show(s.Dereference(*current));
  }
  const Type* element = TemplateArgument(s, t, 0);
  auto node = Word(s, v, {name == "std::__detail::_Node_iterator" || name == "std::__detail::_Node_const_iterator" ? "_M_cur" : "_M_node"});
  if (!node) return ErrorLeaf(node.error());
  if (!element) return std::nullopt;
  std::uint64_t header = Ptr(s);
  std::string container = "unordered container";
  if (name == "std::_Rb_tree_iterator" || name == "std::_Rb_tree_const_iterator") {
    header = 4 * Ptr(s);
    container = "associative container";
  } else if (name == "std::_List_iterator" || name == "std::_List_const_iterator") {
    header = 2 * Ptr(s);
    container = "std::list";
  } else if (name == "std::_Fwd_list_iterator" || name == "std::_Fwd_list_const_iterator") {
    container = "std::forward_list";
  }
  if (*node == 0) return Leaf("non-dereferenceable iterator for " + container);
  return show(s.AtAddress(element, *node + AlignUp(header, AlignOf(element))));
}

}  // namespace

std::optional<Synthetic> StdPrinter(Evaluator::Impl& s, const Value& fetched) {
  const Type* t = Strip(fetched.type);
  if (!t || t->kind != TypeKind::kStruct || fetched.where == Value::Where::kOptimizedOut) return std::nullopt;
  const std::string_view name = TemplateName(t);
  if (name.empty()) return std::nullopt;
  // A value print fetched (or the history kept) still knows where it was: a list's or a tree's
  // nodes point back to its header there, so it is read in place.
  Value value = fetched;
  if (value.where == Value::Where::kComputed && value.address != 0) value.where = Value::Where::kMemory;
  if (name.rfind(kLibcxxNamespace, 0) == 0) return LibcxxPrinter(s, value, t, LibraryName(t));
  if (name == "std::__cxx11::basic_string" || name == "std::basic_string") return String(s, value, t);
  if (name == "std::basic_string_view" || name == "std::__cxx17::basic_string_view") return StringView(s, value, t);
  if (name == "std::vector") return Vector(s, value, t);
  if (name == "std::deque") return Deque(s, value, t);
  if (name == "std::__cxx11::list" || name == "std::list" || name == "std::forward_list") return List(s, value, t, name);
  if (name == "std::map" || name == "std::multimap" || name == "std::set" || name == "std::multiset") return Tree(s, value, t, name);
  if (name == "std::unordered_map" || name == "std::unordered_multimap" || name == "std::unordered_set" ||
      name == "std::unordered_multiset") {
    return Hashtable(s, value, t, name);
  }
  if (name == "std::unique_ptr") return UniquePtr(s, value, t);
  if (name == "std::shared_ptr" || name == "std::weak_ptr") return SharedPtr(s, value, t, name);
  if (name == "std::optional") return Optional(s, value, t);
  if (name == "std::variant") return Variant(s, value, t);
  if (name == "std::tuple") return Tuple(s, value, t);
  if (name == "std::atomic") return Atomic(s, value, t);
  if (name == "std::pair") return Pair(s, value);
  if (name == "__gnu_cxx::__normal_iterator" || name == "std::_Deque_iterator" || name == "std::_Rb_tree_iterator" ||
      name == "std::_Rb_tree_const_iterator" || name == "std::_List_iterator" || name == "std::_List_const_iterator" ||
      name == "std::_Fwd_list_iterator" || name == "std::_Fwd_list_const_iterator" ||
      name == "std::__detail::_Node_iterator" || name == "std::__detail::_Node_const_iterator") {
    return Iterator(s, value, t, name);
  }
  return std::nullopt;
}

std::optional<Result<Value>> StdSubscript(Evaluator::Impl& s, const Value& value, std::int64_t index) {
  const Type* t = Strip(value.type);
  if (!t || t->kind != TypeKind::kStruct) return std::nullopt;
  const std::string_view name = TemplateName(t);
  if (name.rfind(kLibcxxNamespace, 0) == 0) return LibcxxSubscript(s, value, t, LibraryName(t), index);
  if (name == "std::vector") {
    const Type* element = Strip(TemplateArgument(s, t, 0));
    if (element && element->kind == TypeKind::kBool) {
      auto start = Word(s, value, {"_M_impl", "_M_start", "_M_p"});
      if (!start) return Result<Value>(Unexpected(start.error()));
      if (index < 0) return Result<Value>(EvalError("no such vector element"));
      const std::uint64_t bits = Ptr(s) * 8, at = static_cast<std::uint64_t>(index);
      auto word = ReadPointer(s, *start + at / bits * Ptr(s));
      if (!word) return Result<Value>(Unexpected(word.error()));
      return Result<Value>(s.Scalar(TemplateArgument(s, t, 0), (*word >> (at % bits)) & 1));
    }
    auto start = Field(s, value, {"_M_impl", "_M_start"});
    if (!start) return Result<Value>(Unexpected(start.error()));
    return s.Element(*start, index);
  }
  if (name == "std::__cxx11::basic_string" || name == "std::basic_string") {
    auto data = Field(s, value, {"_M_dataplus", "_M_p"});
    if (!data) return Result<Value>(Unexpected(data.error()));
    return s.Element(*data, index);
  }
  if (name == "std::array") {
    auto elements = Field(s, value, {"_M_elems"});
    if (!elements) return Result<Value>(Unexpected(elements.error()));
    return s.Element(*elements, index);
  }
  if (name == "std::deque") {
    const Type* element = TemplateArgument(s, t, 0);
    const std::uint64_t size = Strip(element) ? Strip(element)->size : 0;
    if (!size) return std::nullopt;
    const std::int64_t buffer = size < 512 ? static_cast<std::int64_t>(512 / size) : 1;
    auto first = Word(s, value, {"_M_impl", "_M_start", "_M_first"});
    auto cur = Word(s, value, {"_M_impl", "_M_start", "_M_cur"});
    auto node = Word(s, value, {"_M_impl", "_M_start", "_M_node"});
    if (!first || !cur || !node) return Result<Value>(EvalError("Cannot read the deque"));
    const std::int64_t offset = index + static_cast<std::int64_t>(*cur - *first) / static_cast<std::int64_t>(size);
    const std::int64_t node_offset = offset >= 0 ? offset / buffer : -((-offset - 1) / buffer) - 1;
    auto block = ReadPointer(s, *node + static_cast<std::uint64_t>(node_offset) * Ptr(s));
    if (!block) return Result<Value>(Unexpected(block.error()));
    return Result<Value>(s.AtAddress(element, *block + static_cast<std::uint64_t>(offset - node_offset * buffer) * size));
  }
  return std::nullopt;
}

std::optional<Result<Value>> StdPointee(Evaluator::Impl& s, const Value& value) {
  const Type* t = Strip(value.type);
  if (!t || t->kind != TypeKind::kStruct) return std::nullopt;
  const std::string_view name = TemplateName(t);
  if (name.rfind(kLibcxxNamespace, 0) == 0) return LibcxxPointee(s, value, LibraryName(t));
  if (name == "std::unique_ptr") {
    auto pointer = UniquePointer(s, value);
    if (!pointer) return Result<Value>(Unexpected(pointer.error()));
    return Result<Value>(s.AtAddress(TemplateArgument(s, t, 0), *pointer));
  }
  if (name == "std::shared_ptr" || name == "std::weak_ptr") {
    auto pointer = Field(s, value, {"_M_ptr"});
    if (!pointer) return Result<Value>(Unexpected(pointer.error()));
    return s.Dereference(*pointer);
  }
  return std::nullopt;
}

}  // namespace corekit::eval
