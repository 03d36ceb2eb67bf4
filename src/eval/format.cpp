// Values printed as gdb prints them with its default settings (print elements 200, repeats 10,
// print symbol on, print null-stop off): integers, chars with their quoted character, enums by
// name, floats with all significant digits, pointers with <symbol+offset> and char pointers with
// the string, structs as {name = value, ...}, arrays with runs folded into <repeats N times>,
// char arrays as strings, references as @address: value.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>

#include "impl.h"
#include "std_printers.h"

namespace corekit::eval {
namespace {

constexpr int kMaxDepth = 32;

// A new line indented by n spaces (built in one piece: g++ 12 -O3 falsely warns, -Wrestrict, on
// "\n" + std::string).
std::string Indent(int n) {
  std::string text(1 + static_cast<std::size_t>(std::max(n, 0)), ' ');
  text[0] = '\n';
  return text;
}

// A code unit as gdb writes it inside quotes: the character when printable ASCII, else an escape.
std::string EscapedUnit(std::uint32_t u, char quote) {
  if (u < 0x100) return EscapedChar(static_cast<unsigned char>(u), quote);
  return fmt::format("\\x{:x}", u);
}

template <typename F>
std::string FloatText(F value) {
  if (std::isnan(value)) {
    std::uint64_t mantissa = 0;
    if constexpr (sizeof(F) == 4) {
      std::uint32_t bits;
      std::memcpy(&bits, &value, 4);
      mantissa = bits & 0x7fffff;
    } else {
      std::uint64_t bits;
      std::memcpy(&bits, &value, 8);
      mantissa = bits & 0xfffffffffffffull;
    }
    return fmt::format("{}nan({:#x})", std::signbit(value) ? "-" : "", mantissa);
  }
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", std::numeric_limits<F>::max_digits10, static_cast<double>(value));
  return buffer;
}

std::string LongDoubleText(long double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%.*Lg", std::numeric_limits<long double>::max_digits10, value);
  return buffer;
}

std::string Binary(std::uint64_t v) {
  if (v == 0) return "0";
  std::string s;
  for (; v; v >>= 1) s.insert(s.begin(), static_cast<char>('0' + (v & 1)));
  return s;
}

}  // namespace

std::string QuotedUnits(const std::vector<std::uint32_t>& units, const std::string& prefix, bool truncated, unsigned repeats) {
  std::string out;
  bool in_quotes = false;
  const std::size_t threshold = repeats == 0 ? static_cast<std::size_t>(-1) : repeats;
  for (std::size_t i = 0; i < units.size();) {
    std::size_t run = 1;
    while (i + run < units.size() && units[i + run] == units[i]) ++run;
    if (run > threshold) {
      if (in_quotes) {
        out += "\"";
        in_quotes = false;
      }
      if (!out.empty()) out += ", ";
      out += fmt::format("{}'{}' <repeats {} times>", prefix, EscapedUnit(units[i], '\''), run);
    } else {
      if (!in_quotes) {
        if (!out.empty()) out += ", ";
        out += prefix + "\"";
        in_quotes = true;
      }
      for (std::size_t k = 0; k < run; ++k) out += EscapedUnit(units[i], '"');
    }
    i += run;
  }
  if (in_quotes) out += "\"";
  if (out.empty()) out = prefix + "\"\"";
  if (truncated) out += "...";
  return out;
}

std::string EscapedChar(unsigned char c, char quote) {
  switch (c) {
    case '\a': return "\\a";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\v': return "\\v";
    case '\\': return "\\\\";
    default:
      if (c == static_cast<unsigned char>(quote)) return std::string("\\") + quote;
      if (c >= 0x20 && c < 0x7f) return std::string(1, static_cast<char>(c));
      return fmt::format("\\{:03o}", c);
  }
}

std::string Evaluator::Impl::Format(const Value& value, char letter, bool top_level, int depth, bool deref_references) {
  if (depth > kMaxDepth) return "...";
  const Type* t = Strip(value.type);
  if (value.where == Value::Where::kOptimizedOut) {
    // An empty class has nothing to lose (the byte it occupies may be a dropped piece's).
    if (t && (t->kind == TypeKind::kStruct || t->kind == TypeKind::kUnion) && !t->declaration && t->members.empty()) {
      return "{<No data fields>}";
    }
    return value.not_saved ? "<not saved>" : "<optimized out>";
  }
  if (!t || t->kind == TypeKind::kVoid) return "void";
  if (t->kind == TypeKind::kUnavailable) return "<unavailable>";
  // A scalar some of whose bytes the compiler dropped (an aggregate shows its members instead).
  if (!value.missing.empty() && t->kind != TypeKind::kStruct && t->kind != TypeKind::kUnion && t->kind != TypeKind::kArray) {
    return "<optimized out>";
  }
  // gdb's `print elements`: 0 is unlimited (a walk is still bounded by what the core holds).
  const std::uint64_t elements = options.elements == 0 ? std::numeric_limits<std::uint32_t>::max() : options.elements;
  auto error_text = [](const Error& e) { return "<error: " + e.message + ">"; };
  auto symbolic = [this](std::uint64_t address) -> std::string {
    auto symbol = CodeLabel(address);
    if (!symbol) symbol = unwinder.SymbolAt(address);
    if (!symbol) return "";
    return symbol->second ? fmt::format(" <{}+{}>", symbol->first, symbol->second) : fmt::format(" <{}>", symbol->first);
  };

  if (t->member_pointer) {
    // A null pointer to member (its first word, the function or the offset, zero) in any format.
    if (auto bytes = Contents(value); bytes && bytes->size() >= std::min<std::uint64_t>(t->size, 8) &&
                                      std::all_of(bytes->begin(), bytes->begin() + static_cast<long>(std::min<std::uint64_t>(t->size, 8)),
                                                  [](std::uint8_t b) { return b == 0; })) {
      return "NULL";
    }
  }
  switch (t->kind) {
    case TypeKind::kReference: {
      auto referent = Coerced(value);
      if (!referent) return error_text(referent.error());
      // The standard library's printers look through references (their lookup strips them),
      // members' too, which otherwise print as their address alone.
      if (!raw) {
        if (auto synthetic = StdPrinter(*this, *referent)) return FormatSynthetic(*synthetic, letter, depth);
      }
      std::string text = options.address ? fmt::format("@{:#x}", referent->address) : std::string();
      if (deref_references) text += (text.empty() ? "" : ": ") + Format(*referent, letter, false, depth);
      return top_level ? fmt::format("({}) {}", TypeName(value.type), text) : text;
    }
    case TypeKind::kFunction:
      return fmt::format("{{{}}} {:#x}{}", TypeName(value.type), value.address, symbolic(value.address));
    case TypeKind::kStruct:
    case TypeKind::kUnion: {
      const Type* full = t;
      if (t->declaration) {
        if (auto found = NamedType(t->keyword, t->name); found && !(*found)->declaration) full = *found;
        if (full->declaration) return "<incomplete type>";
      }
      if (!raw) {
        Value typed = value;
        typed.type = full;
        if (auto synthetic = StdPrinter(*this, typed)) return FormatSynthetic(*synthetic, letter, depth);
      }
      return FormatStruct(value, full, letter, depth);
    }
    case TypeKind::kArray: {
      const Type* element = t->target;
      const Type* es = Strip(element);
      const std::uint64_t count = t->count.value_or(0);
      const std::uint64_t esize = es ? es->size : 0;
      if (count == 0 || esize == 0) return "{}";
      if (es->kind == TypeKind::kChar && esize == 1 && (letter == 0 || letter == 's')) {
        const std::uint64_t shown = std::min<std::uint64_t>(count, elements);
        Value head = value;
        if (value.where == Value::Where::kMemory) head.type = types.ArrayOf(element, shown);
        auto bytes = Contents(head);
        if (!bytes) return error_text(bytes.error());
        std::vector<std::uint8_t> chars(bytes->begin(), bytes->begin() + std::min<std::size_t>(bytes->size(), shown));
        bool truncated = count > elements;
        if (options.null_stop) {
          if (auto nul = std::find(chars.begin(), chars.end(), 0); nul != chars.end()) {
            chars.erase(nul, chars.end());
            truncated = false;
          }
        }
        if (!truncated && !chars.empty() && chars.back() == 0) chars.pop_back();
        return QuotedUnits(std::vector<std::uint32_t>(chars.begin(), chars.end()), "", truncated, options.repeats);
      }
      std::string text = "{";
      std::size_t printed = 0;
      std::uint64_t i = 0;
      auto element_bytes = [&](std::uint64_t index) -> Result<std::vector<std::uint8_t>> {
        auto e = Element(value, static_cast<std::int64_t>(index));
        if (!e) return Unexpected(e.error());
        return Contents(*e);
      };
      const std::uint64_t threshold = options.repeats == 0 ? std::numeric_limits<std::uint64_t>::max() : options.repeats;
      for (; i < count && printed < elements;) {
        auto e = Element(value, static_cast<std::int64_t>(i));
        if (!e) return text + error_text(e.error()) + "}";
        auto mine = Contents(*e);
        std::uint64_t run = 1;
        if (mine) {
          while (i + run < count) {
            auto next = element_bytes(i + run);
            if (!next || *next != *mine) break;
            ++run;
          }
        }
        if (i) text += ", ";
        text += Format(*e, letter, false, depth + 1);
        if (run > threshold) {
          text += fmt::format(" <repeats {} times>", run);
          i += run;
          printed += threshold;
        } else {
          ++i;
          ++printed;
        }
      }
      if (i < count) text += "...";
      return text + "}";
    }
    default:
      break;
  }

  // Scalars.
  if (!t->no_debug_symbol.empty()) {
    auto bits = Bits(value);  // data of unknown type: gdb's error
    if (!bits) return error_text(bits.error());
  }
  if (t->kind == TypeKind::kFloat && (letter == 0 || letter == 'f')) {
    auto bytes = Contents(value);
    if (!bytes) return error_text(bytes.error());
    if (t->size == 4 && bytes->size() >= 4) {
      float f;
      std::memcpy(&f, bytes->data(), 4);
      return FloatText(f);
    }
    if (t->size == 8 && bytes->size() >= 8) {
      double d;
      std::memcpy(&d, bytes->data(), 8);
      return FloatText(d);
    }
    long double ld = 0;
    std::memcpy(&ld, bytes->data(), std::min<std::size_t>(bytes->size(), sizeof ld));
    return LongDoubleText(ld);
  }
  std::uint64_t bits = 0;
  if (t->kind == TypeKind::kFloat) {
    auto i = AsInteger(value);  // print/x 2.5 is 0x2, as in gdb
    if (!i) return error_text(i.error());
    bits = static_cast<std::uint64_t>(*i);
  } else {
    auto b = Bits(value);
    if (!b) return error_text(b.error());
    bits = *b;
  }
  const unsigned width = value.bit_size ? value.bit_size : static_cast<unsigned>(std::min<std::uint64_t>(t->size, 8) * 8);
  const std::uint64_t mask = width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
  auto signed_value = [&] {
    if (width >= 64) return static_cast<std::int64_t>(bits);
    std::uint64_t v = bits & mask;
    if ((v >> (width - 1)) & 1) v |= ~mask;
    return static_cast<std::int64_t>(v);
  };
  switch (letter) {
    case 'x': return fmt::format("{:#x}", bits & mask);
    case 'z': return fmt::format("0x{:0{}x}", bits & mask, (width + 3) / 4);
    case 'o': return (bits & mask) ? fmt::format("0{:o}", bits & mask) : "0";
    case 't': return Binary(bits & mask);
    case 'd': return fmt::format("{}", signed_value());
    case 'u': return fmt::format("{}", bits & mask);
    case 'a': return fmt::format("{:#x}", bits & mask) + symbolic(bits & mask);
    case 'c': {
      const auto c = static_cast<std::int8_t>(bits & 0xff);
      return fmt::format("{} '{}'", t->is_signed || t->kind != TypeKind::kChar ? static_cast<int>(c) : static_cast<int>(bits & 0xff),
                         EscapedChar(static_cast<unsigned char>(c), '\''));
    }
    default:
      break;
  }
  switch (t->kind) {
    case TypeKind::kBool:
      return bits == 0 ? "false" : bits == 1 ? "true" : fmt::format("{}", bits);
    case TypeKind::kChar:
      return fmt::format("{} '{}'", t->is_signed ? signed_value() : static_cast<std::int64_t>(bits & mask),
                         EscapedChar(static_cast<unsigned char>(bits & 0xff), '\''));
    case TypeKind::kEnum: {
      const std::int64_t v = t->is_signed ? signed_value() : static_cast<std::int64_t>(bits & mask);
      for (const auto& [name, number] : t->enumerators) {
        if (number == v) return name;
      }
      return fmt::format("{}", v);
    }
    case TypeKind::kPointer: {
      const std::uint64_t address = bits & mask;
      const Type* target = Strip(t->target);
      std::string text = fmt::format("{:#x}", address);
      if (target && target->kind == TypeKind::kChar && target->size == 1) {
        if (address != 0) {
          text += symbolic(address);  // a named string: 0x... <__PRETTY_FUNCTION__.0> "main"
          // A C string: up to `print elements` characters, then "..." when it goes on.
          std::vector<std::uint8_t> chars;
          std::string trailer;
          std::uint8_t byte = 0;
          for (std::uint64_t n = 0; n <= elements; ++n) {
            if (!target_read(address + n, &byte)) {
              trailer = fmt::format("<error: Cannot access memory at address {:#x}>", address + n);
              break;
            }
            if (byte == 0) break;
            if (n == elements) {
              trailer = "...";
              break;
            }
            chars.push_back(byte);
          }
          if (!chars.empty() || trailer.empty()) text += " " + QuotedUnits(std::vector<std::uint32_t>(chars.begin(), chars.end()), "", false, options.repeats) + trailer;
          else text += " " + trailer;
        }
        // `print address off`: the string (or the symbol) without the address.
        if (!options.address) text = address == 0 ? "0x0" : text.substr(text.find(' ') + 1);
        return text;  // gdb shows no type prefix for strings
      }
      text = options.address ? text + symbolic(address) : (symbolic(address).empty() ? "" : symbolic(address).substr(1));
      return top_level ? "(" + TypeName(value.type) + ") " + text : text;
    }
    default:
      return t->is_signed ? fmt::format("{}", signed_value()) : fmt::format("{}", bits & mask);
  }
}

// gdb's cp_print_value_fields: base classes first ("<Base> = {...}, "), then the members; with
// `print pretty`, one per line indented two spaces a level, "members of T:" after the bases.
std::string Evaluator::Impl::FormatStruct(const Value& value, const Type* full, char letter, int depth) {
  auto bytes = Contents(value);
  if (!bytes) return "<error: " + bytes.error().message + ">";
  // Members are sliced from the bytes just read: one read for the struct, not one per member.
  Value whole = value;
  if (value.where == Value::Where::kMemory && bytes->size() >= full->size) {
    whole.where = Value::Where::kComputed;
    whole.bytes = std::move(*bytes);
  }
  const bool pretty = options.pretty;
  std::string text = "{";
  bool bases = false, fields_seen = false;
  // gdb counts the static members as fields even when it does not print them.
  const bool has_fields = std::any_of(full->members.begin(), full->members.end(), [](const Member& m) { return !m.is_base; });
  for (const Member& m : full->members) {
    if (m.is_static && !options.static_members) continue;
    if (m.is_base) {
      if (pretty) text += Indent(2 + 2 * depth);
      // The class's own name, not the typedef a base may be declared with (clang's _Tp_alloc_type).
      text += fmt::format("<{}> = {}, ", TypeName(Strip(m.type)), Format(Slice(whole, m), letter, false, depth + 1, false));
      bases = true;
      continue;
    }
    if (fields_seen) {
      text += pretty ? "," : ", ";
    } else if (bases && pretty) {
      text += Indent(2 + 2 * depth);
      text += "members of " + TypeName(full) + ":";
    }
    fields_seen = true;
    if (pretty) text += Indent(2 + 2 * depth);
    if (m.is_static) {
      text += "static " + m.name + " = " + Format(StaticMember(full, m), letter, false, depth + 1, false);
      continue;
    }
    if (!m.name.empty()) text += m.name + " = ";
    text += Format(Slice(whole, m), letter, false, depth + 1, false);
  }
  if (!has_fields) text += "<No data fields>";
  else if (fields_seen && pretty) text += Indent(2 * depth);
  return text + "}";
}

// A static member's value: the constant the class declares, else the definition the symbol
// table names (Class::member), else <optimized out> as gdb says of one it cannot find.
Value Evaluator::Impl::StaticMember(const Type* owner, const Member& m) {
  Value v;
  v.type = m.type;
  if (!m.static_value.empty()) {
    v.bytes = m.static_value;
    return v;
  }
  if (auto defined = Lookup(TypeName(owner) + "::" + m.name); defined && defined->where == Value::Where::kMemory) {
    return AtAddress(m.type, defined->address);
  }
  v.where = Value::Where::kOptimizedOut;
  return v;
}

// gdb's print_children for a value its pretty-printers know: the summary, then " = {" and the
// children (values only for arrays, [key] = value for maps, name = value otherwise), at most
// `print elements` of them, "..." when there may be more; in summary mode (frame arguments)
// just "{...}".
std::string Evaluator::Impl::FormatSynthetic(const Synthetic& synthetic, char letter, int depth) {
  std::string text = synthetic.summary;
  if (!synthetic.has_children || !synthetic.children) return text;
  const bool is_map = synthetic.hint == Synthetic::Hint::kMap;
  const bool is_array = synthetic.hint == Synthetic::Hint::kArray;
  bool pretty = is_array ? false : options.pretty;
  const std::uint64_t limit = options.elements == 0 ? std::numeric_limits<std::uint64_t>::max() : options.elements;
  std::uint64_t i = 0;
  bool stopped = false;  // ended by the limit or an error, not by the last child
  auto error = synthetic.children([&](const std::string& name, const Value& child) {
    if (i == 0) {
      if (!synthetic.summary.empty()) text += " = ";
    } else if (!is_map || i % 2 == 0) {
      text += pretty ? "," : ", ";
    }
    if (i == 0) text += "{";
    if (summary) {
      ++i;
      pretty = false;
      stopped = true;
      return false;
    }
    if ((!is_map || i % 2 == 0) && pretty) text += Indent(2 + 2 * depth);
    if (is_map && i % 2 == 0) text += "[";
    else if (!is_array && !is_map) text += name + " = ";
    text += Format(child, letter, false, depth + 1);
    if (is_map && i % 2 == 0) text += "] = ";
    ++i;
    if (i >= limit) {
      stopped = true;
      return false;
    }
    return true;
  });
  if (error) {
    text += "<error reading variable: " + error->message + ">";
    stopped = true;
  }
  if (i) {
    if (stopped) {
      if (pretty) text += Indent(2 + 2 * depth);
      text += "...";
    }
    if (pretty) text += Indent(2 * depth);
    text += "}";
  }
  return text;
}

bool Evaluator::Impl::target_read(std::uint64_t address, std::uint8_t* byte) {
  // One byte at a time would be slow for long strings; the Target reads from an mmap or a page
  // cache, so this stays cheap for the 200 bytes print reads at most.
  return static_cast<bool>(target.ReadExact(address, std::span<std::uint8_t>(byte, 1)));
}

}  // namespace corekit::eval
