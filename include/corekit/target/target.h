// Target: a process frozen in time — a core file or a stopped live process.
//
// Everything above this layer (commands, unwinder, crash report, writer) takes a Target, so the
// same code serves `corekit bt app.core` and `corekit bt 1234`. A Target answers with the model
// (model.h) and with memory by virtual address.
//
// Memory contract: ReadSome() copies bytes starting at `address` until the first byte it
// cannot provide or the buffer is full, and returns how many it copied (at least one), or an
// error for `address` itself: kUnmapped (no mapping there) or kNotInCore (mapped, but its bytes
// were not recorded and cannot be recovered). It never invents bytes. ReadExact() fills the
// whole buffer or fails naming the first absent address.
//
// A Target is not thread-safe unless an implementation says so; references it returns stay
// valid for the Target's lifetime.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "corekit/base/diagnostics.h"
#include "corekit/base/result.h"
#include "corekit/target/model.h"

namespace corekit::target {

class Target {
 public:
  virtual ~Target() = default;

  virtual const elf::Abi& abi() const = 0;
  virtual Producer producer() const = 0;
  virtual const Process& process() const = 0;
  virtual const std::vector<Thread>& threads() const = 0;
  virtual const std::vector<Mapping>& mappings() const = 0;
  // Problems met while reading the target that did not stop it.
  virtual const Diagnostics& diagnostics() const = 0;

  virtual Result<std::size_t> ReadSome(std::uint64_t address, std::span<std::uint8_t> out) = 0;

  Result<void> ReadExact(std::uint64_t address, std::span<std::uint8_t> out);
  // Reads a NUL-terminated string of at most max_length bytes.
  Result<std::string> ReadCString(std::uint64_t address, std::size_t max_length);
  // Reads an unsigned word of the target's byte order (width 1, 2, 4 or 8).
  Result<std::uint64_t> ReadWord(std::uint64_t address, unsigned width);

  const Thread* FindThread(std::int64_t tid) const;
};

}  // namespace corekit::target
