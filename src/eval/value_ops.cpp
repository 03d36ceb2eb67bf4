// Operations on values: references followed, scalars extracted, members and elements sliced out
// of aggregates (lazily, by address, for values in memory), addresses taken, casts.
#include <cmath>
#include <cstring>
#include <limits>

#include "impl.h"
#include "std_printers.h"

namespace corekit::eval {

Result<Value> Evaluator::Impl::Coerced(const Value& v) {
  const Type* t = Strip(v.type);
  if (!t || t->kind != TypeKind::kReference) return v;
  auto bits = Bits(v);
  if (!bits) return Unexpected(bits.error());
  return AtAddress(t->target, *bits);
}

// The parts of `whole`'s missing ranges inside [from, from + size), relative to `from`; `all`
// says whether they cover it entirely.
std::vector<std::pair<std::uint64_t, std::uint64_t>> MissingWithin(const Value& whole, std::uint64_t from, std::uint64_t size,
                                                                    bool* all) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> inside;
  std::uint64_t covered = 0;
  for (const auto& [begin, end] : whole.missing) {
    const std::uint64_t b = std::max(begin, from), e = std::min(end, from + size);
    if (b < e) {
      inside.emplace_back(b - from, e - from);
      covered += e - b;
    }
  }
  *all = size != 0 && covered >= size;
  return inside;
}

Result<std::uint64_t> Evaluator::Impl::Bits(const Value& v) {
  const Type* t = Strip(v.type);
  if (!v.missing.empty()) return EvalError("value has been optimized out");
  if (t && !t->no_debug_symbol.empty() && t->kind == TypeKind::kOther) {
    return EvalError("'" + t->no_debug_symbol + "' has unknown type; cast it to its declared type");
  }
  auto bytes = Contents(v);
  if (!bytes) return Unexpected(bytes.error());
  std::uint64_t raw = 0;
  const std::size_t n = std::min<std::size_t>(bytes->size(), 8);
  for (std::size_t i = 0; i < n; ++i) raw |= static_cast<std::uint64_t>((*bytes)[i]) << (8 * i);
  unsigned width = static_cast<unsigned>(n * 8);
  if (v.bit_size) {
    raw >>= v.bit_offset;
    width = v.bit_size;
  }
  if (width < 64) {
    raw &= (std::uint64_t{1} << width) - 1;
    if (t && t->is_signed && t->kind != TypeKind::kFloat && (raw >> (width - 1)) & 1) raw |= ~((std::uint64_t{1} << width) - 1);
  }
  return raw;
}

Result<std::int64_t> Evaluator::Impl::AsInteger(const Value& value) {
  auto v = Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (t && t->kind == TypeKind::kFloat) {
    auto d = AsDouble(*v);
    if (!d) return Unexpected(d.error());
    // Saturated: a NaN, an infinity or a huge value has no integer to truncate to.
    if (std::isnan(*d)) return std::int64_t{0};
    if (*d >= 9223372036854775807.0) return std::numeric_limits<std::int64_t>::max();
    if (*d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(*d);
  }
  if (t && t->kind == TypeKind::kArray && v->where == Value::Where::kMemory) return static_cast<std::int64_t>(v->address);
  if (!t || !(IsIntegral(t) || t->kind == TypeKind::kPointer || t->kind == TypeKind::kOther)) {
    return EvalError("Value can't be converted to integer.");
  }
  auto bits = Bits(*v);
  if (!bits) return Unexpected(bits.error());
  return static_cast<std::int64_t>(*bits);
}

Result<double> Evaluator::Impl::AsDouble(const Value& value) {
  auto v = Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (t && t->kind == TypeKind::kFloat) {
    auto bytes = Contents(*v);
    if (!bytes) return Unexpected(bytes.error());
    if (t->size == 4 && bytes->size() >= 4) {
      float f;
      std::memcpy(&f, bytes->data(), 4);
      return f;
    }
    if (t->size == 8 && bytes->size() >= 8) {
      double d;
      std::memcpy(&d, bytes->data(), 8);
      return d;
    }
    if (t->size > 8 && bytes->size() >= 10 && sizeof(long double) >= 10) {
      long double ld = 0;
      std::memcpy(&ld, bytes->data(), std::min<std::size_t>(bytes->size(), sizeof ld));
      return static_cast<double>(ld);
    }
    return EvalError("Unsupported floating-point size.");
  }
  auto i = AsInteger(*v);
  if (!i) return Unexpected(i.error());
  return t && !t->is_signed && t->kind != TypeKind::kPointer ? static_cast<double>(static_cast<std::uint64_t>(*i))
                                                             : static_cast<double>(*i);
}

Result<Value> Evaluator::Impl::Dereference(const Value& value) {
  auto v = Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (t && t->kind == TypeKind::kArray) return Element(*v, 0);
  if (t && t->kind == TypeKind::kFunction) return *v;
  if (auto pointee = StdPointee(*this, *v)) return *pointee;  // gdb's xmethods for smart pointers
  if (t && t->kind == TypeKind::kInteger) {  // gdb allows *ADDRESS: an int there
    auto address = Bits(*v);
    if (!address) return Unexpected(address.error());
    return AtAddress(types.Base("int"), *address);
  }
  if (!t || t->kind != TypeKind::kPointer) return EvalError("Attempt to take contents of a non-pointer value.");
  const Type* target = t->target ? t->target : types.Void();
  if (Strip(target)->kind == TypeKind::kUnavailable) return EvalError(kUnavailableType);
  if (Strip(target)->kind == TypeKind::kVoid) return EvalError("Attempt to take contents of a non-pointer value.");
  auto address = Bits(*v);
  if (!address) return Unexpected(address.error());
  return AtAddress(target, *address);
}

Value Evaluator::Impl::Slice(const Value& aggregate, const Member& m) const {
  Value member;
  member.type = m.type;
  member.bit_size = m.bit_size;
  member.bit_offset = m.bit_offset;
  if (aggregate.where == Value::Where::kMemory) {
    member.where = Value::Where::kMemory;
    member.address = aggregate.address + m.offset;
    return member;
  }
  member.where = aggregate.where == Value::Where::kOptimizedOut ? Value::Where::kOptimizedOut : Value::Where::kComputed;
  // Bytes fetched from memory remember where they were (the standard library's printers need a
  // container's own address: its nodes point back to it).
  if (aggregate.where == Value::Where::kComputed && aggregate.address != 0) member.address = aggregate.address + m.offset;
  const std::uint64_t size = m.bit_size ? (m.bit_offset + m.bit_size + 7) / 8 : (Strip(m.type) ? Strip(m.type)->size : 0);
  if (!aggregate.missing.empty() && member.where == Value::Where::kComputed) {
    bool all = false;
    member.missing = MissingWithin(aggregate, m.offset, size, &all);
    if (all) {
      member.missing.clear();
      member.where = Value::Where::kOptimizedOut;
      return member;
    }
  }
  if (m.offset <= aggregate.bytes.size() && size <= aggregate.bytes.size() - m.offset) {
    member.bytes.assign(aggregate.bytes.begin() + static_cast<long>(m.offset), aggregate.bytes.begin() + static_cast<long>(m.offset + size));
  }
  return member;
}

Result<Value> Evaluator::Impl::MemberOf(const Value& value, const std::string& name) {
  auto v = Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (!t || (t->kind != TypeKind::kStruct && t->kind != TypeKind::kUnion)) {
    return EvalError("Attempt to extract a component of a value that is not a structure.");
  }
  if (t->declaration && t->members.empty()) {
    if (auto full = NamedType(t->keyword, t->name); full && !(*full)->declaration) t = *full;
  }
  for (const Member& m : t->members) {
    if (!m.is_base && !m.is_static && m.name == name) return Slice(*v, m);
  }
  // Anonymous structs and unions, and base classes, hold members of their own.
  for (const Member& m : t->members) {
    if ((m.name.empty() || m.is_base) && !m.is_static) {
      auto inner = MemberOf(Slice(*v, m), name);
      if (inner) return inner;
    }
  }
  return EvalError("There is no member named " + name + ".");
}

Result<Value> Evaluator::Impl::Element(const Value& value, std::int64_t index) {
  auto v = Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* t = Strip(v->type);
  if (t && t->kind == TypeKind::kArray) {
    const Type* element = t->target;
    const std::uint64_t size = Strip(element)->size;
    if (v->where == Value::Where::kMemory) return AtAddress(element, v->address + static_cast<std::uint64_t>(index) * size);
    if (index < 0 || size == 0 || static_cast<std::uint64_t>(index) >= v->bytes.size() / size) {
      return EvalError("no such vector element");
    }
    Value e;
    e.type = element;
    e.where = v->where == Value::Where::kRegister ? Value::Where::kComputed : v->where;
    bool all = false;
    e.missing = MissingWithin(*v, static_cast<std::uint64_t>(index) * size, size, &all);
    if (all) {
      e.missing.clear();
      e.where = Value::Where::kOptimizedOut;
      return e;
    }
    e.bytes.assign(v->bytes.begin() + index * size, v->bytes.begin() + (index + 1) * size);
    return e;
  }
  if (t && t->kind == TypeKind::kPointer) {
    const Type* target = t->target ? t->target : types.Void();
    if (Strip(target)->kind == TypeKind::kUnavailable) return EvalError(kUnavailableType);
    if (Strip(target)->kind == TypeKind::kVoid) return EvalError("Attempt to take contents of a non-pointer value.");
    auto base = Bits(*v);
    if (!base) return Unexpected(base.error());
    return AtAddress(target, *base + static_cast<std::uint64_t>(index) * Strip(target)->size);
  }
  if (auto element = StdSubscript(*this, *v, index)) return *element;  // gdb's xmethods for operator[]
  return EvalError("cannot subscript something of type `" + TypeName(v->type) + "'");
}

Result<Value> Evaluator::Impl::AddressOf(const Value& value) {
  const Type* t = Strip(value.type);
  if (t && t->kind == TypeKind::kReference) {
    auto referent = Coerced(value);
    if (!referent) return Unexpected(referent.error());
    return AddressOf(*referent);
  }
  if (value.bit_size) return EvalError("Attempt to take address of value not located in memory.");
  if (value.where != Value::Where::kMemory) {
    return EvalError(value.where == Value::Where::kRegister ? "Address requested for identifier which is in register"
                                                            : "Attempt to take address of value not located in memory.");
  }
  return Scalar(types.PointerTo(value.type), value.address);
}

Result<Value> Evaluator::Impl::Cast(const Value& value, const Type* type) {
  const Type* to = Strip(type);
  auto v = Coerced(value);
  if (!v) return Unexpected(v.error());
  const Type* from = Strip(v->type);
  if (!to || !from) return EvalError("Invalid cast.");
  if (to->kind == TypeKind::kVoid) {
    Value out;
    out.type = type;
    return out;
  }
  if (to->kind == TypeKind::kStruct || to->kind == TypeKind::kUnion || to->kind == TypeKind::kArray) {
    if (v->where == Value::Where::kMemory && (from->size == to->size || to->kind == TypeKind::kArray)) return AtAddress(type, v->address);
    return EvalError("Invalid cast.");
  }
  if (to->kind == TypeKind::kFloat) {
    auto d = AsDouble(*v);
    if (!d) return Unexpected(d.error());
    Value out;
    out.type = type;
    out.bytes.resize(to->size);
    if (to->size == 4) {
      const float f = static_cast<float>(*d);
      std::memcpy(out.bytes.data(), &f, 4);
    } else if (to->size == 8) {
      std::memcpy(out.bytes.data(), &*d, 8);
    } else {
      const long double ld = *d;
      std::memcpy(out.bytes.data(), &ld, std::min<std::size_t>(sizeof ld, out.bytes.size()));
    }
    return out;
  }
  if (IsIntegral(to) || to->kind == TypeKind::kPointer || to->kind == TypeKind::kOther) {
    if (from->kind == TypeKind::kFunction && v->where == Value::Where::kMemory) return Scalar(type, v->address);
    auto i = AsInteger(*v);
    if (!i) return Unexpected(i.error());
    std::uint64_t bits = static_cast<std::uint64_t>(*i);
    if (to->kind == TypeKind::kBool) bits = bits != 0;
    return Scalar(type, bits);
  }
  return EvalError("Invalid cast.");
}

}  // namespace corekit::eval
