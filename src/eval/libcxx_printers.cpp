// libc++'s containers and wrappers (clang's -stdlib=libc++, its stable ABI v1: std::__1::) read
// from their layout and shown in the text gdb's libstdc++ printers give the same values, so that
// a program reads the same in corekit whichever library it was built with. gdb has no printers
// for libc++; the layouts are the ones lldb's libc++ formatters read. Members are found by name
// through base classes and compressed pairs; node links are read by offset, one small read per
// node, as the libstdc++ printers do.
#include <fmt/format.h>

#include "printer_support.h"

namespace corekit::eval::printers {
namespace {

// A __compressed_pair's first element: its __value_, reached through the element's base.
Result<Value> First(Impl& s, const Value& v, const char* pair) { return Field(s, v, {pair, "__value_"}); }

Result<std::uint64_t> FirstWord(Impl& s, const Value& v, const char* pair) {
  auto field = First(s, v, pair);
  if (!field) return Unexpected(field.error());
  return s.Bits(*field);
}

// ---- strings ----

// basic_string's __rep is a union of a long form {cap, size, data} and a short form whose first
// byte holds the size and the long flag. libc++ 15 made them bit-fields (__is_long_, __size_);
// 14 and earlier pack them in the byte: the flag in bit 0 on little-endian machines (the size
// shifted left by one), in bit 7 on big-endian ones.
Result<std::pair<std::uint64_t, std::uint64_t>> StringDataAndLength(Impl& s, const Value& v) {
  auto rep = First(s, v, "__r_");
  if (!rep) return Unexpected(rep.error());
  auto shortform = Field(s, *rep, {"__s"});
  if (!shortform) return Unexpected(shortform.error());
  bool is_long = false;
  std::uint64_t short_size = 0;
  if (auto flag = Word(s, *shortform, {"__is_long_"})) {
    is_long = *flag != 0;
    auto size = Word(s, *shortform, {"__size_"});
    if (!size) return Unexpected(size.error());
    short_size = *size;
  } else {
    auto byte = Word(s, *shortform, {"__size_"});
    if (!byte) return Unexpected(byte.error());
    const std::uint64_t b = *byte & 0xff;
    if (s.target.abi().endian == elf::Endian::kBig) {
      is_long = (b & 0x80) != 0;
      short_size = b;
    } else {
      is_long = (b & 1) != 0;
      short_size = b >> 1;
    }
  }
  if (is_long) {
    auto data = Word(s, *rep, {"__l", "__data_"});
    auto size = Word(s, *rep, {"__l", "__size_"});
    if (!data) return Unexpected(data.error());
    if (!size) return Unexpected(size.error());
    return std::pair{*data, *size};
  }
  auto data = AddressOfField(s, *shortform, {"__data_"});
  if (!data) return Unexpected(data.error());
  return std::pair{*data, short_size};
}

std::optional<Synthetic> String(Impl& s, const Value& v, const Type* t) {
  auto text = StringDataAndLength(s, v);
  if (!text) return ErrorLeaf(text.error());
  return StringAt(s, TemplateArgument(s, t, 0), text->first, text->second);
}

std::optional<Synthetic> StringView(Impl& s, const Value& v, const Type* t) { return StringViewOf(s, v, t, "__data", "__size"); }

// ---- sequences ----

std::optional<Synthetic> VectorOfBool(Impl& s, const Value& v, const Type* element) {
  // Bits in words of __storage_type (size_t): __size_ bits, a capacity of __cap_alloc_ words.
  auto begin = Word(s, v, {"__begin_"});
  auto length = Word(s, v, {"__size_"});
  auto words = FirstWord(s, v, "__cap_alloc_");
  if (!begin || !length || !words) return ErrorLeaf((!begin ? begin : !length ? length : words).error());
  const std::uint64_t word = Ptr(s), bits = word * 8;
  Synthetic out;
  out.summary = fmt::format("std::vector<bool> of length {}, capacity {}", *length, *words * bits);
  out.hint = Hint::kArray;
  out.has_children = *length > 0;
  out.children = [&s, begin = *begin, length = *length, element, word, bits](const Synthetic::Visit& visit) -> std::optional<Error> {
    for (std::uint64_t i = 0; i < length && i < kMaxWalk; ++i) {
      auto w = ReadPointer(s, begin + i / bits * word);  // re-read per bit: a size_t is one small read
      if (!w) return w.error();
      if (!visit(fmt::format("[{}]", i), s.Scalar(element, (*w >> (i % bits)) & 1))) break;
    }
    return std::nullopt;
  };
  return out;
}

std::optional<Synthetic> Vector(Impl& s, const Value& v, const Type* t) {
  const Type* element = TemplateArgument(s, t, 0);
  if (Strip(element) && Strip(element)->kind == TypeKind::kBool) return VectorOfBool(s, v, element);
  auto begin = Field(s, v, {"__begin_"});
  if (!begin) return ErrorLeaf(begin.error());
  const Type* pointee = Strip(begin->type) && Strip(begin->type)->kind == TypeKind::kPointer ? Strip(begin->type)->target : element;
  const std::uint64_t size = Strip(pointee) ? Strip(pointee)->size : 0;
  auto first = s.Bits(*begin);
  auto end = Word(s, v, {"__end_"});
  auto capacity_end = FirstWord(s, v, "__end_cap_");
  if (!first || !end || !capacity_end) return ErrorLeaf((!first ? first : !end ? end : capacity_end).error());
  if (size == 0) return std::nullopt;
  const std::int64_t length = static_cast<std::int64_t>(*end - *first) / static_cast<std::int64_t>(size);
  const std::int64_t capacity = static_cast<std::int64_t>(*capacity_end - *first) / static_cast<std::int64_t>(size);
  Synthetic out;
  out.summary = fmt::format("std::vector of length {}, capacity {}", length, capacity);
  out.hint = Hint::kArray;
  out.has_children = length > 0;
  out.children = ArrayChildren(s, pointee, *first, length);
  return out;
}

// libc++'s deque: a map of blocks (a __split_buffer of pointers), the first element's index
// __start_ into them, __size_ elements. A block holds 4096 bytes of elements, at least 16.
std::uint64_t DequeBlock(std::uint64_t element_size) { return element_size < 256 ? 4096 / element_size : 16; }

struct DequeShape {
  std::uint64_t map = 0, start = 0, length = 0, block = 0;
};

Result<DequeShape> DequeOf(Impl& s, const Value& v, std::uint64_t element_size) {
  auto map = Word(s, v, {"__map_", "__begin_"});
  auto start = Word(s, v, {"__start_"});
  auto length = FirstWord(s, v, "__size_");
  if (!map) return Unexpected(map.error());
  if (!start) return Unexpected(start.error());
  if (!length) return Unexpected(length.error());
  return DequeShape{*map, *start, *length, DequeBlock(element_size)};
}

Result<std::uint64_t> DequeElement(Impl& s, const DequeShape& d, std::uint64_t i, std::uint64_t element_size) {
  const std::uint64_t at = d.start + i;
  auto block = ReadPointer(s, d.map + at / d.block * Ptr(s));
  if (!block) return block;
  return *block + at % d.block * element_size;
}

std::optional<Synthetic> Deque(Impl& s, const Value& v, const Type* t) {
  const Type* element = TemplateArgument(s, t, 0);
  const std::uint64_t size = Strip(element) ? Strip(element)->size : 0;
  if (size == 0) return std::nullopt;
  auto shape = DequeOf(s, v, size);
  if (!shape) return ErrorLeaf(shape.error());
  Synthetic out;
  out.summary = "std::deque with " + ElementCount(shape->length);
  out.hint = Hint::kArray;
  out.has_children = shape->length > 0;
  out.children = [&s, element, size, d = *shape](const Synthetic::Visit& visit) -> std::optional<Error> {
    for (std::uint64_t i = 0; i < d.length && i < kMaxWalk; ++i) {
      auto at = DequeElement(s, d, i, size);
      if (!at) return at.error();
      if (!visit(fmt::format("[{}]", i), s.AtAddress(element, *at))) break;
    }
    return std::nullopt;
  };
  return out;
}

// list nodes are {__prev_, __next_, __value_}, the last linking back to the list's __end_;
// forward_list nodes {__next_, __value_}, the last null.
std::optional<Synthetic> List(Impl& s, const Value& v, const Type* t, bool forward) {
  const Type* element = TemplateArgument(s, t, 0);
  Result<std::uint64_t> end = forward ? std::uint64_t{0} : AddressOfField(s, v, {"__end_"});
  if (!end) return ErrorLeaf(end.error());
  auto first = forward ? Word(s, v, {"__before_begin_", "__value_", "__next_"}) : Word(s, v, {"__end_", "__next_"});
  if (!first) return ErrorLeaf(first.error());
  const std::uint64_t value_offset = AlignUp((forward ? 1 : 2) * Ptr(s), AlignOf(element));
  return LinkedList(s, forward ? "std::forward_list" : "std::list", element, *first, *end, forward ? 0 : Ptr(s), value_offset);
}

// ---- associative containers ----

// A tree node is {__left_, __right_, __parent_, __is_black_} and then the value; the tree's end
// node (in the container) has only __left_, the root, and is the root's parent.
struct TreeLinks {
  std::uint64_t right, parent;
};

Result<std::uint64_t> NextInOrder(Impl& s, std::uint64_t node, const TreeLinks& links) {
  auto right = ReadPointer(s, node + links.right);
  if (!right) return right;
  if (*right) {
    node = *right;
    for (int guard = 0; guard < 128; ++guard) {
      auto left = ReadPointer(s, node);
      if (!left) return left;
      if (!*left) return node;
      node = *left;
    }
    return EvalError("the tree is deeper than a balanced tree can be");
  }
  for (int guard = 0; guard < 128; ++guard) {  // up while node is its parent's right child
    auto parent = ReadPointer(s, node + links.parent);
    if (!parent) return parent;
    auto parent_left = ReadPointer(s, *parent);
    if (!parent_left) return parent_left;
    if (*parent_left == node) return *parent;
    node = *parent;
  }
  return EvalError("the tree is deeper than a balanced tree can be");
}

std::optional<Synthetic> Tree(Impl& s, const Value& v, const Type* t, const std::string& name) {
  const bool is_map = name == "std::map" || name == "std::multimap";
  const auto layout = LayoutOf(s, t, is_map, 3 * Ptr(s) + 1);
  if (!layout) return std::nullopt;
  auto begin = Word(s, v, {"__tree_", "__begin_node_"});
  auto end = AddressOfField(s, v, {"__tree_", "__pair1_"});
  auto count = Word(s, v, {"__tree_", "__pair3_", "__value_"});
  if (!begin || !end || !count) return ErrorLeaf((!begin ? begin : !end ? end : count).error());
  Synthetic out;
  out.summary = fmt::format("{} with {}", name, ElementCount(*count));
  out.hint = is_map ? Hint::kMap : Hint::kNone;
  out.has_children = *count > 0;
  out.children = [&s, layout = *layout, node = *begin, end = *end, count = *count](const Synthetic::Visit& visit) mutable -> std::optional<Error> {
    const TreeLinks links{Ptr(s), 2 * Ptr(s)};
    std::optional<Error> error;
    for (std::uint64_t i = 0; i < count && i < kMaxWalk; ++i) {
      if (node == end || node == 0) return Error{Errc::kCorrupt, fmt::format("the tree ends after {} of its {} nodes", i, count)};
      if (!VisitNode(s, layout, node, i, visit, &error)) return error;
      if (i + 1 < count) {
        auto next = NextInOrder(s, node, links);
        if (!next) return next.error();
        node = *next;
      }
    }
    return std::nullopt;
  };
  return out;
}

// A hash table's nodes are one list from __p1_'s __next_: {__next_, __hash_, __value_}.
std::optional<Synthetic> Hashtable(Impl& s, const Value& v, const Type* t, const std::string& name) {
  const bool is_map = name == "std::unordered_map" || name == "std::unordered_multimap";
  const auto layout = LayoutOf(s, t, is_map, 2 * Ptr(s));
  if (!layout) return std::nullopt;
  auto first = Word(s, v, {"__table_", "__p1_", "__value_", "__next_"});
  auto count = Word(s, v, {"__table_", "__p2_", "__value_"});
  if (!first) return ErrorLeaf(first.error());
  if (!count) return ErrorLeaf(count.error());
  return HashNodes(s, name, is_map, *layout, *first, *count);
}

// ---- wrappers ----

std::optional<Synthetic> UniquePtr(Impl& s, const Value& v, const Type* t) {
  auto get = First(s, v, "__ptr_");
  if (!get) return std::nullopt;
  return Holding(fmt::format("std::unique_ptr<{}>", TypeText(TemplateArgument(s, t, 0))), *get);
}

// __cntrl_ points at a __shared_weak_count: {vptr, __shared_owners_, __shared_weak_owners_},
// each count one less than the owners it counts (__shared_weak_owners_ counts the shared
// owners as one weak owner while any lives).
std::optional<Synthetic> SharedPtr(Impl& s, const Value& v, const Type* t, std::string_view name) {
  auto pointer = Field(s, v, {"__ptr_"});
  auto control = Word(s, v, {"__cntrl_"});
  if (!pointer) return ErrorLeaf(pointer.error());
  if (!control) return ErrorLeaf(control.error());
  if (!*control) return SharedSummary(name, TemplateArgument(s, t, 0), *pointer, std::nullopt, 0);
  auto owners = ReadPointer(s, *control + Ptr(s));
  auto weak_owners = ReadPointer(s, *control + 2 * Ptr(s));
  if (!owners) return ErrorLeaf(owners.error());
  if (!weak_owners) return ErrorLeaf(weak_owners.error());
  const auto signed_word = [&s](std::uint64_t w) {
    return Ptr(s) == 8 ? static_cast<std::int64_t>(w) : static_cast<std::int64_t>(static_cast<std::int32_t>(w));
  };
  const std::int64_t use = signed_word(*owners) + 1;
  const std::int64_t weak = signed_word(*weak_owners) + (use == 0 ? 1 : 0);
  return SharedSummary(name, TemplateArgument(s, t, 0), *pointer, use, weak);
}

std::optional<Synthetic> Optional(Impl& s, const Value& v, const Type* t) {
  const std::string name = fmt::format("std::optional<{}>", Recognized(s, TemplateArgument(s, t, 0)));
  auto engaged = Word(s, v, {"__engaged_"});
  auto held = Field(s, v, {"__val_"});
  if (!engaged) return ErrorLeaf(engaged.error());
  if (!held) return ErrorLeaf(held.error());
  if (!*engaged) return Leaf(name + " [no contained value]");
  return HoldingOne(s, name, *held, Hint::kNone, name + " containing ");
}

// variant's __impl holds __index (npos: all ones of its type when valueless) and __data, a
// recursive union: alternative i is i __tail_s down, in its __head's __value.
std::optional<Synthetic> Variant(Impl& s, const Value& v, const Type* t) {
  std::string name = "std::variant<";
  for (std::size_t i = 0; i < t->template_parameters.size(); ++i) name += (i ? ", " : "") + Recognized(s, t->template_parameters[i].second);
  name += ">";
  auto index = Field(s, v, {"__impl", "__index"});
  if (!index) index = Field(s, v, {"__impl_", "__index"});
  if (!index) return ErrorLeaf(index.error());
  auto i = s.Bits(*index);
  if (!i) return ErrorLeaf(i.error());
  if (*i >= t->template_parameters.size()) return Leaf(name + " [no contained value]");
  auto storage = Field(s, v, {"__impl", "__data"});
  if (!storage) storage = Field(s, v, {"__impl_", "__data"});
  if (!storage) return ErrorLeaf(storage.error());
  Value held = *storage;
  for (std::uint64_t k = 0; k < *i; ++k) {
    auto tail = s.MemberOf(held, "__tail");
    if (!tail) return ErrorLeaf(tail.error());
    held = std::move(*tail);
  }
  auto value = Field(s, held, {"__head", "__value"});
  if (!value) return ErrorLeaf(value.error());
  const std::string summary = fmt::format("{} [index {}]", name, *i);
  return HoldingOne(s, summary, *value, Hint::kArray, summary + " containing ");
}

// tuple's __base_ derives from one __tuple_leaf<i, T> per element, whose __value_ is the element
// (or which is the element's empty class itself).
std::optional<Synthetic> Tuple(Impl& s, const Value& v) {
  auto base = Field(s, v, {"__base_"});
  if (!base) return ErrorLeaf(base.error());
  std::vector<Value> elements;
  if (const Type* b = Strip(base->type)) {
    for (const Member& m : b->members) {
      if (!m.is_base) continue;
      Value leaf = s.Slice(*base, m);
      if (auto value = s.MemberOf(leaf, "__value_")) leaf = std::move(*value);
      elements.push_back(std::move(leaf));
    }
  }
  Synthetic out;
  out.summary = elements.empty() ? "empty std::tuple" : "std::tuple containing";
  out.has_children = !elements.empty();
  out.children = [elements = std::move(elements)](const Synthetic::Visit& visit) -> std::optional<Error> {
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (!visit(fmt::format("[{}]", i + 1), elements[i])) break;
    }
    return std::nullopt;
  };
  return out;
}

std::optional<Synthetic> Atomic(Impl& s, const Value& v, const Type* t) {
  auto value = Field(s, v, {"__a_", "__a_value"});
  if (!value) return std::nullopt;
  return Leaf(fmt::format("std::atomic<{}> = {{ {} }}", TypeText(TemplateArgument(s, t, 0)), s.Format(*value, 0, false, 1)));
}

// ---- iterators: gdb shows the element they point at ----

std::optional<Synthetic> Iterator(Impl& s, const Value& v, const std::string& name) {
  auto show = [&](Result<Value> element) -> Synthetic {
    if (!element) return ErrorLeaf(element.error());
    return Leaf(s.Format(*element, 0, false, 1));
  };
  if (name == "std::__wrap_iter") {  // a vector's or a string's: a pointer to the element
    auto current = Field(s, v, {"__i"});
    if (!current) current = Field(s, v, {"__i_"});
    if (!current) return ErrorLeaf(current.error());
    auto address = s.Bits(*current);
    if (address && *address == 0) return Leaf("non-dereferenceable iterator for std::vector");
    return show(s.Dereference(*current));
  }
  // A map's iterator wraps the tree's; the tree's and the list's hold the node.
  Value inner = v;
  if (name == "std::__map_iterator" || name == "std::__map_const_iterator") {
    auto tree = Field(s, v, {"__i_"});
    if (!tree) return ErrorLeaf(tree.error());
    inner = *tree;
  }
  auto node = Word(s, inner, {"__ptr_"});
  if (!node) return ErrorLeaf(node.error());
  const bool list = name == "std::__list_iterator" || name == "std::__list_const_iterator";
  const std::string container = list ? "std::list" : "associative container";
  if (*node == 0) return Leaf("non-dereferenceable iterator for " + container);
  const Type* element = TemplateArgument(s, Strip(inner.type), 0);
  if (!element) return std::nullopt;
  if (name == "std::__map_iterator" || name == "std::__map_const_iterator") {
    // The tree iterator's value type is __value_type<K, V>, holding the pair as __cc.
    const std::uint64_t at = *node + AlignUp(3 * Ptr(s) + 1, AlignOf(element));
    auto pair = Field(s, s.AtAddress(element, at), {"__cc"});
    return show(pair);
  }
  const std::uint64_t header = list ? 2 * Ptr(s) : 3 * Ptr(s) + 1;
  return show(s.AtAddress(element, *node + AlignUp(header, AlignOf(element))));
}

}  // namespace

std::optional<Synthetic> LibcxxPrinter(Impl& s, const Value& value, const Type* t, const std::string& name) {
  if (name == "std::basic_string") return String(s, value, t);
  if (name == "std::basic_string_view") return StringView(s, value, t);
  if (name == "std::vector") return Vector(s, value, t);
  if (name == "std::deque") return Deque(s, value, t);
  if (name == "std::list" || name == "std::forward_list") return List(s, value, t, name == "std::forward_list");
  if (name == "std::map" || name == "std::multimap" || name == "std::set" || name == "std::multiset") return Tree(s, value, t, name);
  if (name == "std::unordered_map" || name == "std::unordered_multimap" || name == "std::unordered_set" ||
      name == "std::unordered_multiset") {
    return Hashtable(s, value, t, name);
  }
  if (name == "std::unique_ptr") return UniquePtr(s, value, t);
  if (name == "std::shared_ptr" || name == "std::weak_ptr") return SharedPtr(s, value, t, name);
  if (name == "std::optional") return Optional(s, value, t);
  if (name == "std::variant") return Variant(s, value, t);
  if (name == "std::tuple") return Tuple(s, value);
  if (name == "std::atomic") return Atomic(s, value, t);
  if (name == "std::pair") return Pair(s, value);
  if (name == "std::__wrap_iter" || name == "std::__list_iterator" || name == "std::__list_const_iterator" ||
      name == "std::__tree_iterator" || name == "std::__tree_const_iterator" || name == "std::__map_iterator" ||
      name == "std::__map_const_iterator") {
    return Iterator(s, value, name);
  }
  return std::nullopt;
}

std::optional<Result<Value>> LibcxxSubscript(Impl& s, const Value& value, const Type* t, const std::string& name, std::int64_t index) {
  if (name == "std::vector") {
    const Type* element = Strip(TemplateArgument(s, t, 0));
    if (element && element->kind == TypeKind::kBool) {
      auto begin = Word(s, value, {"__begin_"});
      if (!begin) return Result<Value>(Unexpected(begin.error()));
      if (index < 0) return Result<Value>(EvalError("no such vector element"));
      const std::uint64_t bits = Ptr(s) * 8, at = static_cast<std::uint64_t>(index);
      auto word = ReadPointer(s, *begin + at / bits * Ptr(s));
      if (!word) return Result<Value>(Unexpected(word.error()));
      return Result<Value>(s.Scalar(TemplateArgument(s, t, 0), (*word >> (at % bits)) & 1));
    }
    auto begin = Field(s, value, {"__begin_"});
    if (!begin) return Result<Value>(Unexpected(begin.error()));
    return s.Element(*begin, index);
  }
  if (name == "std::basic_string") {
    auto text = StringDataAndLength(s, value);
    if (!text) return Result<Value>(Unexpected(text.error()));
    if (index < 0) return Result<Value>(EvalError("no such string element"));
    return Result<Value>(s.AtAddress(TemplateArgument(s, t, 0), text->first + static_cast<std::uint64_t>(index) * Strip(TemplateArgument(s, t, 0))->size));
  }
  if (name == "std::array") {
    auto elements = Field(s, value, {"__elems_"});
    if (!elements) return Result<Value>(Unexpected(elements.error()));
    return s.Element(*elements, index);
  }
  if (name == "std::deque") {
    const Type* element = TemplateArgument(s, t, 0);
    const std::uint64_t size = Strip(element) ? Strip(element)->size : 0;
    if (!size) return std::nullopt;
    auto shape = DequeOf(s, value, size);
    if (!shape) return Result<Value>(Unexpected(shape.error()));
    if (index < 0) return Result<Value>(EvalError("no such deque element"));
    auto at = DequeElement(s, *shape, static_cast<std::uint64_t>(index), size);
    if (!at) return Result<Value>(Unexpected(at.error()));
    return Result<Value>(s.AtAddress(element, *at));
  }
  return std::nullopt;
}

std::optional<Result<Value>> LibcxxPointee(Impl& s, const Value& value, const std::string& name) {
  if (name == "std::unique_ptr") {
    auto pointer = First(s, value, "__ptr_");
    if (!pointer) return Result<Value>(Unexpected(pointer.error()));
    return s.Dereference(*pointer);
  }
  if (name == "std::shared_ptr" || name == "std::weak_ptr") {
    auto pointer = Field(s, value, {"__ptr_"});
    if (!pointer) return Result<Value>(Unexpected(pointer.error()));
    return s.Dereference(*pointer);
  }
  return std::nullopt;
}

}  // namespace corekit::eval::printers
