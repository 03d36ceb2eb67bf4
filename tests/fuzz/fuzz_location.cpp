// libFuzzer target: DWARF location expressions as a damaged or hostile debug file could hold
// them — any operations, any operands, branches anywhere — evaluated over a fixed frame. The
// evaluator must end (a bounded step count), never read past the operations, never crash.
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../src/eval/location.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Each operation: the atom byte, two 8-byte operands and a 2-byte offset (19 bytes).
  constexpr std::size_t kOpBytes = 19;
  std::vector<Dwarf_Op> ops;
  for (std::size_t at = 0; at + kOpBytes <= size && ops.size() < 256; at += kOpBytes) {
    Dwarf_Op op{};
    op.atom = data[at];
    std::memcpy(&op.number, data + at + 1, 8);
    std::memcpy(&op.number2, data + at + 9, 8);
    std::uint16_t offset = 0;
    std::memcpy(&offset, data + at + 17, 2);
    op.offset = offset;
    ops.push_back(op);
  }
  corekit::eval::LocationContext context;
  context.read_register = [](unsigned regno) -> std::optional<std::uint64_t> {
    if (regno < 17) return 0x7ffe0000 + regno * 8;
    return std::nullopt;
  };
  context.read_memory = [](std::uint64_t address, unsigned) -> std::optional<std::uint64_t> {
    if (address >= 0x7ffe0000 && address < 0x7ffe1000) return address ^ 0x5a5a;
    return std::nullopt;
  };
  context.frame_base = [] { return std::optional<std::uint64_t>(0x7ffe0800); };
  context.cfa = [] { return std::optional<std::uint64_t>(0x7ffe0810); };
  context.entry_register = [](unsigned regno) -> std::optional<std::uint64_t> { return regno; };
  context.bias = 0x400000;
  const corekit::eval::Location location = corekit::eval::EvaluateLocation(ops.data(), ops.size(), context);
  return location.pieces.size() > 1024 ? 1 : 0;  // pieces are bounded by the operations
}
