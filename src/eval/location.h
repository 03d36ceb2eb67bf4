// DWARF location expressions (DWARF 5 §2.5, §2.6) evaluated over a frame: where a variable's
// bytes are — memory, a register, a computed value, or nowhere — piece by piece. libdw decodes
// the operations; this is the stack machine that runs them.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace corekit::eval {

struct LocationContext {
  std::function<std::optional<std::uint64_t>(unsigned regno)> read_register;
  std::function<std::optional<std::uint64_t>(std::uint64_t address, unsigned size)> read_memory;
  std::function<std::optional<std::uint64_t>()> frame_base;  // DW_OP_fbreg
  std::function<std::optional<std::uint64_t>()> cfa;         // DW_OP_call_frame_cfa
  // DW_OP_entry_value(DW_OP_regN): register N's value when the function was entered.
  std::function<std::optional<std::uint64_t>(unsigned regno)> entry_register;
  Dwarf_Addr bias = 0;                                       // DW_OP_addr is module-relative
  Dwarf_Attribute* attribute = nullptr;                      // for DW_OP_implicit_value
};

struct Piece {
  enum class Kind { kMemory, kRegister, kValue, kImplicit, kOptimizedOut };
  Kind kind = Kind::kOptimizedOut;
  std::uint64_t address = 0;        // kMemory
  unsigned regno = 0;               // kRegister
  std::uint64_t value = 0;          // kValue (DW_OP_stack_value)
  std::vector<std::uint8_t> bytes;  // kImplicit
  std::uint64_t size = 0;           // bytes of the piece; 0: the whole object
};

struct Location {
  std::vector<Piece> pieces;  // one, unless DW_OP_piece composed it
  std::string error;          // set when the expression could not be evaluated
};

Location EvaluateLocation(const Dwarf_Op* ops, std::size_t count, const LocationContext& context);

}  // namespace corekit::eval
