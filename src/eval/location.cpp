#include "location.h"

#include <dwarf.h>
#include <fmt/format.h>

namespace corekit::eval {
namespace {

constexpr std::size_t kMaxStack = 1024;
constexpr std::size_t kMaxSteps = 100000;  // DW_OP_bra can loop: damaged DWARF must not hang us

Location Failed(std::string why) {
  Location l;
  l.error = std::move(why);
  return l;
}

}  // namespace

Location EvaluateLocation(const Dwarf_Op* ops, std::size_t count, const LocationContext& c) {
  Location result;
  if (count == 0) {
    result.pieces.push_back({});  // an empty expression: optimized out
    return result;
  }
  std::vector<std::uint64_t> stack;
  // What the expression so far describes when it ends or reaches a DW_OP_piece.
  std::optional<Piece> current;
  auto pop = [&](std::uint64_t& v) {
    if (stack.empty()) return false;
    v = stack.back();
    stack.pop_back();
    return true;
  };
  auto push = [&](std::uint64_t v) {
    if (stack.size() >= kMaxStack) return false;
    stack.push_back(v);
    return true;
  };
  auto regval = [&](unsigned regno) { return c.read_register ? c.read_register(regno) : std::nullopt; };
  std::size_t steps = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (++steps > kMaxSteps) return Failed("DWARF expression does not terminate");
    const Dwarf_Op& op = ops[i];
    const unsigned atom = op.atom;
    std::uint64_t a = 0, b = 0;
    if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
      if (!push(atom - DW_OP_lit0)) return Failed("DWARF stack overflow");
      continue;
    }
    if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) {
      current = Piece{Piece::Kind::kRegister, 0, atom - DW_OP_reg0, 0, {}, 0};
      continue;
    }
    if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) {
      auto r = regval(atom - DW_OP_breg0);
      if (!r) {
        result.pieces.assign(1, Piece{});  // the base register was not recovered: nowhere
        return result;
      }
      if (!push(*r + static_cast<std::int64_t>(op.number))) return Failed("DWARF stack overflow");
      continue;
    }
    switch (atom) {
      case DW_OP_addr:
        if (!push(op.number + c.bias)) return Failed("DWARF stack overflow");
        break;
      case DW_OP_addrx:
      case DW_OP_GNU_addr_index:
      case DW_OP_constx:
      case DW_OP_GNU_const_index: {
        // DWARF 5 (clang): an index into .debug_addr, which libdw resolves.
        Dwarf_Attribute entry;
        Dwarf_Addr address = 0;
        Dwarf_Word constant = 0;
        if (!c.attribute || dwarf_getlocation_attr(c.attribute, &op, &entry) != 0) return Failed("unresolvable DWARF address index");
        const bool is_address = atom == DW_OP_addrx || atom == DW_OP_GNU_addr_index;
        if (is_address ? dwarf_formaddr(&entry, &address) != 0 : dwarf_formudata(&entry, &constant) != 0) {
          return Failed("unresolvable DWARF address index");
        }
        if (!push(is_address ? address + c.bias : constant)) return Failed("DWARF stack overflow");
        break;
      }
      case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u: case DW_OP_constu:
      case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s: case DW_OP_consts:
        if (!push(op.number)) return Failed("DWARF stack overflow");
        break;
      case DW_OP_regx:
        current = Piece{Piece::Kind::kRegister, 0, static_cast<unsigned>(op.number), 0, {}, 0};
        break;
      case DW_OP_bregx: {
        auto r = regval(static_cast<unsigned>(op.number));
        if (!r) {
          result.pieces.assign(1, Piece{});
          return result;
        }
        if (!push(*r + static_cast<std::int64_t>(op.number2))) return Failed("DWARF stack overflow");
        break;
      }
      case DW_OP_fbreg: {
        auto base = c.frame_base ? c.frame_base() : std::nullopt;
        if (!base) return Failed("frame base is not available");
        if (!push(*base + static_cast<std::int64_t>(op.number))) return Failed("DWARF stack overflow");
        break;
      }
      case DW_OP_call_frame_cfa: {
        auto cfa = c.cfa ? c.cfa() : std::nullopt;
        if (!cfa) return Failed("the frame's CFA is not available");
        if (!push(*cfa)) return Failed("DWARF stack overflow");
        break;
      }
      case DW_OP_dup:
        if (stack.empty() || !push(stack.back())) return Failed("DWARF stack underflow");
        break;
      case DW_OP_drop:
        if (!pop(a)) return Failed("DWARF stack underflow");
        break;
      case DW_OP_over:
        if (stack.size() < 2 || !push(stack[stack.size() - 2])) return Failed("DWARF stack underflow");
        break;
      case DW_OP_pick:
        if (op.number >= stack.size() || !push(stack[stack.size() - 1 - op.number])) return Failed("DWARF stack underflow");
        break;
      case DW_OP_swap:
        if (stack.size() < 2) return Failed("DWARF stack underflow");
        std::swap(stack[stack.size() - 1], stack[stack.size() - 2]);
        break;
      case DW_OP_rot:
        if (stack.size() < 3) return Failed("DWARF stack underflow");
        std::swap(stack[stack.size() - 1], stack[stack.size() - 2]);
        std::swap(stack[stack.size() - 2], stack[stack.size() - 3]);
        break;
      case DW_OP_deref:
      case DW_OP_deref_size: {
        if (!pop(a)) return Failed("DWARF stack underflow");
        const unsigned size = atom == DW_OP_deref ? 8 : static_cast<unsigned>(op.number);
        auto v = c.read_memory && size >= 1 && size <= 8 ? c.read_memory(a, size) : std::nullopt;
        if (!v) return Failed(fmt::format("Cannot access memory at address {:#x}", a));
        push(*v);
        break;
      }
      case DW_OP_plus_uconst:
        if (!pop(a)) return Failed("DWARF stack underflow");
        push(a + op.number);
        break;
      case DW_OP_neg: case DW_OP_not: case DW_OP_abs:
        if (!pop(a)) return Failed("DWARF stack underflow");
        push(atom == DW_OP_neg ? -a : atom == DW_OP_not ? ~a
                                 : static_cast<std::int64_t>(a) < 0 ? -a : a);
        break;
      case DW_OP_plus: case DW_OP_minus: case DW_OP_mul: case DW_OP_div: case DW_OP_mod:
      case DW_OP_and: case DW_OP_or: case DW_OP_xor: case DW_OP_shl: case DW_OP_shr: case DW_OP_shra:
      case DW_OP_eq: case DW_OP_ne: case DW_OP_lt: case DW_OP_gt: case DW_OP_le: case DW_OP_ge: {
        if (!pop(b) || !pop(a)) return Failed("DWARF stack underflow");
        const auto sa = static_cast<std::int64_t>(a), sb = static_cast<std::int64_t>(b);
        std::uint64_t r = 0;
        switch (atom) {
          case DW_OP_plus: r = a + b; break;
          case DW_OP_minus: r = a - b; break;
          case DW_OP_mul: r = a * b; break;
          case DW_OP_div:
            if (b == 0 || (sa == INT64_MIN && sb == -1)) return Failed("division by zero in DWARF expression");
            r = static_cast<std::uint64_t>(sa / sb);
            break;
          case DW_OP_mod:
            if (b == 0) return Failed("division by zero in DWARF expression");
            r = a % b;
            break;
          case DW_OP_and: r = a & b; break;
          case DW_OP_or: r = a | b; break;
          case DW_OP_xor: r = a ^ b; break;
          case DW_OP_shl: r = b >= 64 ? 0 : a << b; break;
          case DW_OP_shr: r = b >= 64 ? 0 : a >> b; break;
          case DW_OP_shra: r = static_cast<std::uint64_t>(b >= 64 ? (sa < 0 ? -1 : 0) : sa >> b); break;
          case DW_OP_eq: r = sa == sb; break;
          case DW_OP_ne: r = sa != sb; break;
          case DW_OP_lt: r = sa < sb; break;
          case DW_OP_gt: r = sa > sb; break;
          case DW_OP_le: r = sa <= sb; break;
          case DW_OP_ge: r = sa >= sb; break;
        }
        push(r);
        break;
      }
      case DW_OP_skip:
      case DW_OP_bra: {
        if (atom == DW_OP_bra) {
          if (!pop(a)) return Failed("DWARF stack underflow");
          if (a == 0) break;
        }
        // The operand counts bytes from the end of this 3-byte operation.
        const std::uint64_t target = op.offset + 3 + static_cast<std::int16_t>(op.number);
        std::size_t j = 0;
        while (j < count && ops[j].offset != target) ++j;
        if (j == count) {
          if (target == ops[count - 1].offset + 1) break;  // a jump to the end: done (loosely)
          return Failed("DWARF branch to no operation");
        }
        i = j - 1;
        break;
      }
      case DW_OP_nop:
        break;
      case DW_OP_stack_value:
        if (!pop(a)) return Failed("DWARF stack underflow");
        current = Piece{Piece::Kind::kValue, 0, 0, a, {}, 0};
        break;
      case DW_OP_implicit_value: {
        Dwarf_Block block;
        if (!c.attribute || dwarf_getlocation_implicit_value(c.attribute, &op, &block) != 0) {
          return Failed("implicit value not readable");
        }
        Piece p{Piece::Kind::kImplicit, 0, 0, 0, {}, 0};
        p.bytes.assign(block.data, block.data + block.length);
        current = std::move(p);
        break;
      }
      case DW_OP_piece: {
        Piece p = current.value_or(Piece{});
        if (!current && !stack.empty()) {
          p = Piece{Piece::Kind::kMemory, stack.back(), 0, 0, {}, 0};
        }
        if (!current && stack.empty()) p = Piece{};  // an empty piece: optimized out
        p.size = op.number;
        result.pieces.push_back(std::move(p));
        current.reset();
        stack.clear();
        break;
      }
      case DW_OP_entry_value:
      case DW_OP_GNU_entry_value: {
        // The value a register had on entry, from the caller's call site (when it is known).
        Dwarf_Attribute inner;
        Dwarf_Op* block = nullptr;
        std::size_t n = 0;
        std::optional<std::uint64_t> value;
        if (c.attribute && c.entry_register && dwarf_getlocation_attr(c.attribute, &op, &inner) == 0 &&
            dwarf_getlocation(&inner, &block, &n) == 0 && n == 1) {
          if (block[0].atom >= DW_OP_reg0 && block[0].atom <= DW_OP_reg31) value = c.entry_register(block[0].atom - DW_OP_reg0);
          if (block[0].atom == DW_OP_regx) value = c.entry_register(static_cast<unsigned>(block[0].number));
        }
        if (!value || !push(*value)) {
          result.pieces.assign(1, Piece{});
          return result;
        }
        break;
      }
      case DW_OP_implicit_pointer:
      case DW_OP_GNU_implicit_pointer:
      case DW_OP_GNU_parameter_ref:
        // A pointer to an optimized-away object: nothing to read.
        result.pieces.assign(1, Piece{});
        return result;
      default:
        return Failed(fmt::format("unhandled DWARF operation {:#x}", atom));
    }
  }
  if (current) {
    result.pieces.push_back(std::move(*current));
  } else if (!stack.empty()) {
    result.pieces.push_back(Piece{Piece::Kind::kMemory, stack.back(), 0, 0, {}, 0});
  } else if (result.pieces.empty()) {
    return Failed("DWARF expression left nothing on the stack");
  }
  return result;
}

}  // namespace corekit::eval
